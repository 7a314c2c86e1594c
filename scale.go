package govi

import (
	"errors"
	"math"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/stream"
)

// MinDraws is the fewest draws AutoDraws chooses: enough for the Pareto
// fit of PSIS (its tail holds 3√S ≈ 47 ratios).
const MinDraws = 250

// Cost model of AutoDraws, in multiply-adds of the row passes (about
// 0.15 ns each on two cores of the reference machine). A likelihood
// evaluation, with its exp and log, costs likCost of them: measured 19 ns
// against 0.15 ns per multiply-add, on the 100,000 × 100 logistic
// regression, where the model then predicts the fit's and the draws'
// times within 10% for both Gaussian families. Reading and coding a cell
// of a streamed file costs readCost. An entry of the expected Hessian's
// lower triangle costs hessCost: linalg.Lower adds 32 rows at a time
// through Gemv, 0.57 of the per-row update's time in BenchmarkLower.
const (
	likCost       = 125
	hessCost      = 0.57
	readCost      = 60
	cheapDiagWork = 3e9 // diagnostics below this many operations keep DefaultDraws
)

// AutoDraws returns the number of draws Run takes when RunOptions.Draws is
// zero, for a fit of m with q on n rows that evaluated fitRows rows in
// all (ELBO evaluations times rows, or the rows of the minibatches).
//
// The diagnostics need log p at every draw, a pass over the data per draw,
// while the fit's cost is its evaluations times the data. For a
// model.Predictors model both are counted in multiply-adds per row, for
// the c design entries of a row: an evaluation of the fit costs
// Q·ℓ + c + P + H (Q quadrature nodes times a likelihood evaluation ℓ,
// the mean, the projection on q's factor P = Σₐ RowLen(a), and, when the
// fit takes natural-gradient steps, the expected Hessian's lower triangle
// H = c(c+1)/2 entries, or else the backward pass P), a draw of the diagnostics
// c + ℓ (its share of the blocked product X Θᵀ and one likelihood
// evaluation), and a streamed file adds the reading of each pass. The
// count is DefaultDraws when DefaultDraws draws are cheap (under 3·10⁹
// operations, about a second of one core: every small data set), and
// otherwise the number of draws whose cost equals the fit's, within
// [MinDraws, DefaultDraws]. The rule counts work instead of timing it, so
// the same seed gives the same draws on any machine. Models that are not
// model.Predictors keep DefaultDraws.
func AutoDraws(m model.LogDensity, q family.Sampler, n, fitRows int, streamed bool) int {
	k, ok := drawCosts(m, q, streamed)
	if !ok || n <= 0 {
		return DefaultDraws
	}
	N := float64(n)
	if N*(k.read+DefaultDraws*k.draw) <= cheapDiagWork {
		return DefaultDraws
	}
	s := (float64(fitRows)*(k.fit+k.read)/N - k.read) / k.draw
	if math.IsNaN(s) {
		return MinDraws
	}
	return int(math.Max(MinDraws, math.Min(DefaultDraws, math.Floor(s))))
}

// costs are AutoDraws' costs per row, in multiply-adds.
type costs struct {
	c                   float64 // design entries of a row
	fit, draw, read, cv float64 // a fit evaluation, a draw, reading, the control variate
}

func drawCosts(m model.LogDensity, q family.Sampler, streamed bool) (costs, bool) {
	pm, ok := m.(model.Predictors)
	if !ok {
		return costs{}, false
	}
	lay := pm.Layout()
	p := 0
	if lay.X != nil {
		_, p = lay.X.Dims()
	}
	c := float64(p + len(lay.Terms))
	proj := c
	if g, ok := q.(family.Gaussian); ok {
		fac := g.Factor()
		proj = 0
		if fac.K > 0 {
			for a := lay.DenseAt; a < lay.DenseAt+p; a++ {
				proj += float64(fac.RowLen(a))
			}
			proj += float64(len(lay.Terms) * fac.K)
		}
	}
	hess := hessCost * c * (c + 1) / 2
	back := proj
	if _, ok := q.(family.Natural); ok && elbo.SupportsCurvature(m) {
		back = hess
	}
	nodes := 16.0
	if len(lay.Shared()) > 0 {
		nodes *= 8
	}
	k := costs{c: c, fit: nodes*likCost + c + proj + back, draw: c + likCost, cv: c + likCost + hess}
	if streamed {
		k.read = readCost * c
	}
	return k, true
}

// Subsampled diagnostics: data of at least subsampleDiagMin rows whose
// exact diagnostics at MinDraws would cost more than the fit evaluate
// every draw on about subsampleDiagRows rows (stream.LogLikSubsample), or,
// on fewer than twice that, on as many rows as let MinDraws draws cost the
// fit, if that is at least subsampleDiagFloor.
const (
	subsampleDiagMin   = 100000
	subsampleDiagRows  = 100000
	subsampleDiagFloor = 10000
)

// AutoSubsample returns the plan of Run's diagnostics when RunOptions.Draws
// is zero and the exact pass over every row (AutoDraws) would cost more
// than the fit even at MinDraws draws: on n ≥ 10⁵ rows of dense
// predictors with a likelihood without auxiliary parameters, log p at the
// draws is estimated from every stride-th row with a control variate
// whose total is exact (stream.LogLikSubsample), a pass over all rows at
// q's mean plus every draw on the subsample: about 10⁵ rows, or on fewer
// than 2·10⁵ rows as many as let MinDraws draws with that pass cost the
// fit. draws is then the number whose cost, with that pass, equals the
// fit's, within [MinDraws, DefaultDraws]. ok is false when the exact pass
// applies.
func AutoSubsample(m model.LogDensity, q family.Sampler, n, fitRows int, streamed bool) (draws, stride int, ok bool) {
	k, ok := drawCosts(m, q, streamed)
	if !ok || n < subsampleDiagMin {
		return 0, 0, false
	}
	lay := m.(model.Predictors).Layout()
	if len(lay.Terms) > 0 || len(lay.AuxAt) > 0 || lay.X == nil {
		return 0, 0, false
	}
	N := float64(n)
	if exact := (float64(fitRows)*(k.fit+k.read)/N - k.read) / k.draw; exact >= MinDraws {
		return 0, 0, false
	}
	// What the draws may cost on the subsample: the fit less the control
	// variate's pass over every row.
	budget := float64(fitRows)*(k.fit+k.read) - N*(k.read+k.cv)
	stride = n / subsampleDiagRows
	if stride < 2 {
		r := budget / (MinDraws * k.draw)
		if !(r >= subsampleDiagFloor) {
			return 0, 0, false
		}
		stride = max(2, int(math.Ceil(N/r)))
	}
	rows := float64((n + stride - 1) / stride)
	s := budget / (rows * k.draw)
	if math.IsNaN(s) {
		s = MinDraws
	}
	return int(math.Max(MinDraws, math.Min(DefaultDraws, math.Floor(s)))), stride, true
}

// rowsOf returns the rows of m, 1 for a model without rows.
func rowsOf(m model.LogDensity) int {
	if r, ok := m.(model.Rows); ok {
		return r.NumRows()
	}
	return 1
}

// ErrMinibatchChoice is returned by Run when RunOptions.BatchSize or
// Source is combined with an Estimator or a Method: the minibatch fit
// chooses them.
var ErrMinibatchChoice = errors.New("govi: BatchSize and Source choose the estimator and the optimizer; leave Estimator and Method nil")

// ErrSourceModel is returned by Run for a Source with a model that is not
// a model.Predictors.
var ErrSourceModel = errors.New("govi: a Source holds the rows of a model.Predictors model (model.Linear)")

// minibatch is Run's minibatch fit.
type minibatch struct {
	est    elbo.Estimator
	method optim.Method
	size   int
	src    stream.Source
	smb    *stream.Minibatch
	emb    *elbo.Minibatch
	epochs int // the limit, 0 none
	w      int // batches per epoch
}

func newMinibatch(m model.LogDensity, q family.Family, opt RunOptions) (*minibatch, error) {
	if opt.Estimator != nil || opt.Method != nil {
		return nil, ErrMinibatchChoice
	}
	pm, isP := m.(model.Predictors)
	if opt.Source != nil && !isP {
		return nil, ErrSourceModel
	}
	mb := &minibatch{size: opt.BatchSize, src: opt.Source, epochs: opt.Epochs}
	if mb.size <= 0 {
		mb.size = stream.DefaultBatch
	}
	_, natural := q.(family.Natural)
	natural = natural && elbo.SupportsCurvature(m)
	switch {
	case opt.Source != nil:
		mb.smb = &stream.Minibatch{Source: opt.Source, Size: mb.size, Seed: opt.Seed}
		if err := mb.smb.Init(pm, q); err != nil {
			return nil, err
		}
		mb.est, mb.w = mb.smb, mb.smb.BatchesPerEpoch()
	case isP:
		mb.emb = &elbo.Minibatch{Estimator: &elbo.Quadrature{}, Size: mb.size, Seed: opt.Seed}
		mb.est = mb.emb
	default:
		if _, ok := m.(model.Rows); !ok {
			return nil, elbo.ErrNoRows
		}
		mb.emb = &elbo.Minibatch{Estimator: &elbo.MonteCarlo{Draws: 8, Seed: opt.Seed}, Size: mb.size, Seed: opt.Seed}
		mb.est = mb.emb
		natural = false
	}
	if mb.emb != nil {
		n := rowsOf(m)
		mb.size = min(mb.size, n)
		mb.w = (n + mb.size - 1) / mb.size
	}
	if natural {
		// A narrow start: the first epoch's running average of the
		// natural-parameter targets then moves fast from there.
		q.ScaleBy(1e-3)
		mb.method = &optim.StochasticNatural{}
	} else {
		mb.method = &optim.Adam{}
	}
	return mb, nil
}

// DefaultEpochs is the most passes over the data a minibatch fit makes
// when neither RunOptions.Epochs nor Optim.MaxIter is set, unless
// minibatchIters batches are more (small data, whose epochs are a few
// batches each): the limit is max(DefaultEpochs epochs, minibatchIters
// batches). A limit in epochs, not in batches, lets a fit of many rows in
// small batches run as many passes as one of few rows.
const DefaultEpochs = 100

// minibatchIters is the fewest batches a minibatch fit's default limit
// allows (optim.StochasticNatural's default iteration limit).
const minibatchIters = 20000

// settings sets the iteration limit from the epochs (RunOptions.Epochs,
// or DefaultEpochs when Optim.MaxIter is not set either) and passes the
// epoch, the epoch limit and the rows to the progress callback.
func (mb *minibatch) settings(s optim.Settings) optim.Settings {
	switch {
	case mb.epochs > 0:
		s.MaxIter = mb.epochs * mb.w
	case s.MaxIter <= 0:
		s.MaxIter = max(DefaultEpochs*mb.w, minibatchIters)
	}
	if cb := s.Callback; cb != nil {
		s.Callback = func(p optim.Progress) error {
			p.Epoch, p.Rows = mb.epochCount(), mb.rows()
			if p.Max > 0 {
				p.MaxEpochs = (p.Max + mb.w - 1) / mb.w
			}
			return cb(p)
		}
	}
	return s
}

func (mb *minibatch) epochCount() int {
	if mb.smb != nil {
		return mb.smb.Epoch()
	}
	return mb.emb.Epoch()
}

func (mb *minibatch) rows() int {
	if mb.smb != nil {
		return mb.smb.Rows()
	}
	return mb.emb.Calls() * mb.size
}

func (mb *minibatch) err() error {
	if mb.smb != nil {
		return mb.smb.Err()
	}
	return nil
}

func (mb *minibatch) close() {
	if mb.smb != nil {
		mb.smb.Close()
	}
}
