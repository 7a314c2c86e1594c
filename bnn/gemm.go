package bnn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Tile sizes of gemm. gonum's Dgemm splits C into 64×64 blocks and, when
// there are four or more, computes them on new goroutines (which
// allocates); a tile of at most 64 rows and 128 columns has at most two
// blocks and runs serially on the calling goroutine. The parallelism of
// this package is over chunks of rows instead, with a fixed reduction
// order. Tiling C does not change the order in which any element of C
// accumulates its products, so results do not depend on the tiling.
const (
	tileRows = 64
	tileCols = 128
)

// gemm computes C = alpha·op(A)·op(B) + beta·C through blas64.Gemm, tile
// by tile.
func gemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	m, n := c.Rows, c.Cols
	if m <= tileRows && n <= tileCols {
		blas64.Gemm(tA, tB, alpha, a, b, beta, c)
		return
	}
	for i0 := 0; i0 < m; i0 += tileRows {
		i1 := min(i0+tileRows, m)
		av := a
		if tA == blas.NoTrans {
			av = blas64.General{Rows: i1 - i0, Cols: a.Cols, Stride: a.Stride, Data: a.Data[i0*a.Stride:]}
		} else {
			av = blas64.General{Rows: a.Rows, Cols: i1 - i0, Stride: a.Stride, Data: a.Data[i0:]}
		}
		for j0 := 0; j0 < n; j0 += tileCols {
			j1 := min(j0+tileCols, n)
			bv := b
			if tB == blas.NoTrans {
				bv = blas64.General{Rows: b.Rows, Cols: j1 - j0, Stride: b.Stride, Data: b.Data[j0:]}
			} else {
				bv = blas64.General{Rows: j1 - j0, Cols: b.Cols, Stride: b.Stride, Data: b.Data[j0*b.Stride:]}
			}
			cv := blas64.General{Rows: i1 - i0, Cols: j1 - j0, Stride: c.Stride, Data: c.Data[i0*c.Stride+j0:]}
			blas64.Gemm(tA, tB, alpha, av, bv, beta, cv)
		}
	}
}

// matOf returns the r×c row-major matrix stored at the start of data.
func matOf(r, c int, data []float64) blas64.General {
	return blas64.General{Rows: r, Cols: c, Stride: c, Data: data[:r*c]}
}
