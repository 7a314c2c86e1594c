// Package prior provides univariate prior densities with Stan's names and
// argument order — normal(mu, sigma), student_t(nu, mu, sigma),
// gamma(shape, rate), … — and a parser for their Stan spellings.
//
// Every density is fully normalized (flat excepted), so that a model's ELBO is
// a lower bound on the true log evidence, and returns its first and second
// derivatives for Newton-type and Laplace steps. Densities are evaluated on
// the natural (constrained) scale: a prior on a positive parameter such as σ
// is a density on (0, ∞); the Jacobian of any transformation is the caller's
// business.
package prior

import (
	"fmt"
	"math"
	"strconv"
)

// Prior is a univariate prior density.
type Prior interface {
	// LogProb returns log p(x) and its first and second derivatives in x.
	// Outside the support it returns lp = −Inf, d1 = d2 = 0.
	LogProb(x float64) (lp, d1, d2 float64)
	// Positive reports whether the support is (0, ∞).
	Positive() bool
	// Proper reports whether the density integrates to 1 (false only for
	// flat).
	Proper() bool
	// String returns the Stan spelling with arguments, e.g.
	// "normal(0, 2.5)"; Parse(p.String()) returns p.
	String() string
}

// Constants kept to full double precision so that densities are exactly
// normalized.
const (
	lnSqrt2Pi = 0.91893853320467274178032973640561763986139747363778 // ½ log 2π
	lnPi      = 1.14472988584940017414342735135305871164729481291531 // log π
	ln2       = math.Ln2
)

// outside is LogProb's value outside the support.
func outside() (lp, d1, d2 float64) { return math.Inf(-1), 0, 0 }

// num formats an argument as in String: the shortest representation that
// parses back to the same float64.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// spelling formats name(args...).
func spelling(name string, args ...float64) string {
	b := []byte(name)
	b = append(b, '(')
	for i, a := range args {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendFloat(b, a, 'g', -1, 64)
	}
	return string(append(b, ')'))
}

// check helpers for Validate: each returns an error naming the prior and the
// parameter, e.g. "prior: normal(0, -1): sigma must be positive".

func finite(p Prior, name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("prior: %v: %s must be finite", p, name)
	}
	return nil
}

func positive(p Prior, name string, v float64) error {
	if math.IsNaN(v) || v <= 0 {
		return fmt.Errorf("prior: %v: %s must be positive", p, name)
	}
	if math.IsInf(v, 1) {
		return fmt.Errorf("prior: %v: %s must be finite", p, name)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// lgamma returns log Γ(x) for x > 0.
func lgamma(x float64) float64 {
	lg, _ := math.Lgamma(x)
	return lg
}

// Flat is the improper uniform prior p(x) ∝ 1 on the real line or, when
// OnPositive is true, on (0, ∞), as for a positive parameter declared in Stan
// with no sampling statement. Its LogProb is 0 on the support.
//
// (The field cannot be called Positive: Go does not allow a field and a
// method of the same name, and Prior requires the method.)
type Flat struct {
	OnPositive bool
}

// LogProb returns 0 on the support, and −Inf at x ≤ 0 when f.OnPositive.
func (f Flat) LogProb(x float64) (lp, d1, d2 float64) {
	if f.OnPositive && !(x > 0) {
		return outside()
	}
	return 0, 0, 0
}

// Positive returns f.OnPositive.
func (f Flat) Positive() bool { return f.OnPositive }

// Proper returns false.
func (f Flat) Proper() bool { return false }

// String returns "flat".
func (f Flat) String() string { return "flat" }

// Validate returns nil: flat has no parameters.
func (f Flat) Validate() error { return nil }
