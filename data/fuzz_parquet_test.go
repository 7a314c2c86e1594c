package data

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadParquet reads arbitrary bytes as a Parquet file, whole and in
// chunks: an error is fine, a panic or a non-finite number is not.
func FuzzReadParquet(f *testing.F) {
	dir := f.TempDir()
	seed, err := os.ReadFile(writeParquet(&testing.T{}, dir, "seed.parquet", pqRows(20), 7))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if fr, err := ReadFile(path, Options{}); err == nil {
			checkFinite(t, fr)
		}
		tab, err := Open(path, Options{ChunkBytes: 64})
		if err != nil {
			return
		}
		defer tab.Close()
		_ = tab.Scan(func(_ int, fr *Frame) error {
			checkFinite(t, fr)
			return nil
		})
	})
}

// checkFinite fails on an infinite number in a numeric column (NaN marks
// a missing value).
func checkFinite(t *testing.T, fr *Frame) {
	for _, c := range fr.Columns {
		for _, v := range c.Num {
			if v-v != 0 && v == v {
				t.Fatalf("column %s holds %g", c.Name, v)
			}
		}
	}
}
