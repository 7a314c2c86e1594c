package govi

import (
	"context"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// Choice is an estimator and optimizer for a model, with the way to start
// q.
type Choice struct {
	Estimator elbo.Estimator
	Method    optim.Method
	// InitScale multiplies q's scale before the fit: natural-gradient steps
	// start narrow, so their first steps are Newton steps toward the mode.
	InitScale float64

	// warm, if set, starts q from the fit of an easier parameterization.
	warm func(ctx context.Context, q family.Family) error
}

// Apply prepares q for the fit: it scales q by InitScale, or, for a
// non-centered Linear model, starts q at the moments of a centered fit
// mapped to non-centered coordinates (see Auto).
func (c Choice) Apply(ctx context.Context, q family.Family) error {
	if c.warm != nil {
		return c.warm(ctx, q)
	}
	if c.InitScale > 0 && c.InitScale != 1 {
		q.ScaleBy(c.InitScale)
	}
	return nil
}

// Auto returns govi's default choice for m, the deterministic path where
// the model allows it:
//
//   - a *model.Linear: Gauss-Hermite quadrature, natural-gradient steps
//     from a narrow start, and L-BFGS to finish when the natural-gradient
//     steps do not converge. Models with non-centered groups have no
//     expected Hessian; they are fitted by L-BFGS, started from a fit of
//     the centered parameterization (natural-gradient steps, fast) whose
//     draws are mapped to z = r/τ and moment-matched;
//   - another differentiable model with d ≤ 4: the tensor-product
//     Gauss-Hermite rule (10 nodes per dimension), natural-gradient steps
//     from a narrow start (the expected Hessian from gradients at the nodes
//     by Stein's identity), and L-BFGS to finish;
//   - otherwise: Monte Carlo with 32 draws (seeded) and Adam.
func Auto(m model.LogDensity, seed uint64) Choice {
	natural := func() optim.Method {
		return &optim.Fallback{Methods: []optim.Method{&optim.NaturalGradient{}, &optim.LBFGS{}}}
	}
	if lin, ok := m.(*model.Linear); ok {
		if !elbo.SupportsCurvature(m) {
			c := Choice{Estimator: &elbo.Quadrature{}, Method: &optim.LBFGS{}, InitScale: 1}
			c.warm = func(ctx context.Context, q family.Family) error {
				warmStart(ctx, lin, q, seed)
				return nil
			}
			return c
		}
		return Choice{Estimator: &elbo.Quadrature{}, Method: natural(), InitScale: 1e-3}
	}
	if m.Dim() <= 4 {
		return Choice{Estimator: &elbo.Quadrature{}, Method: natural(), InitScale: 1e-3}
	}
	return Choice{Estimator: &elbo.MonteCarlo{Draws: 32, Seed: seed}, Method: &optim.Adam{}, InitScale: 1}
}

// warmStart sets q, for the non-centered model m, to the moments of a
// centered fit's draws mapped to m's coordinates. It leaves q unchanged
// when the centered model cannot be fitted well (no curvature, or no
// convergence): then L-BFGS simply starts from q.
func warmStart(ctx context.Context, m *model.Linear, q family.Family, seed uint64) {
	c, err := m.Reparameterize(true)
	if err != nil || !elbo.SupportsCurvature(c) {
		return
	}
	var qc family.Family
	switch q.(type) {
	case *family.FullRank:
		qc = family.NewFullRank(c.Dim())
	case *family.MeanField:
		qc = family.NewMeanField(c.Dim())
	default:
		return
	}
	ch := Auto(c, seed)
	if ch.Apply(ctx, qc) != nil {
		return
	}
	res, err := Fit(ctx, c, qc, ch.Estimator, ch.Method, nil)
	if err != nil || !res.Converged() {
		return
	}
	const draws = 4000
	ds := Sample(c, qc, nil, draws, seed)
	d := m.Dim()
	x := mat.NewDense(draws, d, nil)
	for i := 0; i < draws; i++ {
		m.MapFrom(x.RawRowView(i), c, ds.Theta.RawRowView(i))
	}
	mean := make([]float64, d)
	for j := range mean {
		mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	switch f := q.(type) {
	case *family.FullRank:
		var cov mat.SymDense
		stat.CovarianceMatrix(&cov, x, nil)
		f.SetMeanCov(mean, &cov)
	case *family.MeanField:
		sd := make([]float64, d)
		for j := range sd {
			sd[j] = stat.StdDev(mat.Col(nil, j, x), nil)
		}
		f.SetMeanSD(mean, sd)
	}
}
