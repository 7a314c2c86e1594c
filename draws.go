package govi

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/diagnose"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/internal/rng"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/stream"
)

// DrawSet holds draws from a fitted q with their log densities.
type DrawSet struct {
	// Names of the constrained quantities (the columns of X).
	Names []string
	// X holds the draws on the constrained scale, one row per draw.
	X *mat.Dense
	// Theta holds the same draws on the unconstrained scale.
	Theta *mat.Dense
	// LogP is log p(θ, D) per draw (Jacobians included), LogQ is log q(θ).
	LogP, LogQ []float64
	// LogPSE is the largest standard error of LogP when it was estimated
	// from a subsample of the rows (SampleSubsample), and 0 when exact.
	LogPSE float64
}

// Sample draws s values from q, evaluates the model's log density and
// q's at each, and maps them to the constrained scale with c (nil: m when
// it is a model.Constrainer, otherwise the identity with names θ[1], …).
// Draw i uses its own random stream keyed by (seed, i), and draws are
// evaluated in parallel, so the result does not depend on GOMAXPROCS.
//
// For a model.Predictors model (model.Linear) the log densities come from
// one blocked pass over the rows (stream.LogLik: the linear predictors of
// all draws for a block of rows as one matrix product), which is several
// times faster than evaluating the model draw by draw; SampleSource does
// the same for rows streamed from a file.
func Sample(m model.LogDensity, q family.Sampler, c model.Constrainer, s int, seed uint64) *DrawSet {
	if pm, ok := m.(model.Predictors); ok {
		ds, err := SampleSource(stream.Rows(pm, 0), pm, q, c, s, seed)
		if err == nil {
			return ds
		}
	}
	ds := drawOnly(m, q, c, s, seed, true)
	return ds
}

// SampleSource is Sample for a model.Predictors model whose rows are
// those of src (a file streamed block by block, see package stream): m
// gives the parameter layout and the priors, src the likelihood's rows.
// Its error is src's.
func SampleSource(src stream.Source, m model.Predictors, q family.Sampler, c model.Constrainer, s int, seed uint64) (*DrawSet, error) {
	ds := drawOnly(m, q, c, s, seed, false)
	if err := stream.LogLik(src, ds.Theta, ds.LogP); err != nil {
		return nil, err
	}
	lay := m.Layout()
	for i := range ds.LogP {
		ds.LogP[i] += stream.LogPrior(lay, ds.Theta.RawRowView(i))
	}
	return ds, nil
}

// SampleSubsample is SampleSource with the log likelihood at the draws
// estimated from every stride-th row of src by the difference estimator
// of stream.LogLikSubsample, expanded around q's mean: one pass over all
// rows at the mean, and every draw on the subsample only. LogPSE holds the
// largest standard error. Its error is src's, or stream.ErrNoSubsample for
// rows that estimator cannot handle.
func SampleSubsample(src stream.Source, m model.Predictors, q family.Sampler, c model.Constrainer, s int, seed uint64, stride int) (*DrawSet, error) {
	ds := drawOnly(m, q, c, s, seed, false)
	se := make([]float64, s)
	if err := stream.LogLikSubsample(src, ds.Theta, q.Mean(nil), stride, ds.LogP, se); err != nil {
		return nil, err
	}
	lay := m.Layout()
	for i := range ds.LogP {
		ds.LogP[i] += stream.LogPrior(lay, ds.Theta.RawRowView(i))
		ds.LogPSE = math.Max(ds.LogPSE, se[i])
	}
	return ds, nil
}

// drawOnly draws from q with log q, and log p when logp is set.
func drawOnly(m model.LogDensity, q family.Sampler, c model.Constrainer, s int, seed uint64, logp bool) *DrawSet {
	if c == nil {
		c, _ = m.(model.Constrainer)
	}
	d := q.Dim()
	var names []string
	if c != nil {
		names = c.ConstrainedNames()
	} else {
		for i := 0; i < d; i++ {
			names = append(names, fmt.Sprintf("theta[%d]", i+1))
		}
	}
	ds := &DrawSet{
		Names: names,
		X:     mat.NewDense(s, len(names), nil),
		Theta: mat.NewDense(s, d, nil),
		LogP:  make([]float64, s),
		LogQ:  make([]float64, s),
	}
	t := &sampleTask{m: m, q: q, c: c, ds: ds, seed: seed, n: s, logp: logp}
	t.chunks = parallel.Chunks(s, 16, 256)
	nw := parallel.Workers(t.chunks)
	for w := 0; w < max(nw, 1); w++ {
		t.eps = append(t.eps, make([]float64, q.NoiseDim()))
		t.st = append(t.st, rng.NewStream(0, 0, 0, 0))
	}
	var g parallel.Group
	g.Run(t, t.chunks)
	return ds
}

type sampleTask struct {
	m      model.LogDensity
	q      family.Sampler
	c      model.Constrainer
	ds     *DrawSet
	seed   uint64
	n      int
	logp   bool
	chunks int
	eps    [][]float64
	st     []*rng.Stream
}

func (t *sampleTask) Do(w, c int) {
	lo, hi := parallel.Range(t.n, t.chunks, c)
	eps, st := t.eps[w], t.st[w]
	for i := lo; i < hi; i++ {
		st.Reset(t.seed, rng.Output, uint64(i), 0)
		for j := range eps {
			eps[j] = st.NormFloat64()
		}
		theta := t.ds.Theta.RawRowView(i)
		t.q.Transform(theta, eps)
		if t.logp {
			t.ds.LogP[i] = t.m.LogDensity(theta)
		}
		t.ds.LogQ[i] = t.q.LogProb(theta)
		x := t.ds.X.RawRowView(i)
		if t.c != nil {
			t.c.Constrain(x, theta)
		} else {
			copy(x, theta)
		}
	}
}

// Diagnostics answers "did it work?" for a fitted q (Yao, Vehtari,
// Simpson & Gelman 2018).
type Diagnostics struct {
	// Khat is the Pareto shape of the importance ratios p(θ, D)/q(θ) (−Inf
	// when the ratios are constant to rounding, i.e. q is the posterior);
	// ESS is their PSIS effective sample size.
	Khat, ESS float64
	// Reliability classifies Khat: below 0.5 good, to 0.7 usable with care,
	// above 0.7 not reliable.
	Reliability diagnose.Reliability
	// ELBO is the mean of log p − log q over the draws and ELBOSE its Monte
	// Carlo standard error.
	ELBO, ELBOSE float64
	// LogEvidence is the importance-weighted estimate log mean exp(log p −
	// log q) of log p(D), an estimate for model comparison, with its
	// standard error; it is only trustworthy when Khat is small.
	LogEvidence, LogEvidenceSE float64
	// LogWeights are the Pareto-smoothed, normalized log importance weights
	// of the draws.
	LogWeights []float64
	// KhatSummaries is the largest expectation-specific k-hat over the
	// reported means and sds: the tail shape of h(θ)r(θ) for h the
	// standardized parameter (both tails) and its square (Vehtari et al.
	// 2024, §3.2). It says whether those summaries are reliable, which can
	// hold when Khat is high because the ratios' heavy tail carries almost
	// no weight. SummaryReliability classifies it and WorstSummary names
	// the quantity attaining it.
	KhatSummaries      float64
	SummaryReliability diagnose.Reliability
	WorstSummary       string
	// Advice says in words what the numbers mean and what to try.
	Advice string

	// Verdict is one of Reliable, UseWithCare and Unreliable, and
	// VerdictReason says why in a few words (see verdict.go for the rule).
	Verdict, VerdictReason string
	// KL and KLSE estimate KL(q ‖ p) = log p(D) − ELBO in nats, with
	// log p(D) from importance weighting (LogEvidence).
	KL, KLSE float64
	// Evidence holds the figures of the verdict on all the draws, Halves
	// on each independent half of them (nil with fewer than 40 draws).
	Evidence *Evidence
	Halves   [2]*Evidence
}

// DiagnoseOptions tailors the advice to the fit.
type DiagnoseOptions struct {
	// MeanField: the fit used the mean-field family (suggest full-rank).
	MeanField bool
	// Centered: the model has centered group-level effects. With Centered
	// or NonCentered the advice suggests fitting both
	// (--parameterization auto) unless Both is set.
	Centered bool
	// NonCentered: the model has non-centered group-level effects.
	NonCentered bool
	// Both: both parameterizations of the group-level effects were fitted
	// and the one with the higher ELBO kept, so the advice does not
	// suggest the other.
	Both bool
	// ExactELBO, when ELBOIsExact, is the ELBO of q computed without
	// Monte Carlo error (the quadrature estimator): Diagnostics.ELBO is
	// then this value with ELBOSE 0, and KL(q ‖ p) is estimated with it.
	ExactELBO   float64
	ELBOIsExact bool
}

// Diagnose runs Pareto-smoothed importance sampling on the draws.
func Diagnose(ds *DrawSet, opt DiagnoseOptions) (*Diagnostics, error) {
	n := len(ds.LogP)
	lr := make([]float64, n)
	for i := range lr {
		lr[i] = ds.LogP[i] - ds.LogQ[i]
		if math.IsNaN(lr[i]) || math.IsInf(lr[i], 1) {
			return nil, fmt.Errorf("govi: log density of draw %d is %g", i+1, ds.LogP[i])
		}
	}
	ps, err := diagnose.PSIS(lr)
	if err != nil {
		return nil, err
	}
	dg := &Diagnostics{Khat: ps.K, ESS: ps.ESS, LogWeights: ps.LogWeights}
	// Ratios equal up to rounding mean q reproduces the posterior: the
	// weights are bounded, the lightest possible tail. PSIS would read the
	// flat tail as unfittable (k = +Inf, as loo does), so report −Inf.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range lr {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo <= 1e-9*math.Max(1, math.Abs(hi)) {
		dg.Khat = math.Inf(-1)
	}
	dg.Reliability = diagnose.Assess(dg.Khat)
	finite := lr[:0:0]
	for _, v := range lr {
		if !math.IsInf(v, -1) {
			finite = append(finite, v)
		}
	}
	dg.ELBO, dg.ELBOSE = diagnose.MeanSE(finite)
	if len(finite) < n {
		dg.ELBO = math.Inf(-1)
	}
	if opt.ELBOIsExact && !math.IsNaN(opt.ExactELBO) && !math.IsInf(opt.ExactELBO, 0) {
		dg.ELBO, dg.ELBOSE = opt.ExactELBO, 0
	}
	dg.LogEvidence, dg.LogEvidenceSE = diagnose.LogMeanExp(lr)
	dg.summaryKhat(ds, lr)
	if err := dg.assess(ds, lr, opt); err != nil {
		return nil, err
	}
	dg.Advice = advice(dg, len(lr), opt)
	return dg, nil
}

// summaryKhat computes the expectation-specific k-hat of every reported
// mean (h = standardized x, both tails) and sd (h²).
func (dg *Diagnostics) summaryKhat(ds *DrawSet, lr []float64) {
	dg.KhatSummaries = math.Inf(-1)
	if !math.IsInf(dg.Khat, -1) {
		dg.KhatSummaries, dg.WorstSummary = summaryKhat(ds.X, ds.Names, lr)
	}
	dg.SummaryReliability = diagnose.Assess(dg.KhatSummaries)
}

// summaryKhat returns the largest expectation-specific k-hat over the
// means and sds of the columns of x, with log ratios lr, and names the
// summary attaining it.
func summaryKhat(x *mat.Dense, names []string, lr []float64) (khat float64, worst string) {
	khat = math.Inf(-1)
	n := len(lr)
	mx := math.Inf(-1)
	for _, v := range lr {
		mx = math.Max(mx, v)
	}
	r := make([]float64, n)
	for i, v := range lr {
		r[i] = math.Exp(v - mx)
	}
	worse := func(k float64, what string) {
		if k > khat || math.IsNaN(k) {
			khat, worst = k, what
		}
	}
	_, k := x.Dims()
	col := make([]float64, n)
	v := make([]float64, n)
	for j := 0; j < k; j++ {
		mat.Col(col, j, x)
		mean, se := diagnose.MeanSE(col)
		sd := se * math.Sqrt(float64(n))
		if !(sd > 0) || math.IsInf(sd, 0) {
			continue
		}
		for sign := -1.0; sign <= 1; sign += 2 {
			for i, x := range col {
				v[i] = sign * (x - mean) / sd * r[i]
			}
			worse(diagnose.TailKhat(v), "mean of "+names[j])
		}
		for i, x := range col {
			h := (x - mean) / sd
			v[i] = h * h * r[i]
		}
		worse(diagnose.TailKhat(v), "sd of "+names[j])
	}
	return khat, worst
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := ""
	for i, v := range s {
		switch {
		case i == 0:
			out = v
		case i == len(s)-1:
			out += ", or " + v
		default:
			out += ", " + v
		}
	}
	return out
}

// Corrected returns the PSIS-corrected (importance-weighted) mean and sd of
// every constrained quantity, using the smoothed weights of dg.
func Corrected(ds *DrawSet, dg *Diagnostics) (mean, sd []float64, err error) {
	return diagnose.WeightedMoments(ds.X, dg.LogWeights)
}

// Resample returns n draws resampled with replacement from ds with
// probabilities given by the smoothed importance weights (as rstan's vb
// does with importance_resampling = TRUE), keyed by seed.
func Resample(ds *DrawSet, dg *Diagnostics, n int, seed uint64) (*DrawSet, error) {
	st := rng.NewStream(seed, rng.Resample, 0, 0)
	idx, err := diagnose.ResampleIndex(n, dg.LogWeights, st.Rand)
	if err != nil {
		return nil, err
	}
	_, k := ds.X.Dims()
	_, d := ds.Theta.Dims()
	out := &DrawSet{
		Names: ds.Names,
		X:     mat.NewDense(n, k, nil),
		Theta: mat.NewDense(n, d, nil),
		LogP:  make([]float64, n),
		LogQ:  make([]float64, n),
	}
	for i, j := range idx {
		out.X.SetRow(i, ds.X.RawRowView(j))
		out.Theta.SetRow(i, ds.Theta.RawRowView(j))
		out.LogP[i], out.LogQ[i] = ds.LogP[j], ds.LogQ[j]
	}
	return out, nil
}
