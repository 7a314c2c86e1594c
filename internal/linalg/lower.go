// Package linalg holds the blocked kernels of govi's data passes.
package linalg

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
)

// blockRows is the number of rows Lower gathers before it adds them: at
// 32 rows the matrix-vector products that add them run 1.7× faster than
// a rank-one update per row, whose cost is loading and storing the
// triangle (measured with p = 101; 16 rows 1.6×, 64 rows no more).
const blockRows = 32

// Lower accumulates Σᵣ cᵣ xᵣxᵣᵀ into the lower triangle of a p×p block of
// a row-major matrix (element (j, k) at H[j·Stride + k], k ≤ j), the
// expected Hessian XᵀWX of a GLM's row pass. Rows are gathered in blocks
// and added column by column with one matrix-vector product over the
// block's rows, so the triangle is loaded and stored once per block
// instead of once per row. A column whose weights cᵣxᵣⱼ are mostly zero
// (dummy-coded factors) is added row by row, as the nonzeros alone.
//
// Add the rows with Add and call Flush before reading H. The zero value
// is not usable: set H, Stride and P, and reuse the value across calls to
// keep its scratch.
type Lower struct {
	H      []float64
	Stride int
	P      int

	x []float64 // blockRows × P gathered rows
	c []float64
	w []float64
	n int
}

// Reset points l at a new target and drops rows not yet flushed.
func (l *Lower) Reset(h []float64, stride, p int) {
	l.H, l.Stride, l.P, l.n = h, stride, p, 0
}

// Add adds c·x xᵀ (x of length P, copied).
func (l *Lower) Add(c float64, x []float64) {
	p := l.P
	if len(l.x) < blockRows*p {
		l.x = make([]float64, blockRows*p)
		l.c = make([]float64, blockRows)
		l.w = make([]float64, blockRows)
	}
	copy(l.x[l.n*p:(l.n+1)*p], x[:p])
	l.c[l.n] = c
	l.n++
	if l.n == blockRows {
		l.Flush()
	}
}

// Flush adds the gathered rows to H.
func (l *Lower) Flush() {
	n, p := l.n, l.P
	if n == 0 {
		return
	}
	l.n = 0
	w := l.w[:n]
	for j := 0; j < p; j++ {
		nz := 0
		for r := range w {
			w[r] = l.c[r] * l.x[r*p+j]
			if w[r] != 0 {
				nz++
			}
		}
		row := l.H[j*l.Stride : j*l.Stride+j+1]
		switch {
		case nz == 0:
		case 4*nz <= n:
			for r, wr := range w {
				if wr != 0 {
					floats.AddScaled(row, wr, l.x[r*p:r*p+j+1])
				}
			}
		default:
			blas64.Gemv(blas.Trans, 1, blas64.General{Rows: n, Cols: j + 1, Stride: p, Data: l.x[:(n-1)*p+j+1]},
				blas64.Vector{N: n, Inc: 1, Data: w}, 1, blas64.Vector{N: j + 1, Inc: 1, Data: row})
		}
	}
}
