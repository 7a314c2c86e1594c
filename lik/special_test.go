package lik

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mathext"
)

// fivePoint is the fourth-order central difference for a first derivative,
// [f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)]/(12h), whose truncation error is
// O(h⁴) so that modest steps (little rounding noise) still give 1e-8 accuracy.
var fivePoint = fd.Formula{
	Stencil: []fd.Point{
		{Loc: -2, Coeff: 1.0 / 12}, {Loc: -1, Coeff: -8.0 / 12},
		{Loc: 1, Coeff: 8.0 / 12}, {Loc: 2, Coeff: -1.0 / 12},
	},
	Derivative: 1,
	Step:       1e-3,
}

// deriv returns the five-point estimate of f'(x) with step h.
func deriv(f func(float64) float64, x, h float64) float64 {
	return fd.Derivative(f, x, &fd.Settings{Formula: fivePoint, Step: h})
}

// near reports whether got is within tol relative (or absolute below
// magnitude 1) of want; Infs must match exactly.
func near(got, want, tol float64) bool {
	if got == want {
		return true
	}
	if math.IsNaN(got) || math.IsNaN(want) || math.IsInf(got, 0) || math.IsInf(want, 0) {
		return false
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// nearRel is like near but purely relative.
func nearRel(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

func TestTrigamma(t *testing.T) {
	// Exact values: ψ'(1) = π²/6, ψ'(½) = π²/2, ψ'(−½) = π²/2 + 4,
	// ψ'(2) = π²/6 − 1.
	for _, c := range []struct{ x, want float64 }{
		{1, math.Pi * math.Pi / 6},
		{0.5, math.Pi * math.Pi / 2},
		{-0.5, math.Pi*math.Pi/2 + 4},
		{2, math.Pi*math.Pi/6 - 1},
		{1e10, 1e-10 + 0.5e-20},
	} {
		if got := trigamma(c.x); !nearRel(got, c.want, 2e-15) {
			t.Errorf("trigamma(%g) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
	if !math.IsInf(trigamma(0), 1) || !math.IsInf(trigamma(-3), 1) {
		t.Errorf("trigamma at poles is not +Inf")
	}
	// Against finite differences of gonum's digamma, across the switch
	// from the recurrence to the asymptotic series at 10.
	for _, x := range []float64{1e-3, 0.1, 0.5, 1, 2.5, 7, 9.99, 10, 10.01, 50, 1e3, 1e6} {
		h := 1e-3 * x
		got := trigamma(x)
		// mathext.Digamma is accurate to about 1e-10 absolute, and its
		// error is smooth between integers, so its finite difference is
		// good to about 1e-7 relative.
		if want := deriv(mathext.Digamma, x, h); !nearRel(got, want, 1e-7) {
			t.Errorf("trigamma(%g) = %.15g, finite difference of mathext.Digamma %.15g", x, got, want)
		}
		if want := deriv(digamma, x, h); !nearRel(got, want, 1e-11) {
			t.Errorf("trigamma(%g) = %.15g, finite difference of digamma %.15g", x, got, want)
		}
	}
}

func TestDigamma(t *testing.T) {
	const gamma = 0.57721566490153286061 // Euler–Mascheroni
	harmonic := func(n int) float64 {
		var h float64
		for k := n; k >= 1; k-- {
			h += 1 / float64(k)
		}
		return h
	}
	for _, c := range []struct{ x, want float64 }{
		{1, -gamma},
		{0.5, -gamma - 2*math.Ln2},
		{-0.5, -gamma - 2*math.Ln2 + 2},
		{7, harmonic(6) - gamma},
		{10, harmonic(9) - gamma},
		{31, harmonic(30) - gamma},
		{1e-8, -1e8 - gamma + 1e-8*math.Pi*math.Pi/6},
		{1e15, math.Log(1e15) - 0.5e-15},
	} {
		// Absolute below 1: ψ has a zero at 1.4616…, and the recurrence
		// sums terms a few times larger than ψ(1).
		if got := digamma(c.x); !near(got, c.want, 2e-15) {
			t.Errorf("digamma(%g) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
	// gonum's Digamma agrees to its own accuracy.
	for _, x := range []float64{1e-3, 0.3, 1, 4.5, 9.99, 10, 123, 1e6} {
		if got, want := digamma(x), mathext.Digamma(x); !near(got, want, 1e-9) {
			t.Errorf("digamma(%g) = %.17g, mathext.Digamma %.17g", x, got, want)
		}
	}
}

func TestLgammaDiff(t *testing.T) {
	for _, x := range []float64{0.01, 1, 9.99, 10, 10.5, 30, 100} {
		for _, y := range []float64{0.5, 1, 3, 100, 1e4} {
			a, _ := math.Lgamma(x + y)
			b, _ := math.Lgamma(x)
			want := a - b
			// The direct difference has absolute error ~ eps·lgamma(x+y).
			tol := 1e-15 * (math.Abs(a) + math.Abs(b) + 1)
			if got := lgammaDiff(x, y); math.Abs(got-want) > tol {
				t.Errorf("lgammaDiff(%g, %g) = %.17g, want %.17g", x, y, got, want)
			}
		}
	}
	// Large x: lgamma(x+1) − lgamma(x) = log x exactly.
	for _, x := range []float64{1e3, 1e8, 1e15} {
		if got := lgammaDiff(x, 1); !nearRel(got, math.Log(x), 1e-15) {
			t.Errorf("lgammaDiff(%g, 1) = %.17g, want log x = %.17g", x, got, math.Log(x))
		}
	}
	// Γ(x+½)/Γ(x) = √x (1 − 1/(8x) + 1/(128x²) + …).
	x := 1e8
	want := 0.5*math.Log(x) + math.Log1p(-1/(8*x)+1/(128*x*x))
	if got := lgammaDiff(x, 0.5); !nearRel(got, want, 1e-15) {
		t.Errorf("lgammaDiff(1e8, 0.5) = %.17g, want %.17g", got, want)
	}
}

func TestDigammaTrigammaDiff(t *testing.T) {
	// In the overlap 10 ≤ x ≤ 200 the direct differences are accurate to
	// about 1e-15 absolute; the asymptotic branch must agree.
	for _, x := range []float64{10, 10.01, 15, 40, 200} {
		for _, y := range []float64{0.5, 1, 7, 300} {
			g := digamma(x+y) - digamma(x) - math.Log1p(y/x)
			if got := digammaDiff(x, y); math.Abs(got-g) > 2e-14 {
				t.Errorf("digammaDiff(%g, %g) = %.17g, direct %.17g", x, y, got, g)
			}
			tr := x * x * (trigamma(x+y) - trigamma(x) + y/(x*(x+y)))
			// x² amplifies the direct difference's error of eps·ψ'(x) ≈ eps/x.
			if got := trigammaDiff2(x, y); math.Abs(got-tr) > 1e-15*x {
				t.Errorf("trigammaDiff2(%g, %g) = %.17g, direct %.17g", x, y, got, tr)
			}
		}
	}
	// Large x, where the direct differences have no correct digits:
	// g ≈ y(y−1)/... leading terms y/(2x²) + (y/6 − y²/2 ... ); check the
	// two-term expansions g = y/(2x²) − y(3y−1)/(12x³)·… via scaling.
	for _, y := range []float64{1, 3, 0.5} {
		x := 1e8
		// g = y/(2x(x+y)) + y(2x+y)/(12x²(x+y)²) + O(x⁻⁵)
		want := y/(2*x*(x+y)) + y*(2*x+y)/(12*x*x*(x+y)*(x+y))
		if got := digammaDiff(x, y); !nearRel(got, want, 1e-15) {
			t.Errorf("digammaDiff(1e8, %g) = %.17g, want %.17g", y, got, want)
		}
		wantT := -y * (2*x + y) / (2 * (x + y) * (x + y))
		if got := trigammaDiff2(x, y); !nearRel(got, wantT, 1e-7) {
			t.Errorf("trigammaDiff2(1e8, %g) = %.17g, want %.17g", y, got, wantT)
		}
	}
}

func TestLog1pmx(t *testing.T) {
	for _, x := range []float64{-0.9, -0.3, -0.25, -0.1, -1e-3, -1e-9, 0, 1e-12, 1e-5, 0.01, 0.2, 0.25, 0.3, 5, 1e10} {
		var want float64
		if math.Abs(x) < 1e-2 {
			// Taylor series Σ_{k≥2} (−1)^{k+1} x^k/k, summed to convergence.
			p := x
			for k := 2; k < 40; k++ {
				p *= -x
				want += p / float64(k)
			}
		} else {
			want = math.Log1p(x) - x
		}
		if got := log1pmx(x); !nearRel(got, want, 1e-14) {
			t.Errorf("log1pmx(%g) = %.17g, want %.17g", x, got, want)
		}
	}
}

func TestNormLogCDF(t *testing.T) {
	// Where erfc does not underflow it is the reference.
	for _, x := range []float64{-37, -30, -20, -10, -8, -5, -4.0001, -4, -3, -2.5, -1, 0, 1, 3, 8} {
		cdf := 0.5 * math.Erfc(-x*invSqrt2)
		want := math.Log(cdf)
		if x > 0 {
			want = math.Log1p(-0.5 * math.Erfc(x*invSqrt2))
		}
		wantM := math.Exp(-0.5*x*x-lnSqrt2Pi) / cdf
		l, m, c := normLogCDF(x)
		if !near(l, want, 1e-14) {
			t.Errorf("normLogCDF(%g) = %.17g, want %.17g", x, l, want)
		}
		if !nearRel(m, wantM, 1e-13) {
			t.Errorf("Mills ratio at %g = %.17g, want %.17g", x, m, wantM)
		}
		if !near(c, x+m, 1e-13) {
			t.Errorf("x + m at %g = %.17g, want %.17g", x, c, x+m)
		}
	}
	// Deep tail, against 50-digit values from mpmath (ncdf, npdf).
	for _, c := range []struct{ t, logcdf, c float64 }{
		{40, -804.6084420137537881666068, 0.024968847207263723244871},
		{100, -5005.524208694205088626302, 0.009998000999260705184902395},
		{300, -45006.62273211866335985382, 0.003333259263374147269517316},
	} {
		l, m, cc := normLogCDF(-c.t)
		if !nearRel(l, c.logcdf, 4e-16) || !nearRel(cc, c.c, 1e-15) || !nearRel(m, c.t+c.c, 4e-16) {
			t.Errorf("normLogCDF(−%g) = %.17g, %.17g, %.17g; want %.17g, %.17g, %.17g",
				c.t, l, m, cc, c.logcdf, c.t+c.c, c.c)
		}
	}
	// Deep tail by the asymptotic series
	// log Φ(−t) = −t²/2 − log t − ½ log 2π + log(1 − 1/t² + 3/t⁴ − 15/t⁶ + …),
	// m = t + 1/t − 2/t³ + 10/t⁵ − 74/t⁷ + 706/t⁹ − …, and x + m = m − t.
	for _, tt := range []float64{40, 100, 300, 1e4, 1e8} {
		u := 1 / (tt * tt)
		s := 1 - u*(1-u*(3-u*(15-u*(105-u*945))))
		wantL := -0.5*tt*tt - math.Log(tt) - lnSqrt2Pi + math.Log(s)
		wantC := 1/tt - u/tt*(2-u*(10-u*(74-u*706)))
		l, m, c := normLogCDF(-tt)
		if !nearRel(l, wantL, 1e-15) {
			t.Errorf("log Φ(−%g) = %.17g, want %.17g", tt, l, wantL)
		}
		if !nearRel(m, tt+wantC, 1e-15) {
			t.Errorf("Mills ratio at −%g = %.17g, want %.17g", tt, m, tt+wantC)
		}
		if !nearRel(c, wantC, 1e-11) {
			t.Errorf("x + m at −%g = %.17g, want %.17g", tt, c, wantC)
		}
	}
}
