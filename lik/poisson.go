package lik

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// checkCounts validates a count response.
func checkCounts(family string, y []float64) error {
	e := rowErrors{family: family}
	for i, v := range y {
		if !isCount(v) {
			e.add(i, "y = "+num(v)+" is not a non-negative integer")
		}
	}
	return e.err()
}

// negLogFactorial returns −log yᵢ! for each count.
func negLogFactorial(y []float64) []float64 {
	c := make([]float64, len(y))
	for i, v := range y {
		lg, _ := math.Lgamma(v + 1)
		c[i] = -lg
	}
	return c
}

// PoissonLog is the Poisson likelihood with log link, μ = e^η:
//
//	ℓ = yη − e^η − log y!.
//
// An offset is part of η. It has no auxiliary parameters.
type PoissonLog struct {
	y []float64
	c []float64 // −log yᵢ!
}

// NewPoissonLog returns the Poisson likelihood of the counts y, which must be
// non-negative integers. y is copied.
func NewPoissonLog(y []float64) (*PoissonLog, error) {
	if err := checkCounts("poisson", y); err != nil {
		return nil, err
	}
	return &PoissonLog{y: clone(y), c: negLogFactorial(y)}, nil
}

// Len returns the number of rows.
func (p *PoissonLog) Len() int { return len(p.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (p *PoissonLog) Y() []float64 { return p.y }

// Aux returns nil.
func (p *PoissonLog) Aux() []string { return nil }

// LogLik returns ℓ, ∂ℓ/∂η = y − e^η and ∂²ℓ/∂η² = −e^η. daux is ignored.
//
// For η above log(MaxFloat64) ≈ 709.78, e^η overflows and LogLik returns
// ℓ = −Inf, ∂ℓ/∂η = ∂²ℓ/∂η² = −Inf (the true values are below −1e308);
// it never returns NaN for finite η.
func (p *PoissonLog) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	y := p.y[i]
	mu := math.Exp(eta)
	l = p.c[i] - mu
	if y != 0 {
		l += y * eta
	}
	return l, y - mu, -mu
}

// LogLikValues implements model.RowValues with LogLik's value.
func (p *PoissonLog) LogLikValues(dst []float64, i int, eta []float64) {
	y, c := p.y[i], p.c[i]
	dst = dst[:len(eta)]
	for k, e := range eta {
		l := c - math.Exp(e)
		if y != 0 {
			l += y * e
		}
		dst[k] = l
	}
}

// Mean returns E[y | η] = e^η.
func (p *PoissonLog) Mean(i int, eta float64, aux []float64) float64 { return math.Exp(eta) }

// Rand returns a draw from Poisson(e^η); +Inf when e^η overflows.
func (p *PoissonLog) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	return randPoisson(math.Exp(eta), rng)
}

// randPoisson draws from Poisson(mu), returning +Inf for mu = +Inf.
func randPoisson(mu float64, rng *rand.Rand) float64 {
	switch {
	case mu <= 0:
		return 0
	case math.IsInf(mu, 1):
		return mu
	}
	return distuv.Poisson{Lambda: mu, Src: rng}.Rand()
}
