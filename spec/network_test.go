package spec

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/govi-dev/govi/bnn"
	"github.com/govi-dev/govi/data"
)

// BuildNetwork codes text responses as classes, refuses what a network
// does not take, and a saved network predicts as the one in memory.
func TestBuildNetwork(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,z,g,y\n")
	for i := 0; i < 60; i++ {
		y := []string{"lo", "mid", "hi"}[i%3]
		b.WriteString(strings.Join([]string{itoa(i % 7), itoa(i % 3 * 2), []string{"a", "b"}[i%2], y}, ",") + "\n")
	}
	fr, err := data.ReadCSV(strings.NewReader(b.String()), "t.csv", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Formula: "y ~ x + z", Family: "categorical", Network: &Network{Hidden: []int{3}}}
	built, err := m.BuildNetwork(fr, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(built.Labels, []string{"hi", "lo", "mid"}) || !slices.Equal(built.Inputs, []string{"x", "z"}) {
		t.Errorf("labels %v, inputs %v", built.Labels, built.Inputs)
	}
	fit, err := built.Fit(context.Background(), NetworkSettings{Epochs: 5, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(fit.Save())
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadNetwork(built.Spec, js)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.Predict(fr, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fit.Net.Predict(fit.Q, built.x, &bnn.PredictOptions{Draws: 100, Seed: 3, Levels: []float64{0.05, 0.5, 0.95}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pr.Pred.Prob.RawMatrix().Data, want.Prob.RawMatrix().Data) || len(pr.LogPD) != 60 {
		t.Errorf("the saved network predicts differently, or without log_pd (%d)", len(pr.LogPD))
	}
	mem, err := fit.Predict(fr, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mem.Pred.Prob.RawMatrix().Data, want.Prob.RawMatrix().Data) || !slices.Equal(mem.LogPD, pr.LogPD) {
		t.Error("the fit in memory predicts differently from its saved form")
	}

	for _, c := range []struct {
		m    Model
		want string
	}{
		{Model{Formula: "y ~ .", Family: "categorical"}, `column "g" is text`},
		{Model{Formula: "y ~ x + (1 | g)", Family: "categorical"}, "group-level terms"},
		{Model{Formula: "y ~ x", Family: "categorical", Link: "logit"}, "takes no link"},
		{Model{Formula: "y ~ x", Family: "poisson", Network: &Network{Hidden: []int{2}}}, "no network model"},
		{Model{Formula: "y ~ x", Family: "gaussian", Network: &Network{Activation: "sigmoid"}}, `activation "sigmoid"`},
		{Model{Formula: "y ~ x", Family: "gaussian", Network: &Network{}, Priors: []Prior{{Class: "b", Prior: "normal(0, 1)"}}}, "priors by class"},
	} {
		_, err := c.m.BuildNetwork(fr, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (%s): %v, want %q", c.m.Formula, c.m.Family, err, c.want)
		}
	}
	// The advice of the "." error works: leave the text column out.
	if nb, err := (&Model{Formula: "y ~ . - g", Family: "categorical"}).BuildNetwork(fr, 0); err != nil || !slices.Equal(nb.Inputs, []string{"x", "z"}) {
		t.Errorf("y ~ . - g: %v", err)
	}
	if _, err := (&Model{Formula: "y ~ x", Family: "categorical"}).Build(fr); err == nil || !strings.Contains(err.Error(), "BuildNetwork") {
		t.Errorf("Build of a network model: %v", err)
	}
	var de *DataError
	if _, err := LoadFit(t.TempDir() + "/none"); !errors.As(err, &de) {
		t.Errorf("LoadFit of a missing directory: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
