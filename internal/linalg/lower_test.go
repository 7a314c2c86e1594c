package linalg

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
)

// TestLower checks the blocked accumulation against the sum of rank-one
// terms, with dense and mostly-zero columns, row counts that leave a
// partial block, and a target block inside a larger matrix whose other
// entries (the upper triangle, the margins) must be left alone.
func TestLower(t *testing.T) {
	for _, tc := range []struct {
		p, rows, off, stride int
		zeros                float64 // fraction of zero cells in odd columns
	}{
		{p: 1, rows: 1, stride: 1},
		{p: 5, rows: 31, stride: 5},
		{p: 7, rows: 32, off: 2, stride: 12, zeros: 0.9},
		{p: 101, rows: 200, off: 3, stride: 106, zeros: 0.5},
		{p: 33, rows: 1000, stride: 33, zeros: 0.97},
	} {
		rng := rand.New(rand.NewPCG(uint64(tc.p), uint64(tc.rows)))
		d := tc.stride
		h := make([]float64, (tc.off+tc.p)*d)
		for i := range h {
			h[i] = rng.NormFloat64()
		}
		want := append([]float64(nil), h...)
		var l Lower
		l.Reset(h[tc.off*d+tc.off:], d, tc.p)
		x := make([]float64, tc.p)
		for r := 0; r < tc.rows; r++ {
			for j := range x {
				x[j] = rng.NormFloat64()
				if j%2 == 1 && rng.Float64() < tc.zeros {
					x[j] = 0
				}
			}
			c := -rng.Float64()
			if r%7 == 3 {
				c = 0
			}
			l.Add(c, x)
			for j := 0; j < tc.p; j++ {
				for k := 0; k <= j; k++ {
					want[(tc.off+j)*d+tc.off+k] += c * x[j] * x[k]
				}
			}
		}
		l.Flush()
		for i := range h {
			if math.Abs(h[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("p %d rows %d: entry (%d, %d) = %v, want %v", tc.p, tc.rows, i/d, i%d, h[i], want[i])
			}
		}
	}
}

// BenchmarkLower is the Hessian pass of a 10⁴ × 101 dense design;
// BenchmarkRankOne the rank-one update per row it replaces.
func BenchmarkLower(b *testing.B) {
	const n, p = 10000, 101
	x, c := benchRows(n, p)
	h := make([]float64, p*p)
	var l Lower
	for b.Loop() {
		l.Reset(h, p, p)
		for i := 0; i < n; i++ {
			l.Add(c[i], x[i*p:(i+1)*p])
		}
		l.Flush()
	}
}

func BenchmarkRankOne(b *testing.B) {
	const n, p = 10000, 101
	x, c := benchRows(n, p)
	h := make([]float64, p*p)
	for b.Loop() {
		for i := 0; i < n; i++ {
			xr := x[i*p : (i+1)*p]
			for j, xj := range xr {
				floats.AddScaled(h[j*p:j*p+j+1], c[i]*xj, xr[:j+1])
			}
		}
	}
}

func benchRows(n, p int) (x, c []float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	x = make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	c = make([]float64, n)
	for i := range c {
		c[i] = -rng.Float64()
	}
	return x, c
}
