package bnn

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// sharedFile returns the path of shared/data/name: under $GOVI_SHARED if
// it is set, otherwise in the first folder named shared next to the
// module root or one of its parents (the worktree /work/wt-bnn finds
// /work/shared). It skips the test or benchmark when the file is absent.
func sharedFile(tb testing.TB, name string) string {
	tb.Helper()
	if d := os.Getenv("GOVI_SHARED"); d != "" {
		p := filepath.Join(d, "data", name)
		if _, err := os.Stat(p); err != nil {
			tb.Skipf("%s not found under GOVI_SHARED=%s: %v", name, d, err)
		}
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Skip(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "data", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	tb.Skipf("shared/data/%s not found next to the repository or its parents (set GOVI_SHARED to the shared folder); skipping", name)
	return ""
}

// readCSV reads a numeric CSV with a header; the column named target is
// returned as y and the others as x.
func readCSV(tb testing.TB, path, target string) (*mat.Dense, []float64) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	head := recs[0]
	ycol := -1
	for j, h := range head {
		if h == target {
			ycol = j
		}
	}
	if ycol < 0 {
		tb.Fatalf("%s: no column %q", path, target)
	}
	n, p := len(recs)-1, len(head)-1
	x := mat.NewDense(n, p, nil)
	y := make([]float64, n)
	for i, r := range recs[1:] {
		k := 0
		for j, c := range r {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				tb.Fatalf("%s:%d: %v", path, i+2, err)
			}
			if j == ycol {
				y[i] = v
			} else {
				x.Set(i, k, v)
				k++
			}
		}
	}
	return x, y
}

// split returns a random partition of n rows into a training set and a
// held-out set of size test, from a PCG stream seeded by seed.
func split(n, test int, seed uint64) (train, held []int) {
	perm := rand.New(rand.NewPCG(seed, 2024)).Perm(n)
	return perm[test:], perm[:test]
}

// subset returns the rows of x and y.
func subset(x *mat.Dense, y []float64, rows []int) (*mat.Dense, []float64) {
	_, p := x.Dims()
	xs := mat.NewDense(len(rows), p, nil)
	ys := make([]float64, len(rows))
	for k, i := range rows {
		xs.SetRow(k, x.RawRowView(i))
		ys[k] = y[i]
	}
	return xs, ys
}

// digits loads shared/data/digits.csv.
func digits(tb testing.TB) (*mat.Dense, []float64) {
	x, y := readCSV(tb, sharedFile(tb, "digits.csv"), "label")
	if r, _ := x.Dims(); r != 1797 {
		tb.Fatal(fmt.Sprintf("digits.csv has %d rows, want 1797", r))
	}
	return x, y
}
