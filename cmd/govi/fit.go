package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
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

const fitHelp = `Usage:
  govi fit --data FILE.csv --formula "y ~ x1 + x2" --family FAMILY [flags]
  govi fit --spec model.json --data FILE.csv [flags]
  govi fit --example NAME [flags]

Fits a Gaussian approximation to the posterior of a regression model by
maximizing the ELBO, then draws from it, checks it with Pareto-smoothed
importance sampling (k-hat) and prints a summary: mean, sd and 5/50/95%
quantiles of every parameter, the ELBO, iterations, time, stop reason, the
priors used (defaults included) and warnings. Everything is checked before
the fit starts: an error leaves no output files. Ctrl-C stops the optimizer
cleanly; what it has is then written, marked not converged (exit code 130).

Model:
  --data FILE            CSV file with a header row (.tsv: tab-separated);
                         empty, NA, . and NaN cells are missing values
  --formula F            R/brms formula, e.g. "y ~ x1 * x2 + log(x3) + I(x4^2)",
                         "y ~ x + (1 + x | group)", "y ~ x + offset(log(t))",
                         "k | trials(n) ~ x", "cbind(k, fail) ~ x", "y | se(s) ~ 1 + (1 | study)";
                         text columns and factor(x) are categorical (treatment contrasts)
  --family NAME          gaussian, bernoulli, binomial, poisson, negbinomial, student
  --link NAME            link function: the family's default (identity, logit, log);
                         bernoulli also takes probit
  --prior "P"            a prior, repeatable; the most specific applies (b[x] over b),
                         and a later one replaces an earlier one for the same target:
                           "b ~ normal(0, 2.5)"            every coefficient
                           "b[dist100] ~ normal(0, 1)"     one coefficient (as named in the summary)
                           "Intercept ~ student_t(3, 0, 10)"
                           "sigma ~ exponential(1)"        also phi (negbinomial), nu (student)
                           "sd ~ half_normal(0, 1)", "sd[g] ~ ...", "sd[g,x] ~ ..." group-level sds
                           "b ~ flat"                      improper uniform (the ELBO is then relative)
                         distributions (Stan's spelling and argument order): normal, student_t,
                         cauchy, double_exponential, logistic, half_normal, half_cauchy,
                         half_student_t, exponential, gamma, inv_gamma, lognormal, flat.
                         Defaults are weakly informative and scaled to the data (rstanarm's).
  --nu V                 fix the Student-t degrees of freedom (family student); default: estimated
  --no-center            fit the predictors uncentered, so the Intercept prior applies to the
                         intercept as written (default: centered, as brms/rstanarm; the reported
                         Intercept is always on the data's scale)
  --parameterization P   group-level effects: noncentered (default) or centered
  --categorical COLS     comma-separated columns to treat as categorical even if they hold numbers
  --drop-missing         drop the rows with a missing value in the columns the formula uses
                         (and say how many); without it missing values are an error
  --spec FILE            the model description saved by a previous fit (DIR/spec.json) instead
                         of --formula/--family/--prior; with the same --data (or --example)
                         and flags it reproduces that fit exactly
  --example NAME         a bundled data set with its model instead of --data (see 'govi examples');
                         --formula, --family and --prior replace the example's defaults

Algorithm:
  --approx A             fullrank (default; correlations between parameters) or meanfield
  --estimator E          quadrature (default; deterministic Gauss-Hermite ELBO) or mc
                         (Monte Carlo with --mc-draws draws per iteration)
  --optimizer O          auto (default: natural-gradient steps then L-BFGS with quadrature;
                         Adam with mc), lbfgs, adam or sgd. L-BFGS needs a deterministic
                         ELBO: quadrature, or mc with --fixed-draws
  --mc-draws N           Monte Carlo draws per ELBO evaluation (default 32)
  --fixed-draws          reuse the same Monte Carlo draws at every iteration (deterministic)
  --max-iter N           iteration limit (default 0: the optimizer's, 2000 for L-BFGS and
                         10000 for adam/sgd); reaching it is a warning, not an error
  --tol-rel-obj X        relative ELBO tolerance of adam/sgd (default 1e-4), like Stan's
  --rate X               step size of adam (default 0.05) or sgd (default 0.001), like Stan's eta
  --seed N               random seed for Monte Carlo and the draws (default 1)
  --draws N              draws from the approximation for the summary, draws.csv and the
                         diagnostics (default 4000), like Stan's output_samples
  --importance-resampling  summaries and draws.csv from draws resampled with the
                         Pareto-smoothed importance weights (rstan's vb option), and print
                         the PSIS-corrected means and sds; summary.json always has them

Output:
  --out DIR              write DIR/summary.json, draws.csv (CmdStan layout), elbo.csv,
                         elbo.svg, marginals.svg and spec.json (created if needed)
  --quiet                no progress display on stderr

Examples:
  govi fit --example wells
  govi fit --data wells.csv --formula "switch ~ dist100 + arsenic" --family bernoulli \
      --prior "b ~ normal(0, 2.5)" --prior "Intercept ~ student_t(3, 0, 10)" --out wells_fit
  govi fit --data radon.csv --formula "log_radon ~ floor + (1 | county)" --family gaussian
  govi fit --data counts.csv --formula "y ~ x + offset(log(exposure))" --family negbinomial
  govi fit --data wells.csv --formula "switch ~ dist100" --family bernoulli --link probit \
      --estimator mc --optimizer adam --approx meanfield --seed 7
  govi fit --spec wells_fit/spec.json --data wells.csv --out wells_fit2

`

// fitOptions holds the flags of govi fit.
type fitOptions struct {
	data, formula, family, link  string
	priors                       stringList
	approx, estimator, optimizer string
	parameterization             string
	seed                         uint64
	draws, maxIter, mcDraws      int
	out                          string
	quiet, dropMissing, noCenter bool
	fixedDraws, resample         bool
	spec, example                string
	nu, tolRelObj, rate          float64
	categorical                  commaList
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
	fs.StringVar(&o.approx, "approx", "fullrank", "")
	fs.StringVar(&o.estimator, "estimator", "quadrature", "")
	fs.StringVar(&o.optimizer, "optimizer", "auto", "")
	fs.IntVar(&o.mcDraws, "mc-draws", defaultMCDraws, "")
	fs.BoolVar(&o.fixedDraws, "fixed-draws", false, "")
	fs.IntVar(&o.maxIter, "max-iter", 0, "")
	fs.Float64Var(&o.tolRelObj, "tol-rel-obj", 0, "")
	fs.Float64Var(&o.rate, "rate", 0, "")
	fs.Uint64Var(&o.seed, "seed", 1, "")
	fs.IntVar(&o.draws, "draws", 4000, "")
	fs.BoolVar(&o.resample, "importance-resampling", false, "")
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
	if err := oneOf("approx", o.approx, family.Names()...); err != nil {
		return err
	}
	if err := oneOf("estimator", o.estimator, "quadrature", "mc"); err != nil {
		return err
	}
	if err := oneOf("optimizer", o.optimizer, "auto", "lbfgs", "adam", "sgd"); err != nil {
		return err
	}
	if o.parameterization != "" {
		if err := oneOf("parameterization", o.parameterization, "noncentered", "centered"); err != nil {
			return err
		}
	}
	mc := o.estimator == "mc"
	switch {
	case o.optimizer == "lbfgs" && mc && !o.fixedDraws:
		return usageErrorf("--optimizer lbfgs needs a deterministic ELBO: use --estimator quadrature, or add --fixed-draws to --estimator mc (or use --optimizer adam)")
	case o.fixedDraws && !mc:
		return usageErrorf("--fixed-draws applies only to --estimator mc")
	case o.set["mc-draws"] && !mc:
		return usageErrorf("--mc-draws applies only to --estimator mc")
	case o.mcDraws < 1:
		return usageErrorf("--mc-draws must be at least 1, not %d", o.mcDraws)
	case o.draws < 10:
		return usageErrorf("--draws must be at least 10, not %d", o.draws)
	case o.maxIter < 0:
		return usageErrorf("--max-iter must be positive (or 0 for the optimizer's default), not %d", o.maxIter)
	case o.set["tol-rel-obj"] && !o.stochastic():
		return usageErrorf("--tol-rel-obj applies only to the stochastic optimizers (--optimizer adam or sgd)")
	case o.set["tol-rel-obj"] && !(o.tolRelObj > 0 && o.tolRelObj < 1):
		return usageErrorf("--tol-rel-obj must be between 0 and 1, not %g", o.tolRelObj)
	case o.set["rate"] && o.optimizer != "adam" && o.optimizer != "sgd":
		return usageErrorf("--rate applies only to --optimizer adam or sgd")
	case o.set["rate"] && !(o.rate > 0 && !math.IsInf(o.rate, 0)):
		return usageErrorf("--rate must be positive, not %g", o.rate)
	case o.set["nu"] && !(o.nu > 0 && !math.IsInf(o.nu, 0)):
		return usageErrorf("--nu must be a positive number, not %g", o.nu)
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
		for _, f := range []string{"formula", "family", "link", "prior", "nu", "no-center", "parameterization"} {
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
	for _, p := range o.priors {
		pr, err := spec.ParsePrior(p)
		if err != nil {
			return nil, src, withCode(exitUsage, fmt.Errorf("--prior %q: %w", p, err))
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
	r := govi.RunOptions{Family: o.approx, Seed: o.seed, Draws: o.draws, Resample: o.resample,
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

func runFit(args []string, stdout, stderr io.Writer) error {
	o, err := parseFitFlags(args, stdout)
	if o == nil || err != nil {
		return err
	}
	m, src, err := o.model()
	if err != nil {
		return err
	}
	fr, err := o.read(m, src)
	if err != nil {
		return err
	}
	b, err := m.Build(fr)
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := checkOutDir(o.out); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := report.NewProgress(stderr, o.quiet, o.maxIter)
	fit, out, err := b.Fit(ctx, o.runOptions(prog.Callback))
	if err != nil {
		prog.Done("failed")
		return withCode(exitFailure, err)
	}
	res := out.Fit
	prog.Done(res.Status.String())
	if fr.Dropped > 0 {
		cols, _ := m.Columns()
		fit.Warnings = append([]string{fmt.Sprintf("--drop-missing dropped %d of %d rows with missing values in %s", fr.Dropped, fr.Rows+fr.Dropped, strings.Join(cols, ", "))}, fit.Warnings...)
	}

	report.PrintSummary(stdout, fit)
	if o.out != "" {
		if err := writeOutputs(o.out, fit, b.Spec); err != nil {
			return withCode(exitFailure, err)
		}
		if !o.quiet {
			var files []string
			for _, f := range outputFiles {
				files = append(files, filepath.Join(o.out, f))
			}
			fmt.Fprintf(stderr, "wrote %s\n", strings.Join(files, ", "))
		}
	}
	switch {
	case res.Status == optim.Canceled:
		where := ""
		if o.out != "" {
			where = "; outputs written to " + o.out + ", marked not converged"
		}
		return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("interrupted after %d iterations%s", res.Iterations, where)}
	case res.Status == optim.Failed:
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("the fit failed: %s", res.Message)}
	}
	return nil
}
