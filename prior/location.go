package prior

import "math"

// Normal is the normal prior normal(mu, sigma):
//
//	log p(x) = −½ log 2π − log σ − z²/2,  z = (x − μ)/σ.
type Normal struct {
	Mu, Sigma float64
}

// LogProb returns log p(x), −z/σ and −1/σ².
func (p Normal) LogProb(x float64) (lp, d1, d2 float64) {
	z := (x - p.Mu) / p.Sigma
	return -lnSqrt2Pi - math.Log(p.Sigma) - 0.5*z*z, -z / p.Sigma, -1 / p.Sigma / p.Sigma
}

// NormalParams returns μ and σ. It marks the prior as Gaussian, so that
// callers can detect it with an interface assertion and use closed forms
// (conjugate updates, an exact expected log prior under a Gaussian q).
func (p Normal) NormalParams() (mu, sigma float64) { return p.Mu, p.Sigma }

// Positive returns false.
func (p Normal) Positive() bool { return false }

// Proper returns true.
func (p Normal) Proper() bool { return true }

// String returns "normal(mu, sigma)".
func (p Normal) String() string { return spelling("normal", p.Mu, p.Sigma) }

// Validate checks that μ is finite and σ positive and finite.
func (p Normal) Validate() error {
	return firstErr(finite(p, "mu", p.Mu), positive(p, "sigma", p.Sigma))
}

// StudentT is Student's t prior student_t(nu, mu, sigma):
//
//	log p(x) = lgamma((ν+1)/2) − lgamma(ν/2) − ½ log(νπ) − log σ
//	           − (ν+1)/2 · log1p(z²/ν),  z = (x − μ)/σ.
type StudentT struct {
	Nu, Mu, Sigma float64
}

// studentT returns the Student t log density and derivatives at r = x − μ;
// it is shared with HalfStudentT.
func studentT(nu, sigma, r float64) (lp, d1, d2 float64) {
	l1, d1, d2 := tCore(nu, sigma, r)
	c := lgamma((nu+1)/2) - lgamma(nu/2) - 0.5*(math.Log(nu)+lnPi) - math.Log(sigma)
	return c - 0.5*(nu+1)*l1, d1, d2
}

// tCore returns log1p(z²/ν), z = r/σ, and the derivatives in x of
// −(ν+1)/2 · log1p(z²/ν):
//
//	−(ν+1)z/(σ(ν + z²))  and  (ν+1)(z² − ν)/(σ²(ν + z²)²).
//
// They are written with z/(ν + z²) = 1/(z + ν/z), z²/(ν + z²) = 1/(1 + ν/z²)
// and ν/(ν + z²) = 1/(1 + z²/ν), which stay finite (0 or 1) when z² overflows
// or z = 0, so that no NaN arises for any finite x; log1p(z²/ν) is computed
// from logarithms when z²/ν overflows.
func tCore(nu, sigma, r float64) (l1, d1, d2 float64) {
	z := r / sigma
	z2 := z * z
	w := z2 / nu
	if w < 1e300 {
		l1 = math.Log1p(w)
	} else {
		l1 = 2*(logAbsDiff(r)-math.Log(sigma)) - math.Log(nu)
	}
	v := 1 / (1 + nu/z2) // z²/(ν + z²)
	b := 1 / (1 + w)     // ν/(ν + z²)
	d1 = -(nu + 1) / (z + nu/z) / sigma
	d2 = (nu + 1) * (v - b) / (nu + z2) / sigma / sigma
	return l1, d1, d2
}

// logAbsDiff returns log|r| for r = x − μ, which may have overflowed to ±Inf
// although x and μ are finite; then |r| ≤ 2·MaxFloat64 and log|r| is within
// log 2 of 709.78, which is accurate enough for a density of order e^{−700ν}.
func logAbsDiff(r float64) float64 {
	if math.IsInf(r, 0) {
		return math.Log(math.MaxFloat64) + math.Ln2
	}
	return math.Log(math.Abs(r))
}

// LogProb returns log p(x) and its derivatives
// −(ν+1)z/(σ(ν + z²)) and (ν+1)(z² − ν)/(σ²(ν + z²)²).
func (p StudentT) LogProb(x float64) (lp, d1, d2 float64) {
	return studentT(p.Nu, p.Sigma, x-p.Mu)
}

// Positive returns false.
func (p StudentT) Positive() bool { return false }

// Proper returns true.
func (p StudentT) Proper() bool { return true }

// String returns "student_t(nu, mu, sigma)".
func (p StudentT) String() string { return spelling("student_t", p.Nu, p.Mu, p.Sigma) }

// Validate checks that ν and σ are positive and finite and μ finite.
func (p StudentT) Validate() error {
	return firstErr(positive(p, "nu", p.Nu), finite(p, "mu", p.Mu), positive(p, "sigma", p.Sigma))
}

// Cauchy is the Cauchy prior cauchy(mu, sigma):
//
//	log p(x) = −log π − log σ − log1p(z²),  z = (x − μ)/σ.
type Cauchy struct {
	Mu, Sigma float64
}

// cauchy returns the Cauchy log density and derivatives at r = x − μ: the
// Student t with ν = 1, whose constant lgamma(1) − lgamma(½) − ½ log π is
// −log π.
func cauchy(sigma, r float64) (lp, d1, d2 float64) {
	l1, d1, d2 := tCore(1, sigma, r)
	return -lnPi - math.Log(sigma) - l1, d1, d2
}

// LogProb returns log p(x), −2z/(σ(1 + z²)) and 2(z² − 1)/(σ²(1 + z²)²).
func (p Cauchy) LogProb(x float64) (lp, d1, d2 float64) { return cauchy(p.Sigma, x-p.Mu) }

// Positive returns false.
func (p Cauchy) Positive() bool { return false }

// Proper returns true.
func (p Cauchy) Proper() bool { return true }

// String returns "cauchy(mu, sigma)".
func (p Cauchy) String() string { return spelling("cauchy", p.Mu, p.Sigma) }

// Validate checks that μ is finite and σ positive and finite.
func (p Cauchy) Validate() error {
	return firstErr(finite(p, "mu", p.Mu), positive(p, "sigma", p.Sigma))
}

// DoubleExponential is the Laplace prior double_exponential(mu, sigma):
//
//	log p(x) = −log 2 − log σ − |x − μ|/σ.
//
// The density is not differentiable at x = μ; LogProb returns the
// subgradient 0 there (the midpoint of [−1/σ, 1/σ]) and a second derivative
// of 0 everywhere.
type DoubleExponential struct {
	Mu, Sigma float64
}

// LogProb returns log p(x), −sign(x − μ)/σ (0 at x = μ) and 0.
func (p DoubleExponential) LogProb(x float64) (lp, d1, d2 float64) {
	r := x - p.Mu
	switch {
	case r > 0:
		d1 = -1 / p.Sigma
	case r < 0:
		d1 = 1 / p.Sigma
	}
	return -ln2 - math.Log(p.Sigma) - math.Abs(r)/p.Sigma, d1, 0
}

// Positive returns false.
func (p DoubleExponential) Positive() bool { return false }

// Proper returns true.
func (p DoubleExponential) Proper() bool { return true }

// String returns "double_exponential(mu, sigma)".
func (p DoubleExponential) String() string { return spelling("double_exponential", p.Mu, p.Sigma) }

// Validate checks that μ is finite and σ positive and finite.
func (p DoubleExponential) Validate() error {
	return firstErr(finite(p, "mu", p.Mu), positive(p, "sigma", p.Sigma))
}

// Logistic is the logistic prior logistic(mu, sigma):
//
//	log p(x) = −z − log σ − 2 log1p(e^{−z}),  z = (x − μ)/σ,
//
// evaluated in the symmetric form −|z| − log σ − 2 log1p(e^{−|z|}), which
// cannot overflow.
type Logistic struct {
	Mu, Sigma float64
}

// LogProb returns log p(x), −tanh(z/2)/σ and −sech²(z/2)/(2σ²).
func (p Logistic) LogProb(x float64) (lp, d1, d2 float64) {
	z := (x - p.Mu) / p.Sigma
	a := math.Abs(z)
	e := math.Exp(-a)
	lp = -a - math.Log(p.Sigma) - 2*math.Log1p(e)
	// tanh(z/2) = (1 − e^{−|z|})/(1 + e^{−|z|})·sign(z);
	// sech²(z/2) = 4e^{−|z|}/(1 + e^{−|z|})².
	t := (1 - e) / (1 + e)
	if z < 0 {
		t = -t
	}
	d1 = -t / p.Sigma
	d2 = -2 * e / ((1 + e) * (1 + e)) / p.Sigma / p.Sigma
	return lp, d1, d2
}

// Positive returns false.
func (p Logistic) Positive() bool { return false }

// Proper returns true.
func (p Logistic) Proper() bool { return true }

// String returns "logistic(mu, sigma)".
func (p Logistic) String() string { return spelling("logistic", p.Mu, p.Sigma) }

// Validate checks that μ is finite and σ positive and finite.
func (p Logistic) Validate() error {
	return firstErr(finite(p, "mu", p.Mu), positive(p, "sigma", p.Sigma))
}
