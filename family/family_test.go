package family_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/govi-dev/govi/conformance"
	"github.com/govi-dev/govi/family"
)

func families(d int) []family.Gaussian {
	return []family.Gaussian{family.NewMeanField(d), family.NewFullRank(d), family.NewLowRank(d, 1), family.NewLowRank(d, 2)}
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

func gonumNormal(t *testing.T, q family.Gaussian) *distmv.Normal {
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

// Every family keeps the contracts, at random parameters and several
// dimensions.
func TestConformance(t *testing.T) {
	for _, d := range []int{1, 2, 5} {
		for i, q := range families(d) {
			randomize(q, uint64(10*d+i))
			if err := conformance.Family(q); err != nil {
				t.Errorf("d = %d: %v", d, err)
			}
		}
	}
}

// A planted bug in a family is caught: a mean-field family whose entropy
// gradient is off by a factor.
type badEntropy struct{ *family.MeanField }

func (b badEntropy) Entropy(grad []float64) float64 {
	h := b.MeanField.Entropy(nil)
	if grad != nil {
		d := b.Dim()
		for i := 0; i < d; i++ {
			grad[d+i] += 1.01
		}
	}
	return h
}

func TestConformanceCatchesBugs(t *testing.T) {
	if err := conformance.Family(badEntropy{family.NewMeanField(3)}); err == nil {
		t.Error("a wrong entropy gradient passed")
	}
}

// The KL divergence to a Gaussian prior against gonum's distmv, for a
// diagonal and a dense prior, and its gradient against finite differences.
func TestKL(t *testing.T) {
	for _, d := range []int{1, 3, 6} {
		pm := make([]float64, d)
		pcov := mat.NewSymDense(d, nil)
		pdiag := mat.NewDiagDense(d, nil)
		for i := 0; i < d; i++ {
			pm[i] = 0.3 * float64(i)
			pdiag.SetDiag(i, 0.5+float64(i))
			for j := 0; j <= i; j++ {
				v := 0.2
				if i == j {
					v = 1 + float64(i)
				}
				pcov.SetSym(i, j, v)
			}
		}
		for _, q := range families(d) {
			phi := randomize(q, uint64(d))
			n := gonumNormal(t, q)
			for _, cov := range []mat.Symmetric{pcov, pdiag} {
				p, err := family.NewNormal(pm, cov)
				if err != nil {
					t.Fatal(err)
				}
				gp, _ := distmv.NewNormal(pm, cov, nil)
				near(t, "KL", p.KL(nil, 1, q), distmv.KullbackLeibler{}.DistNormal(n, gp), 1e-11)
				g := make([]float64, q.Len())
				p.KL(g, 0.7, q)
				num := fd.Gradient(nil, func(x []float64) float64 {
					q.SetParams(x)
					return 0.7 * p.KL(nil, 1, q)
				}, phi, &fd.Settings{Formula: fd.Central, Step: 1e-6})
				q.SetParams(phi)
				for i := range num {
					near(t, "KL gradient", g[i], num[i], 1e-6)
				}
			}
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
		sum2 := make([]float64, 3)
		th := make([]float64, 3)
		eps := make([]float64, q.NoiseDim())
		for r := 0; r < n; r++ {
			family.Rand(q, th, eps, rng)
			for i := range th {
				sum[i] += th[i]
				sum2[i] += (th[i] - mu[i]) * (th[i] - mu[i])
			}
		}
		for i := range sum {
			// Five standard errors of the sample mean and variance.
			v := cov.At(i, i)
			if math.Abs(sum[i]/n-mu[i]) > 5*math.Sqrt(v/n) {
				t.Errorf("%T: sample mean[%d] = %g, μ = %g", q, i, sum[i]/n, mu[i])
			}
			if math.Abs(sum2[i]/n-v) > 5*v*math.Sqrt(2.0/n) {
				t.Errorf("%T: sample variance[%d] = %g, Σ = %g", q, i, sum2[i]/n, v)
			}
		}
	}
}

// The registry builds every family by name with the documented sizes.
func TestNew(t *testing.T) {
	const d = 7
	want := map[string]int{"meanfield": 2 * d, "fullrank": d + d*(d+1)/2, "lowrank": d * (3 + 2)}
	for _, name := range family.Names() {
		q, err := family.New(name, d, 3)
		if err != nil {
			t.Fatal(err)
		}
		if q.Len() != want[name] || q.Dim() != d {
			t.Errorf("%s: Len %d, Dim %d; want %d, %d", name, q.Len(), q.Dim(), want[name], d)
		}
	}
	if _, err := family.New("lowrank", d, 0); err == nil {
		t.Error("lowrank with rank 0 was accepted")
	}
	if _, err := family.New("fullrnak", d, 0); err == nil {
		t.Error("an unknown family was accepted")
	}
}

// A new low-rank family has unit marginal variances and a non-zero B (at
// B = 0 the ELBO's gradient in B vanishes).
func TestLowRankStart(t *testing.T) {
	q := family.NewLowRank(50, 4)
	var cov mat.SymDense
	q.Cov(&cov)
	for i := 0; i < 50; i++ {
		near(t, "variance", cov.At(i, i), 1, 1e-12)
	}
	f := q.Factor()
	nz := 0
	for _, b := range f.B {
		if b != 0 {
			nz++
		}
	}
	if nz != len(f.B) {
		t.Errorf("%d of %d entries of B are zero", len(f.B)-nz, len(f.B))
	}
}

// With rank k, MatchMoments reproduces a covariance that is exactly
// diagonal plus rank k (principal-axis factoring converges to it).
func TestLowRankMatchesLowRankCovariance(t *testing.T) {
	const d, k = 8, 2
	rng := rand.New(rand.NewPCG(9, 9))
	b := mat.NewDense(d, k, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < k; j++ {
			b.Set(i, j, rng.NormFloat64())
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1, b)
	for i := 0; i < d; i++ {
		cov.SetSym(i, i, cov.At(i, i)+0.3)
	}
	q := family.NewLowRank(d, k)
	if err := q.MatchMoments(make([]float64, d), cov); err != nil {
		t.Fatal(err)
	}
	var got mat.SymDense
	q.Cov(&got)
	for i := 0; i < d; i++ {
		near(t, "variance", got.At(i, i), cov.At(i, i), 1e-10)
		for j := 0; j < i; j++ {
			r := cov.At(i, j) / math.Sqrt(cov.At(i, i)*cov.At(j, j))
			rg := got.At(i, j) / math.Sqrt(got.At(i, i)*got.At(j, j))
			if math.Abs(r-rg) > 1e-6 {
				t.Errorf("correlation (%d,%d): %.3f, want %.3f", i, j, rg, r)
			}
		}
	}
}

// Where the factor alone explains some coordinates (Dₐ tiny next to
// |Bₐ|, as at the optimum of a near-collinear regression), the log density
// and entropy stay accurate: checked against distmv's Cholesky-based ones
// at many draws, computed concurrently.
func TestLowRankNearDegenerate(t *testing.T) {
	const d, k = 6, 2
	q := family.NewLowRank(d, k)
	phi := randomize(q, 21)
	// Two coordinates at the floor of D: ω → −∞.
	phi[d+3], phi[d+5] = -80, -90
	q.SetParams(phi)
	f := q.Factor()
	if r := f.D[5] / math.Hypot(f.B[5*k], f.B[5*k+1]); r > 1.1e-6 || r < 0.9e-6 {
		t.Fatalf("D₅/|B₅| = %.3g, want the floor 1e-6", r)
	}
	n := gonumNormal(t, q)
	near(t, "entropy", q.Entropy(nil), n.Entropy(), 1e-9)
	const draws = 2000
	th := make([][]float64, draws)
	rng := rand.New(rand.NewPCG(3, 3))
	eps := make([]float64, q.NoiseDim())
	for i := range th {
		th[i] = make([]float64, d)
		family.Rand(q, th[i], eps, rng)
	}
	got := make([]float64, draws)
	done := make(chan bool)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for i := w; i < draws; i += 4 {
				got[i] = q.LogProb(th[i])
			}
			done <- true
		}(w)
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	worst := 0.0
	for i := range th {
		worst = math.Max(worst, math.Abs(got[i]-n.LogProb(th[i])))
	}
	if worst > 1e-6 {
		t.Errorf("log density differs from distmv by up to %.3g", worst)
	}
}
