package govi

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/diagnose"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/stream"
)

// DefaultDraws is the number of draws Run takes when RunOptions.Draws is
// zero.
const DefaultDraws = 4000

// RunOptions configures Run. The zero value is usable: it fits the
// full-rank family with Auto's estimator and optimizer and takes
// DefaultDraws draws with seed 0.
type RunOptions struct {
	// Family names the variational family (see family.Names); empty means
	// "fullrank". Rank is passed to family.New.
	Family string
	Rank   int
	// Estimator and Method are the ELBO estimator and the optimizer. When
	// both are nil, Auto(m, Seed) chooses them and prepares q
	// (Choice.Apply). When only Method is nil it is L-BFGS for a
	// deterministic estimator and Adam otherwise; when only Estimator is
	// nil it is Auto's.
	Estimator elbo.Estimator
	Method    optim.Method
	// Optim holds the iteration limit, the tolerances and the progress
	// callback of the optimizer.
	Optim optim.Settings
	// Seed keys Auto's choice, the draws and the resampling.
	Seed uint64
	// Draws is the number of draws from q. Zero chooses it (AutoDraws):
	// DefaultDraws when the diagnostics at that many draws are cheap, and
	// otherwise as many as keep the diagnostics' cost below the fit's.
	Draws int
	// BatchSize, when positive, fits by minibatch (stochastic) variational
	// inference with batches of BatchSize rows: for a model.Predictors
	// model with a family that has natural-gradient steps, stochastic
	// natural-gradient steps on quadrature batches
	// (optim.StochasticNatural); otherwise Adam on the batches' ELBO
	// gradients. With Source set it defaults to stream.DefaultBatch.
	BatchSize int
	// Epochs bounds the passes over the data of a minibatch fit; zero
	// means the optimizer's iteration limit (Optim.MaxIter), which counts
	// batches.
	Epochs int
	// Source, when not nil, holds the rows of m, a model.Predictors whose
	// own rows only stand for the layout (for data larger than memory,
	// read block by block; see package stream and spec.Stream). The fit
	// is then a minibatch fit over Source and the diagnostics take one
	// more pass over it.
	Source stream.Source
	// Resample replaces the draws by as many draws resampled with the
	// Pareto-smoothed importance weights, as rstan's vb does with
	// importance_resampling = TRUE.
	Resample bool
	// Constrainer maps draws to the reported quantities; nil means m
	// itself when it is a model.Constrainer, and the identity otherwise.
	Constrainer model.Constrainer
	// Advice tailors the diagnostics' advice to the model (Centered,
	// NonCentered); Run sets MeanField from Family.
	Advice DiagnoseOptions
}

// Outcome is what Run returns: the fit, draws from it, their diagnostics
// and what to tell the user about them.
type Outcome struct {
	// Fit is the optimizer's result; Fit.Family is the fitted q.
	Fit *Result
	// Estimator and Method are the estimator and optimizer used, and
	// EstimatorName and MethodName describe them ("quadrature",
	// "mc (32 draws)"; "natural gradient, then L-BFGS").
	Estimator     elbo.Estimator
	Method        optim.Method
	EstimatorName string
	MethodName    string
	// Draws are the draws from q on the constrained scale, or, when
	// Resampled, draws resampled from them with the importance weights.
	Draws *DrawSet
	// Resampled reports that Draws were resampled.
	Resampled bool
	// Mean is the mean of q mapped to the constrained scale (the first row
	// of a CmdStan variational CSV file).
	Mean []float64
	// Diagnostics are the importance-sampling checks of the draws from q;
	// nil when they could not be computed (Warnings says why). With the
	// quadrature estimator the ELBO is exact, so Diagnostics.ELBO is then
	// Fit.ELBO and Diagnostics.ELBOSE is 0.
	Diagnostics *Diagnostics
	// CorrectedMean and CorrectedSD are the PSIS-corrected
	// (importance-weighted) moments of the constrained quantities, nil
	// without diagnostics.
	CorrectedMean, CorrectedSD []float64
	// Unreliable reports that the expectation-specific k-hat of the
	// reported means and sds is above 0.7: the corrected moments are then
	// worth showing next to the summaries.
	Unreliable bool
	// DrawTime is the time taken to draw and diagnose.
	DrawTime time.Duration
	// Epochs and Rows are the passes begun and the rows evaluated by a
	// minibatch fit (zero otherwise).
	Epochs, Rows int
	// DrawsChosen reports that Run chose the number of draws (Draws was
	// zero); Notes says so when it is below DefaultDraws.
	DrawsChosen bool
	// Warnings and Notes are for the user, one sentence (or short
	// paragraph) each: warnings call for action, notes explain.
	Warnings, Notes []string
}

// Run is the whole pipeline of a fit: it builds the variational family,
// fits it to m (Fit), draws from it (Sample), checks the draws with
// Pareto-smoothed importance sampling (Diagnose), computes the corrected
// moments (Corrected), resamples when asked (Resample) and collects the
// warnings and notes a user should see. A fit that fails or is canceled
// (ctx) is not an error: the Outcome says so in Fit.Status and Warnings.
// Run returns an error only when the pieces cannot work together (an
// unknown family, L-BFGS with a stochastic estimator, …).
func Run(ctx context.Context, m model.LogDensity, opt RunOptions) (*Outcome, error) {
	name := opt.Family
	if name == "" {
		name = "fullrank"
	}
	q, err := family.New(name, m.Dim(), opt.Rank)
	if err != nil {
		return nil, err
	}
	est, method := opt.Estimator, opt.Method
	var mb *minibatch
	switch {
	case opt.Source != nil || opt.BatchSize > 0:
		if mb, err = newMinibatch(m, q, opt); err != nil {
			return nil, err
		}
		defer mb.close()
		est, method = mb.est, mb.method
		opt.Optim = mb.settings(opt.Optim)
	case est == nil && method == nil:
		ch := Auto(m, opt.Seed)
		if err := ch.Apply(ctx, q); err != nil {
			return nil, err
		}
		est, method = ch.Estimator, ch.Method
	case est == nil:
		est = Auto(m, opt.Seed).Estimator
	case method == nil && est.Deterministic():
		method = &optim.LBFGS{}
	case method == nil:
		method = &optim.Adam{}
	}
	res, err := Fit(ctx, m, q, est, method, &Settings{Optim: opt.Optim})
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil && res.Status != optim.Canceled {
		res.Status = optim.Canceled
	}
	out := &Outcome{Fit: res, Estimator: est, Method: method, EstimatorName: EstimatorName(est), MethodName: fmt.Sprint(method)}
	rowsFit := res.Evals * rowsOf(m)
	if mb != nil {
		if err := mb.err(); err != nil {
			return nil, err
		}
		out.Epochs, out.Rows = mb.epochCount(), mb.rows()
		rowsFit = out.Rows
		out.EstimatorName = "quadrature, minibatches of " + fmt.Sprint(mb.size)
		if mb.src != nil {
			out.EstimatorName += " (streamed)"
		}
	}

	start := time.Now()
	n := opt.Draws
	if n <= 0 {
		rows := rowsOf(m)
		if opt.Source != nil {
			rows = opt.Source.NumRows()
		}
		n = AutoDraws(m, res.Family, rows, rowsFit, opt.Source != nil)
		out.DrawsChosen = true
		if n < DefaultDraws {
			out.Notes = append(out.Notes, fmt.Sprintf("the diagnostics use %d draws, as many as cost no more than the fit (--draws N for more)", n))
		}
	}
	c := opt.Constrainer
	if c == nil {
		c, _ = m.(model.Constrainer)
	}
	var ds *DrawSet
	if opt.Source != nil {
		pm := m.(model.Predictors) // newMinibatch checked
		if ds, err = SampleSource(opt.Source, pm, res.Family, c, n, opt.Seed); err != nil {
			return nil, err
		}
	} else {
		ds = Sample(m, res.Family, c, n, opt.Seed)
	}
	out.Draws = ds
	theta := res.Family.Mean(nil)
	out.Mean = make([]float64, len(ds.Names))
	if c != nil {
		c.Constrain(out.Mean, theta)
	} else {
		copy(out.Mean, theta)
	}
	adv := opt.Advice
	adv.MeanField = name == "meanfield"
	if dg, err := Diagnose(ds, adv); err != nil {
		out.Warnings = append(out.Warnings, "diagnostics unavailable: "+err.Error())
	} else {
		out.diagnose(dg, opt, n)
	}
	out.DrawTime = time.Since(start)

	switch res.Status {
	case optim.IterationLimit:
		out.Warnings = append(out.Warnings, fmt.Sprintf("the optimizer stopped at the iteration limit (%d iterations) before converging: the results may be inaccurate; raise --max-iter", res.Iterations))
	case optim.Canceled:
		out.Warnings = append(out.Warnings, fmt.Sprintf("interrupted after %d iterations: the results are not converged", res.Iterations))
	case optim.Failed:
		out.Warnings = append(out.Warnings, "the fit failed: "+res.Message)
	}
	return out, nil
}

// diagnose fills in the diagnostics' part of o.
func (o *Outcome) diagnose(dg *Diagnostics, opt RunOptions, n int) {
	if _, ok := o.Estimator.(*elbo.Quadrature); ok && !math.IsInf(o.Fit.ELBO, 0) && !math.IsNaN(o.Fit.ELBO) {
		// The quadrature ELBO is exact (no Monte Carlo error).
		dg.ELBO, dg.ELBOSE = o.Fit.ELBO, 0
	}
	o.Diagnostics = dg
	cm, csd, err := Corrected(o.Draws, dg)
	if err == nil {
		o.CorrectedMean, o.CorrectedSD = cm, csd
	}
	bad := func(r diagnose.Reliability) bool { return r == diagnose.Bad || r == diagnose.VeryBad }
	switch {
	case bad(dg.SummaryReliability):
		o.Unreliable = true
		o.Warnings = append(o.Warnings, dg.Advice)
		if err == nil {
			o.Warnings = append(o.Warnings, reweightCheck(o.Draws.X, cm, csd, dg.LogWeights, dg.ESS))
		}
	case bad(dg.Reliability):
		o.Notes = append(o.Notes, dg.Advice)
	}
	if opt.Resample {
		rs, err := Resample(o.Draws, dg, n, opt.Seed)
		if err != nil {
			o.Warnings = append(o.Warnings, "importance resampling failed: "+err.Error())
		} else {
			o.Draws, o.Resampled = rs, true
		}
	}
}

// EstimatorName describes an ELBO estimator as summaries report it:
// "quadrature", "mc", "mc (32 draws)" or "mc (32 draws, fixed)", and by
// its Go type otherwise.
func EstimatorName(est elbo.Estimator) string {
	switch e := est.(type) {
	case *elbo.Quadrature:
		return "quadrature"
	case *elbo.MonteCarlo:
		var opts []string
		if e.Draws > 0 {
			opts = append(opts, fmt.Sprintf("%d draws", e.Draws))
		}
		if e.Fixed {
			opts = append(opts, "fixed")
		}
		if len(opts) == 0 {
			return "mc"
		}
		return "mc (" + strings.Join(opts, ", ") + ")"
	}
	return fmt.Sprintf("%T", est)
}

// reweightCheck says how far importance weighting moves the summaries: the
// largest shift of a mean (in q's sds) and change of an sd when the draws x
// are reweighted by the smoothed p/q (PSIS-corrected moments cm, csd).
func reweightCheck(x *mat.Dense, cm, csd, logw []float64, ess float64) string {
	S, k := x.Dims()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, lw := range logw {
		lo, hi = math.Min(lo, lw), math.Max(hi, lw)
	}
	var shift, ratio float64
	col := make([]float64, S)
	for j := 0; j < k; j++ {
		mat.Col(col, j, x)
		m, sd := stat.MeanStdDev(col, nil)
		if sd > 0 {
			shift = math.Max(shift, math.Abs(cm[j]-m)/sd)
			ratio = math.Max(ratio, math.Abs(csd[j]/sd-1))
		}
	}
	spread := ""
	if r := math.Exp(hi - lo); !math.IsInf(r, 0) && !math.IsNaN(r) {
		spread = fmt.Sprintf(", the largest weight is %.3g times the smallest", r)
	}
	return fmt.Sprintf("importance-weighted check: ESS %.0f of %d draws%s; reweighting the draws by p/q moves the means by at most %.2g sd and changes the sds by at most %.3g%%",
		ess, S, spread, shift, 100*ratio)
}
