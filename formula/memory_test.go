package formula

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/govi-dev/govi/data"
)

// Build allocates the design matrix and little else: the numeric columns
// are read in place, not copied, and each column of X is written straight
// into it (before, every column was held twice next to X: three times X).
func TestBuildAllocatesX(t *testing.T) {
	const n, p = 20000, 20
	rng := rand.New(rand.NewPCG(1, 2))
	cols := []*data.Column{data.NewNumeric("y", make([]float64, n))}
	for j := 1; j <= p; j++ {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		cols = append(cols, data.NewNumeric("x"+strconv.Itoa(j), x))
	}
	fr, err := data.New("t.csv", cols...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(mustExpand(t, "y ~ .", fr.Names()))
	if err != nil {
		t.Fatal(err)
	}
	xBytes := uint64(n * (p + 1) * 8)
	least := ^uint64(0)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, _, err := f.Build(fr)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if r, c := d.X.Dims(); r != n || c != p+1 {
			t.Fatalf("X is %d×%d", r, c)
		}
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	if limit := xBytes + xBytes/5; least > limit {
		t.Errorf("Build allocated %d bytes for a %d-byte design matrix, want at most %d", least, xBytes, limit)
	}
}

func mustExpand(t *testing.T, f string, cols []string) string {
	t.Helper()
	s, err := ExpandDot(f, cols)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
