package family

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

var (
	_ Family = (*FullRank)(nil)
	_ Scale  = (*FullRank)(nil)
)

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

// IsDiagonal returns false.
func (f *FullRank) IsDiagonal() bool { return false }

// Loc returns μ. The slice is owned by the family; do not modify it.
func (f *FullRank) Loc() []float64 { return f.mu }

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

// SetMeanCov sets μ and Σ (factorized here). It returns false if cov is
// not positive definite.
func (f *FullRank) SetMeanCov(mean []float64, cov mat.Symmetric) bool {
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return false
	}
	var l mat.TriDense
	ch.LTo(&l)
	f.SetMeanChol(mean, &l)
	return true
}

// ScaleBy multiplies L by c.
func (f *FullRank) ScaleBy(c float64) {
	for i := range f.mu {
		floats.Scale(c, f.row(i))
	}
}

// ScaleTri stores L in dst.
func (f *FullRank) ScaleTri(dst *mat.TriDense) { dst.Copy(f.l) }

// Chol returns L. The matrix is owned by the family; do not modify it.
func (f *FullRank) Chol() *mat.TriDense { return f.l }

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

// BackpropLocScale adds the φ-gradient given ∂/∂μ and ∂/∂L.
func (f *FullRank) BackpropLocScale(dphi, gmu []float64, gL *mat.Dense) {
	d := len(f.mu)
	floats.Add(dphi[:d], gmu)
	raw := gL.RawMatrix()
	k := d
	for i := 0; i < d; i++ {
		g := raw.Data[i*raw.Stride : i*raw.Stride+i+1]
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
	// Solve in place; blas Dtrsv is allocation-free and stable.
	raw := f.l.RawTriangular()
	blasTrsv(raw, z)
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

// Rand stores a draw from q in theta.
func (f *FullRank) Rand(theta, eps []float64, rng *rand.Rand) {
	for i := range f.mu {
		eps[i] = rng.NormFloat64()
	}
	f.Transform(theta, eps)
}

// KL returns KL(q ‖ p) for p = N(m, P) and adds alpha·∇φ KL to grad. The
// gradient in L is P⁻¹L − L⁻ᵀ, whose lower triangle has diagonal
// (P⁻¹L)ᵢᵢ − 1/Lᵢᵢ.
func (f *FullRank) KL(grad []float64, alpha float64, p *Normal) float64 {
	d := len(f.mu)
	diff, pd := p.offset(f.mu)
	// PL = P⁻¹L, column by column.
	pl := mat.NewDense(d, d, nil)
	col := make([]float64, d)
	out := make([]float64, d)
	for j := 0; j < d; j++ {
		for i := 0; i < d; i++ {
			col[i] = f.l.At(i, j)
		}
		p.precMul(out, col)
		pl.SetCol(j, out)
	}
	kl := p.logDet - float64(d) + floats.Dot(diff, pd)
	k := d
	for i := 0; i < d; i++ {
		row := f.row(i)
		for j := 0; j <= i; j++ {
			// tr(P⁻¹LLᵀ) = Σᵢⱼ Lᵢⱼ (P⁻¹L)ᵢⱼ.
			kl += row[j] * pl.At(i, j)
		}
		kl -= 2 * math.Log(row[i])
		if grad != nil {
			grad[i] += alpha * pd[i]
			for j := 0; j < i; j++ {
				grad[k+j] += alpha * pl.At(i, j)
			}
			grad[k+i] += alpha * (pl.At(i, i) - 1/row[i]) * row[i]
		}
		k += i + 1
	}
	return 0.5 * kl
}

// blasTrsv solves Lz = b in place for lower-triangular L.
func blasTrsv(l blas64.Triangular, z []float64) {
	d := len(z)
	for i := 0; i < d; i++ {
		row := l.Data[i*l.Stride : i*l.Stride+i+1]
		z[i] = (z[i] - floats.Dot(row[:i], z[:i])) / row[i]
	}
}
