// Package model defines the log densities that govi approximates, and the
// capabilities estimators discover in them through interfaces:
//
//   - LogDensity and Differentiable: any log density on an unconstrained
//     R^d, with its gradient (Func adapts plain functions; NumGrad adds
//     finite-difference gradients; CheckGrad checks a hand-written one);
//   - Rows: a log density that is a prior plus a sum over N rows, so that
//     estimators can use minibatches;
//   - Predictors: a model that describes its linear predictors with a
//     Layout (per-row likelihood of η, dense and sparse terms, shared scale
//     and auxiliary coordinates, priors on single coordinates), which lets
//     the quadrature ELBO integrate each row in one dimension and compute
//     the expected Hessian;
//   - GaussianPrior: a model whose prior is Gaussian, for closed-form KL
//     terms;
//   - WarmStarter: a model with an easier equivalent parameterization;
//   - Constrainer: a model that maps θ to named quantities on their
//     natural scale.
//
// Linear is the structured model of regressions (GLMs with group-level
// effects, centered or not); Constrained writes a model, as in Stan, on
// the natural scale of its parameters with transforms. A user's model
// implements whichever interfaces fit it; package conformance checks it.
//
// Models are evaluated concurrently by estimators: every method must be safe
// to call from several goroutines at once (read-only models are).
package model

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// LogDensity is an unnormalized log density on R^d.
type LogDensity interface {
	// Dim returns d.
	Dim() int
	// LogDensity returns log p(x) up to a constant (use the full constant
	// where it is known, so that the ELBO bounds log p(D)).
	LogDensity(x []float64) float64
}

// Differentiable is a log density with a gradient.
type Differentiable interface {
	LogDensity
	// LogDensityGrad stores ∇log p(x) in grad (len d) and returns log p(x).
	LogDensityGrad(grad, x []float64) float64
}

// Rows is a log density of the form log p(θ) + Σᵢ log p(yᵢ | θ) with N
// rows, so estimators can use a subset B of rows scaled by N/|B| without
// rebuilding the model (minibatches, streamed data).
type Rows interface {
	Differentiable
	// NumRows returns N.
	NumRows() int
	// LogDensityRows returns log p(x) + scale·Σ_{i∈rows} log p(yᵢ | x) and,
	// if grad is not nil, stores its gradient there.
	LogDensityRows(grad, x []float64, rows []int, scale float64) float64
}

// GaussianPrior is implemented by models of the form
// log p(D | θ) + log N(θ | m, S), so estimators can use the closed-form KL
// divergence instead of estimating the prior term.
type GaussianPrior interface {
	Differentiable
	// Prior returns the prior mean m and covariance S.
	Prior() (mean []float64, cov mat.Symmetric)
	// LogLikGrad returns log p(D | x) and, if grad is not nil, stores its
	// gradient there.
	LogLikGrad(grad, x []float64) float64
}

// Func adapts plain functions to Differentiable.
type Func struct {
	N    int
	F    func(x []float64) float64
	Grad func(grad, x []float64) float64
}

var _ Differentiable = Func{}

// Dim returns N.
func (f Func) Dim() int { return f.N }

// LogDensity returns F(x).
func (f Func) LogDensity(x []float64) float64 { return f.F(x) }

// LogDensityGrad calls Grad.
func (f Func) LogDensityGrad(grad, x []float64) float64 { return f.Grad(grad, x) }

// NumGrad makes a Differentiable from a LogDensity by central finite
// differences (gonum diff/fd). It costs 2d+1 density evaluations per
// gradient and its gradient has truncation and rounding error of order
// Step², so prefer a hand-written gradient, checked with CheckGrad.
type NumGrad struct {
	// F is the log density to differentiate.
	F LogDensity
	// Step is the finite-difference step; zero means 1e-5 (near-optimal for
	// central differences of smooth functions in double precision).
	Step float64
}

var _ Differentiable = NumGrad{}

// Dim returns F.Dim().
func (n NumGrad) Dim() int { return n.F.Dim() }

// LogDensity returns F.LogDensity(x).
func (n NumGrad) LogDensity(x []float64) float64 { return n.F.LogDensity(x) }

// LogDensityGrad stores a central-difference gradient in grad.
func (n NumGrad) LogDensityGrad(grad, x []float64) float64 {
	step := n.Step
	if step == 0 {
		step = 1e-5
	}
	fd.Gradient(grad, n.F.LogDensity, x, &fd.Settings{Formula: fd.Central, Step: step})
	return n.F.LogDensity(x)
}

// GradError is returned by CheckGrad when a gradient disagrees with finite
// differences.
type GradError struct {
	Index          int     // first coordinate that disagrees most
	Analytic, Num  float64 // the two values there
	MaxRelErr, Tol float64
}

func (e *GradError) Error() string {
	return fmt.Sprintf("model: gradient check failed at coordinate %d: analytic %.10g, finite difference %.10g (relative error %.3g > %.3g)",
		e.Index, e.Analytic, e.Num, e.MaxRelErr, e.Tol)
}

// CheckGrad compares m's gradient at x with central finite differences and
// returns a *GradError if the largest error, relative to max(1, |value|),
// exceeds tol (zero means 1e-6).
func CheckGrad(m Differentiable, x []float64, tol float64) error {
	if tol == 0 {
		tol = 1e-6
	}
	d := m.Dim()
	if len(x) != d {
		return errors.New("model: CheckGrad: len(x) != Dim()")
	}
	g := make([]float64, d)
	m.LogDensityGrad(g, x)
	num := fd.Gradient(nil, m.LogDensity, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	worst, at := 0.0, -1
	for i := range g {
		e := math.Abs(g[i]-num[i]) / math.Max(1, math.Abs(num[i]))
		if !(e <= worst) {
			worst, at = e, i
		}
	}
	if at >= 0 && !(worst <= tol) {
		return &GradError{Index: at, Analytic: g[at], Num: num[at], MaxRelErr: worst, Tol: tol}
	}
	return nil
}

// AllFinite reports whether every element of x is finite.
func AllFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
