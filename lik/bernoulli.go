package lik

import (
	"github.com/govi-dev/govi/internal/mathx"
	"math"
	"math/rand/v2"
)

// checkBinary validates a 0/1 response.
func checkBinary(y []float64) error {
	e := rowErrors{family: "bernoulli"}
	for i, v := range y {
		if v != 0 && v != 1 {
			e.add(i, "y = "+num(v)+" is not 0 or 1")
		}
	}
	return e.err()
}

// BernoulliLogit is the Bernoulli likelihood with logit link,
// p = σ(η) = 1/(1 + e^{−η}):
//
//	ℓ = y log σ(η) + (1 − y) log σ(−η) = −softplus(−sη),  s = 2y − 1.
//
// It has no auxiliary parameters.
type BernoulliLogit struct {
	y []float64
}

// NewBernoulliLogit returns the logistic-regression likelihood of y, whose
// entries must be 0 or 1. y is copied.
func NewBernoulliLogit(y []float64) (*BernoulliLogit, error) {
	if err := checkBinary(y); err != nil {
		return nil, err
	}
	return &BernoulliLogit{y: clone(y)}, nil
}

// Len returns the number of rows.
func (b *BernoulliLogit) Len() int { return len(b.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (b *BernoulliLogit) Y() []float64 { return b.y }

// Aux returns nil.
func (b *BernoulliLogit) Aux() []string { return nil }

// LogLik returns ℓ = −softplus(−sη), ∂ℓ/∂η = s·σ(−sη) and
// ∂²ℓ/∂η² = −σ(η)σ(−η), all from the single exponential e^{−|η|}, so they are
// finite and accurate for every finite η (at η = ±800 ℓ is −800 or −0).
// daux is ignored.
func (b *BernoulliLogit) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	x := eta
	s := 1.0
	if b.y[i] == 0 {
		x, s = -eta, -1
	}
	e := math.Exp(-math.Abs(x))
	lp := math.Log1p(e)
	// q = σ(−x): the probability of the outcome not observed.
	var q float64
	if x >= 0 {
		l = -lp
		q = e / (1 + e)
	} else {
		l = x - lp
		q = 1 / (1 + e)
	}
	return l, s * q, -e / ((1 + e) * (1 + e))
}

// LogLikValues implements model.RowValues: ℓ = min(x, 0) − log1p(e^{−|x|})
// with x = sη, LogLik's value without its derivatives or branches.
func (b *BernoulliLogit) LogLikValues(dst []float64, i int, eta []float64) {
	s := 2*b.y[i] - 1
	dst = dst[:len(eta)]
	for k, e := range eta {
		x := s * e
		// −(lp − min(x, 0)) rather than min(x, 0) − lp: LogLik's −0 at x ≫ 0.
		dst[k] = -(math.Log1p(math.Exp(-math.Abs(x))) - min(x, 0))
	}
}

// Mean returns P(y = 1 | η) = σ(η).
func (b *BernoulliLogit) Mean(i int, eta float64, aux []float64) float64 { return mathx.Logistic(eta) }

// Rand returns 1 with probability σ(η) and 0 otherwise.
func (b *BernoulliLogit) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	if rng.Float64() < mathx.Logistic(eta) {
		return 1
	}
	return 0
}

// BernoulliProbit is the Bernoulli likelihood with probit link, p = Φ(η):
//
//	ℓ = log Φ(sη),  s = 2y − 1.
//
// It has no auxiliary parameters.
type BernoulliProbit struct {
	y []float64
}

// NewBernoulliProbit returns the probit-regression likelihood of y, whose
// entries must be 0 or 1. y is copied.
func NewBernoulliProbit(y []float64) (*BernoulliProbit, error) {
	if err := checkBinary(y); err != nil {
		return nil, err
	}
	return &BernoulliProbit{y: clone(y)}, nil
}

// Len returns the number of rows.
func (b *BernoulliProbit) Len() int { return len(b.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (b *BernoulliProbit) Y() []float64 { return b.y }

// Aux returns nil.
func (b *BernoulliProbit) Aux() []string { return nil }

// LogLik returns ℓ = log Φ(x), ∂ℓ/∂η = s·m and ∂²ℓ/∂η² = −m(x + m), where
// x = sη and m = φ(x)/Φ(x) is the inverse Mills ratio. In the lower tail log Φ
// and m come from Laplace's continued fraction, so that ℓ ≈ −x²/2 stays finite
// (log Φ(−40) = −804.608…), m ≈ −x stays accurate and −m(x + m) → −1 without
// cancellation. daux is ignored.
func (b *BernoulliProbit) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	x, s := eta, 1.0
	if b.y[i] == 0 {
		x, s = -eta, -1
	}
	l, m, c := normLogCDF(x)
	return l, s * m, -m * c
}

// Mean returns P(y = 1 | η) = Φ(η).
func (b *BernoulliProbit) Mean(i int, eta float64, aux []float64) float64 {
	return 0.5 * math.Erfc(-eta*invSqrt2)
}

// Rand returns 1 with probability Φ(η) and 0 otherwise.
func (b *BernoulliProbit) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	if rng.Float64() < b.Mean(i, eta, aux) {
		return 1
	}
	return 0
}
