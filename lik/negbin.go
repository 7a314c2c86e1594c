package lik

import (
	"github.com/govi-dev/govi/internal/mathx"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// NegBinomialLog is Stan's neg_binomial_2_log likelihood: counts with mean
// μ = e^η and variance μ + μ²/φ, with the precision φ as auxiliary parameter
// "phi":
//
//	ℓ = lgamma(y + φ) − lgamma(φ) − lgamma(y + 1)
//	    + φ(log φ − log(φ + μ)) + y(η − log(φ + μ)).
//
// It is evaluated as
//
//	ℓ = [lgamma(y + φ) − lgamma(φ)] − log y! − φ·softplus(η − log φ) − y·softplus(log φ − η),
//
// since log(φ + μ) − log φ = softplus(η − log φ) and
// log(φ + μ) − η = softplus(log φ − η), so there is no overflow for large η;
// the lgamma difference comes from Stirling's series for φ ≥ 10. For φ ≥ 10
// with |y − μ| ≤ (φ + μ)/2 it is evaluated instead as the Poisson log density
// plus O(1/φ) corrections, which approach 0 without cancellation as φ → ∞.
type NegBinomialLog struct {
	y []float64
	c []float64 // −log yᵢ!
}

// NewNegBinomialLog returns the negative binomial likelihood of the counts y,
// which must be non-negative integers. y is copied.
func NewNegBinomialLog(y []float64) (*NegBinomialLog, error) {
	if err := checkCounts("neg_binomial_2", y); err != nil {
		return nil, err
	}
	return &NegBinomialLog{y: clone(y), c: negLogFactorial(y)}, nil
}

// Len returns the number of rows.
func (nb *NegBinomialLog) Len() int { return len(nb.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (nb *NegBinomialLog) Y() []float64 { return nb.y }

// Aux returns {"phi"}.
func (nb *NegBinomialLog) Aux() []string { return []string{"phi"} }

// nbTerms holds quantities shared by LogLik and LogLikAux2.
type nbTerms struct {
	sp, spm float64 // softplus(η − log φ), softplus(log φ − η)
	p, q    float64 // μ/(φ+μ), φ/(φ+μ)
	r       float64 // (y − μ)/(φ + μ)
}

// nbCompute returns the nbTerms for response y.
func nbCompute(y, eta, phi float64) nbTerms {
	z := eta - math.Log(phi)
	var t nbTerms
	t.sp, t.spm = mathx.Softplus(z), mathx.Softplus(-z)
	t.p, t.q = mathx.Logistic(z), mathx.Logistic(-z)
	// y/(φ+μ) = y·q/φ, finite even when μ overflows.
	t.r = y*t.q/phi - t.p
	return t
}

// LogLik returns ℓ, ∂ℓ/∂η = y·q − φ·p = φ(y − μ)/(φ + μ) and
// ∂²ℓ/∂η² = −(φ + y)·p·q, with p = μ/(φ+μ), q = φ/(φ+μ), and stores
//
//	∂ℓ/∂φ = ψ(y+φ) − ψ(φ) − log1p(μ/φ) + (μ − y)/(φ + μ)
//	      = [ψ(y+φ) − ψ(φ) − log1p(y/φ)] + [log1p(r) − r],  r = (y − μ)/(φ + μ),
//
// in daux[0]. Both brackets are O(1/φ²) for large φ and are computed without
// cancellation (asymptotic series for the first, log1pmx for the second), so
// the derivative keeps its relative accuracy up to φ ≈ 1e15.
// For φ ≤ 0 it returns −Inf and zero derivatives.
func (nb *NegBinomialLog) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	phi := aux[0]
	if !(phi > 0) {
		zero(daux)
		return math.Inf(-1), 0, 0
	}
	y := nb.y[i]
	t := nbCompute(y, eta, phi)
	if phi >= asymptotic && math.Abs(t.r) <= 0.5 {
		l = nbPoissonForm(y, eta, phi, t.r) + nb.c[i]
	} else {
		l = lgammaDiff(phi, y) + nb.c[i] - phi*t.sp
		if y != 0 {
			l -= y * t.spm
		}
	}
	d1 = y*t.q - phi*t.p
	d2 = -(phi + y) * t.p * t.q
	if daux != nil {
		daux[0] = nbDPhi(y, phi, t)
	}
	return l, d1, d2
}

// nbPoissonForm returns ℓ + log y! for φ ≥ 10 and |r| ≤ ½ as the Poisson
// log density plus corrections of order 1/φ. Substituting Stirling's series
// into lgamma(y+φ) − lgamma(φ) and collecting terms gives exactly
//
//	ℓ + log y! = yη − μ + (y − μ)·r + (φ + y)·log1pmx(r) − ½ log1p(y/φ)
//	             + stirlerr(φ + y) − stirlerr(φ),
//
// whose correction terms are all small, so ℓ keeps absolute accuracy
// eps·(|yη| + μ) instead of eps·y·log φ from terms ≈ y log φ that cancel in the
// direct form. |r| ≤ ½ implies μ ≤ 3φ + 2y, so e^η does not overflow.
func nbPoissonForm(y, eta, phi, r float64) float64 {
	mu := math.Exp(eta)
	// Small terms first, so that a tiny ℓ (μ → 0, y = 0) keeps its digits.
	l := (stirlerr(phi+y) - stirlerr(phi)) - 0.5*math.Log1p(y/phi) + (phi+y)*log1pmx(r) + (y-mu)*r - mu
	if y != 0 {
		l += y * eta
	}
	return l
}

// nbDPhi returns ∂ℓ/∂φ.
func nbDPhi(y, phi float64, t nbTerms) float64 {
	g := digammaDiff(phi, y)
	if math.Abs(t.r) <= 0.25 {
		return g + log1pmx(t.r)
	}
	// log1p(r) = log((φ+y)/φ) − log((φ+μ)/φ): no cancellation when |r| is
	// not small, and no loss when r is near −1 (μ ≫ φ + y).
	return g + math.Log1p(y/phi) - t.sp - t.r
}

// LogLikAux2 stores ∂²ℓ/∂η∂φ = p·r in deta[0] and
//
//	∂²ℓ/∂φ² = ψ'(y+φ) − ψ'(φ) + μ/(φ(φ+μ)) − (μ − y)/(φ+μ)²
//	        = [ψ'(y+φ) − ψ'(φ) + y/(φ(φ+y))] + r²/(φ + y)
//
// in daa[0]; the second form is exact algebra that removes the O(1/φ²)
// cancellation of the first.
func (nb *NegBinomialLog) LogLikAux2(i int, eta float64, aux, deta, daa []float64) {
	phi := aux[0]
	if !(phi > 0) {
		deta[0], daa[0] = 0, 0
		return
	}
	y := nb.y[i]
	t := nbCompute(y, eta, phi)
	deta[0] = t.p * t.r
	// φ²·daa = φ²[ψ'…] + (φr)²/(φ+y) is finite for tiny φ, where both
	// terms of daa overflow with opposite signs.
	pr := y*t.q - phi*t.p // φ·r
	daa[0] = (trigammaDiff2(phi, y) + pr*pr/(phi+y)) / phi / phi
}

// Mean returns E[y | η] = e^η.
func (nb *NegBinomialLog) Mean(i int, eta float64, aux []float64) float64 { return math.Exp(eta) }

// Rand returns a draw from the negative binomial as the gamma–Poisson
// mixture λ ~ Gamma(φ, rate φ/μ), y ~ Poisson(λ); +Inf when e^η overflows.
func (nb *NegBinomialLog) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	mu := math.Exp(eta)
	if mu == 0 || math.IsInf(mu, 1) {
		return mu
	}
	phi := aux[0]
	lambda := distuv.Gamma{Alpha: phi, Beta: phi / mu, Src: rng}.Rand()
	return randPoisson(lambda, rng)
}
