package main

import (
	"bufio"
	"encoding/json"
	"errors"
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
	m, draws, net, warns, err := loadFit(o.fit)
	if err != nil {
		return err
	}
	fr, dropped, err := readNewData(m, src, o.dropMissing)
	if err != nil {
		return err
	}
	var write func(w io.Writer) error
	if net != nil {
		pr, err := net.Predict(fr, 0, o.seed)
		if err != nil {
			return err
		}
		write = pr.WriteCSV
	} else {
		p, err := spec.NewPredictor(m, draws, fr)
		if err != nil {
			return err
		}
		dropped = append(dropped, p.Warnings()...)
		write = func(w io.Writer) error { return p.Summarize(o.seed).WriteCSV(w) }
	}
	if !o.quiet {
		for _, w := range append(warns, dropped...) {
			fmt.Fprintf(stderr, "Warning: %s\n", w)
		}
	}
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

// loadFit reads DIR/spec.json and DIR/draws.csv (a network's
// DIR/network.json), with a warning when DIR/summary.json says the fit did
// not converge. Every problem with them is a data error.
func loadFit(dir string) (m *spec.Model, draws *report.Draws, net *spec.NetworkPredictor, warns []string, err error) {
	m, draws, net, err = loadFitFiles(dir)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if sf, err := os.Open(filepath.Join(dir, "summary.json")); err == nil {
		var sum struct {
			Converged bool   `json:"converged"`
			Stop      string `json:"stop"`
		}
		if json.NewDecoder(sf).Decode(&sum) == nil && !sum.Converged {
			warns = append(warns, fmt.Sprintf("the fit in %s did not converge (stop: %s): the predictions inherit its inaccuracy", dir, sum.Stop))
		}
		sf.Close()
	}
	return m, draws, net, warns, nil
}

func loadFitFiles(dir string) (*spec.Model, *report.Draws, *spec.NetworkPredictor, error) {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, nil, nil, dataErrorf("--fit %s: %v (give the directory written by 'govi fit --out DIR')", dir, errors.Unwrap(err))
	case !st.IsDir():
		return nil, nil, nil, dataErrorf("--fit %s: not a directory (give the directory written by 'govi fit --out DIR')", dir)
	}
	sp := filepath.Join(dir, "spec.json")
	b, err := os.ReadFile(sp)
	if err != nil {
		return nil, nil, nil, dataErrorf("--fit %s: %v (not a directory written by 'govi fit --out DIR'?)", dir, err)
	}
	m, err := spec.Parse(b)
	if err == nil {
		err = m.Check()
	}
	if err == nil {
		_, err = m.Columns()
	}
	if err != nil {
		return nil, nil, nil, dataErrorf("%s: %v", sp, err)
	}
	if m.Recipe == nil {
		return nil, nil, nil, dataErrorf("%s has no recipe: it is a model description, not a fit saved by 'govi fit --out'", sp)
	}
	if m.IsNetwork() {
		np := filepath.Join(dir, "network.json")
		b, err := os.ReadFile(np)
		if err != nil {
			return nil, nil, nil, dataErrorf("--fit %s: %v", dir, err)
		}
		net, err := spec.LoadNetwork(m, b)
		if err != nil {
			return nil, nil, nil, dataErrorf("%s: %v", np, err)
		}
		return m, nil, net, nil
	}
	dp := filepath.Join(dir, "draws.csv")
	f, err := os.Open(dp)
	if err != nil {
		return nil, nil, nil, dataErrorf("--fit %s: %v", dir, err)
	}
	defer f.Close()
	draws, err := report.ReadDrawsCSV(f)
	if err != nil {
		return nil, nil, nil, dataErrorf("%s: %v", dp, err)
	}
	if len(draws.Rows) == 0 {
		return nil, nil, nil, dataErrorf("%s has no draws", dp)
	}
	return m, draws, nil, nil
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
