package govi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

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
	// Family names the approximation: a variational family (see
	// family.Names; Rank is passed to family.New), "mixture" for the
	// quadrature mixture over the hyperparameters (FitMixture), or "auto":
	// the mixture for a model.Predictors model with group-level effects
	// and at most MixtureOptions.MaxHyper hyperparameters, "fullrank"
	// otherwise. Empty means "fullrank". When the mixture cannot be fitted
	// (too many hyperparameters, a grid over the limit), Run fits
	// "fullrank" instead and says so in Notes.
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
	// Epochs bounds the passes over the data of a minibatch fit. Zero
	// means Optim.MaxIter batches when that is set, and otherwise
	// DefaultEpochs (100) passes or 20000 batches, whichever is more. The
	// fit converges before that: with stochastic natural-gradient steps
	// when, over two successive epochs, both the epoch average of the
	// batches' ELBO estimates (a smoothed ELBO) and every parameter change
	// by less than the tolerances of optim.StochasticNatural
	// (Optim.TolRelObj, default 1e-4 relative, and ParamTol, 1e-4); with
	// Adam by its windowed test (optim.Adam) on windows of whole epochs.
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
	// Phase, when set, is told when a phase starts ("draws",
	// "diagnostics") and, during the draws, how many of the total are
	// done, for a progress display. It may be called concurrently.
	Phase func(name string, done, total int)
}

// Outcome is what Run returns: the fit, draws from it, their diagnostics
// and what to tell the user about them.
type Outcome struct {
	// Fit is the optimizer's result; Fit.Approx is the fitted
	// approximation.
	Fit *Result
	// Approx names it: a family's name, or "mixture".
	Approx string
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
	// Unreliable reports that the verdict of the diagnostics is not
	// Reliable: the corrected moments are then worth showing next to the
	// summaries.
	Unreliable bool
	// DrawTime is the time taken to draw and diagnose, SampleTime and
	// DiagnoseTime its two parts.
	DrawTime, SampleTime, DiagnoseTime time.Duration
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
	n := opt.Draws
	if n <= 0 {
		n = DefaultDraws
	}
	c := opt.Constrainer
	if c == nil {
		c, _ = m.(model.Constrainer)
	}
	k := m.Dim()
	if c != nil {
		k = len(c.ConstrainedNames())
	}
	if err := CheckDraws(n, k, m.Dim()); err != nil {
		return nil, err
	}
	name := opt.Family
	if name == "" {
		name = "fullrank"
	}
	var notes []string
	batched := opt.Source != nil || opt.BatchSize > 0
	if name == "mixture" && batched {
		return nil, fmt.Errorf("govi: the quadrature mixture fits the whole data; it cannot be combined with BatchSize or Source")
	}
	if name == "auto" || name == "mixture" {
		if pm, ok := m.(model.Predictors); ok && !batched && (name == "mixture" || hasGroups(pm)) {
			out, err := runMixture(ctx, pm, opt)
			var me *MixtureError
			if !errors.As(err, &me) {
				return out, err
			}
			notes = append(notes, fmt.Sprintf("%s: fitted the full-rank Gaussian instead", strings.TrimPrefix(err.Error(), "govi: ")))
		} else if name == "mixture" {
			return nil, fmt.Errorf("govi: the quadrature mixture needs a model.Predictors model")
		}
		name = "fullrank"
	}
	q, err := family.New(name, m.Dim(), opt.Rank)
	if err != nil {
		return nil, err
	}
	est, method := opt.Estimator, opt.Method
	var mb *minibatch
	startRows := 0
	switch {
	case batched:
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
		est, method, startRows = ch.Estimator, ch.Method, ch.StartRows
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
	out := &Outcome{Fit: res, Estimator: est, Method: method, EstimatorName: EstimatorName(est), MethodName: fmt.Sprint(method), Notes: notes}
	rowsFit := res.Evals*rowsOf(m) + startRows
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
	if err := out.finish(ctx, m, opt, name, rowsFit); err != nil {
		return nil, err
	}
	return out, nil
}

// maxLogPSE is the largest standard error of subsampled log densities
// that the diagnostics accept without a warning: importance ratios off by
// 0.1 nats change a weight by about 10%.
const maxLogPSE = 0.1

// sample draws n values from the fitted approximation with their log
// densities: for a model.Predictors model in blocked passes over its rows
// (or opt.Source), which stop at the next block once ctx is done, and
// otherwise draw by draw through a log density that gives up once ctx is
// done. With stride > 0 the log likelihood is estimated from every
// stride-th row (SampleSubsample).
func (out *Outcome) sample(ctx context.Context, m model.LogDensity, opt RunOptions, c model.Constrainer, n, stride int) (*DrawSet, error) {
	q := out.Fit.Approx
	pm, ok := m.(model.Predictors)
	if !ok {
		cm := &cancelable{m: m, ctx: ctx, every: int64(max(1, n/100)), total: n, phase: opt.Phase}
		return Sample(cm, q, c, n, opt.Seed), nil
	}
	src := opt.Source
	if src == nil {
		src = stream.Rows(pm, 0)
	}
	pp := &passProgress{Source: src, ctx: ctx, phase: opt.Phase, draws: n}
	if stride > 0 {
		return SampleSubsample(pp, pm, q, c, n, opt.Seed, stride)
	}
	return SampleSource(pp, pm, q, c, n, opt.Seed)
}

// hasGroups reports whether m has group-level effects.
func hasGroups(m model.Predictors) bool {
	for _, p := range m.Layout().Priors {
		if p.Kind == model.ScaledNormal {
			return true
		}
	}
	return false
}

// runMixture is Run for the quadrature mixture.
func runMixture(ctx context.Context, m model.Predictors, opt RunOptions) (*Outcome, error) {
	fit, err := FitMixture(ctx, m, MixtureOptions{Seed: opt.Seed})
	if err != nil {
		if ctx.Err() != nil {
			return &Outcome{Fit: &Result{Status: optim.Canceled, Message: "canceled", ELBO: math.Inf(-1)},
				Warnings: []string{"interrupted: the quadrature mixture was not completed"}}, nil
		}
		return nil, err
	}
	res := &Result{
		Approx:     fit.Mixture,
		ELBO:       math.NaN(), // from the draws (Diagnose)
		Trace:      fit.Trace,
		Iterations: fit.Fits,
		Elapsed:    fit.Elapsed,
		Status:     optim.Converged,
		Message: fmt.Sprintf("quadrature mixture over %d hyperparameters: %d cells, %d conditional fits; grid log evidence %.4g",
			len(fit.Mixture.Hyper()), fit.Cells, fit.Fits, fit.LogEvidence),
	}
	out := &Outcome{Fit: res, EstimatorName: "quadrature", MethodName: "quadrature mixture (natural gradient per cell)"}
	if err := out.finish(ctx, m, opt, "mixture", fit.Evals*m.NumRows()); err != nil {
		return nil, err
	}
	if out.Diagnostics != nil {
		res.ELBO = out.Diagnostics.ELBO
	}
	return out, nil
}

// finish draws from the fitted approximation, diagnoses the draws and
// collects the warnings. An interrupted fit is reported from what it
// reached: its draws and diagnostics are a phase of their own, which a
// further interrupt (the caller's second context) would stop; an
// interrupt during them stops the run (ErrInterrupted): there is nothing
// whole to report. rowsFit is the rows the fit evaluated in all, for
// AutoDraws.
func (out *Outcome) finish(ctx context.Context, m model.LogDensity, opt RunOptions, name string, rowsFit int) error {
	res := out.Fit
	out.Approx = name
	if ctx.Err() != nil && res.Status != optim.Canceled {
		res.Status = optim.Canceled
	}
	n, stride := opt.Draws, 0
	if n <= 0 {
		rows := rowsOf(m)
		if opt.Source != nil {
			rows = opt.Source.NumRows()
		}
		out.DrawsChosen = true
		if s, k, ok := AutoSubsample(m, res.Approx, rows, rowsFit, opt.Source != nil); ok {
			n, stride = s, k
		} else {
			n = AutoDraws(m, res.Approx, rows, rowsFit, opt.Source != nil)
			switch {
			case n == MinDraws:
				// The floor binds here when the fit is cheap: the draws
				// may then cost more than the fit.
				out.Notes = append(out.Notes, fmt.Sprintf("the diagnostics use %d draws, the fewest the checks take (--draws N for more)", n))
			case n < DefaultDraws:
				out.Notes = append(out.Notes, fmt.Sprintf("the diagnostics use %d draws, as many as cost no more than the fit (--draws N for more)", n))
			}
		}
	}
	c := opt.Constrainer
	if c == nil {
		c, _ = m.(model.Constrainer)
	}
	drawCtx := ctx
	if res.Status == optim.Canceled {
		drawCtx = context.WithoutCancel(ctx)
	}
	start := time.Now()
	if opt.Phase != nil {
		opt.Phase("draws", 0, n)
	}
	ds, err := out.sample(drawCtx, m, opt, c, n, stride)
	if drawCtx.Err() != nil {
		return fmt.Errorf("%w while drawing from the fit", ErrInterrupted)
	}
	if err != nil {
		return err
	}
	if stride > 0 {
		rows := rowsOf(m)
		if opt.Source != nil {
			rows = opt.Source.NumRows()
		}
		msg := fmt.Sprintf("the diagnostics use %d draws, their log densities estimated from every %s row (%d of %d rows) with a control variate whose total over all rows is exact; standard error at most %.2g nats (--draws N for the exact pass over every row)", n, ordinal(stride), (rows+stride-1)/stride, rows, ds.LogPSE)
		if ds.LogPSE > maxLogPSE {
			out.Warnings = append(out.Warnings, msg+": too imprecise for the diagnostics to be trusted")
		} else {
			out.Notes = append(out.Notes, msg)
		}
	}
	out.Draws = ds
	out.SampleTime = time.Since(start)
	if opt.Phase != nil {
		opt.Phase("diagnostics", 0, 0)
	}
	theta := res.Approx.Mean(nil)
	out.Mean = make([]float64, len(ds.Names))
	if c != nil {
		c.Constrain(out.Mean, theta)
	} else {
		copy(out.Mean, theta)
	}
	adv := opt.Advice
	adv.MeanField = name == "meanfield"
	if _, ok := out.Estimator.(*elbo.Quadrature); ok && res.Family != nil {
		// The quadrature ELBO is exact (no Monte Carlo error).
		adv.ExactELBO, adv.ELBOIsExact = res.ELBO, true
	}
	if dg, err := Diagnose(ds, adv); err != nil {
		out.Warnings = append(out.Warnings, "diagnostics unavailable: "+err.Error())
	} else {
		out.diagnose(dg, opt, n)
	}
	if drawCtx.Err() != nil {
		return fmt.Errorf("%w while diagnosing the draws", ErrInterrupted)
	}
	out.DrawTime = time.Since(start)
	out.DiagnoseTime = out.DrawTime - out.SampleTime

	switch res.Status {
	case optim.IterationLimit:
		out.Warnings = append(out.Warnings, fmt.Sprintf("the optimizer stopped at the iteration limit (%d iterations) before converging: the results may be inaccurate; raise --max-iter", res.Iterations))
	case optim.Canceled:
		out.Warnings = append(out.Warnings, fmt.Sprintf("interrupted after %d iterations: the results are not converged", res.Iterations))
	case optim.Failed:
		out.Warnings = append(out.Warnings, "the fit failed: "+res.Message)
	}
	return nil
}

// diagnose fills in the diagnostics' part of o.
func (o *Outcome) diagnose(dg *Diagnostics, opt RunOptions, n int) {
	o.Diagnostics = dg
	cm, csd, err := Corrected(o.Draws, dg)
	if err == nil {
		o.CorrectedMean, o.CorrectedSD = cm, csd
	}
	switch dg.Verdict {
	case Unreliable:
		o.Unreliable = true
		o.Warnings = append(o.Warnings, dg.Advice)
	case UseWithCare:
		o.Unreliable = true
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

// ordinal spells n as an English ordinal: 2nd, 3rd, 11th, 21st.
func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
