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
	// InitScale multiplies q's scale before the fit when q takes
	// natural-gradient steps (implements family.Natural): those start
	// narrow, so that their first steps are Newton steps toward the mode.
	// Zero or one leaves q unchanged.
	InitScale float64

	// StartRows is the number of rows evaluated by Apply's start (a fit
	// of a subsample), for AutoDraws' count of the fit's work.
	StartRows int

	// warm, if set, starts q from the fit of an easier parameterization.
	warm func(ctx context.Context, q family.Family)
	// natural marks a Method that begins with natural-gradient steps, and
	// finish is the method that follows them; a family without such steps
	// is started from a mean-field fit instead and goes to finish at once.
	natural bool
	finish  optim.Method
	model   model.LogDensity
	seed    uint64
}

// Apply prepares q for the fit, and the choice for q: it scales q by
// InitScale (see there), or, for a model.WarmStarter, starts q at the
// moments of a fit of the easier model mapped to the model's coordinates
// (see Auto). For a family without natural-gradient steps where the
// choice begins with them, it starts q (a family.Matcher) from the
// moments of a mean-field fit of the model, which has them and is cheap,
// and drops the natural-gradient steps from Method. A warm start that
// cannot be made leaves q unchanged.
func (c *Choice) Apply(ctx context.Context, q family.Family) error {
	if c.warm != nil {
		c.warm(ctx, q)
		return nil
	}
	if _, ok := q.(family.Natural); !ok && c.natural {
		c.Method, c.natural = c.finish, false
		if mq, ok := q.(family.Matcher); ok {
			meanFieldStart(ctx, c.model, mq, c.seed)
		}
		return nil
	}
	if _, ok := q.(family.Natural); ok && c.InitScale > 0 && c.InitScale != 1 {
		q.ScaleBy(c.InitScale)
		if c.natural {
			c.StartRows = subsampleStart(ctx, c.model, q)
		}
	}
	return nil
}

// Subsampled start: below subsampleMin rows, or with fewer than
// subsampleRowsPerDim rows of the subsample per parameter, the full-data
// passes it saves are too few (or the subsample too likely separable).
const (
	subsampleMin        = 50000
	subsampleStride     = 8
	subsampleRowsPerDim = 50
)

// subsampleStart moves q, a narrow start, to the fit of every
// subsampleStride-th row with the likelihood scaled by the stride, when the
// model has many rows. The natural-gradient steps from the narrow start
// make their largest moves in the first full-data passes; on the
// subsample each pass costs 1/subsampleStride, and its optimum (whose
// covariance already has the full data's size) is within a few posterior
// sds of the full-data one, where the steps contract fast. A sub-fit that
// fails or does not converge leaves q as it was. It returns the rows
// evaluated.
func subsampleStart(ctx context.Context, m model.LogDensity, q family.Family) int {
	rm, ok := m.(model.Rows)
	if !ok {
		return 0
	}
	n := rm.NumRows()
	if n < subsampleMin || n/subsampleStride < subsampleRowsPerDim*m.Dim() {
		return 0
	}
	rows := make([]int, 0, n/subsampleStride+1)
	for i := 0; i < n; i += subsampleStride {
		rows = append(rows, i)
	}
	x0 := q.Params(nil)
	res, err := Fit(ctx, m, q, subsetEstimator{&elbo.Quadrature{}, rows}, &optim.NaturalGradient{Extrapolate: true}, nil)
	if err != nil {
		return 0
	}
	if !res.Converged() {
		q.SetParams(x0)
	}
	return res.Evals * len(rows)
}

// subsetEstimator keeps a Quadrature on its rows when Fit calls Init.
type subsetEstimator struct {
	*elbo.Quadrature
	rows []int
}

func (s subsetEstimator) Init(m model.LogDensity, q family.Family) error {
	if err := s.Quadrature.Init(m, q); err != nil {
		return err
	}
	return s.Quadrature.SetRows(s.rows)
}

// meanFieldStart sets q to the moments (mean and variances) of a
// mean-field fit of m, if that converges. A low-rank q fitted by L-BFGS
// from its unit-scale start can settle where its factors explain
// parameters that the posterior leaves independent (a worse local
// optimum, measured 12 nats below the full-rank ELBO on kidiq); from the
// mean-field moments its factors grow only where correlations pay.
func meanFieldStart(ctx context.Context, m model.LogDensity, q family.Matcher, seed uint64) {
	mf := family.NewMeanField(m.Dim())
	ch := Auto(m, seed)
	if ch.Apply(ctx, mf) != nil {
		return
	}
	res, err := Fit(ctx, m, mf, ch.Estimator, ch.Method, nil)
	if err != nil || !res.Converged() {
		return
	}
	var cov mat.SymDense
	mf.Cov(&cov)
	_ = q.MatchMoments(mf.Mean(nil), &cov) // on failure q is left as it was
}

// Auto returns govi's default choice for m, the deterministic path where
// the model allows it:
//
//   - a model.Predictors model with an expected Hessian
//     (elbo.SupportsCurvature): Gauss-Hermite quadrature, natural-gradient
//     steps from a narrow start, and L-BFGS to finish when they do not
//     converge; a family without natural-gradient steps (LowRank) is
//     started from a mean-field fit and fitted by L-BFGS (see Apply);
//   - another model.Predictors model: quadrature and L-BFGS, started, for a
//     model.WarmStarter (non-centered groups), from a full-rank fit of the
//     easier model whose draws are mapped to the model's coordinates and
//     moment-matched (family.Matcher);
//   - another differentiable model with d ≤ 4: the tensor-product
//     Gauss-Hermite rule (10 nodes per dimension), natural-gradient steps
//     from a narrow start (the expected Hessian from gradients at the nodes
//     by Stein's identity), and L-BFGS to finish;
//   - otherwise: Monte Carlo with 32 draws (seeded) and Adam.
func Auto(m model.LogDensity, seed uint64) Choice {
	natural := func() Choice {
		return Choice{
			Estimator: &elbo.Quadrature{},
			Method:    &optim.Fallback{Methods: []optim.Method{&optim.NaturalGradient{Extrapolate: true}, &optim.LBFGS{}}},
			InitScale: 1e-3,
			natural:   true, finish: &optim.LBFGS{}, model: m, seed: seed,
		}
	}
	if _, ok := m.(model.Predictors); ok {
		if elbo.SupportsCurvature(m) {
			return natural()
		}
		c := Choice{Estimator: &elbo.Quadrature{}, Method: &optim.LBFGS{}, InitScale: 1}
		if ws, ok := m.(model.WarmStarter); ok {
			c.warm = func(ctx context.Context, q family.Family) { warmStart(ctx, ws, q, seed) }
		}
		return c
	}
	if m.Dim() <= 4 {
		return natural()
	}
	return Choice{Estimator: &elbo.MonteCarlo{Draws: 32, Seed: seed}, Method: &optim.Adam{}, InitScale: 1}
}

// warmDraws is the number of draws of the easier model's fit that are
// mapped and moment-matched.
const warmDraws = 4000

// warmStart sets q to the moments of a full-rank fit of m's easier model,
// mapped to m's coordinates. It leaves q unchanged when the easier model
// cannot be fitted well (no convergence) or q cannot match moments: then
// the optimizer simply starts from q.
func warmStart(ctx context.Context, m model.WarmStarter, q family.Family, seed uint64) {
	mq, ok := q.(family.Matcher)
	if !ok {
		return
	}
	easy, to, ok := m.Easier()
	if !ok {
		return
	}
	qe := family.NewFullRank(easy.Dim())
	ch := Auto(easy, seed)
	if ch.Apply(ctx, qe) != nil {
		return
	}
	res, err := Fit(ctx, easy, qe, ch.Estimator, ch.Method, nil)
	if err != nil || !res.Converged() {
		return
	}
	ds := Sample(easy, qe, nil, warmDraws, seed)
	d := m.Dim()
	x := mat.NewDense(warmDraws, d, nil)
	for i := 0; i < warmDraws; i++ {
		to(x.RawRowView(i), ds.Theta.RawRowView(i))
	}
	mean := make([]float64, d)
	for j := range mean {
		mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	_ = mq.MatchMoments(mean, &cov) // on failure q is left as it was
}
