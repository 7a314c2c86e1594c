package data

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// wideCSV returns a CSV of rows × cols random numbers, with one text column.
func wideCSV(rows, cols int) []byte {
	var b bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for j := 0; j < cols; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%d", j)
	}
	b.WriteByte('\n')
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			if j == cols-1 {
				fmt.Fprintf(&b, "g%d", r.IntN(20))
			} else {
				fmt.Fprintf(&b, "%.4f", r.NormFloat64())
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func BenchmarkReadCSV(b *testing.B) {
	buf := wideCSV(10000, 100)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := ReadCSV(bytes.NewReader(buf), "bench.csv", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// numericCSV returns a CSV of rows × cols numbers written as the
// synthetic logistic data are (%.6g), the shape of the scale benchmarks.
func numericCSV(rows, cols int) []byte {
	var b bytes.Buffer
	r := rand.New(rand.NewPCG(3, 4))
	for j := 0; j < cols; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "x%d", j)
	}
	b.WriteByte('\n')
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.6g", r.NormFloat64())
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkReadNumericCSV measures the numeric path's throughput (MB/s);
// run with -cpu 1,2 for one and two cores.
func BenchmarkReadNumericCSV(b *testing.B) {
	buf := numericCSV(20000, 101)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := ReadCSV(bytes.NewReader(buf), "bench.csv", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
