package formula

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/govi-dev/govi/data"
)

// bigFixture has more rows than a strip (colStrip) and a chunk of
// designMatrix, with columns that make zeros of both signs, identical
// columns, and columns that differ only in their last row.
func bigFixture(t *testing.T, n int) *data.Frame {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	x, z, same, late, neg, zero := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	g, h := make([]string, n), make([]string, n)
	for i := range x {
		x[i] = r.NormFloat64()
		z[i] = math.Round(4 * r.NormFloat64())
		neg[i] = -1 - r.Float64()
		g[i] = string(rune('a' + r.IntN(4)))
		h[i] = string(rune('p' + i*3/n)) // sorted: p, then q, then r
	}
	copy(same, x)
	copy(late, x)
	late[n-1]++
	cols := []*data.Column{
		data.NewNumeric("y", z), data.NewNumeric("x", x), data.NewNumeric("z", z), data.NewNumeric("same", same),
		data.NewNumeric("late", late), data.NewNumeric("neg", neg), data.NewNumeric("zero", zero),
		data.NewString("g", g), data.NewString("h", h),
	}
	fr, err := data.New("big.csv", cols...)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

// The design matrix, written a strip and 8 columns at a time in
// parallel, has exactly (bit for bit, zeros' signs included) the values
// of its columns evaluated whole, one after the other, at any GOMAXPROCS;
// the warnings about constant and identical columns are the same too.
func TestDesignMatrixMatchesColumns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, n := range []int{1, 7, colStrip, colStrip + 3, 5*colStrip + 17} {
		fr := bigFixture(t, n)
		for _, src := range []string{
			"y ~ x + z + same + late + neg + zero",
			"y ~ 0 + x + g + h + x:g + neg:h + z:neg:g",
			"y ~ g * h + log(-neg) + I(x^2) + scale(z) + x:zero",
			"y ~ x + (1 + x | g)",
		} {
			f, err := Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			var wantX []uint64
			for _, procs := range []int{1, 2, 3} {
				runtime.GOMAXPROCS(procs)
				d, warns, err := f.Build(fr)
				if err != nil {
					if n == 1 && strings.Contains(err.Error(), "constant") {
						break // scale() of one row
					}
					t.Fatalf("n %d, %s: %v", n, src, err)
				}
				// The reference: every column evaluated whole.
				b := &builder{f: f, fr: fr, n: fr.Rows, vals: map[int]*value{}, groups: map[string]*value{}, rec: &Recipe{}}
				names, cols, err := b.columns(f.terms, f.icpt)
				if err != nil {
					t.Fatal(err)
				}
				if f.icpt {
					one := make([]float64, n)
					for i := range one {
						one[i] = 1
					}
					names, cols = append([]string{"Intercept"}, names...), append([][]float64{one}, cols...)
				}
				if !slices.Equal(names, d.Names) {
					t.Fatalf("names %q, want %q", d.Names, names)
				}
				var bits []uint64
				for i := 0; i < n; i++ {
					for j, c := range cols {
						got := d.X.At(i, j)
						if math.Float64bits(got) != math.Float64bits(c[i]) {
							t.Fatalf("n %d, %s, GOMAXPROCS %d: X[%d, %s] = %v, want %v", n, src, procs, i, names[j], got, c[i])
						}
						bits = append(bits, math.Float64bits(got))
					}
				}
				if procs == 1 {
					want, wantX = warns, bits
					continue
				}
				if !slices.Equal(warns, want) || !slices.Equal(bits, wantX) {
					t.Errorf("n %d, %s: GOMAXPROCS %d gives warnings %q, want %q (or a different X)", n, src, procs, warns, want)
				}
			}
		}
	}
}

// Identical columns are found across strips, and columns that differ
// only in their last row are not identical.
func TestIdenticalColumnsAcrossStrips(t *testing.T) {
	n := 3*colStrip + 5
	fr := bigFixture(t, n)
	_, warns := mustBuild(t, "y ~ x + late + same + zero", fr)
	got := strings.Join(warns, "\n")
	for _, want := range []string{`columns "x" and "same" are identical`, `column "zero" is constant`} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
	if strings.Contains(got, `"late"`) {
		t.Errorf("warnings %q name late, which differs from x in the last row", got)
	}
	if c := strings.Count(got, "identical"); c != 1 {
		t.Errorf("%d identical-column warnings, want 1: %q", c, got)
	}
	// equalCols itself, which the hashes spare all but equal columns.
	col := func(name string) designCol { return designCol{{num: fr.Lookup(name).Num}} }
	for _, tc := range []struct {
		name string
		a, b designCol
		want bool
	}{
		{"x, same", col("x"), col("same"), true},
		{"x, late", col("x"), col("late"), false},
		{"zero, x:zero", col("zero"), designCol{{num: fr.Lookup("x").Num}, {num: fr.Lookup("zero").Num}}, true},
		{"intercept, zero", designCol{}, col("zero"), false},
	} {
		if got := equalCols(tc.a, tc.b, n); got != tc.want {
			t.Errorf("equalCols(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A column that is a variable of the frame is read, not written: Build
// leaves the frame as it was.
func TestBuildLeavesFrame(t *testing.T) {
	fr := bigFixture(t, 2*colStrip)
	before := slices.Clone(fr.Lookup("x").Num)
	d, _ := mustBuild(t, "y ~ x + (0 + x | g)", fr)
	for i := range d.Groups[0].Value {
		d.Groups[0].Value[i] = 7 // a group-level column is a copy
	}
	d.X.Set(0, 1, 99)
	if !slices.Equal(fr.Lookup("x").Num, before) {
		t.Error("writing to the design changed the frame's column x")
	}
}
