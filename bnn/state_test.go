package bnn

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestRestore saves a network's state and q through JSON and checks that
// the restored network predicts exactly as the original: the same
// predictive means, sds, quantiles, class probabilities and log
// predictive densities for the same seed.
func TestRestore(t *testing.T) {
	for _, c := range []struct {
		lik    Likelihood
		act    Activation
		hidden []int
		prior  Prior
	}{
		{Gaussian, Tanh, []int{5}, Prior{Learn: true}},
		{Bernoulli, ReLU, []int{4, 3}, Prior{Scale: 2, FanIn: true}},
		{Categorical, ReLU, nil, Prior{}},
	} {
		t.Run(c.lik.String(), func(t *testing.T) {
			net := smallNet(t, c.lik, c.act, c.hidden, 60, c.prior)
			net.SetHyper(append([]float64{0.3}, net.Hyper()[1:]...)) // as if learned
			q := randomMeanField(net, 3)
			b, err := json.Marshal(net.State())
			if err != nil {
				t.Fatal(err)
			}
			var st State
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			back, err := Restore(st)
			if err != nil {
				t.Fatal(err)
			}
			if back.Dim() != net.Dim() || back.NumRows() != 0 || !slices.Equal(back.Hyper(), net.Hyper()) {
				t.Fatalf("restored: dim %d rows %d hyper %v; want %d, 0, %v", back.Dim(), back.NumRows(), back.Hyper(), net.Dim(), net.Hyper())
			}
			mean := q.Mean(nil)
			q2, err := back.MeanFieldOf(mean, q.SD())
			if err != nil {
				t.Fatal(err)
			}
			x, y := synthetic(c.lik, 25, 3, 3, 11)
			if c.lik == Categorical {
				for i := range y {
					y[i] = net.Classes()[i%3]
				}
			}
			o := &PredictOptions{Draws: 200, Seed: 5}
			p1, err := net.Predict(q, x, o)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := back.Predict(q2, x, o)
			if err != nil {
				t.Fatal(err)
			}
			same := func(what string, a, b []float64) {
				if !slices.Equal(a, b) {
					t.Errorf("%s differ after Restore:\n%v\n%v", what, a, b)
				}
			}
			same("means", p1.Mean, p2.Mean)
			same("sds", p1.SD, p2.SD)
			same("classes", p1.Class, p2.Class)
			if p1.Prob != nil {
				same("probabilities", p1.Prob.RawMatrix().Data, p2.Prob.RawMatrix().Data)
			}
			if p1.Quantiles != nil {
				same("quantiles", p1.Quantiles.RawMatrix().Data, p2.Quantiles.RawMatrix().Data)
			}
			l1, err := net.LogPredictive(q, x, y, o)
			if err != nil {
				t.Fatal(err)
			}
			l2, err := back.LogPredictive(q2, x, y, o)
			if err != nil {
				t.Fatal(err)
			}
			same("log predictive densities", l1, l2)
			// Without data, the log density is the log prior.
			theta := q.Mean(nil)
			lp := net.logPrior(nil, theta)
			if got := back.LogDensity(theta); got != lp {
				t.Errorf("restored LogDensity %g, want the log prior %g", got, lp)
			}
		})
	}
}

// TestRestoreErrors checks that a damaged state or q is refused with a
// message saying what is wrong.
func TestRestoreErrors(t *testing.T) {
	net := smallNet(t, Categorical, ReLU, []int{4}, 40, Prior{})
	good := net.State()
	for _, c := range []struct {
		name string
		edit func(*State)
		want string
	}{
		{"inputs", func(s *State) { s.Inputs = 0 }, "0 inputs"},
		{"means", func(s *State) { s.XMean = s.XMean[:1] }, "1 input means"},
		{"sd", func(s *State) { s.XSD[1] = 0 }, "input 1 standardized"},
		{"classes", func(s *State) { s.Classes = []float64{2, 0} }, "classes [2 0]"},
		{"scales", func(s *State) { s.LogScale = s.LogScale[:1] }, "1 prior scales for 2 layers"},
		{"width", func(s *State) { s.Spec.Hidden = []int{0} }, "hidden layer width 0"},
	} {
		s := good
		s.XMean, s.XSD, s.Classes, s.LogScale = slices.Clone(good.XMean), slices.Clone(good.XSD), slices.Clone(good.Classes), slices.Clone(good.LogScale)
		c.edit(&s)
		_, err := Restore(s)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrSpec with %q", c.name, err, c.want)
		}
	}
	var a Activation
	if err := a.UnmarshalText([]byte("sigmoid")); err == nil || !strings.Contains(err.Error(), `"sigmoid"`) {
		t.Errorf("activation sigmoid: %v", err)
	}
	if _, err := net.MeanFieldOf(make([]float64, net.Dim()), make([]float64, net.Dim())); err == nil {
		t.Error("MeanFieldOf accepted zero sds")
	}
}
