package govi_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// relErr returns |a−b| / max(|b|, floor).
func relErr(a, b, floor float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(b), floor)
}

func checkClose(t *testing.T, what string, got, want, tol, floor float64) {
	t.Helper()
	if e := relErr(got, want, floor); !(e <= tol) {
		t.Errorf("%s: got %.12g, want %.12g (relative error %.3g > %.3g)", what, got, want, e, tol)
	}
}

// The exact posterior of the conjugate regression is Gaussian, so the
// full-rank family contains it: the optimum is q = posterior, and there
// ELBO = log p(D).
func TestConjugateFullRankQuadrature(t *testing.T) {
	for _, method := range []optim.Method{&optim.LBFGS{}, &optim.NaturalGradient{}} {
		t.Run(fmt.Sprint(method), func(t *testing.T) { conjugateFullRank(t, method) })
	}
}

// fitConverged fits q to m with the quadrature ELBO and method, and fails
// the test unless the fit converges.
func fitConverged(t *testing.T, m model.LogDensity, q family.Family, method optim.Method) *govi.Result {
	t.Helper()
	res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{}, method, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged() {
		t.Fatalf("not converged: %v: %s", res.Status, res.Message)
	}
	return res
}

func conjugateFullRank(t *testing.T, method optim.Method) {
	c := testmodel.NewConjugate(250, 6, 1)
	m := c.Linear()
	q := family.NewFullRank(m.Dim())
	res := fitConverged(t, m, q, method)
	mean, cov := c.Posterior()
	got := q.Mean(nil)
	var gotCov mat.SymDense
	q.Cov(&gotCov)
	d := len(mean)
	for i := 0; i < d; i++ {
		checkClose(t, "mean", got[i], mean[i], 1e-6, math.Sqrt(cov.At(i, i)))
		for j := 0; j <= i; j++ {
			// Off-diagonal entries are compared relative to the scale of
			// their row and column variances.
			floor := math.Sqrt(cov.At(i, i) * cov.At(j, j))
			checkClose(t, "cov", gotCov.At(i, j), cov.At(i, j), 1e-6, floor)
		}
	}
	lz := c.LogEvidence()
	checkClose(t, "ELBO vs log p(D)", res.ELBO, lz, 1e-6, 1)
	t.Logf("ELBO %.10f, log p(D) %.10f, %d iterations, %d evals: %s", res.ELBO, lz, res.Iterations, res.Evals, res.Message)
}

// The mean-field optimum for a Gaussian posterior N(m, S) has mean m and
// variances 1/diag(S⁻¹) (Bishop 2006, §10.1.2).
func TestConjugateMeanFieldOptimum(t *testing.T) {
	for _, method := range []optim.Method{&optim.LBFGS{}, &optim.NaturalGradient{}} {
		t.Run(fmt.Sprint(method), func(t *testing.T) { conjugateMeanField(t, method) })
	}
}

func conjugateMeanField(t *testing.T, method optim.Method) {
	c := testmodel.NewConjugate(250, 6, 2)
	m := c.Linear()
	q := family.NewMeanField(m.Dim())
	res := fitConverged(t, m, q, method)
	mean, cov := c.Posterior()
	var ch mat.Cholesky
	ch.Factorize(cov)
	var prec mat.SymDense
	if err := ch.InverseTo(&prec); err != nil {
		t.Fatal(err)
	}
	sd := q.SD()
	for i := range mean {
		checkClose(t, "mean", q.Mean(nil)[i], mean[i], 1e-6, math.Sqrt(cov.At(i, i)))
		checkClose(t, "sd", sd[i], 1/math.Sqrt(prec.At(i, i)), 1e-6, 0)
	}
	// The mean-field ELBO is below log p(D) by KL(q ‖ p) > 0.
	if lz := c.LogEvidence(); !(res.ELBO < lz) {
		t.Errorf("mean-field ELBO %g not below log p(D) %g", res.ELBO, lz)
	}
}
