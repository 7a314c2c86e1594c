package spec_test

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"weak"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/spec"
)

// A built model keeps none of the frame's columns, so that the command can
// let the frame go once X is built, and holds y once: the design's
// response is the likelihood's copy.
func TestBuildReleasesFrame(t *testing.T) {
	const n = 2000
	rng := rand.New(rand.NewPCG(3, 4))
	y, x1, x2 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range y {
		x1[i], x2[i] = rng.NormFloat64(), rng.NormFloat64()
		if rng.Float64() < 0.5 {
			y[i] = 1
		}
	}
	fr, err := data.New("d.csv", data.NewNumeric("y", y), data.NewNumeric("x1", x1), data.NewNumeric("x2", x2))
	if err != nil {
		t.Fatal(err)
	}
	var cols []weak.Pointer[float64]
	for _, c := range fr.Columns {
		cols = append(cols, weak.Make(&c.Num[0]))
	}
	y, x1, x2 = nil, nil, nil
	m := &spec.Model{Formula: "y ~ x1 + x2", Family: "bernoulli"}
	b, err := m.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	fr = nil
	runtime.GC()
	for j, c := range cols {
		if c.Value() != nil {
			t.Errorf("column %d of the frame is still reachable from the built model", j)
		}
	}
	ly, ok := b.Linear.Terms().Lik.(interface{ Y() []float64 })
	if !ok {
		t.Fatal("the likelihood has no Y method")
	}
	if r := b.Design.Response; len(r) != n || &r[0] != &ly.Y()[0] {
		t.Error("Design.Response is not the likelihood's y")
	}
	runtime.KeepAlive(b)
}
