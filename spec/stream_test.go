package spec

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
)

// A model streamed from a CSV file has the in-memory model's priors,
// centers and names, and its minibatch fit over the file matches the
// in-memory fit within 0.1 posterior sd in every mean and 5% in every sd.
func TestStreamMatchesInMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("y,x1,x2\n")
	for i := 0; i < 30000; i++ {
		x1, x2 := r.NormFloat64()+3, 2*r.NormFloat64()
		y := 1 + 0.5*x1 - 0.25*x2 + 2*r.NormFloat64()
		b.WriteString(strconv.FormatFloat(y, 'g', 8, 64) + "," + strconv.FormatFloat(x1, 'g', 8, 64) + "," + strconv.FormatFloat(x2, 'g', 8, 64) + "\n")
	}
	mem, st := buildBoth(t, &Model{Formula: "y ~ x1 + x2", Family: "gaussian"}, b.String(), 30000)
	if !slices.Equal(st.Names, mem.Names) || st.NumRows() != 30000 || st.NumChunks() < 2 {
		t.Fatalf("names %v rows %d chunks %d", st.Names, st.NumRows(), st.NumChunks())
	}
	out := sameModelAndFit(t, mem, st)
	t.Logf("%d epochs, %d rows; %s", out.Epochs, out.Rows, out.EstimatorName)
}

// A formula whose coding depends on the whole data (a categorical
// variable with a level that only the second half has, factor() of a
// number, scale() of a column constant in the first chunk) streams with
// the in-memory model's names, recipe, priors and centers, and fits as the
// in-memory model does.
func TestStreamCategoricalAndScale(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	b.WriteString("y,g,k,z\n")
	const n = 20000
	effect := map[string]float64{"a": 0, "b": 0.5, "c": -0.5, "d": 1, "e": 2}
	for i := 0; i < n; i++ {
		g := string(rune('a' + r.IntN(4)))
		if i >= n/2 && r.IntN(20) == 0 {
			g = "e" // only in the second half
		}
		k := float64(2 * (1 + r.IntN(3)))
		z := 5.0
		if i >= 2000 {
			z = 5 + r.NormFloat64()
		}
		y := 1 + effect[g] + 0.3*k + 0.8*(z-5) + r.NormFloat64()
		b.WriteString(strconv.FormatFloat(y, 'g', 8, 64) + "," + g + "," + strconv.FormatFloat(k, 'g', -1, 64) + "," + strconv.FormatFloat(z, 'g', 8, 64) + "\n")
	}
	mem, st := buildBoth(t, &Model{Formula: "y ~ g + factor(k) + scale(z)", Family: "gaussian"}, b.String(), 20000)
	if !slices.Equal(st.Names, mem.Names) || st.NumChunks() < 5 {
		t.Fatalf("names %v (in memory %v), %d chunks", st.Names, mem.Names, st.NumChunks())
	}
	rs, rm := st.Spec.Recipe, mem.Spec.Recipe
	for i, v := range rm.Variables {
		if !slices.Equal(rs.Variables[i].Levels, v.Levels) {
			t.Errorf("%s: levels %v, in memory %v", v.Expr, rs.Variables[i].Levels, v.Levels)
		}
	}
	if s, w := rs.Scales[0], rm.Scales[0]; math.Abs(s.Center-w.Center) > 1e-12 || math.Abs(s.SD/w.SD-1) > 1e-12 {
		t.Errorf("scale %+v, in memory %+v", s, w)
	}
	sameModelAndFit(t, mem, st)
}

// The same seed gives the same streamed fit at GOMAXPROCS 1 and 2.
func TestStreamReproducible(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var b strings.Builder
	b.WriteString("y,x1,x2\n")
	for i := 0; i < 8000; i++ {
		x1, x2 := r.NormFloat64(), r.NormFloat64()
		y := 0
		if r.Float64() < 1/(1+math.Exp(-(0.5+x1-0.5*x2))) {
			y = 1
		}
		b.WriteString(strconv.Itoa(y) + "," + strconv.FormatFloat(x1, 'g', 8, 64) + "," + strconv.FormatFloat(x2, 'g', 8, 64) + "\n")
	}
	path := filepath.Join(t.TempDir(), "b.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Model{Formula: "y ~ x1 + x2", Family: "bernoulli"}
	var means [2][]float64
	for k, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		tab, err := data.OpenCSV(path, data.Options{ChunkBytes: 20000})
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.Stream(tab)
		if err != nil {
			t.Fatal(err)
		}
		fit, _, err := st.Fit(context.Background(), govi.RunOptions{Seed: 3, BatchSize: 1000, Draws: 200})
		tab.Close()
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range fit.Params {
			means[k] = append(means[k], p.Mean, p.SD)
		}
	}
	if !slices.Equal(means[0], means[1]) {
		t.Errorf("streamed fit differs at GOMAXPROCS 1 and 2:\n%v\n%v", means[0], means[1])
	}
}

// sameModelAndFit checks that a streamed model has the in-memory model's
// priors and centers, and that its minibatch fit matches the in-memory fit
// within 0.1 posterior sd in every mean and 5% in every sd.
func sameModelAndFit(t *testing.T, mem *Built, st *Stream) *govi.Outcome {
	t.Helper()
	for i, p := range mem.Priors {
		if st.Priors[i] != p {
			t.Errorf("prior %v, in memory %v", st.Priors[i], p)
		}
	}
	for j, c := range mem.Spec.Centers {
		if math.Abs(st.Spec.Centers[j]-c) > 1e-12*(1+math.Abs(c)) {
			t.Errorf("center %d: %v, in memory %v", j, st.Spec.Centers[j], c)
		}
	}
	ref, _, err := mem.Fit(context.Background(), govi.RunOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, out, err := st.Fit(context.Background(), govi.RunOptions{Seed: 1, BatchSize: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Fit.Converged() {
		t.Fatalf("streamed fit: %s", out.Fit.Message)
	}
	for j, p := range ref.Params {
		q := got.Params[j]
		if z := math.Abs(q.Mean-p.Mean) / p.SD; z > 0.1 || math.Abs(q.SD/p.SD-1) > 0.05 {
			t.Errorf("%s: streamed %.4g (%.3g), in memory %.4g (%.3g)", p.Name, q.Mean, q.SD, p.Mean, p.SD)
		}
	}
	return out
}

// buildBoth writes the CSV text to a file and returns m built on it in
// memory and streamed from it in chunks of about chunkBytes.
func buildBoth(t *testing.T, m *Model, csv string, chunkBytes int) (*Built, *Stream) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	fr, err := data.ReadFile(path, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := m.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := data.OpenCSV(path, data.Options{ChunkBytes: chunkBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	st, err := m.Stream(tab)
	if err != nil {
		t.Fatal(err)
	}
	return mem, st
}
