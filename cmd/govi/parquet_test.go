package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// pqRow is a row of the command's Parquet test file.
type pqRow struct {
	Y  float64  `parquet:"y"`
	X1 float64  `parquet:"x1"`
	X2 *float64 `parquet:"x2,optional"`
	G  string   `parquet:"g"`
	L  []int32  `parquet:"tags,list"`
}

// writePQ writes rows to dir/name.
func writePQ(t *testing.T, dir, name string, rows []pqRow) string {
	t.Helper()
	path := filepath.Join(dir, name)
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[pqRow](fh)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// --data FILE.parquet fits as the same data in a CSV file do, in memory
// and streamed (--batch-size, or a file beyond --memory), with the same
// numbers; a missing value is dropped under --drop-missing; a bad value,
// a missing column and an unsupported column are data errors naming the
// column, and leave no output.
func TestFitParquet(t *testing.T) {
	dir := t.TempDir()
	rng := newRNG(11)
	n := 3000
	rows := make([]pqRow, n)
	y, x1, x2 := make([]float64, n), make([]float64, n), make([]float64, n)
	g := make([]string, n)
	for i := range rows {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x1[i], x2[i] = a, b
		y[i] = bern(rng, invLogit(-0.3+0.8*a-0.5*b))
		g[i] = []string{"a", "b"}[i%2]
		rows[i] = pqRow{Y: y[i], X1: a, X2: &x2[i], G: g[i]}
	}
	csvPath := writeData(t, dir, "d.csv", []string{"y", "x1", "x2", "g"}, y, x1, x2, g)
	pqPath := writePQ(t, dir, "d.parquet", rows)
	// The CSV file has the numbers the Parquet file has.
	for i := range rows {
		if math.IsInf(x1[i], 0) {
			t.Fatal("infinite")
		}
	}
	fit := func(path string, extra ...string) (map[string][2]float64, result) {
		t.Helper()
		out := filepath.Join(dir, "out-"+filepath.Base(path)+strings.Join(extra, ""))
		args := append([]string{"fit", "--data", path, "--formula", "y ~ x1 + x2", "--family", "bernoulli", "--seed", "5", "--out", out}, extra...)
		r := mustRun(t, args...)
		s := readSummary(t, out)
		if !s.Converged {
			t.Errorf("%s %v: not converged: %s", path, extra, r.stderr)
		}
		ps := map[string][2]float64{}
		for _, p := range s.Parameters {
			ps[p.Name] = [2]float64{p.Mean, p.SD}
		}
		return ps, r
	}
	same := func(what string, got, want map[string][2]float64) {
		t.Helper()
		if len(got) != len(want) || len(want) < 3 {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s %v, want %v", what, k, got[k], w)
			}
		}
	}
	memCSV, _ := fit(csvPath)
	memPQ, _ := fit(pqPath)
	same("in memory", memPQ, memCSV)
	if b := memPQ["b_x1"]; math.Abs(b[0]-0.8) > 4*b[1] {
		t.Errorf("b_x1 %v, simulated 0.8", b)
	}
	// One chunk each (the file is smaller than a chunk): the same batches.
	strCSV, _ := fit(csvPath, "--batch-size", "500")
	strPQ, r := fit(pqPath, "--batch-size", "500")
	same("streamed", strPQ, strCSV)
	for k, w := range memPQ {
		if s := strPQ[k]; math.Abs(s[0]-w[0]) > 0.1*w[1] || math.Abs(s[1]/w[1]-1) > 0.05 {
			t.Errorf("streamed %s %v, in memory %v", k, s, w)
		}
	}
	if strings.Contains(r.stderr, "needs about") {
		t.Errorf("--batch-size streams without the memory message: %s", r.stderr)
	}
	_, r = fit(pqPath, "--memory", "1K")
	if !strings.Contains(r.stderr, "d.parquet needs about") || !strings.Contains(r.stderr, "streaming it in chunks") {
		t.Errorf("--memory 1K: stderr lacks the streaming message:\n%s", r.stderr)
	}

	// Nulls: an error naming the row, or dropped.
	rows[9].X2 = nil
	nullPath := writePQ(t, dir, "null.parquet", rows)
	for _, extra := range [][]string{nil, {"--batch-size", "500"}} {
		out := filepath.Join(dir, "null-out")
		r := goviRun(t, append([]string{"fit", "--data", nullPath, "--formula", "y ~ x1 + x2", "--family", "bernoulli", "--quiet", "--out", out}, extra...)...)
		if r.code != exitData || !strings.Contains(r.stderr, `row 11 column "x2"`) || !strings.Contains(r.stderr, "--drop-missing") {
			t.Errorf("null %v: %v", extra, r)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("null %v: %s exists", extra, out)
		}
		r = goviRun(t, append([]string{"fit", "--data", nullPath, "--formula", "y ~ x1 + x2", "--family", "bernoulli", "--quiet", "--drop-missing"}, extra...)...)
		if r.code != 0 {
			t.Errorf("null %v --drop-missing: %v", extra, r)
		}
	}

	// A bad value, a missing column, an unsupported column.
	*rows[2500].X2 = math.Inf(1)
	badPath := writePQ(t, dir, "bad.parquet", rows)
	for _, tc := range []struct {
		path, formula string
		extra         []string
		want          string
	}{
		{badPath, "y ~ x1 + x2", nil, `bad.parquet:2502:3 (column "x2"): "+Inf" is not a finite number`},
		{badPath, "y ~ x1 + x2", []string{"--batch-size", "100"}, `bad.parquet:2502:3 (column "x2"): "+Inf" is not a finite number`},
		{pqPath, "y ~ x1 + x3", nil, `d.parquet: no column "x3"`},
		{pqPath, "y ~ x1 + x3", []string{"--batch-size", "100"}, `d.parquet: no column "x3"`},
		{pqPath, "y ~ x1 + tags", nil, `column "tags" has the Parquet type LIST`},
		{pqPath, "y ~ x1 + tags", []string{"--batch-size", "100"}, `column "tags" has the Parquet type LIST`},
	} {
		out := filepath.Join(dir, "bad-out")
		r := goviRun(t, append([]string{"fit", "--data", tc.path, "--formula", tc.formula, "--family", "bernoulli", "--quiet", "--out", out}, tc.extra...)...)
		if r.code != exitData || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s %v: want exit %d and %q; %v", tc.formula, tc.extra, exitData, tc.want, r)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s %v: %s exists", tc.formula, tc.extra, out)
		}
	}
}
