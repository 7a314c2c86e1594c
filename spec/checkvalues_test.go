package spec

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/formula"
)

// robustSDSerial is robustSD as it was written before checkColumns: the
// reference for bit-for-bit equality.
func robustSDSerial(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return 0
	}
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = x / m
	}
	return m * stat.StdDev(w, nil)
}

// checkMatrix has columns of every kind checkValues tells apart.
func checkMatrix(n int, seed uint64) *mat.Dense {
	r := rand.New(rand.NewPCG(seed, 1))
	kinds := []func(i int) float64{
		func(int) float64 { return r.NormFloat64() },
		func(int) float64 { return 1e-120 * r.NormFloat64() }, // varies by too little
		func(int) float64 { return 3 },
		func(int) float64 { return 0 },
		func(i int) float64 { return math.Copysign(0, float64(i%2)-0.5) },
		func(int) float64 { return 1e100 * (2*r.Float64() - 1) }, // within range
		func(i int) float64 { return pick(i == n/2, 2e100, r.NormFloat64()) },
		func(i int) float64 { return pick(i == n-1, math.NaN(), 1+r.Float64()) },
		func(i int) float64 { return pick(i == 0, math.Inf(-1), r.NormFloat64()) },
		func(i int) float64 { return 1e6 + 1e-6*r.NormFloat64() }, // a large mean
	}
	x := mat.NewDense(n, len(kinds), nil)
	for j, f := range kinds {
		for i := 0; i < n; i++ {
			x.Set(i, j, f(i))
		}
	}
	return x
}

func pick(c bool, a, b float64) float64 {
	if c {
		return a
	}
	return b
}

// checkColumns, in parallel over blocks of columns, finds the same first
// row out of range and the same robustSD, bit for bit, as a serial pass
// over copies of the columns, at any GOMAXPROCS, for any number of rows
// (those that make a block narrower than 4 columns included).
func TestCheckColumnsMatchesSerial(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, n := range []int{1, 2, 3, 5, 1000, 4097, 600000} {
		x := checkMatrix(n, uint64(n))
		_, p := x.Dims()
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			got, pred := checkColumns(x, true), checkColumns(x, false)
			for j := 0; j < p; j++ {
				col := mat.Col(nil, j, x)
				want := columnCheck{bad: -1}
				for i, v := range col {
					if !(math.Abs(v) <= MaxValue) {
						want.bad = i
						break
					}
				}
				if want.bad < 0 {
					want.sd = robustSDSerial(col)
				}
				if got[j].bad != want.bad || math.Float64bits(got[j].sd) != math.Float64bits(want.sd) {
					t.Fatalf("n %d, GOMAXPROCS %d, column %d: got %+v, want %+v", n, procs, j, got[j], want)
				}
				if pred[j].bad != want.bad {
					t.Fatalf("n %d, GOMAXPROCS %d, column %d, not fitting: first bad row %d, want %d", n, procs, j, pred[j].bad, want.bad)
				}
			}
		}
	}
}

// robustSD itself matches the serial reference, and a response is left
// as it was.
func TestRobustSDMatchesSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{1, 2, 3, 4, 17, 1000} {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1e-200 * r.NormFloat64()
		}
		c := append([]float64(nil), v...)
		if got, want := robustSD(v, nil), robustSDSerial(v); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n %d: robustSD %v, want %v", n, got, want)
		}
		if !floats.Same(v, c) {
			t.Errorf("n %d: robustSD(v, nil) changed v", n)
		}
	}
}

// statsSerial is statsOf's column statistics as a serial pass over the
// rows computes them: the reference for bit-for-bit equality.
func statsSerial(x *mat.Dense) (mean, sd []float64) {
	n, p := x.Dims()
	mean = make([]float64, p)
	for i := 0; i < n; i++ {
		floats.Add(mean, x.RawRowView(i))
	}
	floats.Scale(1/float64(n), mean)
	ss := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			d := v - mean[j]
			ss[j] += d * d
		}
	}
	sd = make([]float64, p)
	for j := range ss {
		sd[j] = math.Sqrt(ss[j] / float64(n-1))
	}
	return mean, sd
}

// statsOf's means and sds, and X centered in parallel over blocks of
// rows, are those of a serial pass bit for bit at any GOMAXPROCS.
func TestStatsOfMatchesSerial(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range []int{1, 15, 16, 17, 40} {
		x := design(3001, p, true, uint64(p))
		x.Apply(func(i, j int, v float64) float64 { return v*float64(j+1) + float64(j*j) }, x)
		wantMean, wantSD := statsSerial(x)
		wantX := mat.DenseCopyOf(x)
		c := append([]float64{0}, wantMean[1:]...)
		for i := 0; i < 3001; i++ {
			floats.Sub(wantX.RawRowView(i), c)
		}
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			st := statsOf(&formula.Design{X: x})
			if !bitsEqual(st.meanX, wantMean) || !bitsEqual(st.sdX, wantSD) {
				t.Fatalf("p %d, GOMAXPROCS %d: means or sds differ from the serial pass", p, procs)
			}
			y := mat.DenseCopyOf(x)
			centerColumns(y, st.meanX)
			if !bitsEqual(y.RawMatrix().Data, wantX.RawMatrix().Data) {
				t.Fatalf("p %d, GOMAXPROCS %d: centered X differs from the serial pass", p, procs)
			}
		}
	}
}
