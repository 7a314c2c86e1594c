// Command accuracy fits every posteriordb reference posterior in the shared
// folder with govi's default path, in the Gaussian families and (for the
// hierarchical ones) the quadrature mixture, scores the
// fits against the NUTS reference draws and Stan's ADVI measurements, and
// writes the results to docs/accuracy.md.
//
// Usage, from the repository root:
//
//	go run ./tools/accuracy [-o docs/accuracy.md] [-draws 20000]
//
// The shared folder is found as internal/posteriordb.Dir does ($GOVI_SHARED
// or ../shared next to the repository). The file is written atomically: to
// a temporary file in the same folder, then renamed.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/internal/posteriordb"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("accuracy: ")
	out := flag.String("o", "", "output file (default docs/accuracy.md under the module root)")
	draws := flag.Int("draws", 20000, "draws from q for the summaries")
	khat := flag.Int("khat-draws", 4000, "draws (the first ones) for the PSIS k-hat")
	flag.Parse()
	if *out == "" {
		root, err := moduleRoot()
		if err != nil {
			log.Fatal(err)
		}
		*out = filepath.Join(root, "docs", "accuracy.md")
	}
	opt := posteriordb.Options{Draws: *draws, KhatDraws: *khat, Seed: 1}
	rows, err := run(opt)
	if err != nil {
		log.Fatal(err)
	}
	anchors, err := posteriordb.LoadAnchors()
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	write(&buf, rows, anchors, opt)
	if err := writeAtomic(*out, buf.Bytes()); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
}

// row is one posterior with its fits.
type row struct {
	p      *posteriordb.Posterior
	ref    *posteriordb.Reference
	scores map[string]*posteriordb.Score
	// khatAll is the k-hat on all draws (for the discussion of k-hat).
	khatAll map[string]float64
	// lrSD is the sd of log p − log q over the draws.
	lrSD map[string]float64
	// skipped says why a family was not fitted.
	skipped []string
}

// families are the approximations fitted: Stan's two families, govi's
// low-rank family and the quadrature mixture (hierarchical posteriors only).
var families = []string{posteriordb.FullRank, posteriordb.MeanField, posteriordb.LowRank, posteriordb.Mixture}

func run(opt posteriordb.Options) ([]*row, error) {
	var rows []*row
	for _, name := range posteriordb.Names() {
		p, err := posteriordb.Load(name)
		if err != nil {
			return nil, err
		}
		ref, err := posteriordb.LoadReference(p.Reference)
		if err != nil {
			return nil, err
		}
		r := &row{p: p, ref: ref, scores: map[string]*posteriordb.Score{}, khatAll: map[string]float64{}, lrSD: map[string]float64{}}
		for _, fam := range families {
			s, err := posteriordb.Evaluate(context.Background(), p, ref, fam, opt)
			if errors.Is(err, posteriordb.ErrNotHierarchical) {
				continue
			}
			if err != nil && fam == posteriordb.LowRank {
				// Auto's estimator may not take the low-rank family
				// (the tensor rule over d + rank dimensions).
				log.Printf("%-46s %-9s skipped: %v", name, fam, err)
				r.skipped = append(r.skipped, fmt.Sprintf("%s: %v", name, err))
				continue
			}
			if err != nil {
				return nil, err
			}
			r.scores[fam] = s
			r.khatAll[fam], r.lrSD[fam] = khatAll(s)
			log.Printf("%-46s %-9s max z %.3f  min r %.3f  k-hat %.2f  KL %.3f  %s (%s)  %v", name, fam, s.MaxZ, s.MinR, s.Diag.Khat, s.Diag.KL, s.Diag.Verdict, classOf(s), s.Fit.Elapsed.Round(time.Microsecond))
			s.Draws = nil // keep memory low: the summaries are all we need
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// writeAtomic writes b to path through a temporary file in the same
// folder, so that readers never see a partial file.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".accuracy-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// moduleRoot walks up from the working directory to the folder with
// go.mod.
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = filepath.Dir(d)
	}
}

// Formatting helpers.

func f2(x float64) string { return num(x, 2) }
func f3(x float64) string { return num(x, 3) }

func num(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "−inf"
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func ms(d time.Duration) string {
	v := d.Seconds() * 1000
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func write(w *bytes.Buffer, rows []*row, anchors map[string]map[string]posteriordb.Anchor, opt posteriordb.Options) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Accuracy on posteriordb\n\n")
	p("<!-- Generated by `go run ./tools/accuracy`; do not edit by hand. -->\n\n")
	p("govi's fits of %d reference posteriors, in the mean-field, low-rank and full-rank Gaussian families (`govi.Auto`'s path) and, on the hierarchical ones, the quadrature mixture over the hyperparameters, against long NUTS runs ", len(rows))
	p("and against Stan's ADVI at its defaults on the same posteriors. The test `internal/posteriordb/accuracy_test.go` asserts the bounds discussed below.\n\n")

	p("## Methods\n\n")
	p("- **Posteriors.** The 14 posteriors of `shared/posteriordb`, the 5 of `shared/posteriordb-extra`, and radon's non-centered program ")
	p("(scored against the centered reference, as in `shared/anchors`); the centered eight schools is scored against the non-centered reference, as posteriordb does. ")
	p("Each is expressed in `internal/posteriordb` exactly as its `model.md` states (data transforms, priors including flat ones, constraints): ")
	p("`model.NewLinear` for the GLMs and hierarchical models, `model.NewConstrained` with Stan's interval transform for GLM_Poisson. ")
	p("`TestLogDensityMatchesModelMD` checks that each govi log density equals the density written out from `model.md` up to a constant.\n")
	p("- **Fit.** `govi.Auto(m, 1)` from μ = 0 and unit scale times Auto's initial scale: Gauss–Hermite quadrature with natural-gradient steps and L-BFGS for the Linear models, ")
	p("the tensor Gauss–Hermite rule for GLM_Poisson (d = 4), whose expected Hessian comes from gradients at the nodes by Stein's identity; the non-centered programs have no expected Hessian and are fitted by L-BFGS, started from the centered program's fit mapped to z = r/τ. Time is `Result.Elapsed` (the optimization alone) and iterations count optimizer iterations. The fits are deterministic: two runs give bit-identical parameters.\n")
	p("- **Summaries.** %d draws from the fitted q, mapped to the reference's parameters on the constrained scale (e.g. theta[j] = mu + r_j, alpha[j] = mu_alpha + r_j); ", opt.Draws)
	p("mean_vi and sd_vi are their sample mean and sd. Per parameter, z = |mean_vi − mean_ref|/sd_ref, r = sd_vi/sd_ref and W = √(z² + (r − 1)²), ")
	p("the 2-Wasserstein distance between the Gaussians with the fitted and the reference mean and sd, in reference sds. ")
	p("Monte Carlo error: about %.3f·r in z and %.1f %% in r; the reference's own error is about 0.01 sd in the mean and 0.7 %% in the sd (10 000 near-independent NUTS draws; the extra references have 20 000 draws with ESS > 4000).\n",
		1/math.Sqrt(float64(opt.Draws)), 100/math.Sqrt(2*float64(opt.Draws)))
	p("- **k-hat.** `govi.Diagnose` (PSIS, as R's loo 2.5.1) on the first %d of those draws, govi's CLI default: the k-hat of the importance ratios p/q, and the largest expectation-specific k-hat of the reported means and sds (the Pareto tail of h(θ)·p/q, Vehtari et al. 2024 §3.2), which says whether those summaries can be trusted; the discussion also quotes the ratios' k-hat on all %d draws.\n", opt.KhatDraws, opt.Draws)
	p("- **Stan ADVI.** From `shared/anchors`: rstan 2.21.7 `vb()` at its defaults, medians over 5 seeds of max z, min r, k-hat and wall time (meanfield ↔ mean-field, fullrank ↔ full-rank); ")
	p("max W is the median over the runs of the largest W, computed here from the runs' per-parameter z and r. Errored runs are left out of the accuracy medians and counted in \"err\".\n")
	p("- **Machine.** %d cores (GOMAXPROCS %d), %s/%s, %s. Stan's times come from a 2-core machine too and include rstan's own PSIS.\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())

	for _, fam := range families {
		title := map[string]string{posteriordb.FullRank: "Full-rank", posteriordb.MeanField: "Mean-field",
			posteriordb.LowRank: fmt.Sprintf("Low-rank (rank %d, or d − 1 when smaller; no ADVI counterpart)", posteriordb.LowRankRank),
			posteriordb.Mixture: "Quadrature mixture over the hyperparameters (hierarchical posteriors; govi's default for group-level models; ADVI columns: full-rank)"}[fam]
		p("## %s\n\n", title)
		p("| posterior | #par | max z | median z | min r | max r | max W | time ms | iter | status | k-hat ratios | k-hat summaries | KL nats | verdict | ADVI max z | ADVI min r | ADVI max W | ADVI k-hat | ADVI time ms | ADVI err |\n")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range rows {
			s := r.scores[fam]
			if s == nil {
				continue
			}
			afam := fam
			if fam == posteriordb.Mixture {
				afam = posteriordb.FullRank
			}
			a, ok := anchors[r.p.Name][afam]
			if !ok {
				a = posteriordb.Anchor{MaxZ: math.NaN(), MinR: math.NaN(), MaxW: math.NaN(), Khat: math.NaN(), Time: math.NaN()}
			}
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n",
				r.p.Name, len(s.Names), f3(s.MaxZ), f3(s.MedianZ), f3(s.MinR), f3(s.MaxR), f3(s.MaxW),
				ms(s.Fit.Elapsed), s.Fit.Iterations, s.Fit.Status, f2(s.Diag.Khat), f2(s.Diag.KhatSummaries), f3(s.Diag.KL), s.Diag.Verdict,
				f2(a.MaxZ), f2(a.MinR), f2(a.MaxW), f2(a.Khat), num(a.Time*1000, 0), a.Errors, a.Runs)
		}
		p("\n")
	}

	p("## Where the parameterization differs from the Stan program\n\n")
	p("Every posterior is the same density as the Stan program's. Two differ in the unconstrained coordinates govi's q lives on, ")
	p("which matters for the mean-field family only (a full-rank Gaussian is closed under linear maps, so its optimum is the same distribution):\n\n")
	for _, r := range rows {
		if r.p.Centered && r.p.Kind == posteriordb.Hierarchical && !strings.HasPrefix(r.p.Name, "seeds") {
			p("- `%s`: %s\n", r.p.Name, r.p.Note)
		}
	}
	p("\nNo posterior had to be approximated: all 20 are expressed exactly.\n\n")

	p("## What the test asserts\n\n")
	p("Per posterior, family and parameter (`bounds` in `accuracy_test.go`, where each is derived):\n\n")
	p("- Full-rank, regressions: the issue's z ≤ 0.1 and 0.9 ≤ r ≤ 1.1. For σ of a Gaussian regression the lower bound is min(0.9, r*σ − 0.035), r*σ being the optimal Gaussian's ratio; with flat priors every r must be within 4 Monte Carlo errors (≈ 0.035) of the optimal Gaussian's r*β or r*σ.\n")
	p("- Mean-field, regressions: z ≤ 0.1, and r within 4 Monte Carlo errors of the mean-field optimum computed from the design (flat priors) or within 10 %% of 1/√((C⁻¹)ᵢᵢ) from the reference correlation C.\n")
	p("- Hierarchical (funnels): guard rails set from the first run, a little outside the measured range: group sd z ≤ 0.35 and 0.25 ≤ r ≤ 1.1; other parameters z ≤ 0.3 and 0.75 ≤ r ≤ 1.1 (full-rank) or 0.3 ≤ r ≤ 1.3 (mean-field). `TestOptimum` checks that these fits are the ELBO's optimum.\n")
	p("- Against Stan's ADVI: govi's max z ≤ ADVI's median max z (both families) and govi's max W ≤ ADVI's median max W (full-rank).\n")
	p("- Every fit converges, and two fits are bit-identical. Issue 5 (`TestKhat`), on the summaries' k-hat: below 0.5 on every full-rank regression whose sd ratios are all at least 0.97 and z at most 0.05, and between 0.5 and 0.7 (usable with care) on those where some sd is measurably short; on the centered eight schools with mean-field both k-hats exceed 0.7 and the advice says \"NOT reliable\".\n")
	p("- Issue 9 (`TestVerdict`, full-rank and mean-field): no clearly-off fit is called reliable, and every full-rank fit that matches the reference is.\n\n")

	verdicts(w, rows)
	discuss(w, rows, anchors, opt)
}

// Reference classes of a fit, from its z and r against NUTS (issue 9).
const (
	classRight   = "matches the reference"
	classBetween = "in between"
	classOff     = "clearly off"
)

// classOf classes a fit: it matches the reference when every z ≤ 0.1 and
// every r is within 0.9–1.1, and is clearly off when some z > 0.25 or
// some r is below 0.75 or above 1.33.
func classOf(s *posteriordb.Score) string {
	switch {
	case s.MaxZ > 0.25 || s.MinR < 0.75 || s.MaxR > 1.33:
		return classOff
	case s.MaxZ <= 0.1 && s.MinR >= 0.9 && s.MaxR <= 1.1:
		return classRight
	}
	return classBetween
}

// verdicts writes the verdict's rule, its confusion table against the
// reference classes and every misclassification.
func verdicts(w *bytes.Buffer, rows []*row) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## The verdict\n\n")
	p("Every fit gets one verdict (`govi.Diagnostics.Verdict`, summary.json `diagnostics.verdict`, the first line of the printed diagnostics), computed by `govi.Diagnose` on the first %d draws with the exact (quadrature) ELBO, as the command computes it. Its figures, on all the draws and on each independent half:\n\n", 4000)
	p("- **KL(q ‖ p) = log p̂(D) − ELBO** in nats, with log p̂(D) the importance-weighted evidence and its delta-method SE (the ELBO is exact, so the SE is that of log p̂(D)). KL(q ‖ p) is at least the KL of every marginal; for a Gaussian marginal a 0.1-sd shift costs 0.005 nats, a 10 %% sd error 0.010, an sd off by the factor 0.75 or 4/3 0.069 or 0.099. KLOff = %.2f nats is the cost of a clearly wrong sd.\n", govi.KLOff)
	p("- **Reweighting**: how far PSIS reweighting moves each reported mean (in q's sds) and sd (as a ratio): estimates of the fit's own errors z and 1/r. Right: every mean within %.2g sd and every sd within a factor %.2g; clearly off: a mean beyond %.2g sd or an sd factor outside 0.75–1.33.\n", govi.ShiftFine, govi.SDFine, govi.ShiftOff)
	p("- **Expectation-specific k-hat** of the summaries (a heavy tail above %.1f, counted only when it shows on all the draws and on each half: at 4000 draws it alone varies from 0.4 to 1.0 between near-identical small logistic regressions).\n\n", govi.KhatTrust)
	p("The rule: **unreliable** when reweighting moves a summary by a clearly-off amount, or moves one beyond the right tolerance while KL is above KLOff by two SEs (PSIS truncates the weights, so reweighting then shows only part of the error). **Reliable** when, on all the draws and on each half, reweighting moves every mean and sd within the right tolerances and KL + 2 SE ≤ KLOff, and the summaries' weights have no heavy tail on all three. **Use with care** otherwise. The ratios' k-hat stays a detail: on 4000 draws it is above 0.7 on near-exact fits whose log ratios vary by hundredths of a nat (wells_dist: 1.87).\n\n")
	p("The reference classes (issue 9): a fit **matches** the reference when every z ≤ 0.1 and every sd ratio r is within 0.9–1.1, and is **clearly off** when some z > 0.25 or some r < 0.75 or > 1.33. A match must be called reliable, and a clearly-off fit must never be.\n\n")
	classes := []string{classRight, classBetween, classOff}
	verdicts := []string{govi.Reliable, govi.UseWithCare, govi.Unreliable}
	count := map[string]map[string]map[string]int{}
	var alarms, misses []string
	nfits := 0
	for _, fam := range families {
		count[fam] = map[string]map[string]int{}
		for _, c := range classes {
			count[fam][c] = map[string]int{}
		}
		for _, r := range rows {
			s := r.scores[fam]
			if s == nil {
				continue
			}
			nfits++
			c, v := classOf(s), s.Diag.Verdict
			count[fam][c][v]++
			what := fmt.Sprintf("%s, %s (max z %.3f, r %.3f–%.3f): %s, because %s", r.p.Name, fam, s.MaxZ, s.MinR, s.MaxR, v, s.Diag.VerdictReason)
			switch {
			case c == classRight && v != govi.Reliable:
				alarms = append(alarms, what)
			case c == classOff && v == govi.Reliable:
				misses = append(misses, what)
			}
		}
	}
	p("| family | reference | reliable | use with care | unreliable |\n|---|---|---:|---:|---:|\n")
	total := map[string]map[string]int{}
	for _, c := range classes {
		total[c] = map[string]int{}
	}
	for _, fam := range append(append([]string(nil), families...), "all") {
		for _, c := range classes {
			var n [3]int
			for i, v := range verdicts {
				if fam == "all" {
					n[i] = total[c][v]
				} else {
					n[i] = count[fam][c][v]
					total[c][v] += n[i]
				}
			}
			name := fam
			if fam == "all" {
				name = "**all**"
			}
			p("| %s | %s | %d | %d | %d |\n", name, c, n[0], n[1], n[2])
		}
	}
	var skipped []string
	for _, r := range rows {
		skipped = append(skipped, r.skipped...)
	}
	hier := 0
	for _, r := range rows {
		if r.scores[posteriordb.Mixture] != nil {
			hier++
		}
	}
	p("\n%d fits in all (%d posteriors × %d families, and the mixture on the %d hierarchical posteriors", nfits, len(rows), len(families)-1, hier)
	if len(skipped) > 0 {
		p(", less %d low-rank fit%s that Auto's estimator does not take: %s", len(skipped), map[bool]string{true: "s", false: ""}[len(skipped) > 1], strings.Join(skipped, "; "))
	}
	p("). Misses (clearly off, called reliable): %d", len(misses))
	if len(misses) > 0 {
		p(": %s", strings.Join(misses, "; "))
	}
	p(". False alarms (matching the reference, not called reliable): %d", len(alarms))
	if len(alarms) > 0 {
		p(":\n\n")
		for _, a := range alarms {
			p("- %s\n", a)
		}
		p("\n")
	} else {
		p(".\n\n")
	}
}

// discuss writes the plain-language reading of the tables, with the
// numbers taken from the results.
func discuss(w *bytes.Buffer, rows []*row, anchors map[string]map[string]posteriordb.Anchor, opt posteriordb.Options) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	fr, mf := posteriordb.FullRank, posteriordb.MeanField
	var regFR, regMF []*posteriordb.Score
	var worstZ, lowR, highR float64 = 0, math.Inf(1), 0
	var lowRName, lowRParam string
	for _, r := range rows {
		if r.p.Kind != posteriordb.Regression {
			continue
		}
		s := r.scores[fr]
		regFR = append(regFR, s)
		regMF = append(regMF, r.scores[mf])
		worstZ = math.Max(worstZ, s.MaxZ)
		if s.MinR < lowR {
			lowR, lowRName = s.MinR, r.p.Name
			lowRParam = s.Names[slices.Index(s.R, s.MinR)]
		}
		highR = math.Max(highR, s.MaxR)
	}
	var advi []float64
	for _, r := range rows {
		if r.p.Kind == posteriordb.Regression {
			advi = append(advi, anchors[r.p.Name][fr].MaxZ)
		}
	}
	var slow []string
	for _, r := range rows {
		if d := r.scores[fr].Fit.Elapsed; r.p.Kind == posteriordb.Regression && d > time.Second {
			slow = append(slow, fmt.Sprintf("%s (%.1f s, %d iterations)", r.p.Name, d.Seconds(), r.scores[fr].Fit.Iterations))
		}
	}

	p("## What the tables show\n\n")
	p("**Full-rank on the %d regressions: the means are exact and the sds are the best Gaussian's.** Every mean is within %.3f reference sds (max z), ", len(regFR), worstZ)
	p("and every sd ratio is between %.3f and %.3f. The ratios below 1 are not errors of the fit: they are what the best Gaussian gives. ", lowR, highR)
	p("In a Gaussian regression with unknown σ the coefficients' marginal is a Student t (a scale mixture over σ) and log σ is log-gamma; ")
	p("with flat priors the optimal Gaussian on (β, log σ) has sd ratio √((α − 1)/α), α = (N − k − 1)/2, for each coefficient and a closed-form ratio for σ ")
	p("(`posteriordb.FlatGaussianRatios`). ")
	if n, k, ok := find(rows, lowRName).p.FlatGaussian(); ok && lowRParam == "sigma" {
		_, rSigma, _ := posteriordb.FlatGaussianRatios(n, k)
		p("The lowest ratio is σ's on %s, %.3f, and the prediction for its N = %d and k = %d is %.3f: no Gaussian on log σ reaches the issue's 0.9 there. ", lowRName, lowR, n, k, rSigma)
	}
	p("The test holds the flat-prior regressions to these predictions within 4 Monte Carlo standard errors (about 0.035). ")
	slices.Sort(advi)
	p("Stan's ADVI at its defaults misses the same posteriors by a median max z of %s to %s; govi's fits take %d to %d deterministic iterations, in milliseconds",
		f2(advi[0]), f2(advi[len(advi)-1]), minIter(regFR), maxIter(regFR))
	if len(slow) > 0 {
		p(" except %s", strings.Join(slow, ", "))
	}
	p(".\n\n")

	p("**Mean-field is limited by the family, and govi reaches that limit.** Its means are as good as full-rank's (max z %.3f on the regressions), ", maxOf(regMF, func(s *posteriordb.Score) float64 { return s.MaxZ }))
	p("but each sd shrinks to the conditional sd 1/√Λᵢᵢ, i.e. by √(1 − R²ᵢ) where R²ᵢ is the squared multiple correlation of the parameter with the others. ")
	p("Strongly correlated coefficients (uncentred predictors) get tiny ratios: kilpisjarvi's alpha and beta (correlation −0.99999) r ≈ %s, diamonds' collinear terms r ≈ %s. ",
		f3(find(rows, "kilpisjarvi_mod-kilpisjarvi").scores[mf].MinR), f3(find(rows, "diamonds-diamonds").scores[mf].MinR))
	p("These ratios match the closed-form mean-field optimum computed from the design matrix or from the reference correlation matrix (tested within 4 Monte Carlo errors or 10 %%). ")
	var lost []string
	for _, r := range rows {
		s, a := r.scores[mf], anchors[r.p.Name][mf]
		if s.MaxW > a.MaxW {
			lost = append(lost, fmt.Sprintf("%s (max W %.2f against ADVI's %.2f, max z %.3f against %.2f)", r.p.Name, s.MaxW, a.MaxW, s.MaxZ, a.MaxZ))
		}
	}
	if len(lost) > 0 {
		p("On %s govi's mean-field fit is further from the posterior in W than Stan's median mean-field run, although its means are closer: ", strings.Join(lost, " and "))
		p("ADVI stops (tol_rel_obj = 0.01) before its sds have shrunk to the mean-field optimum, which here happens to lie further from the truth. ")
		p("Comparing sds would reward stopping early, so the test compares mean-field with ADVI on the means only, and holds the sds to the mean-field optimum instead.\n\n")
	} else {
		p("\n\n")
	}

	p("**The hierarchical posteriors are funnels, and no Gaussian matches them.** ")
	es := find(rows, "eight_schools-eight_schools_centered")
	p("The group sd is under-dispersed and pulled toward the neck: on the centered eight schools tau's r is %.2f (full-rank) and %.2f (mean-field); ", rOf(es.scores[fr], "tau"), rOf(es.scores[mf], "tau"))
	en := find(rows, "eight_schools-eight_schools_noncentered")
	p("the non-centered program gives %.2f and %.2f, and radon's better-identified sigma_alpha %.2f (full-rank). ",
		rOf(en.scores[fr], "tau"), rOf(en.scores[mf], "tau"), rOf(find(rows, "radon_mn-radon_variable_intercept_centered").scores[fr], "sigma_alpha"))
	p("The effects themselves are close (full-rank max z %.2f over these posteriors, group sds excluded). ", maxOfRows(rows, fr, posteriordb.Hierarchical))
	p("A Monte Carlo refit (4000 fixed draws, L-BFGS) started from govi's answer moves it by no more than its own noise (`TestOptimum`), so these gaps are the family's, not the optimizer's. ")
	p("Stan's ADVI means are further off on every one of them (median max z %.2f to %.0f).\n\n", minAnchor(rows, anchors, posteriordb.Hierarchical), maxAnchor(rows, anchors, posteriordb.Hierarchical))

	var mix []string
	mixZ, mixLo, mixHi := 0.0, math.Inf(1), 0.0
	for _, r := range rows {
		s := r.scores[posteriordb.Mixture]
		if s == nil {
			continue
		}
		mixZ, mixLo, mixHi = math.Max(mixZ, s.MaxZ), math.Min(mixLo, s.MinR), math.Max(mixHi, s.MaxR)
		mix = append(mix, fmt.Sprintf("%s %s against full-rank's %s (%d conditional fits, %s ms against %s)", r.p.Name, f3(s.MinR), f3(r.scores[fr].MinR), s.Fit.Iterations, ms(s.Fit.Elapsed), ms(r.scores[fr].Fit.Elapsed)))
	}
	if len(mix) > 0 {
		p("**The quadrature mixture over the hyperparameters gets the funnels right.** `govi.FitMixture` (the command's default for group-level models) integrates the group sds and other hyperparameters on a grid and fits a Gaussian to the rest given each grid point. ")
		p("On the %d hierarchical posteriors every mean is within %.3f reference sds and every sd ratio, the group sds included, within %.3f–%.3f; the smallest sd ratio per posterior is %s. ", len(mix), mixZ, mixLo, mixHi, strings.Join(mix, "; "))
		p("`TestMixtureHierarchical` asserts z ≤ 0.1 and 0.9 ≤ r ≤ 1.1 for every parameter.\n\n")
	}

	p("**What k-hat said.** ")
	var hi, care []string
	for _, r := range rows {
		sc := r.scores[fr]
		if r.p.Kind != posteriordb.Regression {
			continue
		}
		if !(sc.Diag.Khat < 0.5) {
			hi = append(hi, fmt.Sprintf("%s %.2f (sd of log p − log q %.3f nats; %.2f on all %d draws; summaries %.2f)", r.p.Name, sc.Diag.Khat, r.lrSD[fr], r.khatAll[fr], opt.Draws, sc.Diag.KhatSummaries))
		}
		if !(sc.Diag.KhatSummaries < 0.5) {
			care = append(care, fmt.Sprintf("%s %.2f (%s; min r %.3f)", r.p.Name, sc.Diag.KhatSummaries, sc.Diag.WorstSummary, sc.MinR))
		}
	}
	p("On the full-rank regressions, whose z and r are at the Gaussian optimum, the k-hat of the importance ratios on %d draws is below 0.5 for %d of %d, but not for ", opt.KhatDraws, len(regFR)-len(hi), len(regFR))
	p("%s. ", strings.Join(hi, "; "))
	p("For the summaries these are false alarms: the log ratios barely vary, and the Pareto fit on the top 3√S of them sees only the shape of their upper tail, not its size (with more draws it falls below 0.5 for the large-N models). ")
	p("The expectation-specific k-hat of the reported means and sds separates the fits correctly: it is below 0.5 on every regression whose sds are all within 3 %% of the reference, and between 0.5 and 0.7 (usable with care) exactly where some sd is measurably short: %s. ", strings.Join(care, "; "))
	p("Those are the small-N Gaussian regressions, whose σ has a t-shaped posterior that no Gaussian matches (on mesquite the best Gaussian's sd for σ is 0.891 of the reference, see the bounds above). ")
	p("On the centered eight schools, mean-field, both k-hats are above 0.7 (%.2f and %.2f) and govi's advice calls the fit not reliable, as issue 5 asks. ", es.scores[mf].Diag.Khat, es.scores[mf].Diag.KhatSummaries)
	var mfLow []string
	for _, r := range rows {
		sc := r.scores[mf]
		if sc.MinR < 0.5 && sc.Diag.Khat < 0.7 {
			mfLow = append(mfLow, fmt.Sprintf("%s (min r %.3f: ratios %.2f, summaries %.2f)", r.p.Name, sc.MinR, sc.Diag.Khat, sc.Diag.KhatSummaries))
		}
	}
	if len(mfLow) > 0 {
		p("The summaries' k-hat also catches what the ratios' k-hat misses: mean-field fits whose sds are far too small but whose ratios' k-hat is below 0.7, %s. ", strings.Join(mfLow, "; "))
	}
	var flagged, except []string
	for _, r := range rows {
		for _, fam := range posteriordb.Families {
			sc := r.scores[fam]
			if !(sc.Diag.KhatSummaries > 0.7) {
				continue
			}
			flagged = append(flagged, r.p.Name)
			if !(sc.MinR < 0.8 || sc.MaxZ > 0.1) {
				except = append(except, fmt.Sprintf("%s, %s (min r %.3f, max z %.3f, summaries' k-hat %.2f)", r.p.Name, fam, sc.MinR, sc.MaxZ, sc.Diag.KhatSummaries))
			}
		}
	}
	p("Of the %d fits whose summaries' k-hat is above 0.7, all but %d have some sd ratio below 0.8 or some z above 0.1 in the tables (the hierarchical funnels and the mean-field fits of correlated posteriors)", len(flagged), len(except))
	if len(except) > 0 {
		p("; the exception%s: %s", map[bool]string{true: "s", false: ""}[len(except) > 1], strings.Join(except, "; "))
	}
	p(". ")
	p("Stan's ADVI reported k-hat above 0.7 on most runs, including accurate ones.\n")
}

func minIter(ss []*posteriordb.Score) int {
	m := math.MaxInt
	for _, s := range ss {
		m = min(m, s.Fit.Iterations)
	}
	return m
}

func maxIter(ss []*posteriordb.Score) int {
	m := 0
	for _, s := range ss {
		m = max(m, s.Fit.Iterations)
	}
	return m
}

// khatAll returns k-hat on all the draws and the sd of the log ratios.
func khatAll(s *posteriordb.Score) (k, sd float64) {
	dg, err := govi.Diagnose(s.Draws, govi.DiagnoseOptions{})
	if err != nil {
		return math.NaN(), math.NaN()
	}
	n := len(s.Draws.LogP)
	var m, ss float64
	for i := range n {
		m += s.Draws.LogP[i] - s.Draws.LogQ[i]
	}
	m /= float64(n)
	for i := range n {
		d := s.Draws.LogP[i] - s.Draws.LogQ[i] - m
		ss += d * d
	}
	return dg.Khat, math.Sqrt(ss / float64(n-1))
}

func find(rows []*row, name string) *row {
	for _, r := range rows {
		if r.p.Name == name {
			return r
		}
	}
	panic("accuracy: no posterior " + name)
}

func rOf(s *posteriordb.Score, name string) float64 {
	i := slices.Index(s.Names, name)
	if i < 0 {
		return math.NaN()
	}
	return s.R[i]
}

func maxOf(ss []*posteriordb.Score, f func(*posteriordb.Score) float64) float64 {
	m := math.Inf(-1)
	for _, s := range ss {
		m = math.Max(m, f(s))
	}
	return m
}

func maxOfRows(rows []*row, fam string, kind posteriordb.Kind) float64 {
	m := math.Inf(-1)
	for _, r := range rows {
		if r.p.Kind != kind {
			continue
		}
		s := r.scores[fam]
		for i, n := range s.Names {
			if n == "tau" || n == "sigma_alpha" || (n == "sigma" && strings.HasPrefix(r.p.Name, "seeds")) {
				continue
			}
			m = math.Max(m, s.Z[i])
		}
	}
	return m
}

func minAnchor(rows []*row, anchors map[string]map[string]posteriordb.Anchor, kind posteriordb.Kind) float64 {
	m := math.Inf(1)
	for _, r := range rows {
		if r.p.Kind == kind {
			for _, a := range anchors[r.p.Name] {
				m = math.Min(m, a.MaxZ)
			}
		}
	}
	return m
}

func maxAnchor(rows []*row, anchors map[string]map[string]posteriordb.Anchor, kind posteriordb.Kind) float64 {
	m := math.Inf(-1)
	for _, r := range rows {
		if r.p.Kind == kind {
			for _, a := range anchors[r.p.Name] {
				m = math.Max(m, a.MaxZ)
			}
		}
	}
	return m
}
