package elbo_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/govi-dev/govi/conformance"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
)

// normalMoment returns E[X^k] for X ~ N(μ, σ²) by the binomial expansion
// with E[Z^{2m}] = (2m−1)!!.
func normalMoment(k int, mu, sigma float64) float64 {
	sum := 0.0
	for j := 0; j <= k; j += 2 {
		// C(k, j) μ^{k−j} σ^j E[Z^j]
		c := 1.0
		for i := 0; i < j; i++ {
			c *= float64(k-i) / float64(i+1)
		}
		dfact := 1.0
		for i := j - 1; i > 1; i -= 2 {
			dfact *= float64(i)
		}
		sum += c * math.Pow(mu, float64(k-j)) * math.Pow(sigma, float64(j)) * dfact
	}
	return sum
}

func TestGaussHermiteExactness(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 5, 8, 16, 20} {
		z, w := elbo.GaussHermite(n)
		for trial := 0; trial < 5; trial++ {
			mu := rng.NormFloat64()
			sigma := 0.3 + rng.Float64()
			// A random polynomial of degree 2n−1 (the highest exact degree).
			deg := 2*n - 1
			coef := make([]float64, deg+1)
			for i := range coef {
				coef[i] = rng.NormFloat64()
			}
			want, got, scale := 0.0, 0.0, 0.0
			for k, c := range coef {
				mk := normalMoment(k, mu, sigma)
				want += c * mk
				scale += math.Abs(c * mk)
			}
			for i := range z {
				x := mu + sigma*z[i]
				p := 0.0
				for k := deg; k >= 0; k-- {
					p = p*x + coef[k]
				}
				got += w[i] * p
			}
			if e := math.Abs(got-want) / scale; e > 1e-13 {
				t.Errorf("n=%d degree %d: got %.15g, want %.15g (error %.3g of the term scale)", n, deg, got, want, e)
			}
		}
		// Degree 2n is not integrated exactly: E[Z^{2n}] differs.
		mom := 0.0
		for i := range z {
			mom += w[i] * math.Pow(z[i], float64(2*n))
		}
		if want := normalMoment(2*n, 0, 1); math.Abs(mom-want) < 1e-6*want {
			t.Errorf("n=%d: E[Z^%d] = %g is exact, but the rule should fail at degree 2n", n, 2*n, mom)
		}
	}
}

// For any q in the conjugate model, log p(D) − ELBO(q) = KL(q ‖ posterior),
// which checks the whole ELBO (likelihood, prior, entropy) at points away
// from the optimum against gonum's independent KL, for every estimator and
// family (conformance.Conjugate: the Linear model and the general model
// with a closed-form Gaussian prior).
func TestELBOIdentity(t *testing.T) {
	ests := map[string]func(uint64) elbo.Estimator{
		"quadrature":     func(uint64) elbo.Estimator { return &elbo.Quadrature{} },
		"tensor-3":       func(uint64) elbo.Estimator { return &elbo.Quadrature{Nodes: 3, MaxPoints: 1 << 20} },
		"mc":             func(s uint64) elbo.Estimator { return &elbo.MonteCarlo{Draws: 32, Seed: s} },
		"mc-antithetic":  func(s uint64) elbo.Estimator { return &elbo.MonteCarlo{Draws: 32, Seed: s, Antithetic: true} },
		"mc-fixed-draws": func(s uint64) elbo.Estimator { return &elbo.MonteCarlo{Draws: 16, Seed: s, Fixed: true} },
	}
	for name, est := range ests {
		for _, q := range []family.Gaussian{family.NewMeanField(4), family.NewFullRank(4), family.NewLowRank(4, 2)} {
			if err := conformance.Conjugate(est, q); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func newNormal(t *testing.T, mean []float64, cov mat.Symmetric) *distmv.Normal {
	t.Helper()
	n, ok := distmv.NewNormal(mean, cov, nil)
	if !ok {
		t.Fatal("covariance not positive definite")
	}
	return n
}

// Quadrature's gradient is a deterministic function of φ (zero variance);
// Monte Carlo's total gradient variance falls as 1/S.
func TestGradientVariance(t *testing.T) {
	m := hierModel(t, 80, true, false, false)
	q := family.NewFullRank(m.Dim())
	randomParams(q, 3)
	phi := q.Params(nil)
	n := len(phi)

	qe := &elbo.Quadrature{}
	if err := qe.Init(m, q); err != nil {
		t.Fatal(err)
	}
	g0 := make([]float64, n)
	g1 := make([]float64, n)
	qe.ELBO(g0, q)
	for r := 0; r < 20; r++ {
		qe.ELBO(g1, q)
		for i := range g0 {
			if g0[i] != g1[i] {
				t.Fatalf("quadrature gradient changed between calls: %g vs %g", g0[i], g1[i])
			}
		}
	}

	const reps = 400
	totalVar := func(s int) float64 {
		mc := &elbo.MonteCarlo{Draws: s, Seed: uint64(s)}
		if err := mc.Init(m, q); err != nil {
			t.Fatal(err)
		}
		sum := make([]float64, n)
		sum2 := make([]float64, n)
		g := make([]float64, n)
		for r := 0; r < reps; r++ {
			mc.ELBO(g, q)
			for i, v := range g {
				sum[i] += v
				sum2[i] += v * v
			}
		}
		tv := 0.0
		for i := range sum {
			mean := sum[i] / reps
			tv += (sum2[i] - reps*mean*mean) / (reps - 1)
		}
		return tv
	}
	v4, v16, v64 := totalVar(4), totalVar(16), totalVar(64)
	t.Logf("total gradient variance: S=4 %.4g, S=16 %.4g, S=64 %.4g", v4, v16, v64)
	// Each variance estimate from 400 replicates has relative sd about
	// √(2/399) ≈ 0.07 per component and less summed; a ratio of 4 ± 25%
	// is more than three standard deviations.
	for _, r := range []float64{v4 / v16, v16 / v64} {
		if r < 3 || r > 5 {
			t.Errorf("variance ratio for 4× the draws is %.3g, want about 4", r)
		}
	}
}

// The same seed gives bit-identical ELBOs and gradients at any GOMAXPROCS.
func TestReproducibleAcrossGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	m := hierModel(t, 3000, true, true, true)
	eval := func(procs int, est elbo.Estimator, q family.Family) (float64, []float64) {
		runtime.GOMAXPROCS(procs)
		if err := est.Init(m, q); err != nil {
			t.Fatal(err)
		}
		randomParams(q, 4)
		g := make([]float64, q.Len())
		v := est.ELBO(g, q)
		v2 := est.ELBO(g, q) // second call: new draws for Monte Carlo
		return v + v2, g
	}
	for _, mk := range []func() elbo.Estimator{
		func() elbo.Estimator { return &elbo.Quadrature{} },
		func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 37, Seed: 9} },
	} {
		for _, newq := range []func() family.Family{
			func() family.Family { return family.NewFullRank(m.Dim()) },
			func() family.Family { return family.NewMeanField(m.Dim()) },
		} {
			v1, g1 := eval(1, mk(), newq())
			v2, g2 := eval(2, mk(), newq())
			v4, g4 := eval(4, mk(), newq())
			if v1 != v2 || v1 != v4 {
				t.Errorf("%T: ELBO differs across GOMAXPROCS: %.17g %.17g %.17g", mk(), v1, v2, v4)
			}
			for i := range g1 {
				if g1[i] != g2[i] || g1[i] != g4[i] {
					t.Errorf("%T: gradient[%d] differs across GOMAXPROCS", mk(), i)
					break
				}
			}
		}
	}
}

func TestTensorGridRefusesLargeGrids(t *testing.T) {
	c := testmodel.NewConjugate(20, 8, 1)
	err := (&elbo.Quadrature{}).Init(c.General(), family.NewMeanField(8))
	ge, ok := err.(*elbo.GridError)
	if !ok {
		t.Fatalf("got %v, want a *GridError", err)
	}
	if ge.Dim != 8 || ge.Nodes != 10 || ge.Points != 1e8 || ge.Max != 100000 {
		t.Errorf("GridError %+v", ge)
	}
	if err := (&elbo.Quadrature{Nodes: 4}).Init(c.General(), family.NewMeanField(8)); err != nil {
		t.Errorf("4^8 = 65536 points should be accepted: %v", err)
	}
}

// A row subset scaled by N/|B| is unbiased: the ELBOs over the parts of a
// partition average to the full ELBO.
func TestRowSubsetsAverage(t *testing.T) {
	m := hierModel(t, 90, true, true, false)
	q := family.NewFullRank(m.Dim())
	qe := &elbo.Quadrature{}
	if err := qe.Init(m, q); err != nil {
		t.Fatal(err)
	}
	randomParams(q, 5)
	full := qe.ELBO(nil, q)
	gfull := make([]float64, q.Len())
	qe.ELBO(gfull, q)
	var avg float64
	gavg := make([]float64, q.Len())
	g := make([]float64, q.Len())
	for part := 0; part < 3; part++ {
		var rows []int
		for i := part; i < 90; i += 3 {
			rows = append(rows, i)
		}
		if err := qe.SetRows(rows); err != nil {
			t.Fatal(err)
		}
		avg += qe.ELBO(g, q) / 3
		for i := range g {
			gavg[i] += g[i] / 3
		}
	}
	if math.Abs(avg-full) > 1e-9*math.Abs(full) {
		t.Errorf("average of subset ELBOs %.12g, full ELBO %.12g", avg, full)
	}
	// Monte Carlo with fixed draws has the same property.
	mc := &elbo.MonteCarlo{Draws: 5, Fixed: true, Seed: 3}
	if err := mc.Init(m, q); err != nil {
		t.Fatal(err)
	}
	mcFull := mc.ELBO(nil, q)
	mcAvg := 0.0
	for part := 0; part < 3; part++ {
		var rows []int
		for i := part; i < 90; i += 3 {
			rows = append(rows, i)
		}
		if err := mc.SetRows(rows); err != nil {
			t.Fatal(err)
		}
		mcAvg += mc.ELBO(nil, q) / 3
	}
	if math.Abs(mcAvg-mcFull) > 1e-9*math.Abs(mcFull) {
		t.Errorf("Monte Carlo: average of subset ELBOs %.12g, full ELBO %.12g", mcAvg, mcFull)
	}
	for i := range g {
		if math.Abs(gavg[i]-gfull[i]) > 1e-9*math.Max(1, math.Abs(gfull[i])) {
			t.Errorf("gradient[%d]: subset average %g, full %g", i, gavg[i], gfull[i])
		}
	}
	_ = model.AllFinite
}
