package govi_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
)

// schoolsSE is y_j ~ N(η_j, s_j²) with known s_j.
type schoolsSE struct{ y, s []float64 }

func (l schoolsSE) Len() int      { return len(l.y) }
func (schoolsSE) Aux() []string   { return nil }
func (schoolsSE) Degree() int     { return 2 }
func (l schoolsSE) LogLik(i int, eta float64, _, _ []float64) (float64, float64, float64) {
	r := (l.y[i] - eta) / l.s[i]
	return -0.9189385332046727 - math.Log(l.s[i]) - 0.5*r*r, r / l.s[i], -1 / (l.s[i] * l.s[i])
}

var (
	schoolsY = []float64{28, 8, -3, 7, -1, 1, 18, 12}
	schoolsS = []float64{15, 10, 16, 11, 9, 11, 10, 18}
)

// eightSchools is μ ~ N(0, 5²), τ ~ half-normal(0, 5), r_j ~ N(0, τ²),
// y_j ~ N(μ + r_j, s_j²).
func eightSchools(t testing.TB, centered bool) *model.Linear {
	x := mat.NewDense(8, 1, []float64{1, 1, 1, 1, 1, 1, 1, 1})
	m, err := model.NewLinear(model.Terms{
		Lik:  schoolsSE{schoolsY, schoolsS},
		X:    x,
		Coef: []model.Prior{testmodel.Normal{Mu: 0, Sigma: 5}},
		Groups: []model.Group{{Name: "school", Coef: "Intercept", Levels: strings.Split("ABCDEFGH", ""),
			Index: []int{0, 1, 2, 3, 4, 5, 6, 7}, SD: testmodel.HalfNormal{Sigma: 5}, Centered: centered}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// schoolsTau returns the exact posterior mean and sd of τ and of μ, and
// log p(y):
// p(τ | y) ∝ p(τ) ∫ Πⱼ N(yⱼ | μ, sⱼ² + τ²) N(μ | 0, 5²) dμ, the inner
// integral in closed form and the outer by adaptive quadrature.
func schoolsTau() (meanTau, sdTau, meanMu, sdMu, logZ float64) {
	logp := func(tau float64) (lp, mPost, vPost float64) {
		// μ | τ, y is Gaussian: precision 1/25 + Σ 1/vⱼ, vⱼ = sⱼ² + τ².
		prec, lin, c := 1.0/25, 0.0, 0.0
		for j, y := range schoolsY {
			v := schoolsS[j]*schoolsS[j] + tau*tau
			prec += 1 / v
			lin += y / v
			c += -0.5*math.Log(2*math.Pi*v) - 0.5*y*y/v
		}
		c += -0.5 * math.Log(2*math.Pi*25)
		mPost, vPost = lin/prec, 1/prec
		lp = c + 0.5*lin*lin/prec + 0.5*math.Log(2*math.Pi/prec)
		// half-normal(0, 5) on τ.
		lp += math.Log(2) - 0.5*math.Log(2*math.Pi*25) - tau*tau/50
		return lp, mPost, vPost
	}
	ref, _, _ := logp(3)
	w := func(tau float64) float64 { lp, _, _ := logp(tau); return math.Exp(lp - ref) }
	z := quad.Fixed(w, 0, 200, 2000, nil, 0)
	meanTau = quad.Fixed(func(t float64) float64 { return t * w(t) }, 0, 200, 2000, nil, 0) / z
	m2 := quad.Fixed(func(t float64) float64 { return t * t * w(t) }, 0, 200, 2000, nil, 0) / z
	sdTau = math.Sqrt(m2 - meanTau*meanTau)
	meanMu = quad.Fixed(func(t float64) float64 { _, m, _ := logp(t); return m * w(t) }, 0, 200, 2000, nil, 0) / z
	mu2 := quad.Fixed(func(t float64) float64 { _, m, v := logp(t); return (v + m*m) * w(t) }, 0, 200, 2000, nil, 0) / z
	sdMu = math.Sqrt(mu2 - meanMu*meanMu)
	logZ = ref + math.Log(z)
	return
}

// The quadrature mixture is exact where the answer is known: on eight
// schools (a gaussian hierarchical model with known σ, centered and not),
// τ's and μ's posterior means and sds match the brute-force integrals, and
// the grid's log evidence matches log p(y). Measured: τ 3.313 ± 2.547
// against 3.290 ± 2.491 (the uniform cells add Step²/12 to ψ's variance in
// standardized units: sd +1%, more after τ = e^ψ), μ within 0.002 sd, log
// p(y) to 5e-5.
func TestMixtureEightSchoolsExact(t *testing.T) {
	mt, st, mm, sm, lz := schoolsTau()
	t.Logf("exact: τ %.4f ± %.4f, μ %.4f ± %.4f, log p(y) %.5f", mt, st, mm, sm, lz)
	for _, centered := range []bool{false, true} {
		m := eightSchools(t, centered)
		fit, err := govi.FitMixture(context.Background(), m, govi.MixtureOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ds := govi.Sample(m, fit.Mixture, nil, 100000, 1)
		tau := mat.Col(nil, 1, ds.X) // constrained: b_Intercept, sd, r…
		mu := mat.Col(nil, 0, ds.X)
		gt, gst, gm, gsm := stat.Mean(tau, nil), stat.StdDev(tau, nil), stat.Mean(mu, nil), stat.StdDev(mu, nil)
		t.Logf("centered %v: %d cells, %d fits, %v; τ %.4f ± %.4f, μ %.4f ± %.4f; log p(D) %.5f",
			centered, fit.Cells, fit.Fits, fit.Elapsed, gt, gst, gm, gsm, fit.LogEvidence)
		if math.Abs(gt-mt) > 0.05*st || math.Abs(gst/st-1) > 0.05 {
			t.Errorf("centered %v: τ %.4f ± %.4f, exact %.4f ± %.4f", centered, gt, gst, mt, st)
		}
		if math.Abs(gm-mm) > 0.02*sm || math.Abs(gsm/sm-1) > 0.02 {
			t.Errorf("centered %v: μ %.4f ± %.4f, exact %.4f ± %.4f", centered, gm, gsm, mm, sm)
		}
		if math.Abs(fit.LogEvidence-lz) > 0.01 {
			t.Errorf("centered %v: log evidence %.5f, exact %.5f", centered, fit.LogEvidence, lz)
		}
	}
}
