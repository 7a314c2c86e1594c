package govi_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/prior"
)

// A Bayesian logistic regression, fitted with the full-rank family, the
// Gauss-Hermite quadrature ELBO and L-BFGS: the deterministic path.
func ExampleFit() {
	// Did a household switch wells (y), given its distance to a safe well
	// in 100 m (x)?
	x := []float64{0.2, 0.5, 0.2, 0.2, 0.4, 0.7, 0.8, 0.4, 0.9, 0.6, 0.3, 0.2, 1.1, 1.3, 0.1}
	y := []float64{1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1}
	design := mat.NewDense(len(x), 2, nil)
	for i, v := range x {
		design.Set(i, 0, 1) // intercept
		design.Set(i, 1, v)
	}
	l, err := lik.NewBernoulliLogit(y)
	if err != nil {
		panic(err)
	}
	m, err := model.NewLinear(model.Terms{
		Lik:   l,
		X:     design,
		Names: []string{"Intercept", "dist100"},
		Coef:  []model.Prior{prior.Normal{Mu: 0, Sigma: 2.5}, prior.Normal{Mu: 0, Sigma: 2.5}},
	})
	if err != nil {
		panic(err)
	}
	q := family.NewFullRank(m.Dim())
	res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{}, &optim.LBFGS{}, nil)
	if err != nil {
		panic(err)
	}
	var cov mat.SymDense
	q.Cov(&cov)
	for i, name := range m.ConstrainedNames() {
		fmt.Printf("%-9s mean %6.3f  sd %5.3f\n", name, q.Mean(nil)[i], math.Sqrt(cov.At(i, i)))
	}
	fmt.Printf("%v, ELBO %.3f\n", res.Status, res.ELBO)
	// Numerical integration gives the exact posterior means 1.972 and
	// −3.075, sds 0.934 and 1.456, and log p(D) = −9.837, above the ELBO.

	// Output:
	// Intercept mean  1.969  sd 0.924
	// dist100   mean -3.068  sd 1.439
	// converged, ELBO -9.846
}

// Any differentiable log density can be fitted; Auto picks the estimator
// and optimizer (here the tensor-product quadrature, as d is small, with
// natural-gradient steps falling back to L-BFGS).
func ExampleAuto() {
	// A correlated 2-D Gaussian target: the full-rank family recovers it.
	target := model.Func{N: 2,
		F: func(x []float64) float64 { return -0.5 * (x[0]*x[0] - 1.6*x[0]*x[1] + x[1]*x[1]) / 0.36 },
		Grad: func(g, x []float64) float64 {
			g[0] = -(x[0] - 0.8*x[1]) / 0.36
			g[1] = -(x[1] - 0.8*x[0]) / 0.36
			return -0.5 * (x[0]*x[0] - 1.6*x[0]*x[1] + x[1]*x[1]) / 0.36
		},
	}
	ch := govi.Auto(target, 1)
	q := family.NewFullRank(2)
	if err := ch.Apply(context.Background(), q); err != nil {
		panic(err)
	}
	if _, err := govi.Fit(context.Background(), target, q, ch.Estimator, ch.Method, nil); err != nil {
		panic(err)
	}
	var cov mat.SymDense
	q.Cov(&cov)
	fmt.Printf("%T + %v\n", ch.Estimator, ch.Method)
	fmt.Printf("variances %.3f %.3f, correlation %.3f\n", cov.At(0, 0), cov.At(1, 1), cov.At(0, 1)/math.Sqrt(cov.At(0, 0)*cov.At(1, 1)))
	// Output:
	// *elbo.Quadrature + natural gradient, then L-BFGS
	// variances 1.000 1.000, correlation 0.800
}

// Diagnose answers "did it work?" with Pareto-smoothed importance sampling.
func ExampleDiagnose() {
	// The posterior of a normal mean with known sd 1 and a flat prior, from
	// five observations, is N(1.2, 0.447²). The exact q gives constant
	// ratios; a q that is too narrow and off-center does not cover the
	// posterior, and k-hat says so.
	y := []float64{1.2, 0.4, 2.1, 1.5, 0.8}
	m := model.Func{N: 1,
		F: func(x []float64) float64 {
			lp := 0.0
			for _, v := range y {
				lp -= 0.5 * (v - x[0]) * (v - x[0])
			}
			return lp
		},
	}
	for _, c := range []struct{ mean, sd float64 }{{1.2, math.Sqrt(0.2)}, {0.8, 0.1}} {
		q := family.NewMeanField(1)
		q.SetMeanSD([]float64{c.mean}, []float64{c.sd})
		dg, err := govi.Diagnose(govi.Sample(model.NumGrad{F: m}, q, nil, 4000, 1), govi.DiagnoseOptions{})
		if err != nil {
			panic(err)
		}
		fmt.Printf("q = N(%.1f, %.3f²): k-hat %s (%v)\n", c.mean, c.sd, khat(dg.Khat), dg.Reliability)
	}
	// Output:
	// q = N(1.2, 0.447²): k-hat -Inf (good)
	// q = N(0.8, 0.100²): k-hat 0.88 (bad)
}

func khat(k float64) string {
	if math.IsInf(k, 0) {
		return fmt.Sprint(k)
	}
	return fmt.Sprintf("%.2f", k)
}
