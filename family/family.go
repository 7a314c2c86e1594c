// Package family provides Gaussian variational families q_φ(θ) on R^d:
//
//   - MeanField: independent coordinates, Σ = diag(σ²), 2d parameters;
//   - FullRank: a dense Cholesky factor, Σ = LLᵀ, d(d+3)/2 parameters;
//   - LowRank: Σ = D² + BBᵀ with B of rank k, d(k+2) parameters
//     (Ong, Nott & Smith 2018), between the two.
//
// All are location-scale families θ = μ + Aε with ε ~ N(0, I), which makes
// draws reparameterizable: the gradient of E_q[f(θ)] in φ is E[∇θ f · ∂θ/∂φ]
// (Kingma & Welling 2014; Titsias & Lázaro-Gredilla 2014). Each family owns
// its geometry, as Stan's families own calc_grad: its chain rule from ∂/∂θ
// (Backprop) and from ∂/∂μ, ∂/∂A (BackpropFactor) back to ∂/∂φ, its entropy,
// and, where it has one, its natural-gradient step (Natural) and its
// moment-matching (Matcher). Estimators and the driver use these
// interfaces only and never name a concrete family, so a new family is one
// file: its type, the interfaces it implements, and a line in New's
// registry.
//
// Normal is a Gaussian prior N(m, P) with the closed-form KL divergence
// from any Gaussian family.
package family

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// ErrDim is returned (or panicked with, by methods that cannot return an
// error) when slice lengths do not match the family.
var ErrDim = errors.New("family: dimension mismatch")

const log2Pi = 1.8378770664093454835606594728112352797227949472755668

// Family is a reparameterizable variational family: θ = T_φ(ε) with
// ε ~ N(0, I_r), r = NoiseDim().
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
	// NoiseDim returns r, the length of ε (d for the mean-field and
	// full-rank families, d + k for the low-rank family).
	NoiseDim() int
	// Params stores φ in dst (allocating when dst is nil) and returns it.
	Params(dst []float64) []float64
	// SetParams sets φ.
	SetParams(phi []float64)
	// Transform stores θ = T_φ(ε) in theta.
	Transform(theta, eps []float64)
	// Backprop adds to dphi the gradient in φ of f(θ(ε)) given g = ∇θ f at
	// θ(ε), scaled by w: dphi += w · (∂θ/∂φ)ᵀ g.
	Backprop(dphi []float64, w float64, g, eps []float64)
	// Entropy returns H(q) and, if grad is not nil, adds ∇φ H to it.
	Entropy(grad []float64) float64
	// LogProb returns log q(θ).
	LogProb(theta []float64) float64
	// Mean stores E_q[θ] in dst (allocating when nil) and returns it.
	Mean(dst []float64) []float64
	// ScaleBy multiplies the spread of q around its mean by c > 0.
	ScaleBy(c float64)
}

// Sampler is what drawing from an approximation and checking it needs:
// every Family is one, and so are approximations that are not fitted by
// gradients, such as govi's quadrature mixture over hyperparameters. Its
// methods are safe for concurrent use.
type Sampler interface {
	// Dim returns d, the dimension of θ.
	Dim() int
	// NoiseDim returns the length of ε.
	NoiseDim() int
	// Transform stores in theta the draw that standard normal noise eps
	// maps to.
	Transform(theta, eps []float64)
	// LogProb returns log q(θ).
	LogProb(theta []float64) float64
	// Mean stores E_q[θ] in dst (allocating when nil) and returns it.
	Mean(dst []float64) []float64
}

// Rand stores a draw from q in theta, using eps (length q.NoiseDim()) for
// the standard normal noise.
func Rand(q Sampler, theta, eps []float64, rng *rand.Rand) {
	for i := range eps {
		eps[i] = rng.NormFloat64()
	}
	q.Transform(theta, eps)
}

// Factor is the view of a Gaussian family as θ = μ + Aε with
//
//	A = [diag(D) | B],   Σ = AAᵀ = diag(D²) + BBᵀ,
//
// D of length d (nil when A has no diagonal block) and B a d×K matrix
// stored row-major in a slice (nil when K = 0). The mean-field family has
// D = σ and K = 0; the full-rank family has D = nil and B = L (K = d,
// Lower); the low-rank family has both. Structured estimators (the
// quadrature ELBO, the closed-form KL) work through this view.
//
// The slices share the family's storage: they are valid until the next
// SetParams or ScaleBy and must not be modified.
type Factor struct {
	Mu []float64
	D  []float64
	B  []float64
	K  int
	// Lower reports that row a of B has non-zero entries only in its first
	// a+1 columns (a Cholesky factor): the rest are structurally zero, and
	// gradients there are ignored by BackpropFactor.
	Lower bool
}

// RowLen returns the number of leading entries of row a of B that can be
// non-zero.
func (f *Factor) RowLen(a int) int {
	if f.Lower {
		return min(a+1, f.K)
	}
	return f.K
}

// Row returns the leading RowLen(a) entries of row a of B.
func (f *Factor) Row(a int) []float64 {
	return f.B[a*f.K : a*f.K+f.RowLen(a)]
}

// Var returns the variance of θ_a, D_a² + |B_a|².
func (f *Factor) Var(a int) float64 {
	v := 0.0
	if f.D != nil {
		v = f.D[a] * f.D[a]
	}
	for _, b := range f.Row(a) {
		v += b * b
	}
	return v
}

// Cov returns the covariance of θ_a and θ_b.
func (f *Factor) Cov(a, b int) float64 {
	if a == b {
		return f.Var(a)
	}
	ra, rb := f.Row(a), f.Row(b)
	n := min(len(ra), len(rb))
	v := 0.0
	for j := 0; j < n; j++ {
		v += ra[j] * rb[j]
	}
	return v
}

// Gaussian is a family whose q is N(μ, Σ), with the factor view that
// structured estimators use.
type Gaussian interface {
	Family
	// Cov stores Σ in dst, which must be d×d or empty.
	Cov(dst *mat.SymDense)
	// Factor returns the view θ = μ + [diag(D) | B]ε.
	Factor() Factor
	// BackpropFactor adds to dphi the gradient in φ of a function whose
	// gradients in μ, D and B are gmu (length d), gD (length d, or nil when
	// the factor has no D) and gB (d×K row-major, or nil when K = 0; only
	// the entries RowLen covers are read).
	BackpropFactor(dphi, gmu, gD, gB []float64)
}

// Natural is implemented by Gaussian families that take natural-gradient
// steps, which second-order methods (optim.NaturalGradient) use.
type Natural interface {
	Gaussian
	// NaturalStep stores in dst the parameters after a step of size
	// ρ ∈ (0, 1] from the current ones, given the expected gradient
	// g = E_q[∇ log p] and Hessian h = E_q[∇² log p] of the log joint. The
	// full step (ρ = 1) is the fixed point Σ⁻¹ = −h, μ += Σg of Gaussian
	// variational inference (Opper & Archambeau 2009); a step of size ρ
	// interpolates the natural parameters (Khan & Lin 2017). It reports
	// false when no valid q results (the new precision is not positive
	// definite, or a value is not finite).
	NaturalStep(dst []float64, rho float64, g []float64, h mat.Symmetric) bool
}

// Matcher is implemented by families that can be set to (an approximation
// of) a Gaussian with given moments, which warm starts use.
type Matcher interface {
	Family
	// MatchMoments sets q's mean to mean and its covariance to cov, or to
	// the family's closest approximation of it (the diagonal for
	// mean-field). It returns an error when cov is not positive definite.
	MatchMoments(mean []float64, cov mat.Symmetric) error
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

	// KL scratch
	diff, pd, col, pcol, gmu, gD, gB, gH []float64
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

// KL returns KL(q ‖ n) in closed form,
//
//	½[tr(P⁻¹Σ) + (μ−m)ᵀP⁻¹(μ−m) − d + log|P|] − H(q) + ½d(1 + log 2π),
//
// for n = N(m, P), with tr(P⁻¹Σ) = Σ_a D_a²(P⁻¹)_aa + Σ_j b_jᵀP⁻¹b_j over
// the columns of B, and, if grad is not nil, adds alpha·∇φ KL to it (an
// ELBO passes alpha = −1). It is not safe for concurrent use (n keeps
// scratch space).
func (n *Normal) KL(grad []float64, alpha float64, q Gaussian) float64 {
	d := len(n.mean)
	if q.Dim() != d {
		panic(ErrDim)
	}
	f := q.Factor()
	n.grow(d, f.K, q.Len())
	diff, pd := n.diff, n.pd
	for i := range diff {
		diff[i] = f.Mu[i] - n.mean[i]
	}
	n.precMul(pd, diff)
	kl := n.logDet - float64(d)
	for i := range diff {
		kl += diff[i] * pd[i]
	}
	doGrad := grad != nil
	if doGrad {
		// ∂/∂μ of ½(…) is P⁻¹(μ−m); ∂/∂D_a is D_a(P⁻¹)_aa; ∂/∂B is P⁻¹B.
		copy(n.gmu, pd)
	}
	if f.D != nil {
		for a, da := range f.D {
			kl += n.pdiag[a] * da * da
			if doGrad {
				n.gD[a] = n.pdiag[a] * da
			}
		}
	}
	if f.K > 0 {
		col, pcol := n.col[:d], n.pcol[:d]
		for j := 0; j < f.K; j++ {
			for a := 0; a < d; a++ {
				col[a] = 0
				if j < f.RowLen(a) {
					col[a] = f.B[a*f.K+j]
				}
			}
			n.precMul(pcol, col)
			for a := 0; a < d; a++ {
				kl += col[a] * pcol[a]
				if doGrad {
					n.gB[a*f.K+j] = pcol[a]
				}
			}
		}
	}
	kl = 0.5*kl + 0.5*float64(d)*(1+log2Pi)
	if !doGrad {
		return kl - q.Entropy(nil)
	}
	gH := n.gH
	clear(gH)
	h := q.Entropy(gH)
	for i := range gH {
		grad[i] -= alpha * gH[i]
	}
	for i := range n.gmu {
		n.gmu[i] *= alpha
	}
	var gD, gB []float64
	if f.D != nil {
		gD = n.gD
		for i := range gD {
			gD[i] *= alpha
		}
	}
	if f.K > 0 {
		gB = n.gB
		for i := range gB {
			gB[i] *= alpha
		}
	}
	q.BackpropFactor(grad, n.gmu, gD, gB)
	return kl - h
}

func (n *Normal) grow(d, k, l int) {
	if len(n.diff) != d {
		n.diff, n.pd = make([]float64, d), make([]float64, d)
		n.col, n.pcol = make([]float64, d), make([]float64, d)
		n.gmu, n.gD = make([]float64, d), make([]float64, d)
	}
	if len(n.gB) != d*k {
		n.gB = make([]float64, d*k)
	}
	if len(n.gH) != l {
		n.gH = make([]float64, l)
	}
}
