package family

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

var (
	_ Natural = (*FullRank)(nil)
	_ Matcher = (*FullRank)(nil)
)

var errNotPD = errors.New("family: covariance is not positive definite")

// FullRank is the Gaussian family with a dense covariance Σ = LLᵀ, L lower
// triangular with a positive diagonal. Its parameters are φ = (μ, vech L)
// where the lower triangle of L is packed row by row and each diagonal
// entry is stored as log Lᵢᵢ, so every φ is valid and Σ is positive
// definite.
type FullRank struct {
	mu []float64
	l  *mat.TriDense
}

// NewFullRank returns the full-rank family on R^d with μ = 0 and L = I.
func NewFullRank(d int) *FullRank {
	f := &FullRank{mu: make([]float64, d), l: mat.NewTriDense(d, mat.Lower, nil)}
	for i := 0; i < d; i++ {
		f.l.SetTri(i, i, 1)
	}
	return f
}

// Dim returns d.
func (f *FullRank) Dim() int { return len(f.mu) }

// Len returns d + d(d+1)/2.
func (f *FullRank) Len() int {
	d := len(f.mu)
	return d + d*(d+1)/2
}

// NoiseDim returns d.
func (f *FullRank) NoiseDim() int { return len(f.mu) }

// row returns the stored part L[i, 0..i] of row i.
func (f *FullRank) row(i int) []float64 {
	r := f.l.RawTriangular()
	return r.Data[i*r.Stride : i*r.Stride+i+1]
}

// Params stores (μ, vech L) with log-diagonal in dst.
func (f *FullRank) Params(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.Len())
	}
	d := len(f.mu)
	copy(dst, f.mu)
	k := d
	for i := 0; i < d; i++ {
		row := f.row(i)
		copy(dst[k:k+i], row[:i])
		dst[k+i] = math.Log(row[i])
		k += i + 1
	}
	return dst
}

// SetParams sets φ.
func (f *FullRank) SetParams(phi []float64) {
	if len(phi) != f.Len() {
		panic(ErrDim)
	}
	d := len(f.mu)
	copy(f.mu, phi[:d])
	k := d
	for i := 0; i < d; i++ {
		row := f.row(i)
		copy(row[:i], phi[k:k+i])
		row[i] = math.Exp(phi[k+i])
		k += i + 1
	}
}

// SetMeanChol sets μ and L. Only the lower triangle of l is read; its
// diagonal must be positive.
func (f *FullRank) SetMeanChol(mean []float64, l mat.Triangular) {
	d := len(f.mu)
	if len(mean) != d {
		panic(ErrDim)
	}
	copy(f.mu, mean)
	_, kind := l.Triangle()
	for i := 0; i < d; i++ {
		row := f.row(i)
		for j := 0; j <= i; j++ {
			if kind == mat.Upper {
				row[j] = l.At(j, i)
			} else {
				row[j] = l.At(i, j)
			}
		}
		if !(row[i] > 0) {
			panic("family: Cholesky factor needs a positive diagonal")
		}
	}
}

// MatchMoments sets μ and Σ, factorizing cov.
func (f *FullRank) MatchMoments(mean []float64, cov mat.Symmetric) error {
	if len(mean) != len(f.mu) || cov.SymmetricDim() != len(f.mu) {
		return ErrDim
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return errNotPD
	}
	var l mat.TriDense
	ch.LTo(&l)
	f.SetMeanChol(mean, &l)
	return nil
}

// ScaleBy multiplies L by c.
func (f *FullRank) ScaleBy(c float64) {
	for i := range f.mu {
		floats.Scale(c, f.row(i))
	}
}

// Chol returns L. The matrix is owned by the family; do not modify it.
func (f *FullRank) Chol() *mat.TriDense { return f.l }

// Factor returns μ and B = L (row-major, Lower), with no D.
func (f *FullRank) Factor() Factor {
	raw := f.l.RawTriangular()
	d := len(f.mu)
	if raw.Stride != d {
		panic("family: unexpected stride")
	}
	return Factor{Mu: f.mu, B: raw.Data, K: d, Lower: true}
}

// Transform stores θ = μ + Lε in theta.
func (f *FullRank) Transform(theta, eps []float64) {
	for i := range f.mu {
		theta[i] = f.mu[i] + floats.Dot(f.row(i), eps[:i+1])
	}
}

// Backprop adds w·(∂θ/∂φ)ᵀg to dphi: ∂/∂μ = g, ∂/∂Lᵢⱼ = gᵢεⱼ, and for the
// log-diagonal ∂/∂log Lᵢᵢ = gᵢεᵢLᵢᵢ.
func (f *FullRank) Backprop(dphi []float64, w float64, g, eps []float64) {
	d := len(f.mu)
	k := d
	for i := 0; i < d; i++ {
		wg := w * g[i]
		dphi[i] += wg
		if wg != 0 {
			floats.AddScaled(dphi[k:k+i], wg, eps[:i])
			dphi[k+i] += wg * eps[i] * f.row(i)[i]
		}
		k += i + 1
	}
}

// BackpropFactor adds the φ-gradient given ∂/∂μ and ∂/∂L (gB, lower
// triangle read); gD is ignored.
func (f *FullRank) BackpropFactor(dphi, gmu, _, gB []float64) {
	d := len(f.mu)
	floats.Add(dphi[:d], gmu)
	if gB == nil {
		return
	}
	k := d
	for i := 0; i < d; i++ {
		g := gB[i*d : i*d+i+1]
		floats.Add(dphi[k:k+i], g[:i])
		dphi[k+i] += g[i] * f.row(i)[i]
		k += i + 1
	}
}

// Entropy returns ½d(1 + log 2π) + Σ log Lᵢᵢ and adds its gradient (1 for
// each log-diagonal parameter) to grad.
func (f *FullRank) Entropy(grad []float64) float64 {
	d := len(f.mu)
	h := 0.5 * float64(d) * (1 + log2Pi)
	k := d
	for i := 0; i < d; i++ {
		h += math.Log(f.row(i)[i])
		if grad != nil {
			grad[k+i]++
		}
		k += i + 1
	}
	return h
}

// LogProb returns log q(θ), solving Lz = θ − μ by forward substitution.
func (f *FullRank) LogProb(theta []float64) float64 {
	d := len(f.mu)
	z := make([]float64, d)
	for i := range z {
		z[i] = theta[i] - f.mu[i]
	}
	blasTrsv(f.l.RawTriangular(), z)
	lp := -0.5 * float64(d) * log2Pi
	for i, zi := range z {
		lp -= math.Log(f.row(i)[i]) + 0.5*zi*zi
	}
	return lp
}

// Mean stores μ in dst.
func (f *FullRank) Mean(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(f.mu))
	}
	copy(dst, f.mu)
	return dst
}

// Cov stores LLᵀ in dst.
func (f *FullRank) Cov(dst *mat.SymDense) {
	d := len(f.mu)
	if dst.IsEmpty() {
		dst.ReuseAsSym(d)
	}
	dst.SymOuterK(1, f.l)
}

// NaturalStep takes the step of Natural: Λ = (1−ρ)Σ⁻¹ − ρh with
// Σ⁻¹ = L⁻ᵀL⁻¹, μ += ρΛ⁻¹g, and L the Cholesky factor of Λ⁻¹.
func (f *FullRank) NaturalStep(dst []float64, rho float64, g []float64, h mat.Symmetric) bool {
	d := len(f.mu)
	if len(g) != d || h.SymmetricDim() != d || len(dst) != f.Len() {
		panic(ErrDim)
	}
	var linv mat.TriDense
	if err := linv.InverseTri(f.l); err != nil {
		return false
	}
	prec := mat.NewSymDense(d, nil)
	prec.SymOuterK(1, linv.T())
	lam := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			lam.SetSym(i, j, (1-rho)*prec.At(i, j)-rho*h.At(i, j))
		}
	}
	delta, ok := solvePD(lam, g)
	if !ok {
		return false
	}
	l, ok := cholOfInverse(lam)
	if !ok {
		return false
	}
	copy(dst, f.mu)
	floats.AddScaled(dst[:d], rho, delta)
	k := d
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			dst[k+j] = l.At(i, j)
		}
		dst[k+i] = math.Log(l.At(i, i))
		k += i + 1
	}
	return allFinite(dst)
}

// solvePD returns Λ⁻¹g for a positive definite Λ.
func solvePD(lam *mat.SymDense, g []float64) ([]float64, bool) {
	var ch mat.Cholesky
	if !ch.Factorize(lam) {
		return nil, false
	}
	var delta mat.VecDense
	if err := ch.SolveVecTo(&delta, mat.NewVecDense(len(g), g)); err != nil {
		return nil, false
	}
	return delta.RawVector().Data, true
}

// cholOfInverse returns the lower-triangular L with LLᵀ = Λ⁻¹ without
// forming Λ⁻¹: with P the order-reversing permutation and PΛP = CCᵀ,
// L = P C⁻ᵀ P (a triangular inverse only).
func cholOfInverse(lam *mat.SymDense) (*mat.TriDense, bool) {
	d := lam.SymmetricDim()
	rev := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			rev.SetSym(i, j, lam.At(d-1-i, d-1-j))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(rev) {
		return nil, false
	}
	var c, cinv mat.TriDense
	ch.LTo(&c)
	if err := cinv.InverseTri(&c); err != nil {
		return nil, false
	}
	l := mat.NewTriDense(d, mat.Lower, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			l.SetTri(i, j, cinv.At(d-1-j, d-1-i))
		}
	}
	for i := 0; i < d; i++ {
		if !(l.At(i, i) > 0) {
			return nil, false
		}
	}
	return l, true
}

// blasTrsv solves Lz = b in place for lower-triangular L.
func blasTrsv(l blas64.Triangular, z []float64) {
	d := len(z)
	for i := 0; i < d; i++ {
		row := l.Data[i*l.Stride : i*l.Stride+i+1]
		z[i] = (z[i] - floats.Dot(row[:i], z[:i])) / row[i]
	}
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
