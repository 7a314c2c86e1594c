package prior

import "math"

// The half-* priors are the location-0 densities folded onto (0, ∞):
// p(x) = 2 f(x) for x > 0, as Stan's normal(0, σ) etc. on a parameter with
// <lower=0>. Their support is the open interval: LogProb(0) is −Inf.

// HalfNormal is the half-normal prior half_normal(0, sigma):
//
//	log p(x) = log 2 − ½ log 2π − log σ − x²/(2σ²),  x > 0.
type HalfNormal struct {
	Sigma float64
}

// LogProb returns log p(x), −x/σ² and −1/σ² for x > 0.
func (p HalfNormal) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	z := x / p.Sigma
	return ln2 - lnSqrt2Pi - math.Log(p.Sigma) - 0.5*z*z, -z / p.Sigma, -1 / p.Sigma / p.Sigma
}

// Positive returns true.
func (p HalfNormal) Positive() bool { return true }

// Proper returns true.
func (p HalfNormal) Proper() bool { return true }

// String returns "half_normal(0, sigma)".
func (p HalfNormal) String() string { return spelling("half_normal", 0, p.Sigma) }

// Validate checks that σ is positive and finite.
func (p HalfNormal) Validate() error { return positive(p, "sigma", p.Sigma) }

// HalfCauchy is the half-Cauchy prior half_cauchy(0, sigma):
//
//	log p(x) = log 2 − log π − log σ − log1p((x/σ)²),  x > 0.
type HalfCauchy struct {
	Sigma float64
}

// LogProb returns log p(x) and its derivatives for x > 0.
func (p HalfCauchy) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	lp, d1, d2 = cauchy(p.Sigma, x)
	return lp + ln2, d1, d2
}

// Positive returns true.
func (p HalfCauchy) Positive() bool { return true }

// Proper returns true.
func (p HalfCauchy) Proper() bool { return true }

// String returns "half_cauchy(0, sigma)".
func (p HalfCauchy) String() string { return spelling("half_cauchy", 0, p.Sigma) }

// Validate checks that σ is positive and finite.
func (p HalfCauchy) Validate() error { return positive(p, "sigma", p.Sigma) }

// HalfStudentT is the half-t prior half_student_t(nu, 0, sigma): twice the
// student_t(nu, 0, sigma) density on x > 0.
type HalfStudentT struct {
	Nu, Sigma float64
}

// LogProb returns log p(x) and its derivatives for x > 0.
func (p HalfStudentT) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	lp, d1, d2 = studentT(p.Nu, p.Sigma, x)
	return lp + ln2, d1, d2
}

// Positive returns true.
func (p HalfStudentT) Positive() bool { return true }

// Proper returns true.
func (p HalfStudentT) Proper() bool { return true }

// String returns "half_student_t(nu, 0, sigma)".
func (p HalfStudentT) String() string { return spelling("half_student_t", p.Nu, 0, p.Sigma) }

// Validate checks that ν and σ are positive and finite.
func (p HalfStudentT) Validate() error {
	return firstErr(positive(p, "nu", p.Nu), positive(p, "sigma", p.Sigma))
}

// Exponential is the exponential prior exponential(rate):
//
//	log p(x) = log λ − λx,  x > 0.
type Exponential struct {
	Rate float64
}

// LogProb returns log p(x), −λ and 0 for x > 0.
func (p Exponential) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	return math.Log(p.Rate) - p.Rate*x, -p.Rate, 0
}

// Positive returns true.
func (p Exponential) Positive() bool { return true }

// Proper returns true.
func (p Exponential) Proper() bool { return true }

// String returns "exponential(rate)".
func (p Exponential) String() string { return spelling("exponential", p.Rate) }

// Validate checks that the rate is positive and finite.
func (p Exponential) Validate() error { return positive(p, "rate", p.Rate) }

// Gamma is the gamma prior gamma(shape, rate) (Stan's gamma(alpha, beta)):
//
//	log p(x) = α log β − lgamma(α) + (α − 1) log x − βx,  x > 0.
type Gamma struct {
	Shape, Rate float64
}

// LogProb returns log p(x), (α − 1)/x − β and −(α − 1)/x² for x > 0.
func (p Gamma) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	a1 := p.Shape - 1
	lp = p.Shape*math.Log(p.Rate) - lgamma(p.Shape) - p.Rate*x
	if a1 != 0 {
		// Skipped for α = 1, where (α−1)·log x would be 0·(−Inf) at
		// underflowing x.
		lp += a1 * math.Log(x)
	}
	return lp, a1/x - p.Rate, -a1 / x / x
}

// Positive returns true.
func (p Gamma) Positive() bool { return true }

// Proper returns true.
func (p Gamma) Proper() bool { return true }

// String returns "gamma(shape, rate)".
func (p Gamma) String() string { return spelling("gamma", p.Shape, p.Rate) }

// Validate checks that shape and rate are positive and finite.
func (p Gamma) Validate() error {
	return firstErr(positive(p, "shape", p.Shape), positive(p, "rate", p.Rate))
}

// InvGamma is the inverse-gamma prior inv_gamma(shape, scale) (Stan's
// inv_gamma(alpha, beta)):
//
//	log p(x) = α log β − lgamma(α) − (α + 1) log x − β/x,  x > 0.
type InvGamma struct {
	Shape, Scale float64
}

// LogProb returns log p(x), −(α + 1)/x + β/x² and (α + 1)/x² − 2β/x³ for
// x > 0.
func (p InvGamma) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	a1 := p.Shape + 1
	u := 1 / x
	lp = p.Shape*math.Log(p.Scale) - lgamma(p.Shape) - a1*math.Log(x) - p.Scale*u
	return lp, (p.Scale*u - a1) * u, (a1 - 2*p.Scale*u) * u * u
}

// Positive returns true.
func (p InvGamma) Positive() bool { return true }

// Proper returns true.
func (p InvGamma) Proper() bool { return true }

// String returns "inv_gamma(shape, scale)".
func (p InvGamma) String() string { return spelling("inv_gamma", p.Shape, p.Scale) }

// Validate checks that shape and scale are positive and finite.
func (p InvGamma) Validate() error {
	return firstErr(positive(p, "shape", p.Shape), positive(p, "scale", p.Scale))
}

// LogNormal is the lognormal prior lognormal(mu, sigma):
//
//	log p(x) = −½ log 2π − log σ − log x − (log x − μ)²/(2σ²),  x > 0.
type LogNormal struct {
	Mu, Sigma float64
}

// LogProb returns log p(x), −(1 + u/σ²)/x and (1 + (u − 1)/σ²)/x² for x > 0,
// where u = log x − μ.
func (p LogNormal) LogProb(x float64) (lp, d1, d2 float64) {
	if !(x > 0) {
		return outside()
	}
	lx := math.Log(x)
	z := (lx - p.Mu) / p.Sigma
	s2 := p.Sigma * p.Sigma
	lp = -lnSqrt2Pi - math.Log(p.Sigma) - lx - 0.5*z*z
	return lp, -(1 + z/p.Sigma) / x, (1 + (z/p.Sigma - 1/s2)) / x / x
}

// Positive returns true.
func (p LogNormal) Positive() bool { return true }

// Proper returns true.
func (p LogNormal) Proper() bool { return true }

// String returns "lognormal(mu, sigma)".
func (p LogNormal) String() string { return spelling("lognormal", p.Mu, p.Sigma) }

// Validate checks that μ is finite and σ positive and finite.
func (p LogNormal) Validate() error {
	return firstErr(finite(p, "mu", p.Mu), positive(p, "sigma", p.Sigma))
}
