package spec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/internal/synth"
)

// logisticFrame is the frame of the anchors' logistic regression
// (internal/synth.Logistic): y, x1, …, xd.
func logisticFrame(tb testing.TB, n, d int) *data.Frame {
	tb.Helper()
	x, y, _ := synth.Logistic(n, d, 1)
	cols := []*data.Column{data.NewNumeric("y", y)}
	for j := 1; j <= d; j++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = x.At(i, j)
		}
		cols = append(cols, data.NewNumeric("x"+strconv.Itoa(j), v))
	}
	fr, err := data.New("l100k.csv", cols...)
	if err != nil {
		tb.Fatal(err)
	}
	return fr
}

// BenchmarkBuildLogistic100k is Build of "y ~ ." on the 100,000 × 100
// logistic regression of issue 10 (a design of 101 columns).
func BenchmarkBuildLogistic100k(b *testing.B) {
	fr := logisticFrame(b, 100000, 100)
	m := &Model{Formula: "y ~ .", Family: "bernoulli"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Build(fr); err != nil {
			b.Fatal(err)
		}
	}
}

// Build gives the same model at any GOMAXPROCS: names, priors, warnings
// (a constant column, two identical ones, a rank deficiency), the saved
// description with its centers, and X bit for bit.
func TestBuildSameAtAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	fr := logisticFrame(t, 6000, 30)
	x1, x2 := fr.Lookup("x1").Num, fr.Lookup("x2").Num
	sum := make([]float64, len(x1))
	for i := range sum {
		sum[i] = x1[i] + x2[i]
	}
	fr, err := data.New(fr.Source, append(fr.Columns, data.NewNumeric("dup", slices.Clone(x1)), data.NewNumeric("sum", sum),
		data.NewNumeric("c", make([]float64, len(x1))))...)
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		b, err := (&Model{Formula: "y ~ .", Family: "bernoulli"}).Build(fr)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(b.Spec)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%q\n%q\n%q\n%s\n%x", b.Names, b.Priors, b.Warnings, js, math.Float64bits(floats.Sum(b.Design.X.RawMatrix().Data)))
		h := fnv.New64a()
		for _, v := range b.Design.X.RawMatrix().Data {
			binary.Write(h, binary.LittleEndian, math.Float64bits(v))
		}
		got += fmt.Sprintf(" %x", h.Sum64())
		if procs == 1 {
			want = got
			for _, w := range []string{"constant", "identical", "rank-deficient"} {
				if !strings.Contains(got, w) {
					t.Fatalf("warnings %q lack %q", b.Warnings, w)
				}
			}
			continue
		}
		if got != want {
			t.Errorf("GOMAXPROCS %d gives\n%s\nwant\n%s", procs, got, want)
		}
	}
}
