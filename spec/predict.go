package spec

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/report"
)

// Predictor gives the posterior predictive distribution of new rows of
// data under draws of a fitted model's parameters, as NumPyro's Predictive
// and brms's posterior_linpred, posterior_epred and posterior_predict do:
// per row and draw, the linear predictor η (offset included), the
// expected value E[y | η] and a simulated y; and, when the new data hold
// the response, the log predictive density of each observed y.
//
// The new rows are coded with the model's recipe, as the data it was
// fitted to (same categorical levels and scale() centers). A group level
// not seen when fitting gets group-level effect 0, the population mean,
// with a warning.
type Predictor struct {
	des      *formula.Design
	frame    *data.Frame
	lik      Likelihood
	observed bool
	draws    [][]float64
	lay      model.Positions
	warnings []string
}

// NewPredictor returns the predictor of the rows of fr under the draws d,
// read from the draws.csv of a fit of m (m being the Model the fit
// returned in Built.Spec, with its recipe). fr needs the columns
// m.PredictColumns gives; the response's are optional.
//
// It checks that d belongs to m: when d.Config records the family, link
// and formula (draws.csv does), they must be m's, and d's columns must be
// exactly the parameters of m, named as Built.Fit's report names them
// (report.CSVNames of the Stan spelling). Otherwise the error is a
// *DataError: a spec.json edited after the fit is not used with old draws.
// Errors about the new data are *data.Error, *formula.EvalError and
// *DataError values; an *Error or a *formula.SyntaxError means that m
// itself is wrong.
func NewPredictor(m *Model, d *report.Draws, fr *data.Frame) (*Predictor, error) {
	fam, err := m.check()
	if err != nil {
		return nil, err
	}
	if m.Recipe == nil {
		return nil, errorf("the model has no recipe: it is a model description, not a fitted model (Built.Spec)")
	}
	for _, c := range []struct{ key, want string }{{"family", m.Family}, {"link", m.link(fam)}, {"formula", m.Formula}} {
		if got, ok := d.Config[c.key]; ok && got != c.want {
			return nil, &DataError{Msg: fmt.Sprintf("the draws come from a fit with %s %s, but the model description has %s %s: they are not from the same fit", c.key, got, c.key, c.want)}
		}
	}
	if len(d.Rows) == 0 {
		return nil, &DataError{Msg: "no draws"}
	}
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, err
	}
	_, resp := f.PredictColumns()
	p := &Predictor{frame: fr}
	fr = p.dropMissingResponse(fr, resp)
	des, warns, err := m.Recipe.BuildWarn(fr)
	if err != nil {
		return nil, err
	}
	p.warnings = append(p.warnings, warns...)
	if err := checkValues(des, fr, fam, false); err != nil {
		return nil, err
	}
	switch {
	case f.Trials() != "" && des.Trials == nil:
		return nil, &DataError{File: fr.Source, Msg: fmt.Sprintf("the model has binomial trials %s: the new data need their column(s)", f.Trials())}
	case f.SE() != "" && des.SE == nil:
		return nil, &DataError{File: fr.Source, Msg: fmt.Sprintf("the model has known standard errors se(%s): the new data need their column(s)", f.SE())}
	}
	l, err := fam.likelihood(m, des, fr)
	if err != nil {
		return nil, err
	}
	terms := model.Terms{Lik: l, X: des.X, Names: coefNames(des.Names)}
	for _, gt := range des.Groups {
		terms.Groups = append(terms.Groups, model.Group{Name: gt.Group, Coef: gt.Coef, Levels: gt.Levels})
	}
	for _, block := range des.Correlated {
		terms.Correlations = append(terms.Correlations, model.Correlation{Groups: block})
	}
	want := report.CSVNames(model.StanStrings(terms.ParamNames()))
	if !slices.Equal(d.Names, want) {
		return nil, &DataError{Msg: fmt.Sprintf("the draws have the parameters %s, but the model description has %s: they are not from the same fit",
			strings.Join(d.Names, ", "), strings.Join(want, ", "))}
	}
	p.des, p.lik, p.observed, p.draws, p.lay = des, l, des.Response != nil, d.Rows, terms.Positions()
	p.frame = fr
	return p, nil
}

// dropMissingResponse leaves out the response columns of fr that have
// missing values, with a warning: the response is optional.
func (p *Predictor) dropMissingResponse(fr *data.Frame, resp []string) *data.Frame {
	var keep []*data.Column
	for _, c := range fr.Columns {
		if slices.Contains(resp, c.Name) {
			if cells, _ := fr.Missing([]string{c.Name}); len(cells) > 0 {
				p.warnings = append(p.warnings, fmt.Sprintf("the response column %q has %d missing values in %s: the predictions are not scored (no log_pd)", c.Name, len(cells), fr.Source))
				continue
			}
		}
		keep = append(keep, c)
	}
	if len(keep) == len(fr.Columns) {
		return fr
	}
	out := *fr
	out.Columns = keep
	return &out
}

// NewDataColumns returns the columns of new data with the given header
// that prediction reads: every column PredictColumns needs, and the
// response's when the header has them. A needed column that is missing is
// a *DataError naming the data (file).
func (m *Model) NewDataColumns(file string, header []string) ([]string, error) {
	need, resp, err := m.PredictColumns()
	if err != nil {
		return nil, err
	}
	for _, c := range need {
		if !slices.Contains(header, c) {
			return nil, &DataError{File: file, Column: c, Msg: fmt.Sprintf("%s; the model needs columns %s", data.UnknownName("column", c, header), strings.Join(need, ", "))}
		}
	}
	cols := slices.Clone(need)
	for _, c := range resp {
		if slices.Contains(header, c) {
			cols = append(cols, c)
		}
	}
	return cols, nil
}

// Len returns the number of rows.
func (p *Predictor) Len() int { return p.des.Rows() }

// Draws returns the number of draws.
func (p *Predictor) Draws() int { return len(p.draws) }

// Observed reports whether the new data hold the response, so that LogPD
// is defined.
func (p *Predictor) Observed() bool { return p.observed }

// Warnings returns the warnings about the new data (unseen group levels,
// a response with missing values).
func (p *Predictor) Warnings() []string { return p.warnings }

// Row returns the number that identifies row i in messages: its line in
// the data file (data.Frame.RowNumber).
func (p *Predictor) Row(i int) int { return p.frame.RowNumber(i) }

// eta returns the linear predictor of row i under draw d.
func (p *Predictor) eta(i int, d []float64) float64 {
	des := p.des
	eta := 0.0
	if des.Offset != nil {
		eta = des.Offset[i]
	}
	if des.X != nil {
		for j, x := range des.X.RawRowView(i) {
			eta += x * d[p.lay.Coef+j]
		}
	}
	for g, gt := range des.Groups {
		l := gt.Index[i]
		if l < 0 {
			continue // a level not seen when fitting: effect 0
		}
		v := d[p.lay.Effect[g]+l]
		if gt.Value != nil {
			v *= gt.Value[i]
		}
		eta += v
	}
	return eta
}

// aux returns the auxiliary parameters of draw d.
func (p *Predictor) aux(d []float64) []float64 {
	return d[p.lay.Aux : p.lay.Aux+len(p.lik.Aux())]
}

// resize returns dst resliced to n, or a new slice when it is too short.
func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// Linpred stores the linear predictor of row i under every draw in dst
// (resized, or allocated when too short) and returns it.
func (p *Predictor) Linpred(dst []float64, i int) []float64 {
	dst = resize(dst, len(p.draws))
	for s, d := range p.draws {
		dst[s] = p.eta(i, d)
	}
	return dst
}

// Epred stores E[y | η] of row i under every draw in dst and returns it.
func (p *Predictor) Epred(dst []float64, i int) []float64 {
	dst = resize(dst, len(p.draws))
	for s, d := range p.draws {
		dst[s] = p.lik.Mean(i, p.eta(i, d), p.aux(d))
	}
	return dst
}

// Predict stores a draw of y for row i under every draw in dst and returns
// it. The draws come from a stream keyed by (seed, i), so they do not
// depend on the other rows.
func (p *Predictor) Predict(dst []float64, i int, seed uint64) []float64 {
	dst = resize(dst, len(p.draws))
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	for s, d := range p.draws {
		dst[s] = p.lik.Rand(i, p.eta(i, d), p.aux(d), rng)
	}
	return dst
}

// LogPD returns the log predictive density of the observed y of row i:
// the log of the posterior mean of p(yᵢ | θ) over the draws,
// log (1/S) Σₛ p(yᵢ | θₛ), computed as a log-mean-exp. It is NaN when
// the new data do not hold the response.
func (p *Predictor) LogPD(i int) float64 {
	if !p.observed {
		return math.NaN()
	}
	mx, sum := math.Inf(-1), 0.0
	for _, d := range p.draws {
		l, _, _ := p.lik.LogLik(i, p.eta(i, d), p.aux(d), nil)
		switch {
		case l > mx:
			sum = sum*math.Exp(mx-l) + 1
			mx = l
		case !math.IsInf(l, -1):
			sum += math.Exp(l - mx)
		}
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	return mx + math.Log(sum/float64(len(p.draws)))
}

// Predictions summarizes the posterior predictive distribution of every
// row of new data, as govi predict writes it.
type Predictions struct {
	// Row holds each row's line in the data file (data.Frame.RowNumber).
	Row []int
	// LinpredMean and EpredMean are the posterior means of the linear
	// predictor η and of E[y | η] (e.g. the probability for bernoulli).
	LinpredMean, EpredMean []float64
	// PredMean, PredSD, PredQ5, PredQ50 and PredQ95 summarize the
	// simulated y: mean, sd and 5%, 50% and 95% quantiles (R's type 7).
	PredMean, PredSD, PredQ5, PredQ50, PredQ95 []float64
	// LogPD is the log predictive density of each observed y (see
	// Predictor.LogPD); nil when the new data do not hold the response.
	LogPD []float64
	// Warnings are the predictor's warnings.
	Warnings []string
}

// Summarize returns the summaries of every row, the simulated y keyed by
// seed (see Predict).
func (p *Predictor) Summarize(seed uint64) *Predictions {
	n, S := p.Len(), p.Draws()
	out := &Predictions{Row: make([]int, n), Warnings: p.warnings}
	for _, v := range []*[]float64{&out.LinpredMean, &out.EpredMean, &out.PredMean, &out.PredSD, &out.PredQ5, &out.PredQ50, &out.PredQ95} {
		*v = make([]float64, n)
	}
	if p.observed {
		out.LogPD = make([]float64, n)
	}
	var eta, ys []float64
	rows := make([][]float64, S) // report.Summarize's layout: one draw per row
	name := []string{"y"}
	for i := 0; i < n; i++ {
		out.Row[i] = p.Row(i)
		eta = p.Linpred(eta, i)
		var se, sm float64
		for s, d := range p.draws {
			se += eta[s]
			sm += p.lik.Mean(i, eta[s], p.aux(d))
		}
		out.LinpredMean[i], out.EpredMean[i] = se/float64(S), sm/float64(S)
		ys = p.Predict(ys, i, seed)
		for s := range rows {
			rows[s] = ys[s : s+1]
		}
		q := report.Summarize(name, rows)[0]
		out.PredMean[i], out.PredSD[i], out.PredQ5[i], out.PredQ50[i], out.PredQ95[i] = q.Mean, q.SD, q.Q5, q.Q50, q.Q95
		if p.observed {
			out.LogPD[i] = p.LogPD(i)
		}
	}
	return out
}

// WriteCSV writes the predictions as CSV with the header row,
// linpred_mean, epred_mean, pred_mean, pred_sd, pred_q5, pred_q50,
// pred_q95 and, when LogPD is set, log_pd; one line per row, numbers in
// strconv's shortest form.
func (p *Predictions) WriteCSV(w io.Writer) error {
	// Every number is checked before anything is written.
	for i, row := range p.Row {
		for _, c := range []struct {
			name string
			v    []float64
		}{{"linpred_mean", p.LinpredMean}, {"epred_mean", p.EpredMean}, {"pred_mean", p.PredMean}, {"pred_sd", p.PredSD}, {"pred_q5", p.PredQ5}, {"pred_q50", p.PredQ50}, {"pred_q95", p.PredQ95}, {"log_pd", p.LogPD}} {
			if c.v == nil {
				continue
			}
			if x := c.v[i]; math.IsNaN(x) || math.IsInf(x, 1) || (math.IsInf(x, -1) && c.name != "log_pd") {
				return &DataError{Column: c.name, Lines: []int{row}, Msg: fmt.Sprintf("row %d: the prediction's %s is %g, not a finite number (the predictors are too large for the model?); nothing was written", row, c.name, x)}
			}
		}
	}
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

// Predict returns the summaries of the posterior predictive distribution
// of the rows of fr under the draws d of a fit of m (NewPredictor, then
// Summarize with seed).
func Predict(m *Model, d *report.Draws, fr *data.Frame, seed uint64) (*Predictions, error) {
	p, err := NewPredictor(m, d, fr)
	if err != nil {
		return nil, err
	}
	return p.Summarize(seed), nil
}
