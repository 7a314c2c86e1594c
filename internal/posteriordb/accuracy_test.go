package posteriordb

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// The accuracy tests fit every posterior with govi's default path and
// compare q's draws with the NUTS reference (see Evaluate). They need the
// shared folder and skip without it. The default run covers both families
// on all 20 posteriors (about a minute on 2 cores); -short keeps the
// full-rank family only.

// opts are the draws behind every score: 20000 draws put the Monte Carlo
// error of z at r/√20000 ≈ 0.007 and that of r at about 1/√40000 = 0.5 %,
// far below every bound; k-hat uses the first 4000 (govi's CLI default).
var opts = Options{Draws: 20000, KhatDraws: 4000, Seed: 1}

func families() []string {
	if testing.Short() {
		return []string{FullRank}
	}
	return Families
}

// needShared skips the test when the shared folder is absent.
func needShared(t *testing.T) {
	t.Helper()
	if _, err := Dir(); err != nil {
		if errors.Is(err, ErrNoShared) {
			t.Skipf("skipping: the posteriordb reference posteriors are not available (%v); set %s to the shared folder", err, EnvShared)
		}
		t.Fatal(err)
	}
}

type evaluation struct {
	p   *Posterior
	ref *Reference
	s   *Score
}

// evaluations caches Evaluate per posterior and family, so that the tests
// below share one fit each.
var evaluations struct {
	sync.Mutex
	m map[string]*evaluation
}

// evaluate returns the cached evaluation of the named posterior.
func evaluate(t *testing.T, name, fam string) *evaluation {
	t.Helper()
	needShared(t)
	evaluations.Lock()
	defer evaluations.Unlock()
	key := name + "/" + fam
	if e, ok := evaluations.m[key]; ok {
		return e
	}
	p, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := LoadReference(p.Reference)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Evaluate(context.Background(), p, ref, fam, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fam == MeanField {
		s.Draws = nil // only the full-rank draws are used again; save memory
	}
	if evaluations.m == nil {
		evaluations.m = make(map[string]*evaluation)
	}
	e := &evaluation{p: p, ref: ref, s: s}
	evaluations.m[key] = e
	return e
}

// bound is the accepted range of z and r for one parameter, with the
// reason.
type bound struct {
	zMax, rLo, rHi float64
	why            string
}

// sdTol is the tolerance on a predicted sd ratio: 4 standard errors of the
// ratio of two sample sds, the reference's (ess effective draws) and
// ours (opts.Draws), each with relative standard error 1/√(2n) for a
// near-Gaussian marginal. With 10000 reference draws it is 0.035.
func sdTol(ess float64) float64 {
	return 4 * math.Sqrt(1/(2*ess)+1/(2*float64(opts.Draws)))
}

// meanTol is the tolerance on a z predicted to be 0: 4 standard errors of
// the difference of the two sample means, the reference's (sd/√ess) and
// ours (sd_q/√Draws ≤ sd/√Draws); 0.049 with 10000 reference draws.
func meanTol(ess float64) float64 {
	return 4 * math.Sqrt(1/ess+1/float64(opts.Draws))
}

// groupSD names the group-level sd of each hierarchical posterior.
var groupSD = map[string]bool{"tau": true, "sigma_alpha": true}

// bounds returns the bound of every reference parameter of p for family
// fam. They are derived as follows.
//
// Regressions (no group-level terms; near-Gaussian posteriors):
//
//   - Full-rank: the requirement z ≤ 0.1 and 0.9 ≤ r ≤ 1.1 for
//     every parameter, with one derived exception: the residual sd σ of a
//     Gaussian regression, where no Gaussian q on log σ reaches 0.9 when
//     N − k is small. FlatGaussianRatios gives the optimal q's exact ratio
//     r*σ (0.89 for mesquite, N = 46, k = 7), and σ's lower bound is
//     min(0.9, r*σ − sdTol). With flat priors the whole answer is known:
//     z = 0 for β, r = r*β = √((α−1)/α) for every β and r = r*σ for σ, so
//     there every r must also be within sdTol of its prediction and every
//     β's z below meanTol.
//   - Mean-field: the optimal factorized Gaussian keeps the mean (z ≤ 0.1
//     as above) and shrinks each sd to the conditional sd 1/√Λᵢᵢ. With flat
//     priors the prediction is exact: r*β·MeanFieldRDesign(X) for β and r*σ
//     for σ, within sdTol, and z below meanTol for β. Otherwise r is predicted as 1/√((C⁻¹)ᵢᵢ) from
//     the reference correlation C (MeanFieldR), within 10 %: C is a sample
//     estimate rounded to 6 decimals (kilpisjarvi's correlation is
//     −0.999988, so 1 − ρ² is known to about 4 %), and the posterior is
//     only near-Gaussian (σ's own ratio is r*σ, up to 5 % below 1).
//
// Hierarchical posteriors (eight schools, radon, seeds) are funnels
// between the group effects and log τ. The KL-optimal Gaussian is biased
// there by amounts that have no closed form, so these bounds are guard
// rails, not predictions: they were set from the first run of this test,
// a little outside the measured range (measured: group sd z ≤ 0.299,
// r in [0.297, 0.792]; other parameters z ≤ 0.179, full-rank r in
// [0.850, 1.036], mean-field r in [0.374, 1.208]). They are tight enough
// to catch a broken fit (Stan's ADVI is off by z = 0.3 to 65 on these) and
// loose enough for the family's known bias: τ is under-dispersed (r down
// to 0.3 on the centered eight schools) and pulled toward the neck.
// TestOptimum checks separately that these fits are the optimum of the
// ELBO, so the gap is the family's, not govi's.
func bounds(t *testing.T, e *evaluation, fam string) []bound {
	t.Helper()
	p, ref := e.p, e.ref
	b := make([]bound, len(ref.Names))
	if p.Kind == Hierarchical {
		for i, n := range ref.Names {
			switch {
			case groupSD[n] || (n == "sigma" && strings.HasPrefix(p.Name, "seeds")):
				b[i] = bound{0.35, 0.25, 1.1, "group sd of a funnel (guard rail)"}
			case fam == FullRank:
				b[i] = bound{0.3, 0.75, 1.1, "effect in a funnel, full-rank (guard rail)"}
			default:
				b[i] = bound{0.3, 0.3, 1.3, "effect in a funnel, mean-field (guard rail)"}
			}
		}
		return b
	}
	n, k, gauss := p.gaussian()
	_, _, flatPrior := p.FlatGaussian()
	var rBeta, rSigma float64
	if gauss {
		var err error
		if rBeta, rSigma, err = FlatGaussianRatios(n, k); err != nil {
			t.Fatal(err)
		}
	}
	// predicted returns the band around a predicted ratio.
	predicted := func(r, tol float64, why string) bound {
		return bound{0.1, r - tol, r + tol, why}
	}
	// exact is predicted with z predicted to be 0 (β, flat priors).
	exact := func(r, tol, ess float64, why string) bound {
		return bound{meanTol(ess), r - tol, r + tol, why}
	}
	var design []float64
	if flatPrior && fam == MeanField {
		x := p.Model.(*model.Linear).Terms().X
		var err error
		if design, err = MeanFieldRDesign(x); err != nil {
			t.Fatal(err)
		}
	}
	mf, err := MeanFieldR(ref)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range ref.Names {
		tol := sdTol(ref.ESS[i])
		sigma := gauss && name == "sigma"
		switch {
		case fam == FullRank && flatPrior && sigma:
			b[i] = predicted(rSigma, tol, "flat Gaussian regression: σ's ratio r*σ (FlatGaussianRatios)")
		case fam == FullRank && flatPrior:
			b[i] = exact(rBeta, tol, ref.ESS[i], "flat Gaussian regression: β's mean and ratio r*β (FlatGaussianRatios)")
		case fam == FullRank && sigma:
			b[i] = bound{0.1, math.Min(0.9, rSigma-tol), 1.1, "issue's bound; σ's lower bound from r*σ"}
		case fam == FullRank:
			b[i] = bound{0.1, 0.9, 1.1, "issue's bound"}
		case flatPrior && sigma:
			b[i] = predicted(rSigma, tol, "flat Gaussian regression, mean-field: σ's ratio r*σ")
		case flatPrior:
			j := slices.Index(p.Model.(*model.Linear).Terms().Names, name)
			if j < 0 {
				t.Fatalf("%s: no column %s", p.Name, name)
			}
			b[i] = exact(rBeta*design[j], tol, ref.ESS[i], "flat Gaussian regression, mean-field: β's mean and r*β/√((XᵀX)ⱼⱼ((XᵀX)⁻¹)ⱼⱼ)")
		default:
			b[i] = bound{0.1, 0.9 * mf[i], 1.1 * mf[i], "mean-field: 1/√((C⁻¹)ᵢᵢ) from the reference correlation, ±10 %"}
		}
	}
	return b
}

// TestAccuracy holds every fit, parameter by parameter, to the bounds
// derived in bounds, and requires every fit to converge.
func TestAccuracy(t *testing.T) {
	needShared(t)
	for _, name := range Names() {
		for _, fam := range families() {
			t.Run(name+"/"+fam, func(t *testing.T) {
				e := evaluate(t, name, fam)
				s := e.s
				if !s.Fit.Converged() {
					t.Errorf("status %v: %s", s.Fit.Status, s.Fit.Message)
				}
				for i, b := range bounds(t, e, fam) {
					checkParam(t, s, i, b)
				}
				t.Logf("max z %.3f, min r %.3f, max r %.3f, k-hat %.2f, %d iterations, %v", s.MaxZ, s.MinR, s.MaxR, s.Diag.Khat, s.Fit.Iterations, s.Fit.Elapsed)
			})
		}
	}
}

// checkParam reports parameter i outside its bound.
func checkParam(t *testing.T, s *Score, i int, b bound) {
	t.Helper()
	if z := s.Z[i]; !(z <= b.zMax) {
		t.Errorf("%s: z = %.3f > %.3g (%s); mean %.6g, reference %.6g ± %.4g", s.Names[i], z, b.zMax, b.why, s.Mean[i], s.RefMean[i], s.RefSD[i])
	}
	if r := s.R[i]; !(b.rLo <= r && r <= b.rHi) {
		t.Errorf("%s: r = %.4f outside [%.4f, %.4f] (%s); sd %.4g, reference %.4g", s.Names[i], r, b.rLo, b.rHi, b.why, s.SD[i], s.RefSD[i])
	}
}

// TestAtLeastAsAccurateAsStanADVI compares each fit with the median of
// Stan's 5 ADVI runs on the same posterior and family (shared/anchors).
// "At least as accurate" means:
//
//   - means, both families: govi's largest z is at most the median of
//     ADVI's largest z. Both methods aim at the same means (the optimal
//     Gaussian's means are nearly exact on these posteriors), so this is a
//     like-for-like comparison.
//   - overall, full-rank: govi's largest W is at most the median of ADVI's
//     largest W, where W = √(z² + (r − 1)²) is the 2-Wasserstein distance
//     between the Gaussian marginals with the fitted and the reference
//     mean and sd, in reference sds. W charges a wrong mean, a too small
//     and a too large sd alike, so an over-dispersed fit (ADVI's full-rank
//     r reaches 9) cannot pass for an accurate one, as it would under
//     "min r ≥ ADVI's min r".
//
// Mean-field sds are left out of the comparison with ADVI on purpose: the
// optimal mean-field q has sds below the posterior's (r ≈ 0.2 on
// logmesquite), and an ADVI run that stops before reaching that optimum
// (tol_rel_obj = 0.01) keeps larger sds that happen to be closer to the
// truth; comparing sds would reward stopping early. Instead,
// TestAccuracy holds govi's mean-field sds to the mean-field optimum
// predicted in closed form, and TestOptimum checks it on the funnels.
// (docs/accuracy.md shows W for both families.)
func TestAtLeastAsAccurateAsStanADVI(t *testing.T) {
	needShared(t)
	anchors, err := LoadAnchors()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		for _, fam := range families() {
			t.Run(name+"/"+fam, func(t *testing.T) {
				a, ok := anchors[name][fam]
				if !ok {
					t.Fatalf("no anchor for %s %s", name, fam)
				}
				s := evaluate(t, name, fam).s
				if a.Runs == a.Errors {
					// Every ADVI run failed; govi must at least converge.
					if !s.Fit.Converged() {
						t.Errorf("every ADVI run failed and govi did not converge either: %s", s.Fit.Message)
					}
					return
				}
				if !(s.MaxZ <= a.MaxZ) {
					t.Errorf("max z %.3f > ADVI's median max z %.3f", s.MaxZ, a.MaxZ)
				}
				if fam == FullRank && !(s.MaxW <= a.MaxW) {
					t.Errorf("max W %.3f > ADVI's median max W %.3f", s.MaxW, a.MaxW)
				}
				t.Logf("govi max z %.3f, max W %.3f; ADVI median max z %.3f, max W %.3f", s.MaxZ, s.MaxW, a.MaxZ, a.MaxW)
			})
		}
	}
}

// TestDeterministic refits every posterior and requires bit-identical
// parameters, ELBO and iteration counts: govi's default path is
// deterministic (quadrature, natural-gradient and L-BFGS steps).
func TestDeterministic(t *testing.T) {
	needShared(t)
	for _, name := range Names() {
		for _, fam := range families() {
			t.Run(name+"/"+fam, func(t *testing.T) {
				e := evaluate(t, name, fam)
				res, err := Fit(context.Background(), e.p, fam, opts.Seed)
				if err != nil {
					t.Fatal(err)
				}
				first := e.s.Fit
				if res.ELBO != first.ELBO || res.Iterations != first.Iterations || !slices.Equal(res.Params, first.Params) {
					t.Errorf("two fits differ: ELBO %v vs %v, %d vs %d iterations", first.ELBO, res.ELBO, first.Iterations, res.Iterations)
				}
			})
		}
	}
}

// TestKhat checks issue 5's diagnostics on the real posteriors, using the
// expectation-specific k-hat of the reported means and sds (the Pareto tail
// of h(θ)·p/q, Vehtari et al. 2024 §3.2), which says whether those
// summaries can be trusted. The k-hat of the ratios p/q alone is logged, not
// asserted: it reads only the shape of the largest ~3√S ratios, not their
// size, so near-exact fits whose log ratios vary by a few hundredths of a
// nat read above 0.5 at S = 4000 (and below it at S = 20000).
//
// Full-rank fits of the regressions are near exact except where the
// posterior of σ is too skewed for any Gaussian (small N − k; on mesquite the
// best Gaussian's sd ratio for σ is 0.891, see theory.go). The diagnostic
// must tell the two apart: k-hat < 0.5 (good) when every sd ratio is at
// least 0.97 and every z at most 0.05, and 0.5 ≤ k-hat < 0.7 (usable with
// care) when some sd is measurably short. The centered eight schools with
// mean-field must be flagged as not reliable by both k-hats.
func TestKhat(t *testing.T) {
	needShared(t)
	for _, name := range Names() {
		e := evaluate(t, name, FullRank)
		if e.p.Kind != Regression {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dg := e.s.Diag
			t.Logf("k-hat: ratios %.2f (ESS %.0f), summaries %.2f (%s); max z %.3f, min r %.3f",
				dg.Khat, dg.ESS, dg.KhatSummaries, dg.WorstSummary, e.s.MaxZ, e.s.MinR)
			exact := e.s.MinR >= 0.97 && e.s.MaxZ <= 0.05
			switch {
			case exact && !(dg.KhatSummaries < 0.5):
				t.Errorf("near-exact fit (max z %.3f, min r %.3f) but k-hat of the summaries = %.2f ≥ 0.5 (%s)", e.s.MaxZ, e.s.MinR, dg.KhatSummaries, dg.WorstSummary)
			case !exact && !(dg.KhatSummaries >= 0.5 && dg.KhatSummaries < 0.7):
				t.Errorf("fit with an sd ratio of %.3f: k-hat of the summaries = %.2f, want 0.5 ≤ k-hat < 0.7 (usable with care)", e.s.MinR, dg.KhatSummaries)
			}
		})
	}
	if testing.Short() {
		return
	}
	t.Run("eight_schools_centered/meanfield", func(t *testing.T) {
		dg := evaluate(t, "eight_schools-eight_schools_centered", MeanField).s.Diag
		if !(dg.Khat > 0.7) || !(dg.KhatSummaries > 0.7) {
			t.Errorf("k-hat = %.2f (summaries %.2f), want both > 0.7", dg.Khat, dg.KhatSummaries)
		}
		if !strings.Contains(dg.Advice, "NOT reliable") {
			t.Errorf("advice %q does not say the approximation is not reliable", dg.Advice)
		}
	})
}

// TestOptimum checks, for the funnels where no closed form predicts the
// optimal Gaussian, that govi's fit is the optimum of the ELBO: an
// independent estimator (Monte Carlo with S fixed draws, maximized by
// L-BFGS from govi's answer) must not move any mean or sd by more than its
// own error, about 1/√S posterior sds per coordinate; we allow 5/√S
// (0.079 for S = 4000) for the largest of up to 26 coordinates. Radon
// (89 coordinates) is left out for time: its refit takes 35–100 s per
// family at S = 4000 (the report gives the one-off result).
func TestOptimum(t *testing.T) {
	needShared(t)
	const S = 4000
	tol := 5 / math.Sqrt(S)
	for _, name := range []string{"eight_schools-eight_schools_noncentered", "eight_schools-eight_schools_centered", "seeds_data-seeds_stanified_model"} {
		for _, fam := range families() {
			t.Run(name+"/"+fam, func(t *testing.T) {
				e := evaluate(t, name, fam)
				q := e.s.Fit.Family
				var q2 family.Family = family.NewMeanField(q.Dim())
				if fam == FullRank {
					q2 = family.NewFullRank(q.Dim())
				}
				q2.SetParams(e.s.Fit.Params)
				res, err := govi.Fit(context.Background(), e.p.Model, q2, &elbo.MonteCarlo{Draws: S, Fixed: true, Seed: 11}, &optim.LBFGS{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Converged() {
					t.Fatalf("Monte Carlo refit: %v: %s", res.Status, res.Message)
				}
				m1, s1 := locScale(q)
				m2, s2 := locScale(q2)
				for i := range m1 {
					if d := math.Abs(m2[i]-m1[i]) / s1[i]; d > tol {
						t.Errorf("θ[%d]: the refit moves the mean by %.3f sd > %.3f", i, d, tol)
					}
					if d := math.Abs(math.Log(s2[i] / s1[i])); d > tol {
						t.Errorf("θ[%d]: the refit changes the sd by a factor %.3f", i, s2[i]/s1[i])
					}
				}
			})
		}
	}
}

// locScale returns q's means and marginal sds on the unconstrained scale.
func locScale(q family.Family) (mean, sd []float64) {
	d := q.Dim()
	c := mat.NewSymDense(d, nil)
	q.(family.Gaussian).Cov(c)
	sd = make([]float64, d)
	for i := range sd {
		sd[i] = math.Sqrt(c.At(i, i))
	}
	return q.Mean(nil), sd
}

// TestVerdict holds issue 9's verdict to the reference: a fit that is
// clearly off (some z > 0.25, or some sd ratio below 0.75 or above 1.33)
// is never called reliable, and every full-rank fit that matches the
// reference (z ≤ 0.1, sd ratios within 0.9–1.1) is. (The one mean-field
// fit that matches, wells_dae_inter_model, is "use with care": its KL of
// 0.19 nats is in the joint, see docs/accuracy.md.)
func TestVerdict(t *testing.T) {
	needShared(t)
	for _, name := range Names() {
		for _, fam := range families() {
			t.Run(name+"/"+fam, func(t *testing.T) {
				s := evaluate(t, name, fam).s
				dg := s.Diag
				off := s.MaxZ > 0.25 || s.MinR < 0.75 || s.MaxR > 1.33
				right := s.MaxZ <= 0.1 && s.MinR >= 0.9 && s.MaxR <= 1.1
				t.Logf("max z %.3f, r %.3f–%.3f: %s (%s)", s.MaxZ, s.MinR, s.MaxR, dg.Verdict, dg.VerdictReason)
				if off && dg.Verdict == govi.Reliable {
					t.Errorf("clearly off (max z %.3f, r %.3f–%.3f) but called reliable: %s", s.MaxZ, s.MinR, s.MaxR, dg.VerdictReason)
				}
				if right && fam == FullRank && dg.Verdict != govi.Reliable {
					t.Errorf("matches the reference but called %s: %s", dg.Verdict, dg.VerdictReason)
				}
			})
		}
	}
}
