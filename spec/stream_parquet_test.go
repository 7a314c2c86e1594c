package spec

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
)

// A fit streamed from a Parquet file is the fit streamed from the same
// data as CSV: with row groups of the CSV chunks' rows, the same seed
// gives the same numbers.
func TestStreamParquetMatchesCSV(t *testing.T) {
	type row struct {
		Y  float64 `parquet:"y"`
		X1 float64 `parquet:"x1"`
		X2 float64 `parquet:"x2"`
	}
	r := rand.New(rand.NewPCG(7, 8))
	rows := make([]row, 20000)
	var b strings.Builder
	b.WriteString("y,x1,x2\n")
	for i := range rows {
		x1, x2 := r.NormFloat64()+1, r.NormFloat64()
		y := 0.0
		if r.Float64() < 1/(1+1/(2*x1*x1+0.1)) {
			y = 1
		}
		rows[i] = row{y, x1, x2}
		for j, v := range []float64{y, x1, x2} {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Model{Formula: "y ~ x1 + x2", Family: "bernoulli"}
	fit := func(tab data.Chunked) (*Stream, []float64) {
		t.Helper()
		defer tab.Close()
		st, err := m.Stream(tab)
		if err != nil {
			t.Fatal(err)
		}
		res, out, err := st.Fit(context.Background(), govi.RunOptions{Seed: 3, BatchSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if !out.Fit.Converged() {
			t.Fatalf("%s: %s", tab.Source(), out.Fit.Message)
		}
		var v []float64
		for _, p := range res.Params {
			v = append(v, p.Mean, p.SD, p.Q5, p.Q95)
		}
		return st, append(append(v, out.Fit.ELBO), out.Fit.Params...)
	}
	ct, err := data.OpenCSV(csvPath, data.Options{ChunkBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	cs, want := fit(ct)
	if cs.NumChunks() < 4 {
		t.Fatalf("%d chunks", cs.NumChunks())
	}

	// Row groups of the CSV chunks' rows.
	pqPath := filepath.Join(dir, "d.parquet")
	fh, err := os.Create(pqPath)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](fh)
	at := 0
	for k := 0; k < cs.NumChunks(); k++ {
		n := cs.ChunkRows(k)
		if _, err := w.Write(rows[at : at+n]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		at += n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	pt, err := data.Open(pqPath, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps, got := fit(pt)
	if ps.NumChunks() != cs.NumChunks() || ps.NumRows() != cs.NumRows() {
		t.Fatalf("Parquet: %d chunks, %d rows; CSV %d, %d", ps.NumChunks(), ps.NumRows(), cs.NumChunks(), cs.NumRows())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d: Parquet %v, CSV %v", i, got[i], want[i])
		}
	}
}

// "." in a streamed formula is every other column of the file, as in
// Build: the fit is that of the expanded formula.
func TestStreamDot(t *testing.T) {
	var b strings.Builder
	b.WriteString("y,x1,x2\n")
	r := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 2000; i++ {
		x1, x2 := r.NormFloat64(), r.NormFloat64()
		b.WriteString(strconv.FormatFloat(1+x1-x2+r.NormFloat64(), 'g', -1, 64) + "," + strconv.FormatFloat(x1, 'g', -1, 64) + "," + strconv.FormatFloat(x2, 'g', -1, 64) + "\n")
	}
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var means [2][]float64
	for k, f := range []string{"y ~ .", "y ~ x1 + x2"} {
		tab, err := data.OpenCSV(path, data.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := (&Model{Formula: f, Family: "gaussian"}).Stream(tab)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if strings.Contains(st.Spec.Formula, ".") || !strings.Contains(st.Spec.Formula, "x1 + x2") {
			t.Errorf("%s: saved formula %q", f, st.Spec.Formula)
		}
		res, _, err := st.Fit(context.Background(), govi.RunOptions{Seed: 1, BatchSize: 500})
		tab.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Params {
			means[k] = append(means[k], p.Mean)
		}
	}
	if !slices.Equal(means[0], means[1]) || len(means[0]) != 4 {
		t.Errorf("y ~ .: %v; y ~ x1 + x2: %v", means[0], means[1])
	}
}
