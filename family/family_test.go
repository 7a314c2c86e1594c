package family_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/govi-dev/govi/family"
)

func families(d int) []family.Family {
	return []family.Family{family.NewMeanField(d), family.NewFullRank(d)}
}

func randomize(q family.Family, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	phi := q.Params(nil)
	for i := range phi {
		phi[i] = 0.5 * rng.NormFloat64()
	}
	q.SetParams(phi)
	return phi
}

func gonumNormal(t *testing.T, q family.Family) *distmv.Normal {
	t.Helper()
	var cov mat.SymDense
	q.Cov(&cov)
	n, ok := distmv.NewNormal(q.Mean(nil), &cov, nil)
	if !ok {
		t.Fatal("covariance not positive definite")
	}
	return n
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if d := math.Abs(got - want); !(d <= tol*math.Max(1, math.Abs(want))) {
		t.Errorf("%s: got %.15g, want %.15g", what, got, want)
	}
}

// Entropy, log density and KL against gonum's distmv, which computes them
// independently from the covariance matrix.
func TestClosedForms(t *testing.T) {
	for _, d := range []int{1, 3, 6} {
		for _, q := range families(d) {
			randomize(q, uint64(d))
			n := gonumNormal(t, q)
			near(t, "entropy", q.Entropy(nil), n.Entropy(), 1e-12)
			th := make([]float64, d)
			eps := make([]float64, d)
			rng := rand.New(rand.NewPCG(1, 1))
			for r := 0; r < 5; r++ {
				q.Rand(th, eps, rng)
				near(t, "log density", q.LogProb(th), n.LogProb(th), 1e-12)
			}
			// KL to a diagonal and to a dense prior.
			pm := make([]float64, d)
			pcov := mat.NewSymDense(d, nil)
			for i := 0; i < d; i++ {
				pm[i] = 0.3 * float64(i)
				for j := 0; j <= i; j++ {
					v := 0.2
					if i == j {
						v = 1 + float64(i)
					}
					pcov.SetSym(i, j, v)
				}
			}
			pdiag := mat.NewDiagDense(d, nil)
			for i := 0; i < d; i++ {
				pdiag.SetDiag(i, 0.5+float64(i))
			}
			for _, cov := range []mat.Symmetric{pcov, pdiag} {
				p, err := family.NewNormal(pm, cov)
				if err != nil {
					t.Fatal(err)
				}
				gp, _ := distmv.NewNormal(pm, cov, nil)
				near(t, "KL", q.KL(nil, 1, p), distmv.KullbackLeibler{}.DistNormal(n, gp), 1e-11)
			}
		}
	}
}

// Every gradient a family provides matches central differences.
func TestFamilyGradients(t *testing.T) {
	const d = 4
	rng := rand.New(rand.NewPCG(5, 5))
	g := make([]float64, d)
	eps := make([]float64, d)
	for i := range g {
		g[i] = rng.NormFloat64()
		eps[i] = rng.NormFloat64()
	}
	pm := []float64{0.1, -0.2, 0.3, 0}
	pcov := mat.NewSymDense(d, []float64{2, 0.3, 0, 0, 0.3, 1, 0.2, 0, 0, 0.2, 1.5, 0.1, 0, 0, 0.1, 0.7})
	prior, err := family.NewNormal(pm, pcov)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range families(d) {
		phi := randomize(q, 9)
		check := func(what string, analytic []float64, f func() float64) {
			t.Helper()
			num := fd.Gradient(nil, func(x []float64) float64 {
				q.SetParams(x)
				return f()
			}, phi, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			q.SetParams(phi)
			for i := range num {
				near(t, what, analytic[i], num[i], 1e-6)
			}
		}
		// Backprop: f(φ) = gᵀθ(ε; φ), whose φ-gradient is (∂θ/∂φ)ᵀg.
		bp := make([]float64, q.Len())
		q.Backprop(bp, 1, g, eps)
		th := make([]float64, d)
		check("backprop", bp, func() float64 {
			q.Transform(th, eps)
			s := 0.0
			for i := range th {
				s += g[i] * th[i]
			}
			return s
		})
		eg := make([]float64, q.Len())
		q.Entropy(eg)
		check("entropy", eg, func() float64 { return q.Entropy(nil) })
		kg := make([]float64, q.Len())
		q.KL(kg, 1, prior)
		check("KL", kg, func() float64 { return q.KL(nil, 1, prior) })
		// BackpropLocScale: f = aᵀμ + Σ Bᵢⱼ Lᵢⱼ over the lower triangle.
		sc := q.(family.Scale)
		a := []float64{0.3, -1, 0.5, 2}
		bm := mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			for j := 0; j <= i; j++ {
				bm.Set(i, j, rng.NormFloat64())
			}
		}
		ls := make([]float64, q.Len())
		sc.BackpropLocScale(ls, a, bm)
		lt := mat.NewTriDense(d, mat.Lower, nil)
		check("loc-scale", ls, func() float64 {
			s := 0.0
			mu := q.Mean(nil)
			sc.ScaleTri(lt)
			for i := 0; i < d; i++ {
				s += a[i] * mu[i]
				for j := 0; j <= i; j++ {
					if sc.IsDiagonal() && i != j {
						continue
					}
					s += bm.At(i, j) * lt.At(i, j)
				}
			}
			return s
		})
	}
}

func TestParamsRoundTrip(t *testing.T) {
	for _, q := range families(5) {
		phi := randomize(q, 3)
		got := q.Params(nil)
		for i := range phi {
			near(t, "param", got[i], phi[i], 1e-15)
		}
		// SetMeanCov / SetMeanSD reproduce a given Gaussian.
		n := gonumNormal(t, q)
		var cov mat.SymDense
		q.Cov(&cov)
		switch f := q.(type) {
		case *family.FullRank:
			g := family.NewFullRank(5)
			if !g.SetMeanCov(q.Mean(nil), &cov) {
				t.Fatal("SetMeanCov failed")
			}
			near(t, "entropy after SetMeanCov", g.Entropy(nil), n.Entropy(), 1e-12)
		case *family.MeanField:
			g := family.NewMeanField(5)
			g.SetMeanSD(f.Loc(), f.SD())
			near(t, "entropy after SetMeanSD", g.Entropy(nil), n.Entropy(), 1e-12)
		}
	}
}

// Draws have the family's mean and covariance.
func TestRandMoments(t *testing.T) {
	for _, q := range families(3) {
		randomize(q, 4)
		var cov mat.SymDense
		q.Cov(&cov)
		mu := q.Mean(nil)
		rng := rand.New(rand.NewPCG(2, 2))
		const n = 40000
		sum := make([]float64, 3)
		th := make([]float64, 3)
		eps := make([]float64, 3)
		for r := 0; r < n; r++ {
			q.Rand(th, eps, rng)
			for i := range th {
				sum[i] += th[i]
			}
		}
		for i := range sum {
			// Five standard errors of the sample mean.
			if math.Abs(sum[i]/n-mu[i]) > 5*math.Sqrt(cov.At(i, i)/n) {
				t.Errorf("%T: sample mean[%d] = %g, μ = %g", q, i, sum[i]/n, mu[i])
			}
		}
	}
}
