package spec

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/internal/synth"
)

// design returns an n×p matrix of independent normals, the first column
// all ones when icpt is set.
func design(n, p int, icpt bool, seed uint64) *mat.Dense {
	r := rand.New(rand.NewPCG(seed, 11))
	x := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			x.Set(i, j, r.NormFloat64())
		}
		if icpt {
			x.Set(i, 0, 1)
		}
	}
	return x
}

// setCol sets column j of x to f(i).
func setCol(x *mat.Dense, j int, f func(i int) float64) *mat.Dense {
	n, _ := x.Dims()
	for i := 0; i < n; i++ {
		x.Set(i, j, f(i))
	}
	return x
}

// The fast path changes no decision: rankColumns gives exactly what the
// Gram-Schmidt alone gives (columns, dependencies, coefficients), and
// fullRank accepts the well-conditioned designs and declines the
// deficient and nearly deficient ones (which then get the Gram-Schmidt's
// own decisions, just above or just below its tolerance).
func TestRankColumnsFastPathMatchesMGS(t *testing.T) {
	const n = 2000
	r := rand.New(rand.NewPCG(3, 3))
	noise := make([]float64, n)
	for i := range noise {
		noise[i] = r.NormFloat64()
	}
	base := func() *mat.Dense { return design(n, 8, true, 1) }
	anchors, _, _ := synth.Logistic(n, 50, 2)
	yes, no := true, false
	for _, tc := range []struct {
		name string
		x    *mat.Dense
		fast *bool // whether fullRank must accept; nil: either
		deps int   // dependencies the Gram-Schmidt finds
	}{
		{"independent normals", base(), &yes, 0},
		{"the anchors' correlated design", anchors, &yes, 0},
		{"no intercept", design(n, 8, false, 2), &yes, 0},
		{"x7 = x1 + 2·x2", func() *mat.Dense {
			x := base()
			return setCol(x, 7, func(i int) float64 { return x.At(i, 1) + 2*x.At(i, 2) })
		}(), &no, 1},
		{"nearly collinear, above the tolerance", func() *mat.Dense {
			x := base()
			return setCol(x, 7, func(i int) float64 { return x.At(i, 1) + 1e-7*noise[i] })
		}(), &no, 0},
		{"nearly collinear, below the tolerance", func() *mat.Dense {
			x := base()
			return setCol(x, 7, func(i int) float64 { return x.At(i, 1) + 1e-11*noise[i] })
		}(), &no, 1},
		{"collinear to 1e-3, within the margin", func() *mat.Dense {
			x := base()
			return setCol(x, 7, func(i int) float64 { return x.At(i, 1) + 1e-3*noise[i] })
		}(), &yes, 0},
		{"constant column", setCol(base(), 3, func(int) float64 { return 2.5 }), &no, 1},
		{"zero column", setCol(base(), 3, func(int) float64 { return 0 }), &no, 1},
		{"duplicated dummy", func() *mat.Dense {
			x := setCol(base(), 3, func(i int) float64 { return float64(i % 3 / 2) })
			return setCol(x, 6, func(i int) float64 { return x.At(i, 3) })
		}(), &no, 1},
		{"every level's dummy and the intercept", func() *mat.Dense {
			x := base()
			for k := 0; k < 3; k++ {
				setCol(x, 5+k, func(i int) float64 { return b2f(i%3 == k) })
			}
			return x
		}(), &no, 1},
		{"columns on scales 1e-80 to 1e80", func() *mat.Dense {
			x := base()
			x.Apply(func(_, j int, v float64) float64 { return v * math.Pow(10, float64(20*j-80)) }, x)
			return x
		}(), &yes, 0},
		{"values near 1e160 (the Gram overflows)", func() *mat.Dense {
			x := base()
			return setCol(x, 2, func(i int) float64 { return 1e160 * noise[i] })
		}(), &no, 0},
		{"values near 1e-170 (the Gram underflows)", func() *mat.Dense {
			x := base()
			return setCol(x, 2, func(i int) float64 { return 1e-170 * noise[i] })
		}(), &no, 0},
		{"proportional columns, one near 1e-160 (its squares are subnormal)", func() *mat.Dense {
			x := base()
			return setCol(x, 3, func(i int) float64 { return 1e-160 * x.At(i, 2) })
		}(), &no, 1},
		{"a rare level, only in the last rows", setCol(base(), 4, func(i int) float64 { return b2f(i >= n-3) }), &yes, 0},
		{"a level only in one row of the first sample", setCol(base(), 4, func(i int) float64 { return b2f(i == 0) }), &yes, 0},
		{"sorted groups", func() *mat.Dense {
			x := base()
			for k := 0; k < 3; k++ {
				setCol(x, 5+k, func(i int) float64 { return b2f(i*4/n == k) })
			}
			return x
		}(), &yes, 0},
		{"fewer rows than columns", design(5, 8, true, 4), &no, 3},
		{"square", design(8, 8, true, 5), nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantIndep, wantDeps := rankColumnsMGS(tc.x)
			indep, deps := rankColumns(tc.x)
			if !reflect.DeepEqual(indep, wantIndep) || !reflect.DeepEqual(deps, wantDeps) {
				t.Fatalf("rankColumns gives %v, %v; the Gram-Schmidt %v, %v", indep, deps, wantIndep, wantDeps)
			}
			if tc.deps >= 0 && len(deps) != tc.deps {
				t.Errorf("%d dependencies, want %d: %v", len(deps), tc.deps, deps)
			}
			fast := fullRank(tc.x)
			if tc.fast != nil && fast != *tc.fast {
				t.Errorf("fullRank = %v, want %v", fast, *tc.fast)
			}
			if fast && len(wantDeps) > 0 {
				t.Errorf("fullRank accepts a design in which the Gram-Schmidt finds %v", wantDeps)
			}
		})
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// A sweep of near-dependencies from 1e-1 to 1e-15 on random and
// adversarial designs (graded scales, a combination of many columns,
// sorted dummies): fullRank never accepts a design in which the
// Gram-Schmidt finds a dependency, and rankColumns always gives the
// Gram-Schmidt's answer.
func TestRankColumnsNearDependenceSweep(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	accepted := 0
	for trial := 0; trial < 40; trial++ {
		n, p := 300+r.IntN(700), 3+r.IntN(12)
		x := design(n, p, trial%2 == 0, uint64(trial))
		if trial%3 == 0 { // graded scales
			x.Apply(func(_, j int, v float64) float64 { return v * math.Pow(10, float64(r.IntN(40)-20)) }, x)
		}
		for k := 1; k <= 15; k++ {
			y := mat.DenseCopyOf(x)
			last := p - 1
			w := make([]float64, last)
			for j := range w {
				w[j] = r.NormFloat64()
			}
			setCol(y, last, func(i int) float64 {
				s := 0.0
				for j, wj := range w {
					s += wj * y.At(i, j)
				}
				return s * (1 + math.Pow(10, -float64(k))*r.NormFloat64())
			})
			wantIndep, wantDeps := rankColumnsMGS(y)
			indep, deps := rankColumns(y)
			if !reflect.DeepEqual(indep, wantIndep) || !reflect.DeepEqual(deps, wantDeps) {
				t.Fatalf("trial %d, 1e-%d: rankColumns gives %v, %v; the Gram-Schmidt %v, %v", trial, k, indep, deps, wantIndep, wantDeps)
			}
			if fullRank(y) {
				accepted++
				if len(wantDeps) > 0 {
					t.Fatalf("trial %d, 1e-%d: fullRank accepts a design in which the Gram-Schmidt finds %v", trial, k, wantDeps)
				}
			}
		}
	}
	if accepted == 0 {
		t.Error("fullRank accepted no design of the sweep: the fast path is not exercised")
	}
}

// The fast path reads X in place: its allocations are a small fraction
// of X (the Gram-Schmidt copies X into its basis).
func TestFullRankDoesNotCopy(t *testing.T) {
	x := design(20000, 50, true, 7)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	indep, deps := rankColumns(x)
	runtime.ReadMemStats(&after)
	if len(indep) != 50 || deps != nil {
		t.Fatalf("rankColumns: %d independent, %v", len(indep), deps)
	}
	if got, size := after.TotalAlloc-before.TotalAlloc, uint64(20000*50*8); got > size/8 {
		t.Errorf("rankColumns allocated %d bytes for an X of %d", got, size)
	}
}

// The sums behind fullRank (column norms, the Gram of a sample of rows)
// are the same, bit for bit, at any GOMAXPROCS.
func TestFullRankSumsDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	x := design(30000, 13, true, 8)
	raw := x.RawMatrix()
	var ss0, g0 []float64
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		ss := columnSquares(raw)
		g := make([]float64, 13*13)
		addGram(g, raw, 0, 3)
		addGram(g, raw, 1, 3)
		if procs == 1 {
			ss0, g0 = ss, g
			continue
		}
		if !bitsEqual(ss, ss0) || !bitsEqual(g, g0) {
			t.Errorf("GOMAXPROCS %d: the sums differ from GOMAXPROCS 1", procs)
		}
	}
	// And they are the sums: a serial check to rounding.
	for j := 0; j < 13; j++ {
		for k := j; k < 13; k++ {
			s := 0.0
			for i := 0; i < 30000; i++ {
				if i%3 != 2 {
					s += x.At(i, j) * x.At(i, k)
				}
			}
			if math.Abs(g0[j*13+k]-s) > 1e-9*math.Abs(s)+1e-9 {
				t.Fatalf("Gram[%d,%d] = %v, want %v", j, k, g0[j*13+k], s)
			}
		}
		if j > 0 && g0[j*13] != 0 {
			t.Fatalf("Gram[%d,0] = %v: the lower triangle is written", j, g0[j*13])
		}
	}
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}
