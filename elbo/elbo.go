// Package elbo estimates the evidence lower bound
//
//	ELBO(φ) = E_q[log p(θ, D)] + H(q) = E_q[log p(D | θ)] − KL(q ‖ p(θ))
//
// and its gradient in the variational parameters φ. Estimators are
// interchangeable behind one interface:
//
//   - MonteCarlo: S reparameterized draws (optionally antithetic or fixed),
//     for any differentiable model.
//   - Quadrature: Gauss-Hermite quadrature. For a model.Predictors model
//     (model.Linear, or any model that describes its linear predictors with
//     a model.Layout) each row's E_q[ℓᵢ(ηᵢ)] is a one-dimensional integral
//     over ηᵢ ~ N(mᵢ, sᵢ²) (with a small grid over the shared parameters
//     such as σ), so the objective is deterministic and its gradient exact;
//     for any other low-dimensional model it uses the tensor-product rule
//     over all of ε.
//
// Both also give the expected gradient and Hessian of the log joint
// (Curvature) that natural-gradient steps use. Estimators reach the model
// and the family only through interfaces (model.Predictors, model.Rows,
// model.GaussianPrior; family.Family, family.Gaussian), never through
// concrete types. Where the prior is Gaussian (model.GaussianPrior, or
// normal priors in a Layout), the prior term is computed in closed form.
package elbo

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
)

// Estimator computes the ELBO and its gradient in φ.
//
// Estimators are stateless in q, as NumPyro's ELBO objects are: ELBO uses
// the family it is given, which may differ from the one passed to Init (a
// family of another kind or shape re-sizes the workspace on first use).
// Init binds the model and prepares workspace; it is the only method that
// allocates in proportion to the data.
type Estimator interface {
	// Init prepares the estimator for model m and families like q: it
	// checks that they are supported and allocates workspace.
	Init(m model.LogDensity, q family.Family) error
	// ELBO returns the ELBO at q's current parameters and, if grad is not
	// nil, stores ∇φ ELBO there (len q.Len()). A non-finite result is
	// returned as is; optimizers reject it.
	ELBO(grad []float64, q family.Family) float64
	// Deterministic reports whether repeated calls at the same φ return the
	// same value, which gradient-norm convergence and L-BFGS require.
	Deterministic() bool
}

// Sentinel errors.
var (
	ErrNotInit     = errors.New("elbo: estimator used before Init")
	ErrUnsupported = errors.New("elbo: unsupported model or family")
)

// GridError reports a tensor-product rule that would be too large.
type GridError struct {
	Dim, Nodes int
	Points     float64 // Nodes^Dim
	Max        int
}

// Unwrap returns ErrUnsupported: a rule too large to build is a model
// this estimator does not support.
func (e *GridError) Unwrap() error { return ErrUnsupported }

func (e *GridError) Error() string {
	return fmt.Sprintf("elbo: tensor-product Gauss-Hermite rule over %d dimensions with %d nodes each needs %.3g points, more than the limit of %d; use MonteCarlo, a model.Linear, fewer nodes or a larger MaxPoints",
		e.Dim, e.Nodes, e.Points, e.Max)
}

var (
	ghMu    sync.Mutex
	ghCache = map[int][2][]float64{}
)

// GaussHermite returns the n-point Gauss-Hermite rule for the standard
// normal: Σₜ w[t] f(z[t]) ≈ E[f(Z)], Z ~ N(0, 1), exact for polynomials of
// degree ≤ 2n−1. For N(μ, σ²) use nodes μ + σz. The nodes come from gonum's
// rule for the weight e^{−x²}, mapped by z = √2 x, w ← w/√π. The returned
// slices are shared and must not be modified.
func GaussHermite(n int) (z, w []float64) {
	if n < 1 {
		panic("elbo: GaussHermite needs n ≥ 1")
	}
	ghMu.Lock()
	defer ghMu.Unlock()
	if r, ok := ghCache[n]; ok {
		return r[0], r[1]
	}
	z = make([]float64, n)
	w = make([]float64, n)
	quad.Hermite{}.FixedLocations(z, w, math.Inf(-1), math.Inf(1))
	sum := 0.0
	for i := range z {
		z[i] *= math.Sqrt2
		sum += w[i]
	}
	sort.Sort(rule{z, w})
	// Normalize by the computed sum rather than √π so that constants
	// integrate to one to the last bit.
	for i := range w {
		w[i] /= sum
	}
	// Symmetrize: the rule is symmetric in exact arithmetic, and exact
	// symmetry makes odd moments vanish exactly.
	for i := 0; i < n/2; i++ {
		j := n - 1 - i
		a := 0.5 * (z[j] - z[i])
		z[i], z[j] = -a, a
		b := 0.5 * (w[i] + w[j])
		w[i], w[j] = b, b
	}
	if n%2 == 1 {
		z[n/2] = 0
	}
	ghCache[n] = [2][]float64{z, w}
	return z, w
}

type rule [2][]float64

func (r rule) Len() int           { return len(r[0]) }
func (r rule) Less(i, j int) bool { return r[0][i] < r[0][j] }
func (r rule) Swap(i, j int) {
	r[0][i], r[0][j] = r[0][j], r[0][i]
	r[1][i], r[1][j] = r[1][j], r[1][i]
}
