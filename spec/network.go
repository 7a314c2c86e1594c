package spec

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/bnn"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/report"
)

// Network describes the Bayesian neural network of a network model
// (package bnn): fully connected hidden layers on the formula's
// population-level columns, a Gaussian prior on every weight and bias,
// and the family's likelihood on the output (gaussian with a learned
// noise sd, bernoulli with a logit output, categorical with a softmax).
// Without hidden layers it is the linear model of that likelihood:
// multinomial logistic regression for categorical.
type Network struct {
	// Hidden holds the widths of the hidden layers, input side first.
	Hidden []int `json:"hidden"`
	// Activation is relu (the default) or tanh.
	Activation string `json:"activation,omitempty"`
	// WeightScale is the prior sd of the weights and biases on the
	// standardized inputs; zero means 1. LearnScale makes each layer's
	// scale a hyperparameter fitted with the ELBO (empirical Bayes),
	// starting from WeightScale.
	WeightScale float64 `json:"weight_scale,omitempty"`
	LearnScale  bool    `json:"learn_scale,omitempty"`
}

// NetworkFamilies are the families of network models.
var NetworkFamilies = []string{"gaussian", "bernoulli", "categorical"}

// IsNetwork reports whether m is a network model: it has a Network, or
// the categorical family, which only networks (with or without hidden
// layers) provide.
func (m *Model) IsNetwork() bool { return m.Network != nil || m.Family == "categorical" }

// checkNetwork is check for a network model.
func (m *Model) checkNetwork() error {
	if strings.TrimSpace(m.Formula) == "" {
		return errorf("no formula")
	}
	if !slices.Contains(NetworkFamilies, m.Family) {
		return errorf("family %q has no network model; networks take %s", m.Family, strings.Join(NetworkFamilies, ", "))
	}
	if m.Link != "" {
		return errorf("a network model takes no link (its output is on the %s scale)", map[string]string{"gaussian": "identity", "bernoulli": "logit", "categorical": "softmax"}[m.Family])
	}
	switch {
	case len(m.Priors) > 0:
		return errorf("priors by class apply to regression models; a network's weights take the prior normal(0, weight_scale) (--weight-scale)")
	case m.Parameterization != "" || m.NoCenter || m.Nu != 0:
		return errorf("parameterization, no_center and nu apply to regression models, not to a network")
	}
	if n := m.Network; n != nil {
		for _, w := range n.Hidden {
			if w < 1 {
				return errorf("hidden layer width %d: want at least 1", w)
			}
		}
		if _, err := n.activation(); err != nil {
			return err
		}
		if n.WeightScale < 0 || math.IsNaN(n.WeightScale) || math.IsInf(n.WeightScale, 0) {
			return errorf("weight_scale %g: want a positive number (or 0 for 1)", n.WeightScale)
		}
	}
	return nil
}

func (n *Network) activation() (bnn.Activation, error) {
	var a bnn.Activation
	if n == nil || n.Activation == "" {
		return bnn.ReLU, nil
	}
	if err := a.UnmarshalText([]byte(n.Activation)); err != nil {
		return 0, errorf("activation %q: want relu or tanh", n.Activation)
	}
	return a, nil
}

// bnnSpec returns the network's bnn.Spec.
func (m *Model) bnnSpec() bnn.Spec {
	n := m.Network
	if n == nil {
		n = &Network{}
	}
	act, _ := n.activation()
	var lik bnn.Likelihood
	_ = lik.UnmarshalText([]byte(m.Family))
	return bnn.Spec{Hidden: slices.Clone(n.Hidden), Activation: act, Likelihood: lik, Prior: bnn.Prior{Scale: n.WeightScale, Learn: n.LearnScale}}
}

// BuiltNetwork is a network model evaluated on data (Model.BuildNetwork).
type BuiltNetwork struct {
	// Spec is the description with "." expanded and the recipe of the
	// data's coding filled in.
	Spec *Model
	// Net is the network with its training data.
	Net *bnn.Network
	// Inputs names the network's input columns, as the formula coded them.
	Inputs []string
	// Labels are the classes of a categorical response given as text,
	// in the order of the network's classes; nil otherwise.
	Labels []string

	x *mat.Dense
	y []float64
}

// BuildNetwork evaluates a network model on a frame. The formula's
// population-level terms are the inputs (no intercept: the network has
// biases); group-level terms, offsets, trials and standard errors are
// errors. A text column that "." sweeps in is an error naming it: a
// network takes numbers, and coding it (as 0/1 indicators, by naming it
// in the formula) is the user's decision. A categorical response may be
// numbers or text; its distinct values are the classes.
func (m *Model) BuildNetwork(fr *data.Frame, maxBytes int64) (*BuiltNetwork, error) {
	if !m.IsNetwork() {
		return nil, errorf("family %s without a network: use Build", m.Family)
	}
	if err := m.checkNetwork(); err != nil {
		return nil, err
	}
	expanded, f, err := m.parse(fr.Names())
	if err != nil {
		return nil, err
	}
	mm := *expanded
	if formula.HasDot(m.Formula) {
		// A text column that "." swept in and that stays a term.
		lhs, _, _ := strings.Cut(m.Formula, "~")
		for _, c := range fr.Columns {
			if c.Kind == data.String && slices.Contains(f.Terms(), c.Name) {
				return nil, &DataError{File: fr.Source, Column: c.Name, Msg: fmt.Sprintf(
					"column %q is text (%s), and a network's inputs are numbers: \".\" sweeps in every column; leave it out (%s ~ . - %s), or name the columns without \".\" so that %s is coded as 0/1 indicator columns",
					c.Name, example(c), strings.TrimSpace(lhs), c.Name, c.Name)}
			}
		}
	}
	switch {
	case len(f.GroupTerms()) > 0:
		return nil, errorf("group-level terms (%s) are not part of a network model", strings.Join(f.GroupTerms(), ", "))
	case len(f.Offsets()) > 0 || f.Trials() != "" || f.SE() != "":
		return nil, errorf("offsets, trials() and se() are not part of a network model")
	}
	if err := fr.CheckMissing(f.Columns()); err != nil {
		return nil, err
	}
	codeFr, labels, err := categoricalResponse(&mm, f, fr, nil, false)
	if err != nil {
		return nil, err
	}
	des, _, err := f.Build(codeFr)
	if err != nil {
		return nil, err
	}
	x, inputs := inputsOf(des)
	if x == nil {
		return nil, errorf("formula %q gives the network no inputs", mm.Formula)
	}
	y := des.Response
	if labels != nil {
		y = make([]float64, len(labels.index))
		for i, k := range labels.index {
			y[i] = float64(k)
		}
	}
	sp := mm.bnnSpec()
	sp.MaxBytes = maxBytes
	net, err := bnn.New(sp, x, y)
	if err != nil {
		return nil, networkDataError(fr, err)
	}
	mm.Recipe = des.Recipe()
	b := &BuiltNetwork{Spec: &mm, Net: net, Inputs: inputs, x: x, y: y}
	if labels != nil {
		b.Labels = labels.levels
	}
	return b, nil
}

// example returns a sample value of a text column for messages.
func example(c *data.Column) string {
	for _, s := range c.Str {
		if s != "" {
			if len(s) > 20 {
				s = s[:20] + "…"
			}
			return "for example " + strconv.Quote(s)
		}
	}
	return "empty"
}

// textLabels is a categorical response given as text.
type textLabels struct {
	levels []string // sorted
	index  []int    // per row
}

// categoricalResponse returns the frame to code with the formula: for a
// categorical family whose response is a text column, a copy whose
// response column is replaced by zeros (the formula codes text responses
// only with two levels), with the labels. For prediction, levels are the
// training data's labels (nil when its classes were numbers), and the new
// rows' labels must be among them.
func categoricalResponse(m *Model, f *formula.Formula, fr *data.Frame, levels []string, predict bool) (*data.Frame, *textLabels, error) {
	if m.Family != "categorical" {
		return fr, nil, nil
	}
	name := f.Response()
	c := fr.Lookup(name)
	if c == nil {
		if predict {
			return fr, nil, nil // new data without the response
		}
		if !slices.Contains(f.Columns(), name) || strings.ContainsAny(name, "()") {
			return nil, nil, errorf("the response of a categorical model must be a column, not %q", name)
		}
		return fr, nil, nil
	}
	if c.Kind != data.String || (predict && levels == nil) {
		return fr, nil, nil
	}
	lab := &textLabels{levels: levels, index: make([]int, len(c.Str))}
	if levels == nil {
		lab.levels = slices.Compact(slices.Sorted(slices.Values(c.Str)))
	}
	for i, s := range c.Str {
		k, ok := slices.BinarySearch(lab.levels, s)
		if !ok {
			return nil, nil, &DataError{File: fr.Source, Column: name, Lines: []int{fr.RowNumber(i)}, Msg: fmt.Sprintf(
				"row %d has class %q of %s, which the training data did not have (its classes are %s)", fr.RowNumber(i), s, name, strings.Join(quoteAll(lab.levels, 10), ", "))}
		}
		lab.index[i] = k
	}
	cols := slices.Clone(fr.Columns)
	for j, cc := range cols {
		if cc == c {
			cols[j] = data.NewNumeric(name, make([]float64, fr.Rows))
		}
	}
	out := *fr
	out.Columns = cols
	return &out, lab, nil
}

// quoteAll quotes at most n strings.
func quoteAll(s []string, n int) []string {
	var out []string
	for i, v := range s {
		if i == n {
			out = append(out, fmt.Sprintf("… %d in all", len(s)))
			break
		}
		out = append(out, strconv.Quote(v))
	}
	return out
}

// inputsOf returns the design's columns without the intercept.
func inputsOf(des *formula.Design) (*mat.Dense, []string) {
	if des.X == nil {
		return nil, nil
	}
	n, p := des.X.Dims()
	first := 0
	if des.Intercept {
		first = 1
	}
	if p-first < 1 {
		return nil, nil
	}
	return mat.DenseCopyOf(des.X.Slice(0, n, first, p)), slices.Clone(des.Names[first:])
}

// networkDataError names the frame in an error of package bnn about the
// data, whose rows are counted from 0.
func networkDataError(fr *data.Frame, err error) error {
	return &DataError{File: fr.Source, Msg: strings.TrimPrefix(err.Error(), "bnn: "), Err: err}
}

// NetworkSettings controls BuiltNetwork.Fit. The zero value is usable.
type NetworkSettings struct {
	// Epochs and BatchSize are the passes over the data and the rows per
	// minibatch. Zero BatchSize means 128 (or all rows if fewer); zero
	// Epochs means enough for 2000 steps, and at least 100.
	Epochs, BatchSize int
	// Rate is Adam's step size. Zero means 1e-2: the ELBO of a network
	// on a few hundred rows is still far from its optimum after
	// thousands of steps of 1e-3 (diabetes, 601 weights: −2929 after
	// 1200 steps against −721), where 1e-2 gets there.
	Rate float64
	// Estimator is "moments" (moment propagation: a deterministic ELBO,
	// exact for one hidden layer and a gaussian likelihood), "lrt" (Monte
	// Carlo with the local reparameterization trick) or "" for moments
	// with at most one hidden layer and lrt with more, where the moment
	// propagation's independence assumption costs accuracy.
	Estimator string
	// Seed keys q's initial means, the minibatches and the estimator's
	// noise.
	Seed uint64
	// Callback, if set, is called after every epoch; an error stops
	// training (a canceled context stops it too).
	Callback func(epoch int, elbo float64) error
}

// NetworkFit is a trained network: q, the training record and a summary
// of the fit to the training data.
type NetworkFit struct {
	*BuiltNetwork
	// Q is the fitted mean-field q over the weights.
	Q *family.MeanField
	// Estimator is the estimator used: "moments" or "lrt".
	Estimator string
	// Settings are the settings used, defaults filled in.
	Settings NetworkSettings
	// Train records the training run.
	Train *bnn.TrainResult
	// Interrupted reports that the context stopped training early; Q is
	// then the last accepted iterate.
	Interrupted bool
}

// Resolved returns the settings with the defaults for rows training rows
// filled in.
func (s NetworkSettings) Resolved(rows int) NetworkSettings {
	if s.BatchSize <= 0 {
		s.BatchSize = 128
	}
	s.BatchSize = max(1, min(s.BatchSize, rows))
	if s.Epochs <= 0 {
		batches := (rows + s.BatchSize - 1) / s.BatchSize
		s.Epochs = max(100, (2000+batches-1)/max(batches, 1))
	}
	if s.Rate <= 0 {
		s.Rate = 1e-2
	}
	return s
}

// Fit trains the network by minibatch Adam on a mean-field q.
func (b *BuiltNetwork) Fit(ctx context.Context, s NetworkSettings) (*NetworkFit, error) {
	s = s.Resolved(b.Net.NumRows())
	var est bnn.Estimator
	name := s.Estimator
	if name == "" {
		name = "moments"
		if len(b.Net.Spec().Hidden) > 1 {
			name = "lrt"
		}
	}
	switch name {
	case "moments":
		est = &bnn.Moments{}
	case "lrt":
		est = &bnn.LocalReparam{Seed: s.Seed}
	default:
		return nil, errorf("unknown network estimator %q: want moments or lrt", s.Estimator)
	}
	q := family.NewMeanField(b.Net.Dim())
	if err := b.Net.InitFamily(q, s.Seed); err != nil {
		return nil, err
	}
	res, err := b.Net.Train(ctx, q, est, bnn.TrainSettings{Epochs: s.Epochs, Batch: s.BatchSize, Rate: s.Rate, Seed: s.Seed, Callback: s.Callback})
	interrupted := err != nil && ctx.Err() != nil && res != nil
	if err != nil && !interrupted {
		return nil, err
	}
	if interrupted {
		res.Stopped = "canceled"
	}
	return &NetworkFit{BuiltNetwork: b, Q: q, Estimator: name, Settings: s, Train: res, Interrupted: interrupted}, nil
}

// TrainingFit summarizes the fit to the training rows with draws draws
// of q (seeded): the mean log predictive density per row and, for a
// classifier, the accuracy of the predicted class, or for a regression
// the RMSE of the predictive mean.
func (f *NetworkFit) TrainingFit(draws int, seed uint64) (lpd, accuracy, rmse float64, err error) {
	o := &bnn.PredictOptions{Draws: draws, Seed: seed}
	y := f.y // the class values, or the indices of text labels, as trained
	lp, err := f.Net.LogPredictive(f.Q, f.x, y, o)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, v := range lp {
		lpd += v
	}
	lpd /= float64(len(lp))
	pr, err := f.Net.Predict(f.Q, f.x, o)
	if err != nil {
		return 0, 0, 0, err
	}
	accuracy, rmse = math.NaN(), math.NaN()
	if pr.Class != nil {
		right := 0
		for i, c := range pr.Class {
			if c == y[i] {
				right++
			}
		}
		accuracy = float64(right) / float64(len(y))
	} else {
		ss := 0.0
		for i, m := range pr.Mean {
			ss += (m - y[i]) * (m - y[i])
		}
		rmse = math.Sqrt(ss / float64(len(y)))
	}
	return lpd, accuracy, rmse, nil
}

// SavedNetwork is a trained network in the form a fit saves it
// (network.json): the network's state, its inputs and class labels, and
// q's means and sds.
type SavedNetwork struct {
	State  bnn.State `json:"state"`
	Inputs []string  `json:"inputs"`
	Labels []string  `json:"labels,omitempty"`
	Mean   []float64 `json:"mean"`
	SD     []float64 `json:"sd"`
}

// Save returns the fit's saved form.
func (f *NetworkFit) Save() *SavedNetwork {
	return &SavedNetwork{State: f.Net.State(), Inputs: slices.Clone(f.Inputs), Labels: slices.Clone(f.Labels), Mean: f.Q.Mean(nil), SD: slices.Clone(f.Q.SD())}
}

// NetworkPredictor predicts new rows from a saved network.
type NetworkPredictor struct {
	m      *Model
	net    *bnn.Network
	q      *family.MeanField
	saved  *SavedNetwork
	levels []string
}

// LoadNetwork returns the predictor of a network model m (with its
// recipe) saved as js (SavedNetwork's JSON).
func LoadNetwork(m *Model, js []byte) (*NetworkPredictor, error) {
	if !m.IsNetwork() || m.Recipe == nil {
		return nil, errorf("not a fitted network model")
	}
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.DisallowUnknownFields()
	var s SavedNetwork
	if err := dec.Decode(&s); err != nil {
		return nil, errorf("saved network: %v", err)
	}
	net, err := bnn.Restore(s.State)
	if err != nil {
		return nil, errorf("saved network: %v", err)
	}
	if len(s.Inputs) != s.State.Inputs {
		return nil, errorf("saved network: %d input names for %d inputs", len(s.Inputs), s.State.Inputs)
	}
	if s.Labels != nil && (len(s.Labels) != len(net.Classes()) || !slices.IsSorted(s.Labels)) {
		return nil, errorf("saved network: labels %v for %d classes", quoteAll(s.Labels, 10), len(net.Classes()))
	}
	q, err := net.MeanFieldOf(s.Mean, s.SD)
	if err != nil {
		return nil, errorf("saved network: %v", err)
	}
	return &NetworkPredictor{m: m, net: net, q: q, saved: &s}, nil
}

// Predict returns the posterior predictive summaries of the rows of fr
// from the fit in memory, as LoadNetwork's predictor of its saved form
// would.
func (f *NetworkFit) Predict(fr *data.Frame, draws int, seed uint64) (*NetworkPredictions, error) {
	p := &NetworkPredictor{m: f.Spec, net: f.Net, q: f.Q, saved: f.Save()}
	return p.Predict(fr, draws, seed)
}

// NetworkPredictions are the posterior predictive summaries of new rows.
type NetworkPredictions struct {
	// Rows are the rows' line numbers in the data.
	Rows []int
	// Pred holds a regression's predictive mean, sd and 5%, 50% and 95%
	// quantiles.
	Pred *bnn.Prediction
	// Labels name the classes of a classifier.
	Labels []string
	// LogPD is the log posterior predictive density of each observed
	// response, on the data's scale; nil without the response.
	LogPD []float64
}

// Predict returns the posterior predictive summaries of the rows of fr
// with draws draws of q (zero means 1000), seeded.
func (p *NetworkPredictor) Predict(fr *data.Frame, draws int, seed uint64) (*NetworkPredictions, error) {
	f, err := formula.Parse(p.m.Formula)
	if err != nil {
		return nil, err
	}
	codeFr, lab, err := categoricalResponse(p.m, f, fr, p.saved.Labels, true)
	if err != nil {
		return nil, err
	}
	des, err := p.m.Recipe.Build(codeFr)
	if err != nil {
		return nil, err
	}
	x, inputs := inputsOf(des)
	if !slices.Equal(inputs, p.saved.Inputs) {
		return nil, &DataError{File: fr.Source, Msg: fmt.Sprintf("the new data code to the inputs %s, the network was trained on %s", strings.Join(inputs, ", "), strings.Join(p.saved.Inputs, ", "))}
	}
	o := &bnn.PredictOptions{Draws: draws, Seed: seed, Levels: []float64{0.05, 0.5, 0.95}}
	pr, err := p.net.Predict(p.q, x, o)
	if err != nil {
		return nil, networkDataError(fr, err)
	}
	out := &NetworkPredictions{Pred: pr, Labels: p.labels()}
	for i := 0; i < fr.Rows; i++ {
		out.Rows = append(out.Rows, fr.RowNumber(i))
	}
	y := des.Response
	if lab != nil {
		y = make([]float64, len(lab.index))
		for i, k := range lab.index {
			y[i] = float64(k)
		}
	}
	if y != nil && fr.Lookup(f.Response()) != nil {
		if p.m.Family == "categorical" && lab == nil {
			cl := p.net.Classes()
			for i, v := range y {
				if _, ok := slices.BinarySearch(cl, v); !ok {
					return nil, &DataError{File: fr.Source, Column: f.Response(), Lines: []int{fr.RowNumber(i)}, Msg: fmt.Sprintf(
						"row %d has class %s of %s, which the training data did not have (its classes are %v)", fr.RowNumber(i), fmtNum(v), f.Response(), cl)}
				}
			}
		}
		if out.LogPD, err = p.net.LogPredictive(p.q, x, y, o); err != nil {
			return nil, networkDataError(fr, err)
		}
	}
	return out, nil
}

// labels returns the class labels as text.
func (p *NetworkPredictor) labels() []string {
	if p.saved.Labels != nil {
		return p.saved.Labels
	}
	var out []string
	for _, c := range p.net.Classes() {
		out = append(out, fmtNum(c))
	}
	return out
}

// WriteCSV writes the predictions: row and, for a regression, pred_mean,
// pred_sd, pred_q5, pred_q50 and pred_q95; for a classifier pred_class and
// prob_LABEL for each class; then log_pd when the response was observed.
func (p *NetworkPredictions) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"row"}
	if p.Pred.Mean != nil {
		head = append(head, "pred_mean", "pred_sd", "pred_q5", "pred_q50", "pred_q95")
	} else {
		head = append(head, "pred_class")
		for _, l := range p.Labels {
			head = append(head, "prob_"+l)
		}
	}
	if p.LogPD != nil {
		head = append(head, "log_pd")
	}
	cw.Write(head)
	rec := make([]string, 0, len(head))
	for i, r := range p.Rows {
		rec = append(rec[:0], strconv.Itoa(r))
		if p.Pred.Mean != nil {
			rec = append(rec, num(p.Pred.Mean[i]), num(p.Pred.SD[i]))
			for k := 0; k < 3; k++ {
				rec = append(rec, num(p.Pred.Quantiles.At(i, k)))
			}
		} else {
			k := slices.Index(p.Pred.Classes, p.Pred.Class[i])
			rec = append(rec, p.Labels[k])
			for c := range p.Labels {
				rec = append(rec, num(p.Pred.Prob.At(i, c)))
			}
		}
		if p.LogPD != nil {
			rec = append(rec, num(p.LogPD[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// fmtNum formats a class value as its shortest exact form.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Report returns the report of the fit (govi fit's printout and
// summary.json), with the training rows' fit from 200 draws of q; data
// names the data.
func (f *NetworkFit) Report(data string) (*report.NetworkFit, error) {
	tr := f.Train
	r := &report.NetworkFit{Formula: f.Spec.Formula, Family: f.Spec.Family, Data: data, Sizes: f.Net.Sizes(), Activation: f.Net.Spec().Activation.String(),
		Inputs: f.Inputs, Weights: tr.Weights, Approx: "mean-field Gaussian", Seed: f.Settings.Seed,
		Epochs: tr.Epochs, BatchSize: f.Settings.BatchSize, Steps: tr.Steps, Rejected: tr.Rejected, Seconds: tr.Seconds,
		Stop: tr.Stopped, Converged: !f.Interrupted, Trace: tr.ELBO, NoiseSD: math.NaN()}
	r.Estimator = map[string]string{"moments": "moment-propagation (deterministic)", "lrt": "local-reparameterization Monte Carlo"}[f.Estimator]
	if len(tr.ELBO) > 0 {
		r.ELBO = tr.ELBO[len(tr.ELBO)-1]
	}
	for _, h := range tr.Hyper {
		r.PriorSD = append(r.PriorSD, math.Exp(h))
	}
	if j := f.Net.NoiseIndex(); j >= 0 {
		// E[σ] on the data's scale, σ = ySD·exp(log σ) lognormal under q.
		_, _, _, ySD := f.Net.Scaling()
		mu, sd := f.Q.Mean(nil)[j], f.Q.SD()[j]
		r.NoiseSD = ySD * math.Exp(mu+sd*sd/2)
	}
	var err error
	if r.TrainLPD, r.TrainAccuracy, r.TrainRMSE, err = f.TrainingFit(200, f.Settings.Seed); err != nil {
		return nil, err
	}
	if f.Interrupted {
		r.Warnings = append(r.Warnings, "training was interrupted: q is the last accepted step")
	}
	return r, nil
}
