package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

const predictHelp = `Usage:
  govi predict --fit DIR --data new.csv [--out FILE] [flags]

Computes the posterior predictive distribution for the rows of new data,
from a fit saved with 'govi fit --out DIR' (it reads DIR/spec.json and
DIR/draws.csv, and refuses a spec.json that does not match the draws, e.g.
one whose family was edited). The new rows are coded like the training data (same
categorical levels and scale() centers). A group level not seen when fitting
gets group-level effect 0 (the population mean), with a warning. For every
draw of the parameters it computes the linear predictor eta (offset
included) and simulates y from the family with that eta (seeded, so the
output is reproducible).

The response column is not needed, except that binomial models need the
trials (the n of trials(n), or both columns of cbind()) and se() models the
standard errors. When the new data hold the response, every row is also
scored: log_pd is the log predictive density of the observed y, the log of
its posterior-mean predictive density (1/S) sum_s p(y | theta_s) over the S
draws (summed over rows it is the log pointwise predictive density, lppd).

Output CSV, one line per row of new data:
  row            the row's line number in the data file (header = line 1)
  linpred_mean   posterior mean of the linear predictor eta
  epred_mean     posterior mean of E[y | eta] (e.g. the probability for bernoulli)
  pred_mean      posterior predictive mean of y
  pred_sd        posterior predictive sd of y
  pred_q5, pred_q50, pred_q95   posterior predictive 5%, 50% and 95% quantiles
  log_pd         log predictive density of the observed y (only when the
                 response column is in the new data)

Flags:
  --fit DIR        directory written by govi fit --out DIR
  --data FILE      CSV file with the new rows
  --example NAME   use a bundled example's data instead of --data
  --out FILE       write the CSV to FILE (default: stdout)
  --seed N         random seed for the simulated y (default 1)
  --drop-missing   drop the rows with missing values in the columns needed
  --quiet          no warnings on stderr

Examples:
  govi fit --example wells --out wells_fit
  govi predict --fit wells_fit --data new_wells.csv --out pred.csv
  govi predict --fit wells_fit --example wells | head

`

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
	m, draws, warns, err := loadFit(o.fit)
	if err != nil {
		return err
	}
	fr, dropped, err := readNewData(m, src, o.dropMissing)
	if err != nil {
		return err
	}
	p, err := spec.NewPredictor(m, draws, fr)
	if err != nil {
		return err
	}
	warns = append(append(warns, dropped...), p.Warnings()...)
	if !o.quiet {
		for _, w := range warns {
			fmt.Fprintf(stderr, "Warning: %s\n", w)
		}
	}
	write := func(w io.Writer) error { return writePredictions(w, p.Summarize(o.seed)) }
	if o.out == "" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return withCode(exitFailure, err)
		}
		return withCode(exitFailure, bw.Flush())
	}
	if err := checkOutDir(filepath.Dir(o.out)); err != nil {
		return err
	}
	if st, err := os.Stat(o.out); err == nil && st.IsDir() {
		return withCode(exitFailure, fmt.Errorf("--out %s is a directory; give a file name", o.out))
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return withCode(exitFailure, err)
	}
	return withCode(exitFailure, report.WriteFileAtomic(o.out, write))
}

// loadFit reads DIR/spec.json and DIR/draws.csv, with a warning when
// DIR/summary.json says the fit did not converge. Every problem with them
// is a data error.
func loadFit(dir string) (*spec.Model, *report.Draws, []string, error) {
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
	var warns []string
	if sf, err := os.Open(filepath.Join(dir, "summary.json")); err == nil {
		if sum, err := report.ReadSummaryJSON(sf); err == nil && !sum.Converged {
			warns = append(warns, fmt.Sprintf("the fit in %s did not converge (stop: %s): the predictions inherit its inaccuracy", dir, sum.Stop))
		}
		sf.Close()
	}
	return m, draws, warns, nil
}

// readNewData reads the columns of the new rows that prediction uses: those
// it needs, and the response's when present.
func readNewData(m *spec.Model, src source, dropMissing bool) (*data.Frame, []string, error) {
	need, resp, _ := m.PredictColumns() // loadFit parsed the formula
	header, err := src.header()
	if err != nil {
		return nil, nil, err
	}
	for _, c := range need {
		if !slices.Contains(header, c) {
			return nil, nil, dataErrorf("%s: %s; the model needs columns %s", src.name(), data.UnknownName("column", c, header), strings.Join(need, ", "))
		}
	}
	cols := slices.Clone(need)
	for _, c := range resp {
		if slices.Contains(header, c) {
			cols = append(cols, c)
		}
	}
	fr, err := src.read(data.Options{Columns: cols, Categorical: m.Recipe.Categorical()})
	if err != nil || !dropMissing {
		return fr, nil, err
	}
	fr, n := fr.DropMissing(need)
	if n == 0 {
		return fr, nil, nil
	}
	return fr, []string{fmt.Sprintf("--drop-missing dropped %d of %d rows with missing values in %s", n, fr.Rows+n, strings.Join(need, ", "))}, nil
}

// writePredictions writes the predictions as CSV, one line per row.
func writePredictions(w io.Writer, p *spec.Predictions) error {
	cw := csv.NewWriter(w)
	head := []string{"row", "linpred_mean", "epred_mean", "pred_mean", "pred_sd", "pred_q5", "pred_q50", "pred_q95"}
	if p.LogPD != nil {
		head = append(head, "log_pd")
	}
	cw.Write(head)
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for i, row := range p.Row {
		rec := []string{strconv.Itoa(row), num(p.LinpredMean[i]), num(p.EpredMean[i]), num(p.PredMean[i]), num(p.PredSD[i]), num(p.PredQ5[i]), num(p.PredQ50[i]), num(p.PredQ95[i])}
		if p.LogPD != nil {
			rec = append(rec, num(p.LogPD[i]))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
