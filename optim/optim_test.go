package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The windowed test converges on a flat noisy objective, whose window
// averages change only by noise, even with the objective near zero, and
// does not converge while the objective still rises faster than its noise.
func TestRelTracker(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	flat := newRelTracker(stochWindow, stochSpan, stochTolRelObj)
	conv := -1
	for i := 0; i < 2000 && conv < 0; i++ {
		if _, c := flat.add(0.01 + rng.NormFloat64()); c {
			conv = i
		}
	}
	if conv < 0 {
		t.Error("no convergence on a flat noisy objective near zero")
	}
	rising := newRelTracker(stochWindow, stochSpan, stochTolRelObj)
	for i := 0; i < 2000; i++ {
		// Rises by 1 per iteration, noise sd 1: a window's change is 50.
		if _, c := rising.add(-1e4 + float64(i) + rng.NormFloat64()); c {
			t.Fatalf("converged at iteration %d on a rising objective", i)
		}
	}
}

// The stationarity test accepts gradients that are pure noise and rejects
// a small drift that is large relative to its standard error.
func TestStationaryGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const n, w = 20, 50
	for _, drift := range []float64{0, 1} {
		sum := make([]float64, n)
		sum2 := make([]float64, n)
		for i := 0; i < w; i++ {
			for j := range sum {
				g := drift + rng.NormFloat64()
				sum[j] += g
				sum2[j] += g * g
			}
		}
		// With drift 1 and noise sd 1 each t-statistic is about √50 ≈ 7.
		if got, want := stationaryGradient(sum, sum2, w), drift == 0; got != want {
			t.Errorf("drift %g: stationary %v, want %v", drift, got, want)
		}
	}
}

// The Robbins-Monro schedule decays as (1 + t/τ)^−κ.
func TestDecay(t *testing.T) {
	d := Decay{Tau: 10, Kappa: 0.5}
	if got, want := d.Rate(30), math.Pow(4, -0.5); math.Abs(got-want) > 1e-15 {
		t.Errorf("Rate(30) = %g, want %g", got, want)
	}
	if (Decay{}).Rate(0) != 1 || (Constant{}).Rate(99) != 1 {
		t.Error("Rate at t = 0 or of Constant is not 1")
	}
}
