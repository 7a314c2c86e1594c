package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

type predictOptions struct {
	fit, data, example, out string
	seed                    uint64
	dropMissing, quiet      bool
}

func runPredict(args []string, stdout, stderr io.Writer) error {
	o := &predictOptions{}
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.StringVar(&o.fit, "fit", "", "")
	fs.StringVar(&o.data, "data", "", "")
	fs.StringVar(&o.example, "example", "", "")
	fs.StringVar(&o.out, "out", "", "")
	fs.Uint64Var(&o.seed, "seed", 1, "")
	fs.BoolVar(&o.dropMissing, "drop-missing", false, "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	done, err := parseFlags(fs, args, predictHelp, stdout)
	if done || err != nil {
		return err
	}
	if o.fit == "" {
		return usageErrorf("missing --fit DIR (a directory written by 'govi fit --out DIR'); run 'govi predict --help'")
	}
	src := source{path: o.data}
	switch {
	case o.data != "" && o.example != "":
		return usageErrorf("--example and --data cannot be combined")
	case o.example != "":
		if src.example, err = findExample(o.example); err != nil {
			return err
		}
	case o.data == "":
		return usageErrorf("missing --data FILE.csv with the new rows; run 'govi predict --help'")
	}
	saved, err := spec.LoadFit(o.fit)
	if err != nil {
		return withCode(exitData, err)
	}
	fr, dropped, err := readNewData(saved.Model, src, o.dropMissing)
	if err != nil {
		return err
	}
	pred, warns, err := saved.Predict(fr, o.seed)
	if err != nil {
		return err
	}
	if !o.quiet {
		for _, w := range append(append(saved.Warnings, dropped...), warns...) {
			fmt.Fprintf(stderr, "Warning: %s\n", w)
		}
	}
	write := pred.WriteCSV
	if o.out == "" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return withCode(exitFailure, err)
		}
		return withCode(exitFailure, bw.Flush())
	}
	if err := report.CheckOutDir(filepath.Dir(o.out), []string{filepath.Base(o.out)}); err != nil {
		return withCode(exitFailure, fmt.Errorf("--out %s: %w", o.out, err))
	}
	if st, err := os.Stat(o.out); err == nil && st.IsDir() {
		return withCode(exitFailure, fmt.Errorf("--out %s is a directory; give a file name", o.out))
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return withCode(exitFailure, err)
	}
	return withCode(exitFailure, report.WriteFileAtomic(o.out, write))
}

// readNewData reads the columns of the new rows that prediction uses: those
// it needs, and the response's when present.
func readNewData(m *spec.Model, src source, dropMissing bool) (*data.Frame, []string, error) {
	header, err := src.header()
	if err != nil {
		return nil, nil, err
	}
	cols, err := m.NewDataColumns(src.name(), header)
	if err != nil {
		return nil, nil, err
	}
	fr, err := src.read(data.Options{Columns: cols, Categorical: m.Recipe.Categorical()})
	if err != nil || !dropMissing {
		return fr, nil, err
	}
	need, _, _ := m.PredictColumns()
	fr, n := fr.DropMissing(need)
	if n == 0 {
		return fr, nil, nil
	}
	return fr, []string{fmt.Sprintf("--drop-missing dropped %d of %d rows with missing values in %s", n, fr.Rows+n, strings.Join(need, ", "))}, nil
}
