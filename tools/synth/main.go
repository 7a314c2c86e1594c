// Command synth writes large synthetic data sets for the scale benchmarks
// and scripts, so that nothing large is committed:
//
//	go run ./tools/synth -rows 10000000 -cols 10 -format parquet -out big.parquet
//	go run ./tools/synth -rows 100000 -cols 100 -out logistic.csv
//
// The data are the logistic regression of internal/synth.Logistic (the
// Stan ADVI anchors' design): columns y, x1, …, xD, X ~ N(0, 1) with
// columns 1–20 in four blocks of five with correlation 0.8, α = −0.5,
// β_j ~ N(0, 0.15²); the same seed gives the same rows in either format.
// Numbers are written with -digits significant digits (CSV).
//
// Without -out the file goes to the system's temporary directory, and
// its path is printed. -bad-row R writes a bad cell in column x1 of data
// row R (1-based): the text "12a" in a CSV file, +Inf in a Parquet file
// (whose cells are typed), to check that a bad cell deep in a big file is
// reported with its line and column.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/govi-dev/govi/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	rows := fs.Int("rows", 100000, "data rows")
	cols := fs.Int("cols", 100, "predictors (columns x1..xD)")
	format := fs.String("format", "csv", "csv or parquet")
	out := fs.String("out", "", "output file (default: a file in the temporary directory)")
	seed := fs.Uint64("seed", 1, "seed")
	digits := fs.Int("digits", 6, "significant digits of the CSV numbers")
	group := fs.Int("row-group", 65536, "rows per Parquet row group")
	bad := fs.Int("bad-row", 0, "write a bad cell in column x1 of this data row (1-based): \"12a\" (CSV) or +Inf (Parquet)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 1 || *cols < 1 || *digits < 1 || *group < 1 {
		return errors.New("-rows, -cols, -digits and -row-group must be positive")
	}
	if *format != "csv" && *format != "parquet" {
		return fmt.Errorf("-format %q: use csv or parquet", *format)
	}
	path := *out
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("govi-logistic-%dx%d.%s", *rows, *cols, *format))
	}
	// Written under a temporary name and renamed: never a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".synth-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if *format == "csv" {
		err = writeCSV(tmp, *rows, *cols, *seed, *digits, *bad)
	} else {
		err = writeParquet(tmp, *rows, *cols, *seed, *group, *bad)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}

func names(d int) []string {
	n := []string{"y"}
	for j := 1; j <= d; j++ {
		n = append(n, "x"+strconv.Itoa(j))
	}
	return n
}

func writeCSV(w io.Writer, rows, d int, seed uint64, digits, bad int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for j, n := range names(d) {
		if j > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(n)
	}
	bw.WriteByte('\n')
	g := synth.NewLogisticRows(d, seed)
	row := make([]float64, d+1)
	var buf []byte
	for i := 1; i <= rows; i++ {
		y := g.Next(row)
		buf = strconv.AppendFloat(buf[:0], y, 'g', -1, 64)
		for j := 1; j <= d; j++ {
			buf = append(buf, ',')
			if i == bad && j == 1 {
				buf = append(buf, "12a"...)
				continue
			}
			buf = strconv.AppendFloat(buf, row[j], 'g', digits, 64)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeParquet(w io.Writer, rows, d int, seed uint64, group, bad int) error {
	g := parquet.Group{}
	for _, n := range names(d) {
		g[n] = parquet.Leaf(parquet.DoubleType)
	}
	schema := parquet.NewSchema("logistic", g)
	// Columns in the schema's order (sorted by name).
	pos := map[string]int{}
	for i, f := range schema.Fields() {
		pos[f.Name()] = i
	}
	pw := parquet.NewWriter(w, schema, parquet.MaxRowsPerRowGroup(int64(group)))
	gen := synth.NewLogisticRows(d, seed)
	x := make([]float64, d+1)
	batch := make([]parquet.Row, 0, 1024)
	nm := names(d)
	for i := 1; i <= rows; i++ {
		y := gen.Next(x)
		r := make(parquet.Row, d+1)
		for k, n := range nm {
			v := y
			if k > 0 {
				v = x[k]
			}
			c := pos[n]
			if i == bad && n == "x1" {
				v = math.Inf(1) // Parquet cells are typed: a non-finite one
			}
			r[c] = parquet.DoubleValue(v).Level(0, 0, c)
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == rows {
			if _, err := pw.WriteRows(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return pw.Close()
}
