package transform

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// logDensity returns log p(x) and its first two derivatives in x.
type logDensity func(x float64) (lp, dlp, d2lp float64)

func normalLD(mu, sigma float64) logDensity {
	d := distuv.Normal{Mu: mu, Sigma: sigma}
	return func(x float64) (float64, float64, float64) {
		return d.LogProb(x), -(x - mu) / (sigma * sigma), -1 / (sigma * sigma)
	}
}

func betaLD(a, b float64) logDensity {
	d := distuv.Beta{Alpha: a, Beta: b}
	return func(x float64) (float64, float64, float64) {
		return d.LogProb(x), (a-1)/x - (b-1)/(1-x), -(a-1)/(x*x) - (b-1)/((1-x)*(1-x))
	}
}

func gammaLD(shape, rate float64) logDensity {
	d := distuv.Gamma{Alpha: shape, Beta: rate}
	return func(x float64) (float64, float64, float64) {
		if math.IsInf(x, 1) { // Forward overflow for u > 709; distuv gives Inf−Inf
			return math.Inf(-1), -rate, 0
		}
		return d.LogProb(x), (shape-1)/x - rate, -(shape - 1) / (x * x)
	}
}

// pulled returns u ↦ Pullback at u for density ld through tr.
func pulled(tr Scalar, ld logDensity) func(u float64) (l, d1, d2 float64) {
	return func(u float64) (float64, float64, float64) {
		lp, dlp, d2lp := ld(tr.Forward(u))
		return Pullback(tr, u, lp, dlp, d2lp)
	}
}

var pullbackCases = []struct {
	name string
	tr   Scalar
	ld   logDensity
	mass float64 // ∫ exp(lp) over the support
	tol  float64
}{
	// N(1, 1) restricted to (0, ∞) has mass 1 − Φ(−1).
	{"normal on lower=0", Lower{0}, normalLD(1, 1), 1 - distuv.UnitNormal.CDF(-1), 1e-10},
	{"normal on lower=-1", Lower{-1}, normalLD(0, 2), 1 - distuv.Normal{Mu: 0, Sigma: 2}.CDF(-1), 1e-10},
	{"normal on upper=1", Upper{1}, normalLD(0, 1), distuv.UnitNormal.CDF(1), 1e-10},
	{"gamma on lower=0", Lower{0}, gammaLD(3, 2), 1, 1e-10},
	{"beta on interval(0, 1)", Interval{0, 1}, betaLD(2, 3), 1, 1e-10},
	{"normal on interval(-1, 2)", Interval{-1, 2}, normalLD(0.3, 0.8),
		distuv.Normal{Mu: 0.3, Sigma: 0.8}.CDF(2) - distuv.Normal{Mu: 0.3, Sigma: 0.8}.CDF(-1), 1e-10},
	{"normal on real", Identity{}, normalLD(-2, 3), 1, 1e-10},
}

func TestPullbackIntegratesToConstrainedMass(t *testing.T) {
	// ∫_R exp(l(u)) du must equal the mass of p on the support: the
	// log-Jacobian is exactly the change-of-variables correction.
	for _, tc := range pullbackCases {
		t.Run(tc.name, func(t *testing.T) {
			f := pulled(tc.tr, tc.ld)
			got := quad.Fixed(func(u float64) float64 {
				l, _, _ := f(u)
				return math.Exp(l)
			}, math.Inf(-1), math.Inf(1), 4000, nil, 0)
			checkClose(t, "∫ exp(l) du", got, tc.mass, 0, tc.tol)
		})
	}
}

func TestPullbackDerivatives(t *testing.T) {
	for _, tc := range pullbackCases {
		t.Run(tc.name, func(t *testing.T) {
			f := pulled(tc.tr, tc.ld)
			lOf := func(u float64) float64 { l, _, _ := f(u); return l }
			d1Of := func(u float64) float64 { _, d, _ := f(u); return d }
			for _, u := range []float64{-2, -0.5, 0, 0.4, 1.5} {
				at := " at u=" + ftoa(u)
				_, d1, d2 := f(u)
				checkClose(t, "Pullback d1"+at, d1, fd.Derivative(lOf, u, central), 1e-7, 1e-7)
				checkClose(t, "Pullback d2"+at, d2, fd.Derivative(d1Of, u, central), 1e-7, 1e-7)
				checkClose(t, "Pullback d2 (2nd-order stencil)"+at, d2, fd.Derivative(lOf, u, central2nd), 1e-5, 1e-5)
			}
		})
	}
}

func TestPullbackValue(t *testing.T) {
	// l is lp plus the log-Jacobian, nothing more.
	l, d1, d2 := Pullback(Lower{0}, 0.5, -1.25, 0.75, -2)
	e := math.Exp(0.5)
	checkClose(t, "l", l, -1.25+0.5, 1e-15, 0)
	checkClose(t, "d1", d1, 0.75*e+1, 1e-15, 0)
	checkClose(t, "d2", d2, -2*e*e+0.75*e, 1e-15, 0)
}
