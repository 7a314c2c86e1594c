package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// PrintSummary writes the human-readable report of a fit, in the spirit of
// rstanarm's print and brms's summary. For example:
//
//	govi variational fit
//	 family:    bernoulli [logit]
//	 formula:   switch ~ dist100
//	 data:      wells.csv
//	 approx:    fullrank Gaussian, quadrature ELBO, lbfgs optimizer
//	 seed:      42
//
//	Priors:
//	 b ~ normal(0, 2.5)
//	 b[dist100] ~ normal(0, 1)
//
//	  parameter       mean      sd      5%      50%     95%
//	  b_Intercept  0.00271  0.0794  -0.128  0.00271   0.133
//	  b_dist100     -0.897   0.105   -1.07   -0.897  -0.724
//
//	ELBO: -2043.13 (SE 0.0123)
//	Iterations: 5
//	Time: 0.42 s
//	Stop: converged
//	Diagnostics:
//	 Pareto k-hat: 0.21 (good: the approximation is close to the posterior)
//	 ESS: 3804
//	 log evidence: -2042.99 ± 0.00450 (importance-weighted estimate)
//	Warning: the ELBO trace is still rising
//
// Header lines with an empty value are left out, as is the "Priors" block
// when f.Priors is empty and the "Diagnostics" block when f.Diagnostics is
// nil. The ELBO line shows the diagnostics' ELBO estimate and its Monte
// Carlo SE (the SE only when non-zero) when f.Diagnostics is set and its
// ELBO is not NaN, and f.ELBO otherwise. The table is aligned with text/tabwriter: names left-aligned,
// numbers right-aligned and formatted by FormatNumber (3 significant
// digits). The ELBO and log evidence are printed with 2 decimals, their
// standard errors with FormatNumber. Write errors are ignored, as with
// fmt.Fprintf to a terminal.
func PrintSummary(w io.Writer, f *Fit) {
	if f == nil {
		return
	}
	var b strings.Builder

	b.WriteString("govi variational fit\n")
	head := func(key, val string) {
		if val != "" {
			fmt.Fprintf(&b, " %-10s %s\n", key+":", val)
		}
	}
	family := f.Family
	if f.Link != "" {
		family += " [" + f.Link + "]"
	}
	head("family", strings.TrimSpace(family))
	head("formula", f.Formula)
	head("data", f.Data)
	head("approx", approxLine(f))
	head("seed", strconv.FormatUint(f.Seed, 10))
	if f.Resampled {
		head("draws", "resampled with the Pareto-smoothed importance weights")
	}

	if len(f.Priors) > 0 {
		b.WriteString("\nPriors:\n")
		for _, p := range f.Priors {
			fmt.Fprintf(&b, " %s\n", priorLine(p))
		}
	}

	b.WriteString("\n")
	writeTable(&b, f.Params)
	b.WriteString("\n")

	elbo := "ELBO: " + fixed2(f.ELBO)
	if d := f.Diagnostics; d != nil && !math.IsNaN(d.ELBO) {
		elbo = "ELBO: " + fixed2(d.ELBO)
		if d.ELBOSE != 0 {
			elbo += " (SE " + FormatNumber(d.ELBOSE) + ")"
		}
	}
	if f.ELBORelative {
		elbo += " (relative: the prior is improper)"
	}
	b.WriteString(elbo + "\n")
	fmt.Fprintf(&b, "Iterations: %d\n", f.Iterations)
	b.WriteString("Time: " + timeLine(f) + "\n")
	stop := f.Stop
	if stop == "" {
		stop = "unknown"
	}
	if f.Message != "" {
		stop += " (" + f.Message + ")"
	}
	if f.Interrupted && !strings.Contains(stop, "interrupt") {
		stop += "; interrupted: not converged"
	}
	fmt.Fprintf(&b, "Stop: %s\n", stop)

	if d := f.Diagnostics; d != nil {
		b.WriteString("Diagnostics:\n")
		if d.Verdict != "" {
			fmt.Fprintf(&b, " Verdict: %s (%s)\n", d.Verdict, d.VerdictReason)
			kl := " KL(q‖p): " + FormatNumber(d.KL)
			if d.KLSE != 0 {
				kl += " ± " + FormatNumber(d.KLSE)
			}
			b.WriteString(kl + " nats (log evidence − ELBO)\n")
		}
		ev := " log evidence: " + fixed2(d.LogEvidence)
		if d.LogEvidenceSE != 0 {
			ev += " ± " + FormatNumber(d.LogEvidenceSE)
		}
		ev += " (importance-weighted estimate"
		if f.ELBORelative {
			ev += "; relative: the prior is improper"
		}
		b.WriteString(ev + ")\n")
		if d.Verdict != "" {
			fmt.Fprintf(&b, " reweighting: means move by at most %s sd (%s); sds by a factor %s (%s)\n",
				FormatNumber(d.MeanShift), d.MeanShiftParam, FormatNumber(d.SDRatio), d.SDRatioParam)
		}
		if d.SummaryReliability == "" {
			fmt.Fprintf(&b, " Pareto k-hat: %s (%s)\n", strconv.FormatFloat(d.Khat, 'f', 2, 64), reliabilityWords(d.Reliability))
		} else {
			// The expectation-specific k-hat of the reported summaries,
			// then the ratios' k-hat, a detail: at a negligible scale of
			// the log ratios their tail shape is noise.
			fmt.Fprintf(&b, " Pareto k-hat: %s for the reported means and sds, %s for the importance ratios\n",
				strconv.FormatFloat(d.KhatSummaries, 'f', 2, 64), strconv.FormatFloat(d.Khat, 'f', 2, 64))
		}
		fmt.Fprintf(&b, " ESS: %s\n", strconv.FormatFloat(d.ESS, 'f', 0, 64))
	}
	if f.ShowPSIS && len(f.PSIS) > 0 {
		b.WriteString("PSIS-corrected (importance-weighted) means and sds:\n")
		writeMoments(&b, f.PSIS)
	}
	for _, msg := range f.Notes {
		b.WriteString("Note: " + commentValue(msg) + "\n")
	}
	for _, msg := range f.Warnings {
		b.WriteString("Warning: " + commentValue(msg) + "\n")
	}
	io.WriteString(w, b.String())
}

// timeLine gives the wall time of each phase, or of the fit alone.
func timeLine(f *Fit) string {
	if len(f.Phases) == 0 {
		return strconv.FormatFloat(f.Seconds, 'f', 2, 64) + " s"
	}
	var parts []string
	for _, p := range f.Phases {
		parts = append(parts, p.Name+" "+secs2(p.Seconds))
	}
	return strings.Join(parts, ", ")
}

// secs2 formats seconds with two decimals, or three significant digits
// below 0.01 s.
func secs2(x float64) string {
	if x < 0.01 && x > 0 {
		return FormatNumber(x) + " s"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + " s"
}

// approxLine describes the approximation, estimator and optimizer.
func approxLine(f *Fit) string {
	var parts []string
	switch f.Approx {
	case "":
	case "mixture":
		parts = append(parts, "quadrature mixture over the hyperparameters of full-rank Gaussians")
	default:
		parts = append(parts, f.Approx+" Gaussian")
	}
	if f.Estimator != "" {
		parts = append(parts, f.Estimator+" ELBO")
	}
	if f.Optimizer != "" {
		parts = append(parts, f.Optimizer+" optimizer")
	}
	return strings.Join(parts, ", ")
}

// reliabilityWords explains a reliability grade in plain words.
func reliabilityWords(r string) string {
	switch r {
	case "good":
		return "good: the approximation is close to the posterior"
	case "ok":
		return "ok: usable, but the tails may be off"
	case "bad":
		return "bad: the approximation is poor; treat the summaries with caution"
	case "very bad":
		return "very bad: the approximation does not match the posterior; do not trust the summaries"
	case "":
		return "reliability not assessed"
	}
	return r
}

// writeTable writes the parameter table. Names are padded to a common width
// so that tabwriter's right alignment leaves them left-aligned.
func writeTable(b *strings.Builder, params []Param) {
	width := len("parameter")
	for _, p := range params {
		width = max(width, len(p.Name))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-len(s)) }
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tmean\tsd\t5%%\t50%%\t95%%\t\n", pad("parameter"))
	for _, p := range params {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", pad(p.Name),
			FormatNumber(p.Mean), FormatNumber(p.SD), FormatNumber(p.Q5), FormatNumber(p.Q50), FormatNumber(p.Q95))
	}
	tw.Flush()
}

// writeMoments writes a table of means and sds.
func writeMoments(b *strings.Builder, ms []Moment) {
	width := len("parameter")
	for _, m := range ms {
		width = max(width, len(m.Name))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-len(s)) }
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tmean\tsd\t\n", pad("parameter"))
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", pad(m.Name), FormatNumber(m.Mean), FormatNumber(m.SD))
	}
	tw.Flush()
}

// fixed2 formats x with two decimals (NaN, +Inf and -Inf as such).
func fixed2(x float64) string {
	return nonFinite(x, func() string { return strconv.FormatFloat(x, 'f', 2, 64) })
}

// nonFinite returns "NaN", "Inf" or "-Inf" for non-finite x, else ok().
func nonFinite(x float64, ok func() string) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return ok()
}

// FormatNumber formats x with 3 significant digits for tables. Numbers with
// magnitude in [0.001, 1e6) are written in fixed notation with as many
// decimals as 3 significant digits need (1.50, 0.00271, 12.3, 4321, 123457 —
// large numbers keep all integer digits); smaller or larger magnitudes use
// exponent notation with 3 significant digits (1.23e-05, 4.57e+07). Zero is
// "0"; NaN, +Inf and -Inf are "NaN", "Inf" and "-Inf".
func FormatNumber(x float64) string {
	return nonFinite(x, func() string {
		if x == 0 {
			return "0"
		}
		a := math.Abs(x)
		if a < 1e-3 || a >= 1e6 {
			return strconv.FormatFloat(x, 'e', 2, 64)
		}
		decimals := max(0, 2-int(math.Floor(math.Log10(a))))
		return strconv.FormatFloat(x, 'f', decimals, 64)
	})
}
