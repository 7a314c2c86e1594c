package diagnose

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// gpdSample returns n draws from the generalized Pareto distribution with
// shape k and scale sigma by inversion.
func gpdSample(n int, k, sigma float64, seed uint64) []float64 {
	rnd := rand.New(rand.NewPCG(seed, 2))
	x := make([]float64, n)
	for i := range x {
		x[i] = gpdQuantile(rnd.Float64(), k, sigma)
	}
	return x
}

func TestGPDFitRecovers(t *testing.T) {
	const n = 20000
	for _, tc := range []struct {
		k, sigma float64
	}{
		{-0.3, 1},
		{0, 2},
		{0.3, 0.5},
		{0.5, 1},
		{0.8, 3},
	} {
		x := gpdSample(n, tc.k, tc.sigma, uint64(100*tc.k+1000))
		slices.Sort(x)
		k, sigma := GPDFit(x)
		// Asymptotic sds of the maximum likelihood estimates, which the
		// Zhang–Stephens estimator nearly attains (Zhang & Stephens 2009,
		// Sec. 5; Hosking & Wallis 1987): sd(k̂) = (1+k)/sqrt(n) and
		// sd(σ̂/σ) = sqrt(2(1+k)/n). Allow 5 sds plus the shift toward 0.5
		// from the weakly informative prior.
		prior := math.Abs(0.5-tc.k) * gpdPriorN / (n + gpdPriorN)
		tolK := 5*(1+tc.k)/math.Sqrt(n) + prior
		tolS := 5 * math.Sqrt(2*(1+tc.k)/n)
		t.Logf("k=%v: dk=%.3g (tol %.3g) dsig=%.3g (tol %.3g)", tc.k, k-tc.k, tolK, sigma/tc.sigma-1, tolS)
		if math.Abs(k-tc.k) > tolK {
			t.Errorf("k = %v, want %v ± %.3g", k, tc.k, tolK)
		}
		if math.Abs(sigma/tc.sigma-1) > tolS {
			t.Errorf("sigma = %v, want %v (relative tolerance %.3g)", sigma, tc.sigma, tolS)
		}
	}
}

func TestGPDFitUnsorted(t *testing.T) {
	x := gpdSample(500, 0.4, 1, 7)
	orig := slices.Clone(x)
	k, sigma := GPDFit(x)
	if !slices.Equal(x, orig) {
		t.Error("GPDFit modified its input")
	}
	slices.Sort(x)
	ks, ss := GPDFit(x)
	if k != ks || sigma != ss {
		t.Errorf("unsorted input gave (%v, %v), sorted (%v, %v)", k, sigma, ks, ss)
	}
}

func TestGPDFitDegenerate(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
	}{
		{"empty", nil},
		{"one value", []float64{1}},
		{"all zero", []float64{0, 0, 0, 0, 0, 0}},
		{"NaN", []float64{0.1, 0.2, math.NaN(), 0.4, 0.5}},
	} {
		k, sigma := GPDFit(tc.x)
		if !math.IsInf(k, 1) || !math.IsNaN(sigma) {
			t.Errorf("%s: GPDFit = (%v, %v), want (+Inf, NaN)", tc.name, k, sigma)
		}
	}
}

func TestGPDQuantile(t *testing.T) {
	for _, tc := range []struct{ k, sigma float64 }{{-0.5, 1}, {0, 2}, {0.7, 0.3}, {1e-12, 1}} {
		for _, p := range []float64{1e-9, 0.1, 0.5, 0.99} {
			q := gpdQuantile(p, tc.k, tc.sigma)
			// Invert with the distribution function 1 − (1 + k q/σ)^(−1/k).
			var cdf float64
			if tc.k == 0 {
				cdf = -math.Expm1(-q / tc.sigma)
			} else {
				cdf = -math.Expm1(-math.Log1p(tc.k*q/tc.sigma) / tc.k)
			}
			if math.Abs(cdf-p) > 1e-12*math.Max(p, 1e-3) {
				t.Errorf("k=%v sigma=%v: F(Q(%v)) = %v", tc.k, tc.sigma, p, cdf)
			}
		}
	}
}
