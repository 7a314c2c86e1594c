package transform

import (
	"fmt"
	"github.com/govi-dev/govi/internal/mathx"
	"math"
	"strconv"
)

// Scalar is a bijection from R to a constrained interval of R.
//
// The formulas are those of the Stan Reference Manual, "Constraint
// Transforms": Forward is Stan's "inverse transform" (unconstrained to
// constrained) and Inverse is Stan's "transform" (constrained to
// unconstrained).
type Scalar interface {
	// Forward returns the constrained value x = T(u).
	Forward(u float64) float64
	// Inverse returns u = T⁻¹(x). It returns a *SupportError naming the
	// violated bound if x is not inside the open support.
	Inverse(x float64) (float64, error)
	// LogJac returns log|dx/du| at u and its first and second derivatives
	// in u; they enter gradients and curvature of the pulled-back density.
	LogJac(u float64) (lj, d1, d2 float64)
	// Deriv returns dx/du and d²x/du² at u, for the chain rule applied to
	// densities defined on x.
	Deriv(u float64) (d1, d2 float64)
	// String describes the constraint, e.g. "real", "lower=0", "upper=1"
	// or "interval(0, 1)".
	String() string
}

// Compile-time checks that the concrete types implement Scalar.
var (
	_ Scalar = Identity{}
	_ Scalar = Lower{}
	_ Scalar = Upper{}
	_ Scalar = Interval{}
)

// fmtFloat prints a bound in the shortest form that round-trips.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Identity is the unconstrained map x = u on R.
type Identity struct{}

// Forward returns u.
func (Identity) Forward(u float64) float64 { return u }

// Inverse returns x; it rejects NaN and ±Inf, which are not in R.
func (t Identity) Inverse(x float64) (float64, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN(), scalarErr(t, x, "x finite")
	}
	return x, nil
}

// LogJac returns 0, 0, 0: the identity has unit Jacobian.
func (Identity) LogJac(u float64) (lj, d1, d2 float64) { return 0, 0, 0 }

// Deriv returns 1, 0.
func (Identity) Deriv(u float64) (d1, d2 float64) { return 1, 0 }

// String returns "real".
func (Identity) String() string { return "real" }

// Validate returns nil; Identity has no parameters.
func (Identity) Validate() error { return nil }

// Lower maps R onto (A, ∞) by x = A + exp(u), so log|dx/du| = u
// (Stan Reference Manual, "Lower bounded scalar").
//
// Forward overflows to +Inf for u > log(MaxFloat64) ≈ 709.78; such values are
// far outside anything a fitted Gaussian should produce, and Inverse rejects
// +Inf. For finite u Forward never returns A itself: when exp(u) is lost to
// rounding against A it returns the next float above A.
type Lower struct{ A float64 }

// Validate reports whether the bound is a finite number.
func (t Lower) Validate() error {
	if math.IsNaN(t.A) || math.IsInf(t.A, 0) {
		return fmt.Errorf("transform: lower bound %v must be finite", t.A)
	}
	return nil
}

// Forward returns A + exp(u).
func (t Lower) Forward(u float64) float64 {
	x := t.A + math.Exp(u)
	if x <= t.A && !math.IsInf(u, -1) {
		// Keep finite u strictly inside the open support.
		return math.Nextafter(t.A, math.Inf(1))
	}
	return x
}

// Inverse returns log(x − A); x must be finite and greater than A.
func (t Lower) Inverse(x float64) (float64, error) {
	if !(x > t.A) || math.IsInf(x, 1) {
		return math.NaN(), scalarErr(t, x, "finite x > "+fmtFloat(t.A))
	}
	return math.Log(x - t.A), nil
}

// LogJac returns u, 1, 0 since log|d(A + eᵘ)/du| = u.
func (Lower) LogJac(u float64) (lj, d1, d2 float64) { return u, 1, 0 }

// Deriv returns exp(u), exp(u).
func (Lower) Deriv(u float64) (d1, d2 float64) {
	e := math.Exp(u)
	return e, e
}

// String returns "lower=A".
func (t Lower) String() string { return "lower=" + fmtFloat(t.A) }

// Upper maps R onto (−∞, B) by x = B − exp(u), so log|dx/du| = u
// (Stan Reference Manual, "Upper bounded scalar").
//
// Forward overflows to −Inf for u > ≈709.78, and for finite u never returns
// B itself, mirroring Lower.
type Upper struct{ B float64 }

// Validate reports whether the bound is a finite number.
func (t Upper) Validate() error {
	if math.IsNaN(t.B) || math.IsInf(t.B, 0) {
		return fmt.Errorf("transform: upper bound %v must be finite", t.B)
	}
	return nil
}

// Forward returns B − exp(u).
func (t Upper) Forward(u float64) float64 {
	x := t.B - math.Exp(u)
	if x >= t.B && !math.IsInf(u, -1) {
		return math.Nextafter(t.B, math.Inf(-1))
	}
	return x
}

// Inverse returns log(B − x); x must be finite and less than B.
func (t Upper) Inverse(x float64) (float64, error) {
	if !(x < t.B) || math.IsInf(x, -1) {
		return math.NaN(), scalarErr(t, x, "finite x < "+fmtFloat(t.B))
	}
	return math.Log(t.B - x), nil
}

// LogJac returns u, 1, 0 since log|d(B − eᵘ)/du| = u.
func (Upper) LogJac(u float64) (lj, d1, d2 float64) { return u, 1, 0 }

// Deriv returns −exp(u), −exp(u).
func (Upper) Deriv(u float64) (d1, d2 float64) {
	e := math.Exp(u)
	return -e, -e
}

// String returns "upper=B".
func (t Upper) String() string { return "upper=" + fmtFloat(t.B) }

// Interval maps R onto (A, B) by x = A + (B − A)·logistic(u), with
//
//	log|dx/du| = log(B − A) + log logistic(u) + log(1 − logistic(u))
//	           = log(B − A) − softplus(−u) − softplus(u)
//
// (Stan Reference Manual, "Lower and upper bounded scalar"). The softplus
// form avoids log(0) in both tails.
//
// Interval requires A < B, both finite; build it with NewInterval or call
// Validate. For |u| > 1 Forward is evaluated from the nearer bound, so x
// keeps full accuracy near both ends; for |u| ≤ 1 it uses the equivalent
// midpoint form (A+B)/2 + (B−A)/2·tanh(u/2), which is accurate near 0 in
// symmetric intervals such as (−1, 1). For finite u it never returns A or B:
// when rounding would land on a bound (|u| ≳ 37 for (0, 1)) it returns the
// nearest float inside. Only u = ±Inf maps exactly onto a bound.
type Interval struct{ A, B float64 }

// NewInterval returns the Interval (a, b) after validating it.
func NewInterval(a, b float64) (Interval, error) {
	t := Interval{A: a, B: b}
	return t, t.Validate()
}

// Validate reports whether A and B are finite with A < B, B − A finite, and
// at least one float strictly between them.
func (t Interval) Validate() error {
	switch {
	case math.IsNaN(t.A) || math.IsInf(t.A, 0) || math.IsNaN(t.B) || math.IsInf(t.B, 0):
		return fmt.Errorf("transform: interval bounds (%v, %v) must be finite", t.A, t.B)
	case !(t.A < t.B):
		return fmt.Errorf("transform: interval lower bound %v must be less than upper bound %v", t.A, t.B)
	case math.IsInf(t.B-t.A, 1):
		return fmt.Errorf("transform: interval width %v − %v overflows", t.B, t.A)
	case math.Nextafter(t.A, t.B) == t.B:
		return fmt.Errorf("transform: interval (%v, %v) contains no float", t.A, t.B)
	}
	return nil
}

// Forward returns A + (B − A)·logistic(u).
func (t Interval) Forward(u float64) float64 {
	w := t.B - t.A
	var x float64
	switch {
	// In the tails work from the nearer bound: logistic(−|u|) is accurate
	// in relative terms, so the small distance to that bound is too.
	case u < -1:
		x = t.A + w*mathx.Logistic(u)
	case u > 1:
		x = t.B - w*mathx.Logistic(-u)
	// In the middle use the equivalent midpoint form, so that x near 0 in
	// an interval such as (−1, 1) does not inherit rounding error from A.
	default:
		x = (t.A + 0.5*w) + 0.5*w*math.Tanh(0.5*u)
	}
	switch {
	case x <= t.A && !math.IsInf(u, -1):
		return math.Nextafter(t.A, t.B)
	case x >= t.B && !math.IsInf(u, 1):
		return math.Nextafter(t.B, t.A)
	}
	return x
}

// Inverse returns log(x − A) − log(B − x); x must lie strictly inside
// (A, B). The distances p = x − A and q = B − x are each formed directly, so
// the one next to its own bound is small and accurate. Near the midpoint,
// where log p − log q would cancel, it uses log1p((p − q)/q) with p − q
// corrected by the rounding errors of p and q, so u keeps full relative
// accuracy there too.
func (t Interval) Inverse(x float64) (float64, error) {
	if !(x > t.A && x < t.B) {
		return math.NaN(), scalarErr(t, x, fmtFloat(t.A)+" < x < "+fmtFloat(t.B))
	}
	p, ep := twoDiff(x, t.A)
	q, eq := twoDiff(t.B, x)
	if p <= 2*q && q <= 2*p {
		// p − q is exact here (Sterbenz); ep − eq restores what rounding
		// p and q dropped.
		return math.Log1p(((p - q) + (ep - eq)) / q), nil
	}
	return math.Log(p) - math.Log(q), nil
}

// LogJac returns log(B − A) − softplus(−u) − softplus(u) and its
// derivatives −tanh(u/2) and −2·logistic(u)·logistic(−u).
func (t Interval) LogJac(u float64) (lj, d1, d2 float64) {
	lj = math.Log(t.B-t.A) - mathx.Softplus(-u) - mathx.Softplus(u)
	// d/du = logistic(−u) − logistic(u) = −tanh(u/2), accurate in both tails.
	d1 = -math.Tanh(u / 2)
	d2 = -2 * mathx.Logistic(u) * mathx.Logistic(-u)
	return lj, d1, d2
}

// Deriv returns (B − A)·s·(1 − s) and (B − A)·s·(1 − s)·(1 − 2s) with
// s = logistic(u); 1 − s and 1 − 2s are formed as logistic(−u) and
// −tanh(u/2) to keep relative accuracy in the tails.
func (t Interval) Deriv(u float64) (d1, d2 float64) {
	d1 = (t.B - t.A) * mathx.Logistic(u) * mathx.Logistic(-u)
	return d1, d1 * -math.Tanh(u/2)
}

// String returns "interval(A, B)".
func (t Interval) String() string {
	return "interval(" + fmtFloat(t.A) + ", " + fmtFloat(t.B) + ")"
}

// Pullback turns a log density on the constrained scale into one on the
// unconstrained scale. Given lp = log p(x) and its first two derivatives
// dlp, d2lp in x, all evaluated at x = t.Forward(u), it returns
//
//	l  = log p(T(u)) + log|T'(u)|
//	d1 = dlp·T'(u) + (log|T'|)'(u)
//	d2 = d2lp·T'(u)² + dlp·T''(u) + (log|T'|)''(u)
//
// (change of variables; Stan Reference Manual, "Change of variables
// adjustment"). If exp(lp) integrates to m over the support, exp(l)
// integrates to m over R.
func Pullback(t Scalar, u float64, lp, dlp, d2lp float64) (l, d1, d2 float64) {
	lj, lj1, lj2 := t.LogJac(u)
	x1, x2 := t.Deriv(u)
	l = lp + lj
	d1 = dlp*x1 + lj1
	d2 = d2lp*x1*x1 + dlp*x2 + lj2
	return l, d1, d2
}
