package spec

import (
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/internal/parallel"
)

// minSigma is the smallest singular value of X with its columns scaled to
// unit norm that fullRank accepts (for designs of up to about 10¹⁰
// numbers; larger ones need more): five orders of magnitude above the
// residual norm 1e-9 at which rankColumnsMGS calls a column dependent.
const minSigma = 1e-4

// fullRank reports whether x has full column rank by a margin that the
// Gram-Schmidt of rankColumnsMGS cannot miss, so that it would find every
// column independent. It is a proof, not an estimate: false means only
// that the margin was not shown.
//
// With U = XD⁻¹, X's columns scaled to unit norm, and C = UᵀU, every
// Gram-Schmidt residual |rⱼⱼ| of U is at least σmin(U) = √λmin(C) (R's
// inverse has diagonal 1/rⱼⱼ), and the computed ones are the exact ones
// of U perturbed by O(np·ε) in norm (Björck & Paige 1992, "Loss and
// recapture of orthogonality in the modified Gram-Schmidt algorithm",
// SIAM J. Matrix Anal. Appl. 13), so a σmin of max(minSigma,
// 10np^{3/2}·ε) leaves them far above the tolerance. The Gram of any
// subset S of the rows is below the full one (XᵀX = X_SᵀX_S + the rest,
// positive semidefinite), so λmin(C) ≥ λmin(D⁻¹X_SᵀX_S D⁻¹): fullRank
// forms the Gram of a spread sample of the rows, doubling it until a
// Cholesky factorization of Ĉ − τI succeeds or every row is in. The
// shift τ is σmin² plus a bound on the rounding of forming and scaling
// the Gram, |Ĉᵢⱼ − Cᵢⱼ| ≤ 4γₙ (Higham 2002, Accuracy and Stability of
// Numerical Algorithms, §3.1), and of the Cholesky factorization, a
// backward error of γ_{p+1}|L||Lᵀ| (Higham 2002, Theorem 10.3), each
// times p for the spectral norm. X is read in place, never copied, and
// the sums run over chunks fixed by the sizes alone, so the answer does
// not depend on the number of cores.
func fullRank(x *mat.Dense) bool {
	n, p := x.Dims()
	if n < p {
		return false
	}
	raw := x.RawMatrix()
	ss := columnSquares(raw)
	d := make([]float64, p)
	for j, s := range ss {
		// Within these bounds no sum overflows, and underflow adds at
		// most n·2⁻¹⁰⁷⁴ to a Gram entry, negligible against ε times the
		// columns' norms (beyond them the rounding bound fails: squares
		// near 1e-320 keep a few bits).
		if !(s >= 0x1p-900 && s <= 0x1p900) {
			return false
		}
		d[j] = 1 / math.Sqrt(s)
	}
	const eps = 0x1p-53
	gamma := func(k int) float64 { u := float64(k) * eps; return u / (1 - u) }
	sigma := max(minSigma, 10*float64(n)*math.Pow(float64(p), 1.5)*eps)
	tau := sigma*sigma + float64(p)*(4*gamma(n)+2*gamma(p+1)+10*eps)
	if !(tau < 0.5) {
		return false
	}

	// Strided stages: rows ≡ 0 mod s first, then those ≡ s/2 mod s, and
	// so on, so that every stage spreads over the whole data (sorted data
	// included) and the rows used so far are those ≡ 0 mod the stride.
	first := max(8*p, 256)
	s := 1
	for n/(2*s) >= first {
		s *= 2
	}
	g := make([]float64, p*p) // the upper triangle of the sample's Gram
	c := make([]float64, p*p)
	var chol mat.Cholesky
	for start, step := 0, s; ; {
		addGram(g, raw, start, step)
		for i := 0; i < p; i++ {
			for j := i; j < p; j++ {
				c[i*p+j] = g[i*p+j] * d[i] * d[j]
			}
			c[i*p+i] -= tau
		}
		if chol.Factorize(mat.NewSymDense(p, c)) {
			return true
		}
		if s == 1 {
			return false // every row is in
		}
		// The next stage: the rows halfway between those used.
		s /= 2
		start, step = s, 2*s
	}
}

// columnSquares returns the sums of squares of the columns of raw, summed
// over chunks of rows fixed by the size and reduced in chunk order.
func columnSquares(raw blas64.General) []float64 {
	n, p := raw.Rows, raw.Cols
	chunks := parallel.Chunks(n, 4096, 64)
	part := make([]float64, chunks*p)
	var grp parallel.Group
	grp.Run(parallel.Func(func(_, c int) {
		lo, hi := parallel.Range(n, chunks, c)
		acc := part[c*p : (c+1)*p]
		for i := lo; i < hi; i++ {
			for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+p] {
				acc[j] += v * v
			}
		}
	}), chunks)
	ss := make([]float64, p)
	for c := 0; c < chunks; c++ {
		floats.Add(ss, part[c*p:(c+1)*p])
	}
	return ss
}

// addGram adds to the upper triangle of g (p×p, row-major) the Gram
// matrix of the rows start, start+step, … of raw, summed over chunks of
// those rows fixed by their number and reduced in chunk order.
func addGram(g []float64, raw blas64.General, start, step int) {
	p := raw.Cols
	rows := (raw.Rows - start + step - 1) / step
	if rows <= 0 {
		return
	}
	// Each chunk has a Gram of its own: at most 2²² numbers in all (one
	// Gram when p² is more).
	chunks := parallel.Chunks(rows, 256, min(16, max(1, (1<<22)/(p*p))))
	part := make([]float64, chunks*p*p)
	var grp parallel.Group
	grp.Run(parallel.Func(func(_, c int) {
		lo, hi := parallel.Range(rows, chunks, c)
		acc := part[c*p*p : (c+1)*p*p]
		for k := lo; k < hi; k++ {
			i := start + k*step
			row := raw.Data[i*raw.Stride : i*raw.Stride+p]
			for a, v := range row {
				if v != 0 {
					floats.AddScaled(acc[a*p+a:(a+1)*p], v, row[a:])
				}
			}
		}
	}), chunks)
	for c := 0; c < chunks; c++ {
		floats.Add(g, part[c*p*p:(c+1)*p*p])
	}
}
