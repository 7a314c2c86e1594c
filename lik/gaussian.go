package lik

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Gaussian is the normal likelihood with identity link and unknown standard
// deviation σ (auxiliary parameter "sigma"):
//
//	ℓ = −½ log 2π − log σ − (y − η)²/(2σ²).
type Gaussian struct {
	y []float64
}

// NewGaussian returns the Gaussian likelihood of the response y, which must
// be finite. y is copied.
func NewGaussian(y []float64) (*Gaussian, error) {
	if err := checkFinite("gaussian", y); err != nil {
		return nil, err
	}
	return &Gaussian{y: clone(y)}, nil
}

// Len returns the number of rows.
func (g *Gaussian) Len() int { return len(g.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (g *Gaussian) Y() []float64 { return g.y }

// Aux returns {"sigma"}.
func (g *Gaussian) Aux() []string { return []string{"sigma"} }

// Degree returns 2: ℓ is quadratic in η.
func (g *Gaussian) Degree() int { return 2 }

// LogLik returns ℓ, ∂ℓ/∂η = (y − η)/σ² and ∂²ℓ/∂η² = −1/σ², and stores
// ∂ℓ/∂σ = (z² − 1)/σ, z = (y − η)/σ, in daux[0] when daux is not nil.
// For σ ≤ 0 (outside the parameter space) it returns −Inf and zero
// derivatives.
func (g *Gaussian) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	sigma := aux[0]
	if !(sigma > 0) {
		zero(daux)
		return math.Inf(-1), 0, 0
	}
	z := (g.y[i] - eta) / sigma
	l = -lnSqrt2Pi - math.Log(sigma) - 0.5*z*z
	if daux != nil {
		daux[0] = (z*z - 1) / sigma
	}
	return l, z / sigma, -1 / sigma / sigma
}

// LogLikAux2 stores ∂²ℓ/∂η∂σ = −2z/σ² in deta[0] and
// ∂²ℓ/∂σ² = (1 − 3z²)/σ² in daa[0].
func (g *Gaussian) LogLikAux2(i int, eta float64, aux, deta, daa []float64) {
	sigma := aux[0]
	if !(sigma > 0) {
		deta[0], daa[0] = 0, 0
		return
	}
	z := (g.y[i] - eta) / sigma
	deta[0] = -2 * z / sigma / sigma
	daa[0] = (1 - 3*z*z) / sigma / sigma
}

// Mean returns E[y | η] = η.
func (g *Gaussian) Mean(i int, eta float64, aux []float64) float64 { return eta }

// Rand returns a draw from N(η, σ²).
func (g *Gaussian) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	return eta + aux[0]*rng.NormFloat64()
}

// GaussianSE is the normal likelihood with identity link and known per-row
// standard deviations seᵢ, as in meta-analysis (the eight schools):
//
//	ℓ = −½ log 2π − log seᵢ − (yᵢ − η)²/(2seᵢ²).
//
// It has no auxiliary parameters.
type GaussianSE struct {
	y, se []float64
	c     []float64 // −½ log 2π − log seᵢ
}

// NewGaussianSE returns the Gaussian likelihood of y with known standard
// errors se, which must be finite and positive. The slices are copied.
func NewGaussianSE(y, se []float64) (*GaussianSE, error) {
	const family = "gaussian_se"
	if err := checkLen(family, "y", "se", y, se); err != nil {
		return nil, err
	}
	if err := checkFinite(family, y); err != nil {
		return nil, err
	}
	e := rowErrors{family: family}
	c := make([]float64, len(se))
	for i, s := range se {
		if !(s > 0) || math.IsInf(s, 1) {
			e.add(i, fmt.Sprintf("se = %s is not positive and finite", num(s)))
			continue
		}
		c[i] = -lnSqrt2Pi - math.Log(s)
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return &GaussianSE{y: clone(y), se: clone(se), c: c}, nil
}

// Len returns the number of rows.
func (g *GaussianSE) Len() int { return len(g.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (g *GaussianSE) Y() []float64 { return g.y }

// Aux returns nil: the standard deviations are known.
func (g *GaussianSE) Aux() []string { return nil }

// Degree returns 2: ℓ is quadratic in η.
func (g *GaussianSE) Degree() int { return 2 }

// LogLik returns ℓ, ∂ℓ/∂η = (yᵢ − η)/seᵢ² and ∂²ℓ/∂η² = −1/seᵢ². daux is
// ignored.
func (g *GaussianSE) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	s := g.se[i]
	z := (g.y[i] - eta) / s
	return g.c[i] - 0.5*z*z, z / s, -1 / s / s
}

// Mean returns E[y | η] = η.
func (g *GaussianSE) Mean(i int, eta float64, aux []float64) float64 { return eta }

// Rand returns a draw from N(η, seᵢ²).
func (g *GaussianSE) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	return eta + g.se[i]*rng.NormFloat64()
}
