package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

const predictHelp = `Usage:
  govi predict --fit DIR --data new.csv [--out FILE] [flags]

Computes the posterior predictive distribution for the rows of new data,
from a fit saved with 'govi fit --out DIR' (it reads DIR/spec.json and
DIR/draws.csv). The new rows are coded like the training data (same
categorical levels and scale() centers). A group level not seen when fitting
gets group-level effect 0 (the population mean), with a warning. For every
draw of the parameters it computes the linear predictor eta (offset
included) and simulates y from the family with that eta (seeded, so the
output is reproducible).

The response column is not needed, except that binomial models need the
trials (the n of trials(n), or both columns of cbind()) and se() models the
standard errors.

Output CSV, one line per row of new data:
  row            the row's line number in the data file (header = line 1)
  linpred_mean   posterior mean of the linear predictor eta
  epred_mean     posterior mean of E[y | eta] (e.g. the probability for bernoulli)
  pred_mean      posterior predictive mean of y
  pred_sd        posterior predictive sd of y
  pred_q5, pred_q50, pred_q95   posterior predictive 5%, 50% and 95% quantiles

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
	var src source
	switch {
	case o.data != "" && o.example != "":
		return usageErrorf("--example and --data cannot be combined")
	case o.example != "":
		ex, err := findExample(o.example)
		if err != nil {
			return err
		}
		src.example = ex
	case o.data != "":
		src.path = o.data
	default:
		return usageErrorf("missing --data FILE.csv with the new rows; run 'govi predict --help'")
	}

	m, draws, err := loadFit(o.fit)
	if err != nil {
		return err
	}
	pr, err := newPredictor(m, draws)
	if err != nil {
		return err
	}
	fr, warns, err := pr.readData(src, o.dropMissing)
	if err != nil {
		return err
	}
	if sf, err := os.Open(filepath.Join(o.fit, "summary.json")); err == nil {
		if sum, err := report.ReadSummaryJSON(sf); err == nil && !sum.Converged {
			warns = append([]string{fmt.Sprintf("the fit in %s did not converge (stop: %s): the predictions inherit its inaccuracy", o.fit, sum.Stop)}, warns...)
		}
		sf.Close()
	}
	if !o.quiet {
		for _, w := range warns {
			fmt.Fprintf(stderr, "Warning: %s\n", w)
		}
	}
	if o.out != "" {
		if err := checkOutDir(filepath.Dir(o.out)); err != nil {
			return err
		}
		if st, err := os.Stat(o.out); err == nil && st.IsDir() {
			return withCode(exitFailure, fmt.Errorf("--out %s is a directory; give a file name", o.out))
		}
	}
	write := func(w io.Writer) error { return pr.predict(w, fr, o.seed) }
	if o.out != "" {
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return withCode(exitFailure, err)
		}
		return withCode(exitFailure, report.WriteFileAtomic(o.out, write))
	}
	bw := bufio.NewWriter(stdout)
	if err := write(bw); err != nil {
		return withCode(exitFailure, err)
	}
	return withCode(exitFailure, bw.Flush())
}

// fitDraws holds the parameter draws of a saved fit.
type fitDraws struct {
	names []string    // column names (CmdStan-safe)
	rows  [][]float64 // draws (the mean row excluded)
	path  string
}

// loadFit reads DIR/spec.json and DIR/draws.csv.
func loadFit(dir string) (*spec.Model, *fitDraws, error) {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, nil, dataErrorf("--fit %s: %v (give the directory written by 'govi fit --out DIR')", dir, errors.Unwrap(err))
	case !st.IsDir():
		return nil, nil, dataErrorf("--fit %s: not a directory (give the directory written by 'govi fit --out DIR')", dir)
	}
	sp := filepath.Join(dir, "spec.json")
	b, err := os.ReadFile(sp)
	if err != nil {
		return nil, nil, dataErrorf("--fit %s: %v (not a directory written by 'govi fit --out DIR'?)", dir, err)
	}
	m, err := spec.Parse(b)
	if err != nil {
		return nil, nil, dataErrorf("%s: %s", sp, trimPrefix(err))
	}
	if m.Recipe == nil {
		return nil, nil, dataErrorf("%s has no recipe: it is a model description, not a fit saved by 'govi fit --out'", sp)
	}
	dp := filepath.Join(dir, "draws.csv")
	f, err := os.Open(dp)
	if err != nil {
		return nil, nil, dataErrorf("--fit %s: %v", dir, err)
	}
	defer f.Close()
	names, rows, _, err := report.ReadCmdStanCSV(f)
	if err != nil {
		return nil, nil, dataErrorf("%s: %v", dp, err)
	}
	if len(rows) < 2 {
		return nil, nil, dataErrorf("%s has no draws", dp)
	}
	// The first row is the mean of the approximation, as in CmdStan.
	return m, &fitDraws{names: names, rows: rows[1:], path: dp}, nil
}

// predictor simulates the posterior predictive distribution of a saved fit.
type predictor struct {
	m     *spec.Model
	f     *formula.Formula
	draws *fitDraws

	respCols []string // response columns not needed to predict
	needCols []string // columns needed to predict
	dummy    bool     // add dummy response columns so trials/se are read
}

func newPredictor(m *spec.Model, draws *fitDraws) (*predictor, error) {
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, dataErrorf("spec.json: %v", err)
	}
	p := &predictor{m: m, f: f, draws: draws}
	lhs, rhs, _ := strings.Cut(m.Formula, "~")
	lhsF, err1 := formula.Parse(lhs + " ~ 1")
	respF, err2 := formula.Parse(f.Response() + " ~ 1")
	rhsF, err3 := formula.Parse("govi_response__ ~" + rhs)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, dataErrorf("spec.json: formula %q: %v", m.Formula, err)
	}
	lhsCols, resp, rhsCols := lhsF.Columns(), respF.Columns(), rhsF.Columns()[1:]
	cbind := strings.HasPrefix(strings.TrimSpace(lhs), "cbind(")
	extra := len(lhsCols) > len(resp) // trials() or se()
	for _, c := range f.Columns() {
		isResp := slices.Contains(resp, c) && !slices.Contains(rhsCols, c)
		switch {
		case isResp && cbind:
			p.needCols = append(p.needCols, c) // trials = successes + failures
		case isResp:
			p.respCols = append(p.respCols, c)
		default:
			p.needCols = append(p.needCols, c)
		}
	}
	p.dummy = extra && !cbind
	return p, nil
}

// readData reads the new rows and codes them with the saved recipe.
func (p *predictor) readData(src source, dropMissing bool) (*predData, []string, error) {
	header, err := src.header()
	if err != nil {
		return nil, nil, withCode(exitData, err)
	}
	for _, c := range p.needCols {
		if !slices.Contains(header, c) {
			return nil, nil, dataErrorf("%s: %s; the model needs columns %s", src.name(), data.UnknownName("column", c, header), strings.Join(p.needCols, ", "))
		}
	}
	fr, err := src.read(data.Options{DropMissing: dropMissing, Columns: p.needCols, Categorical: p.m.Recipe.Categorical()})
	if err != nil {
		return nil, nil, withCode(exitData, err)
	}
	if err := fr.CheckMissing(p.needCols); err != nil {
		return nil, nil, withCode(exitData, err)
	}
	var warns []string
	if fr.Dropped > 0 {
		warns = append(warns, fmt.Sprintf("--drop-missing dropped %d of %d rows with missing values in %s", fr.Dropped, fr.Rows+fr.Dropped, strings.Join(p.needCols, ", ")))
	}
	if p.dummy {
		// Recipe.Build reads trials() and se() only with the response;
		// the response itself is not used, so any valid value will do.
		v := 1.0
		if p.m.Family == "binomial" {
			v = 0
		}
		for _, c := range p.respCols {
			vals := make([]float64, fr.Rows)
			for i := range vals {
				vals[i] = v
			}
			fr.Columns = append(fr.Columns, data.NewNumeric(c, vals))
		}
	}
	des, bw, err := p.m.Recipe.BuildWarn(fr)
	if err != nil {
		return nil, nil, withCode(exitData, err)
	}
	warns = append(warns, bw...)
	l, err := p.likelihood(des)
	if err != nil {
		return nil, nil, err
	}
	pd := &predData{frame: fr, design: des, lik: l}
	if err := p.locate(pd); err != nil {
		return nil, nil, err
	}
	return pd, warns, nil
}

// predictive is what prediction needs from a likelihood.
type predictive interface {
	Aux() []string
	Mean(i int, eta float64, aux []float64) float64
	Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64
}

// likelihood returns the family's likelihood for the new rows, with a
// zero response (only Mean and Rand are used).
func (p *predictor) likelihood(des *formula.Design) (predictive, error) {
	n := des.Rows()
	zero := make([]float64, n)
	link := p.m.Link
	need := func(what string) error {
		return dataErrorf("the model has %s: the new data need its column(s) (%s)", what, strings.Join(p.needCols, ", "))
	}
	var l predictive
	var err error
	switch p.m.Family {
	case "gaussian":
		switch {
		case des.SE != nil:
			l, err = lik.NewGaussianSE(zero, des.SE)
		case p.dummy:
			return nil, need("known standard errors se()")
		default:
			l, err = lik.NewGaussian(zero)
		}
	case "student":
		l, err = lik.NewStudentT(zero, p.m.Nu)
	case "bernoulli":
		if link == "probit" {
			l, err = lik.NewBernoulliProbit(zero)
		} else {
			l, err = lik.NewBernoulliLogit(zero)
		}
	case "binomial":
		if des.Trials == nil {
			return nil, need("binomial trials")
		}
		l, err = lik.NewBinomialLogit(zero, des.Trials)
	case "poisson":
		l, err = lik.NewPoissonLog(zero)
	case "negbinomial":
		l, err = lik.NewNegBinomialLog(zero)
	default:
		return nil, dataErrorf("spec.json: unknown family %q", p.m.Family)
	}
	if err != nil {
		return nil, withCode(exitData, err)
	}
	return l, nil
}

// predData is the coded new data with the positions of the parameters in
// the draws.
type predData struct {
	frame  *data.Frame
	design *formula.Design
	lik    predictive

	coef  []int   // draw column of each column of X
	aux   []int   // draw column of each auxiliary parameter
	group [][]int // draw column of each level of each group term
}

// locate finds the draw columns of the parameters, named as govi fit names
// them (model.Linear.ConstrainedNames, mapped by report.CSVNames).
func (p *predictor) locate(pd *predData) error {
	des := pd.design
	var names []string
	names = append(names, des.Names...)
	names = append(names, pd.lik.Aux()...)
	for _, g := range des.Groups {
		names = append(names, "sd_"+g.Group+"__"+g.Coef)
	}
	for _, g := range des.Groups {
		for _, lv := range g.Levels {
			names = append(names, fmt.Sprintf("r_%s[%s,%s]", g.Group, lv, g.Coef))
		}
	}
	csvNames := report.CSVNames(names)
	idx := make([]int, len(names))
	for k, c := range csvNames {
		j := slices.Index(p.draws.names, c)
		if j < 0 {
			return dataErrorf("%s has no column %s (for %s): it does not match spec.json", p.draws.path, c, names[k])
		}
		idx[k] = j
	}
	k := 0
	take := func(n int) []int { s := idx[k : k+n]; k += n; return s }
	pd.coef = take(len(des.Names))
	pd.aux = take(len(pd.lik.Aux()))
	take(len(des.Groups))
	for _, g := range des.Groups {
		pd.group = append(pd.group, take(len(g.Levels)))
	}
	return nil
}

// predictChunk is the number of data rows summarized at once.
const predictChunk = 256

// predict writes the predictive summary of every row.
func (p *predictor) predict(w io.Writer, pd *predData, seed uint64) error {
	des := pd.design
	n, S := des.Rows(), len(p.draws.rows)
	cw := csv.NewWriter(w)
	cw.Write([]string{"row", "linpred_mean", "epred_mean", "pred_mean", "pred_sd", "pred_q5", "pred_q50", "pred_q95"})
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	aux := make([]float64, len(pd.aux))
	// ys[s][i-lo] is draw s of the simulated y of row i.
	ys := make([][]float64, S)
	for s := range ys {
		ys[s] = make([]float64, predictChunk)
	}
	rowNames := make([]string, predictChunk)
	for lo := 0; lo < n; lo += predictChunk {
		hi := min(lo+predictChunk, n)
		etaMean := make([]float64, hi-lo)
		epred := make([]float64, hi-lo)
		for i := lo; i < hi; i++ {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			var se, sm float64
			for s, d := range p.draws.rows {
				eta := p.eta(pd, i, d)
				for k, j := range pd.aux {
					aux[k] = d[j]
				}
				se += eta
				sm += pd.lik.Mean(i, eta, aux)
				ys[s][i-lo] = pd.lik.Rand(i, eta, aux, rng)
			}
			etaMean[i-lo], epred[i-lo] = se/float64(S), sm/float64(S)
		}
		for s := range ys {
			ys[s] = ys[s][:hi-lo]
		}
		sum := report.Summarize(rowNames[:hi-lo], ys)
		for i := lo; i < hi; i++ {
			q := sum[i-lo]
			cw.Write([]string{strconv.Itoa(pd.frame.RowNumber(i)), num(etaMean[i-lo]), num(epred[i-lo]),
				num(q.Mean), num(q.SD), num(q.Q5), num(q.Q50), num(q.Q95)})
		}
		for s := range ys {
			ys[s] = ys[s][:predictChunk]
		}
	}
	cw.Flush()
	return cw.Error()
}

// eta returns the linear predictor of row i under draw d.
func (p *predictor) eta(pd *predData, i int, d []float64) float64 {
	des := pd.design
	eta := 0.0
	if des.Offset != nil {
		eta = des.Offset[i]
	}
	if des.X != nil {
		row := des.X.RawRowView(i)
		for j, c := range pd.coef {
			eta += row[j] * d[c]
		}
	}
	for g, gt := range des.Groups {
		l := gt.Index[i]
		if l < 0 {
			continue // a level not seen when fitting: effect 0
		}
		v := d[pd.group[g][l]]
		if gt.Value != nil {
			v *= gt.Value[i]
		}
		eta += v
	}
	return eta
}

// readHeader returns the trimmed column names of a CSV header.
func readHeader(r io.Reader, name string, comma rune) ([]string, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("data: %s: empty file (a header row naming the columns is required)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", name, err)
	}
	for i, h := range rec {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		rec[i] = h
	}
	return rec, nil
}
