package spec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/examples"
	"github.com/govi-dev/govi/spec"
)

// A model described as brms would take it, built on a data frame, fitted
// with govi's pipeline and used to predict new rows.
func Example() {
	ex, err := examples.Lookup("kidiq")
	if err != nil {
		panic(err)
	}
	fr, err := data.ReadCSV(ex.Open(), ex.File, data.Options{})
	if err != nil {
		panic(err)
	}
	m := &spec.Model{Formula: "kid_score ~ mom_hs + mom_iq", Family: "gaussian"}
	b, err := m.Build(fr)
	if err != nil {
		panic(err)
	}
	fit, out, err := b.Fit(context.Background(), govi.RunOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("verdict:", fit.Diagnostics.Verdict)
	for j, name := range b.Names {
		fmt.Printf("%-12s %6.2f\n", name, out.Mean[j])
	}

	// Two mothers with an IQ of 100, without and with a high-school degree.
	newRows, err := data.ReadCSV(strings.NewReader("mom_hs,mom_iq\n0,100\n1,100\n"), "new.csv", data.Options{})
	if err != nil {
		panic(err)
	}
	pred, err := b.Predict(out, newRows, 1)
	if err != nil {
		panic(err)
	}
	for i := range pred.Row {
		fmt.Printf("mom_hs %d: E[kid_score] %.0f, 90%% interval %.0f to %.0f\n", i, pred.EpredMean[i], pred.PredQ5[i], pred.PredQ95[i])
	}
	// Output:
	// verdict: reliable
	// b_Intercept   25.75
	// b_mom_hs       5.95
	// b_mom_iq       0.56
	// sigma         18.16
	// mom_hs 0: E[kid_score] 82, 90% interval 52 to 112
	// mom_hs 1: E[kid_score] 88, 90% interval 58 to 117
}

// A Bayesian neural network described as a Model: trained on a data frame,
// saved in the form govi fit writes (network.json), loaded and used to
// predict new rows.
func ExampleModel_BuildNetwork() {
	var b strings.Builder
	b.WriteString("u,v,label\n")
	for i := 0; i < 200; i++ {
		u, v := float64(i%20)/10-1, float64(i/20)/5-1
		label := "inside"
		if u*u+v*v > 0.5 {
			label = "outside"
		}
		fmt.Fprintf(&b, "%g,%g,%s\n", u, v, label)
	}
	fr, err := data.ReadCSV(strings.NewReader(b.String()), "circle.csv", data.Options{})
	if err != nil {
		panic(err)
	}
	m := &spec.Model{Formula: "label ~ u + v", Family: "categorical", Network: &spec.Network{Hidden: []int{16}, Activation: "tanh"}}
	built, err := m.BuildNetwork(fr, 0)
	if err != nil {
		panic(err)
	}
	fit, err := built.Fit(context.Background(), spec.NetworkSettings{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("weights:", fit.Train.Weights, "epochs:", fit.Train.Epochs)

	saved, err := json.Marshal(fit.Save())
	if err != nil {
		panic(err)
	}
	p, err := spec.LoadNetwork(built.Spec, saved)
	if err != nil {
		panic(err)
	}
	newRows, err := data.ReadCSV(strings.NewReader("u,v\n0,0\n0.95,0.95\n"), "new.csv", data.Options{})
	if err != nil {
		panic(err)
	}
	pred, err := p.Predict(newRows, 0, 1)
	if err != nil {
		panic(err)
	}
	for i := range pred.Rows {
		fmt.Printf("(%g, %g): %s, P(inside) %.1f\n", newRows.Columns[0].Num[i], newRows.Columns[1].Num[i], pred.Labels[slices.Index(pred.Pred.Classes, pred.Pred.Class[i])], pred.Pred.Prob.At(i, 0))
	}
	// Output:
	// weights: 82 epochs: 1000
	// (0, 0): inside, P(inside) 1.0
	// (0.95, 0.95): outside, P(inside) 0.1
}
