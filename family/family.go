// Package family provides Gaussian variational families q_φ(θ) on R^d:
// mean-field (independent coordinates) and full-rank (dense Cholesky factor).
//
// Both are location-scale families θ = μ + Lε with ε ~ N(0, I), which makes
// draws reparameterizable: the gradient of E_q[f(θ)] in φ is E[∇θ f · ∂θ/∂φ]
// (Kingma & Welling 2014; Titsias & Lázaro-Gredilla 2014). Each family knows
// its own chain rule from ∂/∂θ (and from ∂/∂μ, ∂/∂L) back to ∂/∂φ, its entropy
// and its closed-form KL divergence to a Gaussian.
package family

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// ErrDim is returned when slice lengths do not match the family.
var ErrDim = errors.New("family: dimension mismatch")

const log2Pi = 1.8378770664093454835606594728112352797227949472755668

// Family is a reparameterizable Gaussian q_φ(θ) = N(μ, LLᵀ).
//
// Methods that take a gradient argument add to it, so that callers can
// accumulate several terms into one ∇φ. Implementations are not safe for
// concurrent mutation, but the read-only methods (Transform, Backprop with a
// caller-owned destination, LogProb, Mean) may be called concurrently.
type Family interface {
	// Dim returns d, the dimension of θ.
	Dim() int
	// Len returns the number of variational parameters, len(φ).
	Len() int
	// Params stores φ in dst (allocating when dst is nil) and returns it.
	Params(dst []float64) []float64
	// SetParams sets φ.
	SetParams(phi []float64)
	// Transform stores θ = μ + Lε in theta.
	Transform(theta, eps []float64)
	// Backprop adds to dphi the gradient in φ of f(θ(ε)) given g = ∇θ f at
	// θ(ε), scaled by w: dphi += w · (∂θ/∂φ)ᵀ g.
	Backprop(dphi []float64, w float64, g, eps []float64)
	// Entropy returns H(q) and, if grad is not nil, adds ∇φ H to it.
	Entropy(grad []float64) float64
	// LogProb returns log q(θ).
	LogProb(theta []float64) float64
	// Mean stores μ in dst (allocating when nil) and returns it.
	Mean(dst []float64) []float64
	// Cov stores LLᵀ in dst, which must be d×d or empty.
	Cov(dst *mat.SymDense)
	// Rand stores a draw from q in theta, using eps as scratch of length d.
	Rand(theta, eps []float64, rng *rand.Rand)
	// ScaleBy multiplies the scale L by c > 0, keeping μ.
	ScaleBy(c float64)
	// KL returns KL(q ‖ p) in closed form and, if grad is not nil, adds
	// alpha·∇φ KL to it (an ELBO passes alpha = −1).
	KL(grad []float64, alpha float64, p *Normal) float64
}

// Scale is implemented by families that expose their location and scale
// directly, so that structured estimators can work with μ and L instead of
// individual draws.
type Scale interface {
	Family
	// Loc returns μ. The slice is owned by the family; do not modify it.
	Loc() []float64
	// ScaleTri stores L (lower triangular) in dst, which must be d×d.
	ScaleTri(dst *mat.TriDense)
	// BackpropLocScale adds to dphi the gradient in φ of a function whose
	// gradients in μ and in L are gmu and gL (only the lower triangle of gL is
	// read, and for a diagonal family only its diagonal).
	BackpropLocScale(dphi, gmu []float64, gL *mat.Dense)
	// IsDiagonal reports whether L is diagonal (mean-field).
	IsDiagonal() bool
}

// Normal is a Gaussian N(Mean, Cov) used as a prior in closed-form KL
// terms. Build it with NewNormal, which factorizes the covariance once.
type Normal struct {
	mean []float64
	chol mat.Cholesky
	// diag holds the variances when the covariance is diagonal, which keeps
	// the KL to a mean-field q at O(d).
	diag []float64
	// pdiag holds diag(Cov⁻¹), computed by solves.
	pdiag  []float64
	logDet float64
}

// NewNormal returns N(mean, cov). cov must be symmetric positive definite.
func NewNormal(mean []float64, cov mat.Symmetric) (*Normal, error) {
	d := len(mean)
	if cov.SymmetricDim() != d {
		return nil, ErrDim
	}
	n := &Normal{mean: append([]float64(nil), mean...)}
	diagonal := true
	for i := 0; i < d && diagonal; i++ {
		for j := 0; j < i; j++ {
			if cov.At(i, j) != 0 {
				diagonal = false
				break
			}
		}
	}
	if diagonal {
		n.diag = make([]float64, d)
		n.pdiag = make([]float64, d)
		for i := range n.diag {
			v := cov.At(i, i)
			if !(v > 0) || math.IsInf(v, 1) {
				return nil, errors.New("family: prior covariance is not positive definite")
			}
			n.diag[i] = v
			n.pdiag[i] = 1 / v
			n.logDet += math.Log(v)
		}
		return n, nil
	}
	if ok := n.chol.Factorize(cov); !ok {
		return nil, errors.New("family: prior covariance is not positive definite")
	}
	n.logDet = n.chol.LogDet()
	n.pdiag = make([]float64, d)
	e := mat.NewVecDense(d, nil)
	x := mat.NewVecDense(d, nil)
	for i := 0; i < d; i++ {
		e.SetVec(i, 1)
		if err := n.chol.SolveVecTo(x, e); err != nil {
			return nil, err
		}
		n.pdiag[i] = x.AtVec(i)
		e.SetVec(i, 0)
	}
	return n, nil
}

// NewDiagNormal returns N(mean, diag(sd²)).
func NewDiagNormal(mean, sd []float64) (*Normal, error) {
	if len(mean) != len(sd) {
		return nil, ErrDim
	}
	v := make([]float64, len(sd))
	for i, s := range sd {
		v[i] = s * s
	}
	return NewNormal(mean, mat.NewDiagDense(len(v), v))
}

// Dim returns the dimension.
func (n *Normal) Dim() int { return len(n.mean) }

// offset returns μ − m and Cov⁻¹(μ − m), the pieces of the mean term of a
// KL divergence to p and of its gradient.
func (n *Normal) offset(mu []float64) (diff, pd []float64) {
	if len(mu) != len(n.mean) {
		panic(ErrDim)
	}
	diff = make([]float64, len(mu))
	for i := range diff {
		diff[i] = mu[i] - n.mean[i]
	}
	pd = make([]float64, len(mu))
	n.precMul(pd, diff)
	return diff, pd
}

// precMul stores Cov⁻¹ x in dst.
func (n *Normal) precMul(dst, x []float64) {
	if n.diag != nil {
		for i, v := range x {
			dst[i] = v / n.diag[i]
		}
		return
	}
	xv := mat.NewVecDense(len(x), x)
	dv := mat.NewVecDense(len(dst), dst)
	if err := n.chol.SolveVecTo(dv, xv); err != nil {
		panic(err) // unreachable: the factorization succeeded in NewNormal
	}
}
