package govi_test

import (
	"context"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/prior"
)

func logistic(t *testing.T) *model.Linear {
	t.Helper()
	x := []float64{0.2, 0.5, 0.2, 0.2, 0.4, 0.7, 0.8, 0.4, 0.9, 0.6, 0.3, 0.2, 1.1, 1.3, 0.1}
	y := []float64{1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1}
	design := mat.NewDense(len(x), 2, nil)
	for i, v := range x {
		design.Set(i, 0, 1)
		design.Set(i, 1, v)
	}
	l, err := lik.NewBernoulliLogit(y)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewLinear(model.Terms{Lik: l, X: design,
		Coef: []model.Prior{prior.Normal{Mu: 0, Sigma: 2.5}, prior.Normal{Mu: 0, Sigma: 2.5}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Run fills in what RunOptions leaves out, and reports what it did.
func TestRunOptions(t *testing.T) {
	m := logistic(t)
	ctx := context.Background()
	for _, c := range []struct {
		opt             govi.RunOptions
		estimator, meth string
	}{
		{govi.RunOptions{}, "quadrature", "natural gradient, then L-BFGS"},
		{govi.RunOptions{Estimator: &elbo.MonteCarlo{Draws: 16, Fixed: true}}, "mc (16 draws, fixed)", "L-BFGS"},
		{govi.RunOptions{Estimator: &elbo.MonteCarlo{}, Optim: optim.Settings{MaxIter: 50}}, "mc", "Adam"},
		{govi.RunOptions{Method: &optim.LBFGS{}, Family: "meanfield"}, "quadrature", "L-BFGS"},
	} {
		out, err := govi.Run(ctx, m, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if out.EstimatorName != c.estimator || out.MethodName != c.meth {
			t.Errorf("%+v: %s + %s, want %s + %s", c.opt, out.EstimatorName, out.MethodName, c.estimator, c.meth)
		}
		if r, _ := out.Draws.X.Dims(); r != govi.DefaultDraws || len(out.Mean) != 2 || out.Diagnostics == nil || len(out.CorrectedMean) != 2 {
			t.Errorf("%d draws, mean %v, diagnostics %v", r, out.Mean, out.Diagnostics)
		}
	}
	if _, err := govi.Run(ctx, m, govi.RunOptions{Family: "fullrnak"}); err == nil {
		t.Error("an unknown family was accepted")
	}
	if _, err := govi.Run(ctx, m, govi.RunOptions{Estimator: &elbo.MonteCarlo{}, Method: &optim.LBFGS{}}); err == nil {
		t.Error("L-BFGS with a stochastic estimator was accepted")
	}

	// Importance resampling keeps the number of draws.
	out, err := govi.Run(ctx, m, govi.RunOptions{Draws: 500, Resample: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := out.Draws.X.Dims(); !out.Resampled || r != 500 {
		t.Errorf("resampled %v, %d draws", out.Resampled, r)
	}

	// A canceled run is an outcome, not an error, and says so.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	out, err = govi.Run(canceled, m, govi.RunOptions{Draws: 100})
	if err != nil {
		t.Fatal(err)
	}
	if out.Fit.Status != optim.Canceled || len(out.Warnings) == 0 || !strings.Contains(out.Warnings[len(out.Warnings)-1], "interrupted") {
		t.Errorf("canceled: %v, warnings %q", out.Fit.Status, out.Warnings)
	}
}
