package govi

import (
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// Choice is an estimator and optimizer for a model, with the scale to
// start q at.
type Choice struct {
	Estimator elbo.Estimator
	Method    optim.Method
	// InitScale multiplies q's scale before the fit: natural-gradient steps
	// start narrow, so their first steps are Newton steps toward the mode.
	InitScale float64
}

// Apply scales q for the start of the fit.
func (c Choice) Apply(q family.Family) {
	if c.InitScale > 0 && c.InitScale != 1 {
		q.ScaleBy(c.InitScale)
	}
}

// Auto returns govi's default choice for m, the deterministic path where
// the model allows it:
//
//   - a *model.Linear: Gauss-Hermite quadrature, natural-gradient steps
//     from a narrow start, and L-BFGS to finish when the natural-gradient
//     steps do not converge (models without an expected Hessian, such as
//     non-centered groups, go straight to L-BFGS);
//   - another differentiable model with d ≤ 4: the tensor-product
//     Gauss-Hermite rule (10 nodes per dimension) with L-BFGS;
//   - otherwise: Monte Carlo with 32 draws (seeded) and Adam.
func Auto(m model.LogDensity, seed uint64) Choice {
	if _, ok := m.(*model.Linear); ok {
		if !elbo.SupportsCurvature(m) {
			return Choice{Estimator: &elbo.Quadrature{}, Method: &optim.LBFGS{}, InitScale: 1}
		}
		return Choice{
			Estimator: &elbo.Quadrature{},
			Method:    &optim.Fallback{Methods: []optim.Method{&optim.NaturalGradient{}, &optim.LBFGS{}}},
			InitScale: 1e-3,
		}
	}
	if m.Dim() <= 4 {
		return Choice{Estimator: &elbo.Quadrature{}, Method: &optim.LBFGS{}, InitScale: 1}
	}
	return Choice{Estimator: &elbo.MonteCarlo{Draws: 32, Seed: seed}, Method: &optim.Adam{}, InitScale: 1}
}
