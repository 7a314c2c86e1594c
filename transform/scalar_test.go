package transform

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// uGrid is the grid of unconstrained values used for round trips.
var uGrid = []float64{-30, -20, -10, -3, -1, -0.5, -1e-9, 0, 1e-9, 0.25, 1, 2.5, 7, 15, 30}

func TestRoundTripU(t *testing.T) {
	// Inverse(Forward(u)) can be no more accurate than x = Forward(u)
	// itself: x is formed as anchor ± (something), so it carries an error of
	// about eps·(|x| + |anchor|), which is an error of that divided by
	// |dx/du| in u. Each case's tolerance is c times that bound (plus
	// eps·|u|), so the test is tight where x is well resolved, e.g. near 0
	// for Lower{0}, and honest where it is not, e.g. near 1 for
	// Interval{0, 1}.
	for _, tc := range []struct {
		tr Scalar
		c  float64
	}{
		{Identity{}, 1},
		{Lower{0}, 4},
		{Lower{-3}, 4},
		{Lower{1e6}, 4},
		{Upper{1}, 4},
		{Upper{-2.5}, 4},
		{Interval{0, 1}, 4},
		{Interval{-2, 5}, 4},
		{Interval{-1e-3, 1e-3}, 4},
		{Interval{100, 101}, 4},
	} {
		t.Run(tc.tr.String(), func(t *testing.T) {
			for _, u := range uGrid {
				x := tc.tr.Forward(u)
				got, err := tc.tr.Inverse(x)
				if err != nil {
					t.Errorf("Inverse(Forward(%g) = %g): %v", u, x, err)
					continue
				}
				dx, _ := tc.tr.Deriv(u)
				tol := tc.c * eps * (math.Abs(u) + (math.Abs(x)+math.Abs(anchor(tc.tr, u)))/math.Abs(dx))
				checkClose(t, "Inverse(Forward(u)) at u="+ftoa(u), got, u, 0, tol)
			}
		})
	}
}

// anchor returns the value Forward adds its u-dependent term to: the bound
// for Lower and Upper, and the nearer bound or the midpoint for Interval.
func anchor(tr Scalar, u float64) float64 {
	switch tr := tr.(type) {
	case Lower:
		return tr.A
	case Upper:
		return tr.B
	case Interval:
		switch {
		case u < -1:
			return tr.A
		case u > 1:
			return tr.B
		}
		return tr.A + 0.5*(tr.B-tr.A)
	}
	return 0
}

func TestRoundTripX(t *testing.T) {
	for _, tc := range []struct {
		tr       Scalar
		xs       []float64
		rel, abs float64
	}{
		{Identity{}, []float64{-1e300, -2, 0, 3.5, 1e300}, 0, 0},
		// exp(log(x)) has relative error about eps·|log x|.
		{Lower{0}, []float64{1e-300, 1e-10, 0.3, 1, 42, 1e100}, 2e-13, 0},
		{Lower{-3}, []float64{-2.999999, -1, 0, 10, 1e8}, 1e-14, 1e-15},
		{Upper{1}, []float64{-1e8, -1, 0, 0.5, 0.999999}, 1e-15, 1e-15},
		{Interval{0, 1}, []float64{1e-12, 0.1, 0.5, 0.5 + 1e-12, 0.9, 1 - 1e-12, 1 - 0x1p-53}, 1e-15, 0},
		{Interval{0, 1}, []float64{1e-300, 1e-100}, 2e-13, 0},
		{Interval{-1, 1}, []float64{-1e-300, -1e-13, 0, 1e-13, 0.3}, 1e-15, 0},
		{Interval{-2, 5}, []float64{-1.9999999, -1, 0, 1.5, 4.9999999}, 1e-15, 1e-15},
		{Interval{100, 101}, []float64{100.000001, 100.5, 100.999999}, 1e-15, 0},
	} {
		t.Run(tc.tr.String(), func(t *testing.T) {
			for _, x := range tc.xs {
				u, err := tc.tr.Inverse(x)
				if err != nil {
					t.Errorf("Inverse(%g): %v", x, err)
					continue
				}
				checkClose(t, "Forward(Inverse(x)) at x="+ftoa(x), tc.tr.Forward(u), x, tc.rel, tc.abs)
			}
		})
	}
}

func TestInverseRejects(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct {
		tr    Scalar
		bad   []float64
		wants []string // substrings every error message must contain
	}{
		{Identity{}, []float64{nan, inf, -inf}, []string{"real", "finite"}},
		{Lower{0}, []float64{0, -1e-300, -5, -inf, inf, nan}, []string{"lower=0", "x > 0"}},
		{Lower{-2.5}, []float64{-2.5, -3}, []string{"lower=-2.5", "x > -2.5"}},
		{Upper{1}, []float64{1, 1.0000001, inf, -inf, nan}, []string{"upper=1", "x < 1"}},
		{Interval{0, 1}, []float64{0, 1, -0.1, 1.1, nan, inf, -inf}, []string{"interval(0, 1)", "0 < x < 1"}},
		{Interval{-2, 5}, []float64{-2, 5, 7}, []string{"interval(-2, 5)", "-2 < x < 5"}},
	} {
		t.Run(tc.tr.String(), func(t *testing.T) {
			for _, x := range tc.bad {
				u, err := tc.tr.Inverse(x)
				checkSupportError(t, "Inverse("+ftoa(x)+")", err, append(tc.wants, ftoa(x))...)
				if !math.IsNaN(u) {
					t.Errorf("Inverse(%g) returned u = %g with its error, want NaN", x, u)
				}
			}
		})
	}
}

func TestForwardStaysInside(t *testing.T) {
	// For finite u Forward never returns a bound; only ±Inf reaches one.
	for _, tc := range []struct {
		tr     Scalar
		lo, hi float64
		us     []float64
	}{
		{Lower{0}, 0, math.Inf(1), []float64{-36, -700, -746, -1e6, -math.MaxFloat64}},
		{Lower{1e10}, 1e10, math.Inf(1), []float64{-36, -50, -1e3}},
		{Upper{0}, math.Inf(-1), 0, []float64{-36, -746, -1e6}},
		{Upper{-7}, math.Inf(-1), -7, []float64{-36, -50}},
		{Interval{0, 1}, 0, 1, []float64{-1e6, -746, -40, -37, -36, 36, 37, 38, 40, 746, 1e6}},
		{Interval{-1, 1}, -1, 1, []float64{-40, -36, 36, 40}},
		{Interval{100, 101}, 100, 101, []float64{-40, -30, 30, 40}},
	} {
		t.Run(tc.tr.String(), func(t *testing.T) {
			for _, u := range tc.us {
				x := tc.tr.Forward(u)
				if !(x > tc.lo && x < tc.hi) {
					t.Errorf("Forward(%g) = %.17g, want strictly inside (%g, %g)", u, x, tc.lo, tc.hi)
					continue
				}
				if _, err := tc.tr.Inverse(x); err != nil {
					t.Errorf("Inverse(Forward(%g)): %v", u, err)
				}
			}
		})
	}
	for _, tc := range []struct {
		tr   Scalar
		u, x float64
	}{
		{Lower{2}, math.Inf(-1), 2},
		{Lower{2}, 710, math.Inf(1)}, // documented overflow
		{Upper{2}, math.Inf(-1), 2},
		{Upper{2}, 710, math.Inf(-1)},
		{Interval{0, 1}, math.Inf(-1), 0},
		{Interval{0, 1}, math.Inf(1), 1},
		{Interval{-2, 5}, math.Inf(-1), -2},
		{Interval{-2, 5}, math.Inf(1), 5},
	} {
		if got := tc.tr.Forward(tc.u); got != tc.x {
			t.Errorf("%v.Forward(%g) = %g, want %g", tc.tr, tc.u, got, tc.x)
		}
	}
	if x := (Interval{0, 1}).Forward(math.NaN()); !math.IsNaN(x) {
		t.Errorf("Interval.Forward(NaN) = %g, want NaN", x)
	}
}

func TestForwardValues(t *testing.T) {
	// Spot values from the defining formulas, including tails where a naive
	// evaluation loses relative accuracy.
	for _, tc := range []struct {
		tr       Scalar
		u, want  float64
		rel, abs float64
	}{
		{Identity{}, -3.5, -3.5, 0, 0},
		{Lower{0}, 0, 1, 0, 0},
		{Lower{1}, math.Log(2), 3, 1e-15, 0},
		{Upper{1}, math.Log(3), -2, 1e-15, 0},
		{Interval{0, 1}, 0, 0.5, 0, 0},
		{Interval{-2, 6}, 0, 2, 0, 0},
		{Interval{0, 1}, math.Log(3), 0.75, 1e-15, 0},
		{Interval{0, 1}, -30, 1 / (1 + math.Exp(30)), 1e-15, 0},
		{Interval{0, 1}, -700, math.Exp(-700), 1e-13, 0},
		{Interval{0, 1}, 30, 1 - math.Exp(-30), 0, 1.2e-16},
		{Interval{-1, 1}, 1e-10, math.Tanh(5e-11), 1e-15, 0},
		{Interval{-1, 1}, -0.7, math.Tanh(-0.35), 1e-15, 0},
		{Interval{-1, 1}, 3, math.Tanh(1.5), 1e-15, 0},
	} {
		checkClose(t, tc.tr.String()+".Forward("+ftoa(tc.u)+")", tc.tr.Forward(tc.u), tc.want, tc.rel, tc.abs)
	}
}

func TestIntervalInverseAccuracy(t *testing.T) {
	// logit keeps full relative accuracy near the midpoint (log1p branch) and
	// near both ends (direct differences).
	half := 0.5
	d := (half + 1e-12) - half // exactly representable offset from 0.5
	for _, tc := range []struct {
		tr      Interval
		x, want float64
		rel     float64
	}{
		{Interval{0, 1}, 0.5, 0, 0},
		{Interval{0, 1}, 0.5 + d, 2 * math.Atanh(2*d), 1e-15},
		{Interval{0, 1}, 0.5 - d, -2 * math.Atanh(2*d), 1e-15},
		{Interval{0, 1}, 1e-300, math.Log(1e-300), 1e-15},
		{Interval{0, 1}, 1 - 0x1p-53, 53*math.Ln2 + math.Log1p(-0x1p-53), 1e-15},
		{Interval{-2, 2}, 1e-13, 2 * math.Atanh(1e-13/2), 1e-15},
		{Interval{-2, 2}, -1e-200, -1e-200, 1e-15},
		{Interval{-1, 3}, 1 + 0x1p-40, 2 * math.Atanh(0x1p-41), 1e-15},
		{Interval{100, 101}, 100.5, 0, 0},
	} {
		got, err := tc.tr.Inverse(tc.x)
		if err != nil {
			t.Errorf("%v.Inverse(%g): %v", tc.tr, tc.x, err)
			continue
		}
		checkClose(t, tc.tr.String()+".Inverse("+ftoa(tc.x)+")", got, tc.want, tc.rel, 0)
	}
}

// derivGrid avoids the tails, where finite differences of Forward are
// dominated by rounding.
var derivGrid = []float64{-4, -1.5, -0.3, 0, 0.2, 1, 2.5, 4}

var derivCases = []Scalar{
	Identity{}, Lower{0}, Lower{-3}, Upper{1}, Upper{-2.5},
	Interval{0, 1}, Interval{-2, 5}, Interval{100, 101},
}

func TestLogJacMatchesNumericalDerivative(t *testing.T) {
	for _, tr := range derivCases {
		t.Run(tr.String(), func(t *testing.T) {
			for _, u := range derivGrid {
				at := " at u=" + ftoa(u)
				lj, d1, d2 := tr.LogJac(u)
				num := fd.Derivative(tr.Forward, u, central)
				checkClose(t, "LogJac vs log|dForward|"+at, lj, math.Log(math.Abs(num)), 0, 1e-7)
				ljOf := func(u float64) float64 { l, _, _ := tr.LogJac(u); return l }
				d1Of := func(u float64) float64 { _, d, _ := tr.LogJac(u); return d }
				checkClose(t, "LogJac d1"+at, d1, fd.Derivative(ljOf, u, central), 1e-7, 1e-8)
				checkClose(t, "LogJac d2"+at, d2, fd.Derivative(d1Of, u, central), 1e-7, 1e-8)
				checkClose(t, "LogJac d2 (2nd-order stencil)"+at, d2, fd.Derivative(ljOf, u, central2nd), 1e-5, 1e-6)
			}
		})
	}
}

func TestDerivMatchesFiniteDifferences(t *testing.T) {
	for _, tr := range derivCases {
		t.Run(tr.String(), func(t *testing.T) {
			for _, u := range derivGrid {
				at := " at u=" + ftoa(u)
				d1, d2 := tr.Deriv(u)
				d1Of := func(u float64) float64 { d, _ := tr.Deriv(u); return d }
				checkClose(t, "Deriv d1"+at, d1, fd.Derivative(tr.Forward, u, central), 1e-7, 1e-8)
				checkClose(t, "Deriv d2"+at, d2, fd.Derivative(d1Of, u, central), 1e-7, 1e-8)
				checkClose(t, "Deriv d2 (2nd-order stencil)"+at, d2, fd.Derivative(tr.Forward, u, central2nd), 1e-5, 1e-5)
			}
		})
	}
}

func TestLogJacTails(t *testing.T) {
	// Far in the tails the closed forms must stay finite and match their
	// asymptotes instead of producing log(0) or Inf−Inf.
	for _, tc := range []struct {
		tr             Interval
		u              float64
		lj, d1, d2     float64
		rel, abs       float64
		xd1, xd2, xabs float64
	}{
		{Interval{0, 1}, -800, -800, 1, 0, 1e-15, 1e-300, 0, 0, 1e-300},
		{Interval{0, 1}, 800, -800, -1, 0, 1e-15, 1e-300, 0, 0, 1e-300},
		{Interval{0, 2}, -50, math.Log(2) - 50 - 2*math.Exp(-50), 1, 0, 1e-15, 1e-20, 2 * math.Exp(-50), 2 * math.Exp(-50), 1e-35},
		{Interval{0, 2}, 50, math.Log(2) - 50 - 2*math.Exp(-50), -1, 0, 1e-15, 1e-20, 2 * math.Exp(-50), -2 * math.Exp(-50), 1e-35},
	} {
		at := tc.tr.String() + " at u=" + ftoa(tc.u)
		lj, d1, d2 := tc.tr.LogJac(tc.u)
		checkClose(t, "LogJac "+at, lj, tc.lj, tc.rel, tc.abs)
		checkClose(t, "LogJac d1 "+at, d1, tc.d1, tc.rel, tc.abs)
		checkClose(t, "LogJac d2 "+at, d2, tc.d2, tc.rel, tc.abs)
		x1, x2 := tc.tr.Deriv(tc.u)
		checkClose(t, "Deriv d1 "+at, x1, tc.xd1, 1e-14, tc.xabs)
		checkClose(t, "Deriv d2 "+at, x2, tc.xd2, 1e-14, tc.xabs)
	}
}

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"Identity", Identity{}.Validate(), true},
		{"Lower{0}", Lower{0}.Validate(), true},
		{"Lower{NaN}", Lower{nan}.Validate(), false},
		{"Lower{-Inf}", Lower{-inf}.Validate(), false},
		{"Upper{1}", Upper{1}.Validate(), true},
		{"Upper{Inf}", Upper{inf}.Validate(), false},
		{"Interval{0,1}", Interval{0, 1}.Validate(), true},
		{"Interval{1,1}", Interval{1, 1}.Validate(), false},
		{"Interval{2,1}", Interval{2, 1}.Validate(), false},
		{"Interval{NaN,1}", Interval{nan, 1}.Validate(), false},
		{"Interval{0,Inf}", Interval{0, inf}.Validate(), false},
		{"Interval{-Max,Max}", Interval{-math.MaxFloat64, math.MaxFloat64}.Validate(), false},
		{"Interval{1,next(1)}", Interval{1, math.Nextafter(1, 2)}.Validate(), false},
	} {
		if (tc.err == nil) != tc.ok {
			t.Errorf("%s.Validate() = %v, want ok=%v", tc.name, tc.err, tc.ok)
		}
		if tc.err != nil && !hasPrefix(tc.err.Error(), "transform: ") {
			t.Errorf("%s.Validate() error %q lacks the \"transform: \" prefix", tc.name, tc.err)
		}
	}
	if iv, err := NewInterval(-1, 3); err != nil || iv != (Interval{-1, 3}) {
		t.Errorf("NewInterval(-1, 3) = %v, %v", iv, err)
	}
	if _, err := NewInterval(3, -1); err == nil {
		t.Error("NewInterval(3, -1) succeeded, want error")
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		tr   interface{ String() string }
		want string
	}{
		{Identity{}, "real"},
		{Lower{0}, "lower=0"},
		{Lower{-1.5}, "lower=-1.5"},
		{Upper{1}, "upper=1"},
		{Interval{0, 1}, "interval(0, 1)"},
		{Interval{-2, 0.25}, "interval(-2, 0.25)"},
		{Simplex{4}, "simplex[4]"},
		{Elementwise{Lower{0}, 3}, "lower=0[3]"},
	} {
		if got := tc.tr.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func ftoa(v float64) string { return fmtFloat(v) }

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
