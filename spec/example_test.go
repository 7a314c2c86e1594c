package spec_test

import (
	"context"
	"fmt"
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
