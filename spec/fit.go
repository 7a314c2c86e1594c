package spec

import (
	"context"
	"fmt"
	"math"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/report"
)

// Fit fits the built model with govi.Run and returns the report of the
// fit, ready for package report to print and write, with the outcome it
// was made from. Run's Constrainer and Advice are set from b: the draws
// are reported on the data's scale (Constrain) and the advice knows how
// the group-level effects are parameterized. As with govi.Run, a fit that
// fails or is canceled is not an error; Outcome.Fit.Status says so.
//
// With group-level terms and the parameterization "auto" (or unset), Fit
// fits both the non-centered and the centered group effects, which give
// the same posterior in other coordinates so that their ELBOs compare,
// keeps the fit with the higher ELBO and says which in a note; b.Spec and
// b.Linear then describe the kept one. A mixture fit (see govi.FitMixture)
// is nearly the same under either parameterization and is fitted once,
// non-centered.
func (b *Built) Fit(ctx context.Context, opt govi.RunOptions) (*report.Fit, *govi.Outcome, error) {
	if !b.centerable() || (b.Spec.Parameterization != "" && b.Spec.Parameterization != "auto") {
		return b.fit(ctx, opt, false)
	}
	fit, out, err := b.fit(ctx, opt, true)
	if err != nil || ctx.Err() != nil || out.Fit.Status == optim.Canceled {
		return fit, out, err
	}
	if out.Approx == "mixture" {
		// Given ψ the two parameterizations are linear maps of each other,
		// so the mixture's components are the same distribution in both;
		// they differ only in how q(β | ψ) is held within a cell, where
		// the non-centered effects vary less with ψ (eight schools: KL
		// 0.006 nats non-centered, 0.097 centered). One fit is enough.
		return fit, out, nil
	}
	c, err := b.withCentered()
	if err != nil {
		return nil, nil, err
	}
	fit2, out2, err := c.fit(ctx, opt, true)
	if err != nil {
		return nil, nil, err
	}
	keep, other, kb := fit, fit2, b
	if better(out2.Fit.ELBO, out.Fit.ELBO) {
		keep, other, kb, out = fit2, fit, c, out2
	}
	*b = *kb
	kept := map[string]string{"centered": "centered", "noncentered": "non-centered"}[b.Spec.Parameterization]
	keep.Notes = append(keep.Notes, fmt.Sprintf("--parameterization auto fitted the non-centered and the centered group-level effects and kept the %s ones (ELBO %.2f against %.2f; the same posterior, so the ELBOs compare)",
		kept, keep.ELBO, other.ELBO))
	return keep, out, nil
}

// better reports whether ELBO a is higher than b (NaN never is).
func better(a, b float64) bool { return a > b || (math.IsNaN(b) && !math.IsNaN(a)) }

// centerable reports whether some group-level term can be centered:
// correlated effects are always non-centered (r = diag(τ)Lz).
func (b *Built) centerable() bool {
	cor := map[int]bool{}
	for _, c := range b.Design.Correlated {
		for _, g := range c {
			cor[g] = true
		}
	}
	return len(cor) < len(b.Design.Groups)
}

// withCentered returns b with every group-level term centered.
func (b *Built) withCentered() (*Built, error) {
	t := b.Linear.Terms()
	t.Groups = append([]model.Group(nil), t.Groups...)
	for g := range t.Groups {
		t.Groups[g].Centered = true
	}
	lin, err := model.NewLinear(t)
	if err != nil {
		return nil, err
	}
	c := *b
	c.Linear = lin
	sp := *b.Spec
	sp.Parameterization = "centered"
	c.Spec = &sp
	return &c, nil
}

// fit runs the pipeline on b as it is parameterized; both says that the
// other parameterization is fitted too.
func (b *Built) fit(ctx context.Context, opt govi.RunOptions, both bool) (*report.Fit, *govi.Outcome, error) {
	if both && b.Spec.Parameterization != "centered" {
		sp := *b.Spec
		sp.Parameterization = "noncentered"
		b.Spec = &sp
	}
	opt.Constrainer = b
	groups := b.centerable() // correlated effects have no other parameterization to advise
	centered := b.Spec.Parameterization == "centered"
	opt.Advice.Centered = groups && centered
	opt.Advice.NonCentered = groups && !centered
	opt.Advice.Both = both
	out, err := govi.Run(ctx, b.Linear, opt)
	if err != nil {
		return nil, nil, err
	}
	return b.report(out, opt), out, nil
}

// report assembles the report of a fit of b.
func (b *Built) report(out *govi.Outcome, opt govi.RunOptions) *report.Fit {
	ds, res := out.Draws, out.Fit
	n, _ := ds.X.Dims()
	draws := make([][]float64, n)
	for s := range draws {
		draws[s] = ds.X.RawRowView(s)
	}
	var diag *report.Diagnostics
	if dg := out.Diagnostics; dg != nil {
		diag = &report.Diagnostics{
			Khat: dg.Khat, ESS: dg.ESS, ELBO: dg.ELBO, ELBOSE: dg.ELBOSE,
			LogEvidence: dg.LogEvidence, LogEvidenceSE: dg.LogEvidenceSE,
			Reliability:        dg.Reliability.String(),
			KhatSummaries:      dg.KhatSummaries,
			SummaryReliability: dg.SummaryReliability.String(),
			WorstSummary:       dg.WorstSummary,
			Verdict:            dg.Verdict,
			VerdictReason:      dg.VerdictReason,
			KL:                 dg.KL,
			KLSE:               dg.KLSE,
		}
		if e := dg.Evidence; e != nil {
			diag.MeanShift, diag.MeanShiftParam = e.MeanShift, e.MeanShiftParam
			diag.SDRatio, diag.SDRatioParam = e.SDRatio, e.SDRatioParam
		}
		for _, h := range dg.Halves {
			if h != nil {
				diag.Halves = append(diag.Halves, report.Half{KL: h.KL, KLSE: h.KLSE, MeanShift: h.MeanShift, SDRatio: h.SDRatio, KhatSummaries: h.KhatSummaries})
			}
		}
	}
	var psis []report.Moment
	for j, name := range b.Names {
		if out.CorrectedMean != nil {
			psis = append(psis, report.Moment{Name: name, Mean: out.CorrectedMean[j], SD: out.CorrectedSD[j]})
		}
	}
	var priors []report.PriorInfo
	for _, pr := range b.Priors {
		coef := pr.Coef
		if pr.Group != "" {
			coef = pr.Group
			if pr.Coef != "" {
				coef += "," + pr.Coef
			}
		}
		priors = append(priors, report.PriorInfo{Class: pr.Class, Coef: coef, Prior: pr.Prior})
	}
	approx := out.Approx
	return &report.Fit{
		Params:      report.Summarize(b.Names, draws),
		Names:       b.Names,
		StanNames:   model.StanStrings(b.Params),
		Draws:       draws,
		LogP:        ds.LogP,
		LogQ:        ds.LogQ,
		Mean:        out.Mean,
		ELBO:        res.ELBO,
		Trace:       res.Trace,
		Iterations:  res.Iterations,
		Converged:   res.Status == optim.Converged,
		Stop:        res.Status.String(),
		Message:     res.Message,
		Seconds:     res.Elapsed.Seconds(),
		DrawSeconds: out.DrawTime.Seconds(),
		Phases: []report.Phase{{Name: "fit", Seconds: res.Elapsed.Seconds()}, {Name: "draws", Seconds: out.SampleTime.Seconds()},
			{Name: "diagnostics", Seconds: out.DiagnoseTime.Seconds()}},
		Interrupted:  res.Status == optim.Canceled,
		Family:       b.Spec.Family,
		Link:         b.Spec.link(b.Family),
		Formula:      b.Spec.Formula,
		Approx:       approx,
		Estimator:    out.EstimatorName,
		Optimizer:    out.MethodName,
		Seed:         opt.Seed,
		Priors:       priors,
		ELBORelative: !b.Linear.Proper(),
		Diagnostics:  diag,
		Warnings:     append(append([]string(nil), b.Warnings...), out.Warnings...),
		Notes:        out.Notes,
		PSIS:         psis,
		ShowPSIS:     opt.Resample || out.Unreliable,
		Resampled:    out.Resampled,
		Data:         b.Source,
	}
}
