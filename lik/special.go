package lik

import (
	"math"
)

// Constants kept to full double precision so that every density is exactly
// normalized.
const (
	lnSqrt2Pi = 0.91893853320467274178032973640561763986139747363778 // ½ log 2π
	lnPi      = 1.14472988584940017414342735135305871164729481291531 // log π
	invSqrt2  = 0.70710678118654752440084436210484903928483593768847 // 1/√2
)

// log1pmx returns log(1 + x) − x for x > −1 without the cancellation of the
// direct formula near 0, where the value is ≈ −x²/2. For |x| ≤ ¼ it uses
// log(1 + x) = 2 atanh(u), u = x/(2 + x), so that
//
//	log(1 + x) − x = −x·u + 2u³(1/3 + u²/5 + u⁴/7 + …),
//
// with |u| ≤ 1/7, which converges in a dozen terms and has no cancellation.
func log1pmx(x float64) float64 {
	if math.Abs(x) > 0.25 {
		return math.Log1p(x) - x
	}
	u := x / (2 + x)
	u2 := u * u
	var s float64
	p := 1.0
	for k := 3; k < 60; k += 2 {
		t := p / float64(k)
		s += t
		if t <= 1e-17*s {
			break
		}
		p *= u2
	}
	return -x*u + 2*u*u2*s
}

// asymptotic is the argument above which the Stirling-type series below are
// used; with the terms kept, their truncation error there is below 1e-16
// relative to the leading term.
const asymptotic = 10

// stirlerr returns lgamma(x) − [(x − ½) log x − x + ½ log 2π] for x ≥ 10
// from the Stirling series Σ B₂ₖ / (2k(2k−1) x^{2k−1}) (DLMF 5.11.1).
func stirlerr(x float64) float64 {
	z := 1 / x
	z2 := z * z
	return z * (1.0/12 - z2*(1.0/360-z2*(1.0/1260-z2*(1.0/1680-z2*(1.0/1188-z2*(691.0/360360-z2*(1.0/156)))))))
}

// lgammaDiff returns lgamma(x + y) − lgamma(x) for x > 0, y ≥ 0.
//
// For large x the direct difference loses about log₁₀(x log x) digits when y
// is small (the negative binomial with a large φ, the Student t with a large
// ν), so for x ≥ 10 it uses Stirling's formula, where the leading terms
// combine exactly:
//
//	(x − ½) log1p(y/x) + y log(x + y) − y + stirlerr(x + y) − stirlerr(x).
func lgammaDiff(x, y float64) float64 {
	if y == 0 {
		return 0
	}
	if x < asymptotic {
		a, _ := math.Lgamma(x + y)
		b, _ := math.Lgamma(x)
		return a - b
	}
	return (x-0.5)*math.Log1p(y/x) + y*math.Log(x+y) - y + (stirlerr(x+y) - stirlerr(x))
}

// psiTail returns S(x) − 1/(12x²), where ψ(x) = log x − 1/(2x) − S(x) and
// S(x) = Σ B₂ₖ/(2k x^{2k}) (DLMF 5.11.2), for x ≥ 10.
func psiTail(x float64) float64 {
	z2 := 1 / (x * x)
	z4 := z2 * z2
	return -z4 * (1.0/120 - z2*(1.0/252-z2*(1.0/240-z2*(1.0/132-z2*(691.0/32760-z2*(1.0/12))))))
}

// trigammaTail returns ψ'(x) − 1/x − 1/(2x²) = Σ B₂ₖ/x^{2k+1} for x ≥ 10.
func trigammaTail(x float64) float64 {
	z := 1 / x
	return z * z * trigammaTail2(x)
}

// trigammaTail2 returns x²·trigammaTail(x), which does not underflow for
// huge x.
func trigammaTail2(x float64) float64 {
	z := 1 / x
	z2 := z * z
	return z * (1.0/6 - z2*(1.0/30-z2*(1.0/42-z2*(1.0/30-z2*(5.0/66-z2*(691.0/2730-z2*(7.0/6)))))))
}

// digamma returns ψ(x) = d/dx log Γ(x), by the same scheme as trigamma: the
// recurrence ψ(x) = ψ(x + 1) − 1/x (DLMF 5.5.2) up to x ≥ 10, then
// ψ(x) = log x − 1/(2x) − Σ B₂ₖ/(2k x^{2k}) (DLMF 5.11.2). It is accurate to a
// few ulps; gonum's mathext.Digamma keeps fewer series terms and is only
// accurate to about 1e-10, which would show in ∂ℓ/∂φ and ∂ℓ/∂ν. Negative
// non-integers use ψ(1 − x) − ψ(x) = π cot(πx) (DLMF 5.5.4); poles return NaN.
func digamma(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, -1):
		return math.NaN()
	case math.IsInf(x, 1):
		return x
	case x <= 0 && x == math.Floor(x):
		return math.NaN()
	case x < 0:
		return digamma(1-x) - math.Pi/math.Tan(math.Pi*x)
	}
	var r float64
	for ; x < asymptotic; x++ {
		r -= 1 / x
	}
	z2 := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - z2/12 - psiTail(x)
}

// trigamma returns ψ'(x) = d²/dx² log Γ(x): the recurrence
// ψ'(x) = ψ'(x + 1) + 1/x² (DLMF 5.15.5) moves x to ≥ 10, where the
// asymptotic series 1/x + 1/(2x²) + Σ B₂ₖ/x^{2k+1} (DLMF 5.15.8) is accurate
// to double precision. Negative non-integers use the reflection formula
// ψ'(1 − x) + ψ'(x) = π²/sin²(πx) (DLMF 5.15.6); poles return +Inf.
func trigamma(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, -1):
		return math.NaN()
	case math.IsInf(x, 1):
		return 0
	case x <= 0 && x == math.Floor(x):
		return math.Inf(1)
	case x < 0:
		s := math.Sin(math.Pi * x)
		return math.Pi*math.Pi/(s*s) - trigamma(1-x)
	}
	var r float64
	for ; x < asymptotic; x++ {
		r += 1 / (x * x)
	}
	z := 1 / x
	return r + z + 0.5*z*z + trigammaTail(x)
}

// digammaDiff returns g = ψ(x + y) − ψ(x) − log1p(y/x) for x > 0, y ≥ 0.
// g is O(y/x²) for large x while ψ(x + y) and ψ(x) are O(log x), so the
// direct difference would leave no correct digits for x ≳ 10⁸; for x ≥ 10 the
// asymptotic series is differenced term by term, with the leading terms
// combined exactly:
//
//	g = y/(2x(x+y)) + y(2x+y)/(12x²(x+y)²) + tail(x) − tail(x+y).
func digammaDiff(x, y float64) float64 {
	if y == 0 {
		return 0
	}
	if x < asymptotic {
		q := y / x
		if math.IsInf(q, 1) {
			// Subnormal x: ψ(x) = ψ(x+1) − 1/x and log1p(y/x) = log(x+y) − log x.
			return digamma(x+y) - digamma(x+1) + 1/x - math.Log(x+y) + math.Log(x)
		}
		return digamma(x+y) - digamma(x) - math.Log1p(q)
	}
	xy := x + y
	return y/(2*x*xy) + y*(2*x+y)/(12*x*x*xy*xy) + psiTail(x) - psiTail(xy)
}

// trigammaDiff2 returns x²·t, where t = ψ'(x + y) − ψ'(x) + y/(x(x+y)), for
// x > 0, y ≥ 0. t is O(y/x³) for large x, and ≈ −1/x² for small x, where it
// overflows; callers combine x²·t with other terms of order 1/x² before
// dividing by x², so that the sum is −Inf or +Inf as it should be rather than
// Inf − Inf. For x ≥ 10 the asymptotic series is differenced term by term,
// written with ρ = x/(x+y) so that nothing overflows for huge x:
//
//	x²·t = −(y/(x+y))(1 + ρ)/2 + ρ²·(x+y)²·tail'(x+y) − x²·tail'(x);
//
// for x < 1 the recurrence ψ'(x) = ψ'(x+1) + 1/x² gives
//
//	x²·t = x²(ψ'(x+y) − ψ'(x+1)) + xy/(x+y) − 1.
func trigammaDiff2(x, y float64) float64 {
	if y == 0 {
		return 0
	}
	xy := x + y
	switch {
	case x < 1:
		return x*x*(trigamma(xy)-trigamma(x+1)) + x*y/xy - 1
	case x < asymptotic:
		return x * x * (trigamma(xy) - trigamma(x) + y/(x*xy))
	}
	rho := x / xy
	return -0.5*(y/xy)*(1+rho) + rho*rho*trigammaTail2(xy) - trigammaTail2(x)
}

// normLogCDF returns, at x, log Φ(x), the inverse Mills ratio m = φ(x)/Φ(x)
// and c = x + m, all without overflow, underflow to zero, or cancellation.
// The derivatives of log Φ are m and −m·c.
//
// For x ≥ −4 it uses erfc, which has full relative accuracy: Φ(x) =
// ½ erfc(−x/√2), and log Φ(x) = log1p(−½ erfc(x/√2)) for x > 0. Below, with
// t = −x, Laplace's continued fraction for the Mills ratio (DLMF 7.9.2,
// Abramowitz & Stegun 26.2.14)
//
//	Φ(−t)/φ(t) = 1/(t + c),  c = 1/(t + 2/(t + 3/(t + …)))
//
// gives m = t + c and x + m = c directly, so the second derivative
// −m(x + m), which is ≈ −1 + 2/t² and would otherwise be the difference of
// two numbers ≈ t, keeps full precision, and log Φ(x) =
// −t²/2 − ½ log 2π − log(t + c) never underflows. The fraction is evaluated
// backwards with enough terms for double precision at each t (40 terms at
// t = 4, 20 from t = 8). Above −4 the cancellation in x + m costs at most
// about 100 ulps of the second derivative.
func normLogCDF(x float64) (logcdf, m, c float64) {
	if x >= -4 {
		var cdf float64
		if x > 0 {
			tail := 0.5 * math.Erfc(x*invSqrt2)
			logcdf = math.Log1p(-tail)
			cdf = 1 - tail
		} else {
			cdf = 0.5 * math.Erfc(-x*invSqrt2)
			logcdf = math.Log(cdf)
		}
		m = math.Exp(-0.5*x*x-lnSqrt2Pi) / cdf
		return logcdf, m, x + m
	}
	t := -x
	n := 40 // converged to double precision for t ≥ 4
	if t >= 8 {
		n = 20
	}
	for k := n; k >= 1; k-- {
		c = float64(k) / (t + c)
	}
	m = t + c
	return -0.5*t*t - lnSqrt2Pi - math.Log(m), m, c
}
