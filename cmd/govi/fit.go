package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// defaultMCDraws is the number of Monte Carlo draws per ELBO evaluation
// with --estimator mc (the number govi.Auto uses).
const defaultMCDraws = 32

// fitOptions holds the flags of govi fit.
type fitOptions struct {
	data, formula, family, link  string
	priors                       stringList
	approx, estimator, optimizer string
	parameterization             string
	seed                         uint64
	draws, maxIter, mcDraws      int
	rank                         int
	out                          string
	quiet, dropMissing, noCenter bool
	fixedDraws, resample         bool
	spec, example                string
	nu, tolRelObj, rate          float64
	categorical                  commaList
	batchSize, epochs            int
	memory                       string
	bnn, activation, weightScale string
	set                          map[string]bool
}

func parseFitFlags(args []string, stdout io.Writer) (*fitOptions, error) {
	o := &fitOptions{}
	fs := flag.NewFlagSet("fit", flag.ContinueOnError)
	fs.StringVar(&o.data, "data", "", "")
	fs.StringVar(&o.formula, "formula", "", "")
	fs.StringVar(&o.family, "family", "", "")
	fs.StringVar(&o.link, "link", "", "")
	fs.Var(&o.priors, "prior", "")
	fs.Float64Var(&o.nu, "nu", 0, "")
	fs.BoolVar(&o.noCenter, "no-center", false, "")
	fs.StringVar(&o.parameterization, "parameterization", "", "")
	fs.Var(&o.categorical, "categorical", "")
	fs.BoolVar(&o.dropMissing, "drop-missing", false, "")
	fs.StringVar(&o.spec, "spec", "", "")
	fs.StringVar(&o.example, "example", "", "")
	fs.StringVar(&o.approx, "approx", "auto", "")
	fs.IntVar(&o.rank, "rank", 5, "")
	fs.StringVar(&o.estimator, "estimator", "quadrature", "")
	fs.StringVar(&o.optimizer, "optimizer", "auto", "")
	fs.IntVar(&o.mcDraws, "mc-draws", defaultMCDraws, "")
	fs.BoolVar(&o.fixedDraws, "fixed-draws", false, "")
	fs.IntVar(&o.maxIter, "max-iter", 0, "")
	fs.Float64Var(&o.tolRelObj, "tol-rel-obj", 0, "")
	fs.Float64Var(&o.rate, "rate", 0, "")
	fs.Uint64Var(&o.seed, "seed", 1, "")
	fs.IntVar(&o.draws, "draws", 0, "")
	fs.BoolVar(&o.resample, "importance-resampling", false, "")
	fs.IntVar(&o.batchSize, "batch-size", 0, "")
	fs.IntVar(&o.epochs, "epochs", 0, "")
	fs.StringVar(&o.memory, "memory", "", "")
	fs.StringVar(&o.bnn, "bnn", "", "")
	fs.StringVar(&o.activation, "activation", "", "")
	fs.StringVar(&o.weightScale, "weight-scale", "", "")
	fs.StringVar(&o.out, "out", "", "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	done, err := parseFlags(fs, args, fitHelp, stdout)
	if done || err != nil {
		return nil, err
	}
	o.set = setFlags(fs)
	return o, o.checkAlgorithm()
}

// stochastic reports whether the chosen optimizer is adam or sgd.
func (o *fitOptions) stochastic() bool {
	return o.optimizer == "adam" || o.optimizer == "sgd" || (o.optimizer == "auto" && o.estimator == "mc" && !o.fixedDraws)
}

// checkAlgorithm validates the algorithm flags.
func (o *fitOptions) checkAlgorithm() error {
	oneOf := func(flag, v string, opts ...string) error {
		if slices.Contains(opts, v) {
			return nil
		}
		hint := ""
		if s := suggestName(v, opts); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return usageErrorf("--%s %q: unknown value%s; use %s", flag, v, hint, strings.Join(opts, ", "))
	}
	for _, c := range []struct {
		flag, v string
		opts    []string
	}{
		{"approx", o.approx, append([]string{"auto", "mixture"}, family.Names()...)},
		{"estimator", o.estimator, []string{"quadrature", "mc"}},
		{"optimizer", o.optimizer, []string{"auto", "lbfgs", "adam", "sgd"}},
	} {
		if err := oneOf(c.flag, c.v, c.opts...); err != nil {
			return err
		}
	}
	mc := o.estimator == "mc"
	network := o.set["bnn"] || o.family == "categorical"
	switch {
	case o.optimizer == "lbfgs" && mc && !o.fixedDraws:
		return usageErrorf("--optimizer lbfgs needs a deterministic ELBO: use --estimator quadrature, or add --fixed-draws to --estimator mc (or use --optimizer adam)")
	case o.fixedDraws && !mc:
		return usageErrorf("--fixed-draws applies only to --estimator mc")
	case o.set["mc-draws"] && !mc:
		return usageErrorf("--mc-draws applies only to --estimator mc")
	case o.set["rank"] && o.approx != "lowrank":
		return usageErrorf("--rank applies only to --approx lowrank")
	case o.rank < 1:
		return usageErrorf("--rank must be at least 1, not %d", o.rank)
	case o.mcDraws < 1:
		return usageErrorf("--mc-draws must be at least 1, not %d", o.mcDraws)
	case o.set["draws"] && o.draws < 10:
		return usageErrorf("--draws must be at least 10, not %d", o.draws)
	case o.maxIter < 0:
		return usageErrorf("--max-iter must be positive (or 0 for the optimizer's default), not %d", o.maxIter)
	case o.set["tol-rel-obj"] && !o.stochastic():
		return usageErrorf("--tol-rel-obj applies only to the stochastic optimizers (--optimizer adam or sgd)")
	case o.set["tol-rel-obj"] && !(o.tolRelObj > 0 && o.tolRelObj < 1):
		return usageErrorf("--tol-rel-obj must be between 0 and 1, not %g", o.tolRelObj)
	case o.set["rate"] && o.optimizer != "adam" && o.optimizer != "sgd" && !network:
		return usageErrorf("--rate applies only to --optimizer adam or sgd")
	case o.set["rate"] && !(o.rate > 0 && !math.IsInf(o.rate, 0)):
		return usageErrorf("--rate must be positive, not %g", o.rate)
	case o.set["nu"] && !(o.nu > 0 && !math.IsInf(o.nu, 0)):
		return usageErrorf("--nu must be a positive number, not %g", o.nu)
	case o.set["batch-size"] && o.batchSize < 1, o.set["epochs"] && o.epochs < 1:
		return usageErrorf("--batch-size and --epochs must be at least 1")
	case (o.set["batch-size"] || o.set["epochs"]) && (o.set["estimator"] || o.set["optimizer"]) && !network:
		return usageErrorf("--batch-size and --epochs choose the minibatch fit: drop --estimator and --optimizer")
	}
	if o.memory != "" {
		if _, err := parseBytes(o.memory); err != nil {
			return usageErrorf("--memory %q: %v", o.memory, err)
		}
	}
	return nil
}

// model returns the model description and data source the flags ask for.
func (o *fitOptions) model() (*spec.Model, source, error) {
	var m *spec.Model
	var src source
	if o.data != "" && o.example != "" {
		return nil, src, usageErrorf("--example and --data cannot be combined: the example brings its own data")
	}
	if o.example != "" {
		ex, err := findExample(o.example)
		if err != nil {
			return nil, src, err
		}
		src.example = ex
	}
	src.path = o.data
	switch {
	case o.spec != "":
		for _, f := range []string{"formula", "family", "link", "prior", "nu", "no-center", "parameterization", "bnn", "activation", "weight-scale"} {
			if o.set[f] {
				return nil, src, usageErrorf("--%s cannot be combined with --spec: the spec file fixes the model (edit it, or use --formula/--family/--prior instead)", f)
			}
		}
		if o.data == "" && o.example == "" {
			return nil, src, usageErrorf("--spec needs --data FILE.csv (or --example NAME)")
		}
		b, err := os.ReadFile(o.spec)
		if err != nil {
			return nil, src, withCode(exitData, fmt.Errorf("spec file: %w", err))
		}
		if m, err = spec.Parse(b); err != nil {
			return nil, src, usageErrorf("spec file %s: %v", o.spec, err)
		}
		return m, src, m.Check()
	case o.example != "":
		m = &spec.Model{Formula: src.example.Formula, Family: src.example.Family}
		if o.formula != "" {
			m.Formula = o.formula
		}
		if o.family != "" {
			m.Family = o.family
		}
		for _, p := range src.example.Priors {
			pr, err := spec.ParsePrior(p)
			if err != nil {
				return nil, src, err
			}
			m.Priors = append(m.Priors, pr)
		}
	default:
		var miss []string
		for _, f := range []struct{ name, value string }{{"data", o.data}, {"formula", o.formula}, {"family", o.family}} {
			if strings.TrimSpace(f.value) == "" {
				miss = append(miss, "--"+f.name)
			}
		}
		if len(miss) > 0 {
			return nil, src, usageErrorf("missing %s (or use --spec FILE or --example NAME); run 'govi fit --help'", strings.Join(miss, ", "))
		}
		m = &spec.Model{Formula: o.formula, Family: o.family}
	}
	m.Link, m.Parameterization, m.NoCenter, m.Nu = o.link, o.parameterization, o.noCenter, o.nu
	net, err := o.networkOf()
	if err != nil {
		return nil, src, err
	}
	m.Network = net
	for _, p := range o.priors {
		pr, err := spec.ParsePrior(p)
		if err != nil {
			return nil, src, fmt.Errorf("--prior %q: %w", p, err)
		}
		m.Priors = append(m.Priors, pr)
	}
	if m.Family == "" {
		return nil, src, usageErrorf("no family: use --family (%s)", strings.Join(spec.FamilyNames(), ", "))
	}
	return m, src, m.Check()
}

// read reads the data the model uses.
func (o *fitOptions) read(m *spec.Model, src source) (*data.Frame, error) {
	cols, err := m.Columns()
	if err != nil {
		return nil, err
	}
	categorical := o.categorical
	for _, c := range categorical {
		if !slices.Contains(cols, c) {
			return nil, usageErrorf("--categorical %s: the formula does not use a column %q (it uses %s)", c, c, strings.Join(cols, ", "))
		}
	}
	if m.Recipe != nil {
		categorical = append(categorical, m.Recipe.Categorical()...)
	}
	return src.read(data.Options{DropMissing: o.dropMissing, Columns: cols, Categorical: categorical})
}

// runOptions returns the pipeline's options for the flags.
func (o *fitOptions) runOptions(progress func(optim.Progress) error) govi.RunOptions {
	r := govi.RunOptions{Family: o.approx, Rank: o.rank, Seed: o.seed, Draws: o.draws, Resample: o.resample, Epochs: o.epochs, BatchSize: o.batchSize,
		Optim: optim.Settings{MaxIter: o.maxIter, TolRelObj: o.tolRelObj, Callback: progress}}
	switch {
	case o.estimator == "mc":
		r.Estimator = &elbo.MonteCarlo{Draws: o.mcDraws, Fixed: o.fixedDraws, Seed: o.seed}
	case o.optimizer != "auto":
		r.Estimator = &elbo.Quadrature{}
	}
	switch o.optimizer {
	case "lbfgs":
		r.Method = &optim.LBFGS{}
	case "adam":
		r.Method = &optim.Adam{Rate: o.rate}
	case "sgd":
		r.Method = &optim.GradientAscent{Rate: o.rate}
	}
	return r
}

// streaming reports whether to fit from the file in chunks: --batch-size
// with a file, or a file that would not fit the memory budget (--memory,
// default half the machine's memory), said on stderr.
func (o *fitOptions) streaming(src source, stderr io.Writer) (bool, error) {
	if src.example != nil || o.data == "" {
		return false, nil
	}
	if o.set["batch-size"] {
		return true, nil
	}
	need, err := data.MemoryEstimate(o.data)
	if err != nil {
		return false, err
	}
	budget := data.DefaultMemory()
	if o.memory != "" {
		budget, _ = parseBytes(o.memory)
	}
	if need <= budget {
		return false, nil
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "govi: %s needs about %s in memory, more than --memory %s: streaming it in chunks (minibatch fit)\n", o.data, formatBytes(need), formatBytes(budget))
	}
	return true, nil
}

// fitter is a model ready to fit: built in memory (*spec.Built) or
// streamed from its file (*spec.Stream).
type fitter interface {
	Fit(ctx context.Context, opt govi.RunOptions) (*report.Fit, *govi.Outcome, error)
}

// prepare reads and builds the model, or opens its file for streaming;
// the warning names the rows --drop-missing dropped, if any. close
// releases the file.
func (o *fitOptions) prepare(m *spec.Model, src source, streamed bool) (f fitter, sp func() *spec.Model, warn string, close func(), err error) {
	close = func() {}
	if streamed {
		cols, err := m.Columns()
		if err != nil {
			return nil, nil, "", close, err
		}
		tab, err := data.Open(o.data, data.Options{DropMissing: o.dropMissing, Columns: cols, Categorical: o.categorical})
		if err != nil {
			return nil, nil, "", close, err
		}
		s, err := m.Stream(tab)
		if err != nil {
			tab.Close()
			return nil, nil, "", close, err
		}
		return s, func() *spec.Model { return s.Spec }, "", func() { tab.Close() }, nil
	}
	fr, err := o.read(m, src)
	if err != nil {
		return nil, nil, "", close, err
	}
	if fr.Dropped > 0 {
		cols, _ := m.Columns()
		warn = fmt.Sprintf("--drop-missing dropped %d of %d rows with missing values in %s", fr.Dropped, fr.Rows+fr.Dropped, strings.Join(cols, ", "))
	}
	// Build is the frame's last use, so that it is let go once its columns
	// are in the design matrix, before the checks that copy X.
	b, err := m.Build(fr)
	if err != nil {
		return nil, nil, "", close, err
	}
	return b, func() *spec.Model { return b.Spec }, warn, close, nil
}

func runFit(args []string, stdout, stderr io.Writer) error {
	o, err := parseFitFlags(args, stdout)
	if o == nil || err != nil {
		return err
	}
	m, src, err := o.model()
	if err != nil {
		return err
	}
	if m.IsNetwork() {
		return o.runNetwork(m, src, stdout, stderr)
	}
	streamed, err := o.streaming(src, stderr)
	if err != nil {
		return err
	}
	if !streamed {
		// The data dominate the heap: hold it near the live heap.
		defer limitHeap()()
	}
	f, sp, dropped, closeData, err := o.prepare(m, src, streamed)
	if err != nil {
		return err
	}
	defer closeData()
	if o.out != "" {
		if err := checkOutDir(o.out, outputFiles); err != nil {
			return err
		}
	}

	ctx, stop := interrupts()
	defer stop()
	prog := report.NewProgress(stderr, o.quiet, o.maxIter)
	ro := o.runOptions(prog.Callback)
	ro.Phase = prog.Phase
	fit, out, err := f.Fit(ctx, ro)
	prog.EndPhases()
	if err != nil {
		prog.Done("failed")
		if errors.Is(err, govi.ErrInterrupted) {
			return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("%w: nothing written", err)}
		}
		var le *govi.LimitError
		if errors.As(err, &le) && le.What == "draws" {
			return usageErrorf("--draws %d: %s", o.draws, le.Msg)
		}
		return withCode(exitCode(err), err)
	}
	prog.Done(out.Fit.Status.String())
	if dropped != "" {
		fit.Warnings = append([]string{dropped}, fit.Warnings...)
	}
	return o.finish(ctx, fit, out, sp(), stdout, stderr)
}

// finish prints the summary, writes the outputs and returns the exit
// status of the fit.
func (o *fitOptions) finish(ctx context.Context, fit *report.Fit, out *govi.Outcome, sp *spec.Model, stdout, stderr io.Writer) error {
	res := out.Fit
	report.PrintSummary(stdout, fit)
	if o.out != "" {
		outs, err := fitOutputs(fit, sp)
		if err != nil {
			return withCode(exitFailure, err)
		}
		if err := writeAll(ctx, o.out, outs, res.Status == optim.Canceled, o.quiet, stderr); err != nil {
			return err
		}
	}
	switch {
	case res.Status == optim.Canceled:
		where := ""
		if o.out != "" {
			where = "; outputs written to " + o.out + ", marked interrupted (not converged)"
		}
		return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("interrupted after %d iterations%s", res.Iterations, where)}
	case res.Status == optim.Failed:
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("the fit failed: %s", res.Message)}
	}
	return nil
}
