package govi

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/diagnose"
)

// The three verdicts of a fit (Diagnostics.Verdict).
const (
	Reliable    = "reliable"
	UseWithCare = "use with care"
	Unreliable  = "unreliable"
)

// Thresholds of the verdict. They are stated in the units a statistician
// reads a posterior summary in, and derived from what each quantity means
// (docs/accuracy.md measures them on the posteriordb references):
//
//   - a mean is right when it is within 0.1 posterior sd of the truth and
//     clearly off beyond 0.25 sd; an sd is right within 10 % and clearly
//     off when its ratio to the truth is below 0.75 or above 4/3. PSIS
//     reweighting estimates the posterior's moments from q's draws, so the
//     shift of a mean in q's sds and the ratio of the reweighted sd to q's
//     estimate these very errors when the weights can be trusted;
//   - KL(q ‖ p) is at least the KL divergence of every marginal (the data
//     processing inequality). For a Gaussian marginal a 0.1-sd shift of
//     the mean costs 0.005 nats and a 10 % error of the sd 0.010; a clearly
//     wrong sd (ratio 0.75 or 4/3) costs 0.069 or 0.099 nats. KLOff =
//     0.07 nats is the smaller: a fit whose KL is above it is, somewhere
//     (a marginal, or the joint shape), as far off as a clearly wrong sd;
//   - the importance-weighted figures are estimates; they are stable when
//     each independent half of the draws puts them in the same band, and
//     a heavy tail of the weights of the summaries (expectation-specific
//     k-hat above KhatTrust = 0.7, Vehtari et al. 2024) is taken as real
//     when it shows on all the draws and on each half.
const (
	// Reweighting a mean by at most ShiftFine of q's sd, and an sd by a
	// factor within [1/SDFine, SDFine], is a fit that is right; a mean
	// moved by more than ShiftOff or an sd by a factor outside [1/SDOff,
	// SDOff] (that is, 0.75 to 4/3) is clearly off.
	ShiftFine = 0.1
	ShiftOff  = 0.25
	SDFine    = 1.1
	SDOff     = 4.0 / 3
	// KLOff is in nats (see above).
	KLOff = 0.07
	// KhatTrust is the expectation-specific k-hat above which PSIS
	// estimates of the summaries converge too slowly to be trusted.
	KhatTrust = 0.7
)

// Evidence is what the verdict is made of, computed on one set of draws.
type Evidence struct {
	// KL is the estimate log p̂(D) − ELBO of KL(q ‖ p) in nats, with log
	// p̂(D) the importance-weighted evidence, and KLSE its standard error
	// (delta method; with an exact ELBO it is the SE of log p̂(D)).
	KL, KLSE float64
	// MeanShift is the largest move of a reported mean under PSIS
	// reweighting, in q's sds, and MeanShiftParam the parameter.
	MeanShift      float64
	MeanShiftParam string
	// SDRatio is the reweighted sd over q's sd of the parameter whose sd
	// moves most (by |log ratio|), SDRatioParam that parameter. It
	// estimates sd_p/sd_q, the inverse of the sd ratio of q to the
	// posterior.
	SDRatio      float64
	SDRatioParam string
	// KhatSummaries is the largest expectation-specific k-hat of the
	// reported means and sds.
	KhatSummaries float64
}

// band classifies the reweighted summaries: 0 right, 1 in between, 2
// clearly off. NaN is never right.
func (e *Evidence) band() int {
	sd := math.Abs(math.Log(e.SDRatio))
	switch {
	case e.MeanShift > ShiftOff || sd > math.Log(SDOff):
		return 2
	case e.MeanShift <= ShiftFine && sd <= math.Log(SDFine)*(1+1e-12):
		return 0
	}
	return 1
}

// klSmall reports that KL(q ‖ p) is below KLOff by two standard errors.
func (e *Evidence) klSmall() bool { return e.KL+2*e.KLSE <= KLOff }

// klLarge reports that KL(q ‖ p) is above KLOff by two standard errors.
func (e *Evidence) klLarge() bool { return e.KL-2*e.KLSE > KLOff }

// evidence computes the Evidence of the draws in rows [lo, hi) of ds, with
// the log ratios lr and the exact ELBO (NaN: estimate it from the draws).
func evidence(ds *DrawSet, lr []float64, lo, hi int, exactELBO float64) (*Evidence, error) {
	lr = lr[lo:hi]
	ps, err := diagnose.PSIS(lr)
	if err != nil {
		return nil, err
	}
	_, k := ds.X.Dims()
	x := ds.X.Slice(lo, hi, 0, k).(*mat.Dense)
	cm, csd, err := diagnose.WeightedMoments(x, ps.LogWeights)
	if err != nil {
		return nil, err
	}
	e := &Evidence{SDRatio: 1}
	e.KL, e.KLSE = klEstimate(lr, exactELBO)
	e.KhatSummaries, _ = summaryKhat(x, ds.Names, lr)
	n := hi - lo
	col := make([]float64, n)
	worstSD := 0.0
	for j := 0; j < k; j++ {
		mat.Col(col, j, x)
		m, se := diagnose.MeanSE(col)
		sd := se * math.Sqrt(float64(n))
		// The plug-in sd, as WeightedMoments computes it.
		sd *= math.Sqrt(float64(n-1) / float64(n))
		if !(sd > 0) || math.IsInf(sd, 0) {
			continue
		}
		if s := math.Abs(cm[j]-m) / sd; s > e.MeanShift || math.IsNaN(s) {
			e.MeanShift, e.MeanShiftParam = s, ds.Names[j]
		}
		if r := csd[j] / sd; math.Abs(math.Log(r)) > worstSD || math.IsNaN(r) {
			worstSD, e.SDRatio, e.SDRatioParam = math.Abs(math.Log(r)), r, ds.Names[j]
		}
	}
	return e, nil
}

// klEstimate returns log mean exp(lr) − ELBO and its standard error by
// the delta method: the influence of draw s is w_s/w̄ − 1, minus
// lr_s − mean(lr) when the ELBO is the mean of the same draws.
func klEstimate(lr []float64, exactELBO float64) (kl, se float64) {
	n := len(lr)
	lme, _ := diagnose.LogMeanExp(lr)
	mx := math.Inf(-1)
	for _, v := range lr {
		mx = math.Max(mx, v)
	}
	exact := !math.IsNaN(exactELBO)
	var mlr float64
	finite := 0
	for _, v := range lr {
		if !math.IsInf(v, -1) {
			mlr += v
			finite++
		}
	}
	mlr /= float64(max(finite, 1))
	elbo := exactELBO
	if !exact {
		elbo = mlr
		if finite < n {
			elbo = math.Inf(-1)
		}
	}
	kl = lme - elbo
	wbar := math.Exp(lme - mx)
	var ss float64
	for _, v := range lr {
		f := math.Exp(v-mx)/wbar - 1
		if !exact && !math.IsInf(v, -1) {
			f -= v - mlr
		}
		ss += f * f
	}
	if n < 2 {
		return kl, math.NaN()
	}
	return kl, math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
}

// verdict sets dg.Verdict and dg.VerdictReason from the evidence of all
// the draws and of each half:
//
//   - unreliable: reweighting moves a summary by a clearly-off amount, or
//     it moves one by more than the right tolerance and KL(q ‖ p) is
//     clearly above KLOff (the reweighting, whose weights PSIS truncates,
//     then shows only part of the error);
//   - reliable: on all the draws and on each half, reweighting moves every
//     mean and sd by less than the right tolerance and KL(q ‖ p) is below
//     KLOff by two standard errors, and the summaries' weights have no
//     heavy tail on all the draws and both halves at once;
//   - use with care: anything else.
func (dg *Diagnostics) verdict() {
	full, h := dg.Evidence, dg.Halves
	b := full.band()
	halves := h[0] != nil && h[1] != nil
	right := func(e *Evidence) bool { return e.band() == 0 && e.klSmall() }
	heavy := dg.KhatSummaries > KhatTrust && halves && h[0].KhatSummaries > KhatTrust && h[1].KhatSummaries > KhatTrust
	switch {
	case b == 2:
		dg.Verdict, dg.VerdictReason = Unreliable, offReason(full)
	case b == 1 && full.klLarge():
		dg.Verdict = Unreliable
		dg.VerdictReason = fmt.Sprintf("KL(q‖p) ≈ %.2f ± %.2f nats, as much as a clearly wrong sd costs, and %s", full.KL, full.KLSE, careReason(full))
	case right(full) && halves && right(h[0]) && right(h[1]) && !heavy:
		dg.Verdict = Reliable
		dg.VerdictReason = fmt.Sprintf("KL(q‖p) ≈ %s nats; reweighting moves no mean by more than %.2g sd and no sd by more than %s%%, on each half of the draws too",
			fmtSmall(math.Max(full.KL, 0)), full.MeanShift, fmtSmall(100*math.Abs(full.SDRatio-1)))
	case b == 1:
		dg.Verdict, dg.VerdictReason = UseWithCare, careReason(full)
	case full.klLarge():
		dg.Verdict = UseWithCare
		dg.VerdictReason = fmt.Sprintf("the means and sds check out, but KL(q‖p) ≈ %.2f ± %.2f nats: the joint shape (e.g. the correlations) is off, so functions of several parameters may be wrong", full.KL, full.KLSE)
	case heavy:
		dg.Verdict = UseWithCare
		dg.VerdictReason = fmt.Sprintf("reweighting moves the summaries little, but their importance weights have a heavy tail (k-hat %.2f for the %s, on each half of the draws too), so the check may understate the error", dg.KhatSummaries, dg.WorstSummary)
	case !full.klSmall():
		dg.Verdict = UseWithCare
		dg.VerdictReason = fmt.Sprintf("KL(q‖p) ≈ %.3f ± %.3f nats cannot be told from the cost of a clearly wrong sd", full.KL, full.KLSE)
	case !halves:
		dg.Verdict, dg.VerdictReason = UseWithCare, "too few draws to check that the figures are stable"
	default:
		dg.Verdict = UseWithCare
		dg.VerdictReason = "the checks pass on all the draws but not on each half of them, so they are not stable; try more --draws"
	}
}

// offReason says why evidence in band 2 is clearly off.
func offReason(e *Evidence) string {
	if e.MeanShift > ShiftOff || math.IsNaN(e.MeanShift) {
		return fmt.Sprintf("reweighting toward the posterior moves the mean of %s by %.2f sd", e.MeanShiftParam, e.MeanShift)
	}
	return fmt.Sprintf("reweighting toward the posterior changes the sd of %s by a factor %.2f", e.SDRatioParam, e.SDRatio)
}

// careReason says why evidence in band 1 is not right.
func careReason(e *Evidence) string {
	if e.MeanShift > ShiftFine || math.IsNaN(e.MeanShift) {
		return fmt.Sprintf("reweighting moves the mean of %s by %.2f sd", e.MeanShiftParam, e.MeanShift)
	}
	return fmt.Sprintf("reweighting changes the sd of %s by a factor %.2f", e.SDRatioParam, e.SDRatio)
}

// fmtSmall formats a small non-negative number with two significant
// digits.
func fmtSmall(x float64) string {
	if x == 0 {
		return "0"
	}
	return fmt.Sprintf("%.2g", x)
}

// assess computes the evidence on all the draws and on each half, and the
// verdict.
func (dg *Diagnostics) assess(ds *DrawSet, lr []float64, opt DiagnoseOptions) error {
	exact := math.NaN()
	if opt.ELBOIsExact {
		exact = dg.ELBO
	}
	n := len(lr)
	if math.IsInf(dg.Khat, -1) {
		// q reproduces the posterior to rounding.
		dg.Evidence = &Evidence{SDRatio: 1, KhatSummaries: dg.KhatSummaries}
		dg.Evidence.KL, dg.Evidence.KLSE = klEstimate(lr, exact)
		dg.Halves = [2]*Evidence{dg.Evidence, dg.Evidence}
	} else {
		var err error
		if dg.Evidence, err = evidence(ds, lr, 0, n, exact); err != nil {
			return err
		}
		if n >= 40 {
			for h := range dg.Halves {
				lo, hi := h*n/2, (h+1)*n/2
				if dg.Halves[h], err = evidence(ds, lr, lo, hi, exact); err != nil {
					return err
				}
			}
		}
	}
	dg.KL, dg.KLSE = dg.Evidence.KL, dg.Evidence.KLSE
	dg.verdict()
	return nil
}

// advice says in words what the verdict means and what to try: empty for
// a reliable fit.
func advice(dg *Diagnostics, s int, opt DiagnoseOptions) string {
	if dg.Verdict == Reliable || dg.Verdict == "" {
		return ""
	}
	var try []string
	if opt.MeanField {
		try = append(try, "the full-rank family (--approx fullrank)")
	}
	if (opt.Centered || opt.NonCentered) && !opt.Both {
		try = append(try, "--parameterization auto, which fits the centered and the non-centered group effects and keeps the better")
	}
	if dg.Verdict == UseWithCare {
		try = append(try, fmt.Sprintf("more --draws than %d for the diagnostics", s))
	}
	try = append(try, "MCMC (e.g. Stan's NUTS)")
	what := "the summaries may be somewhat off; check conclusions that matter against the PSIS-corrected moments or MCMC"
	if dg.Verdict == Unreliable {
		what = "the approximation is NOT reliable: posterior means and especially sds and tails may be wrong"
	}
	return fmt.Sprintf("%s: %s (KL(q‖p) ≈ %s ± %s nats; Pareto k-hat %.2f for the summaries, %.2f for the ratios). Try %s.",
		dg.VerdictReason, what, fmtSmall(dg.KL), fmtSmall(dg.KLSE), dg.KhatSummaries, dg.Khat, joinOr(try))
}
