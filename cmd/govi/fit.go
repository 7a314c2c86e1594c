package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/diagnose"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/prior"
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
	if err := oneOf("approx", o.approx, "fullrank", "meanfield"); err != nil {
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
	switch {
	case o.spec != "":
		for _, f := range []string{"formula", "family", "link", "prior", "nu", "no-center", "parameterization"} {
			if o.set[f] {
				return nil, src, usageErrorf("--%s cannot be combined with --spec: the spec file fixes the model (edit it, or use --formula/--family/--prior instead)", f)
			}
		}
		switch {
		case o.data != "" && o.example != "":
			return nil, src, usageErrorf("--example and --data cannot be combined: the example brings its own data")
		case o.example != "":
			ex, err := findExample(o.example)
			if err != nil {
				return nil, src, err
			}
			src.example = ex
		case o.data == "":
			return nil, src, usageErrorf("--spec needs --data FILE.csv (or --example NAME)")
		default:
			src.path = o.data
		}
		b, err := os.ReadFile(o.spec)
		if err != nil {
			return nil, src, withCode(exitData, fmt.Errorf("spec file: %w", err))
		}
		m, err = spec.Parse(b)
		if err != nil {
			return nil, src, usageErrorf("spec file %s: %v", o.spec, strings.TrimPrefix(err.Error(), "spec: "))
		}
	case o.example != "":
		if o.data != "" {
			return nil, src, usageErrorf("--example and --data cannot be combined: the example brings its own data")
		}
		ex, err := findExample(o.example)
		if err != nil {
			return nil, src, err
		}
		src.example = ex
		m = &spec.Model{Formula: ex.Formula, Family: ex.Family}
		if o.formula != "" {
			m.Formula = o.formula
		}
		if o.family != "" {
			m.Family = o.family
		}
		for _, p := range ex.Priors {
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
		src.path = o.data
	}
	if o.spec == "" {
		m.Link = o.link
		m.Parameterization = o.parameterization
		m.NoCenter = o.noCenter
		m.Nu = o.nu
		for _, p := range o.priors {
			pr, err := spec.ParsePrior(p)
			if err != nil {
				return nil, src, usageErrorf("--prior %q: %s", p, trimPrefix(err))
			}
			m.Priors = append(m.Priors, pr)
		}
	}
	if m.Family == "" {
		return nil, src, usageErrorf("no family: use --family (%s)", strings.Join(familyNames(), ", "))
	}
	if err := m.Check(); err != nil {
		return nil, src, usageErrorf("%s", trimPrefix(err))
	}
	if m.Nu != 0 && m.Family != "student" {
		return nil, src, usageErrorf("--nu fixes the degrees of freedom of --family student, not %s", m.Family)
	}
	for _, p := range m.Priors {
		if err := checkPriorSupport(p); err != nil {
			return nil, src, err
		}
	}
	return m, src, nil
}

func familyNames() []string {
	var n []string
	for k := range spec.Families {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// trimPrefix drops the "spec: " package prefix of a library error.
func trimPrefix(err error) string { return strings.TrimPrefix(err.Error(), "spec: ") }

// positiveClasses are the prior classes of positive parameters.
var positiveClasses = []string{"sigma", "phi", "nu", "sd"}

// checkPriorSupport checks, before any data are read, that a prior's
// support suits its class (spec.Model.Build would say so only later).
func checkPriorSupport(p spec.Prior) error {
	pr, err := prior.Parse(p.Prior)
	if err != nil {
		return usageErrorf("prior %s: %s", p, err)
	}
	if _, flat := pr.(prior.Flat); flat {
		return nil
	}
	positive := slices.Contains(positiveClasses, p.Class)
	if positive && !pr.Positive() {
		return usageErrorf("prior %s: %s is a positive parameter; use a prior on (0, ∞), e.g. exponential(1), half_normal(0, 1), half_student_t(3, 0, 2.5) or flat", p, p.Class)
	}
	if !positive && pr.Positive() {
		return usageErrorf("prior %s: %s takes values on the whole real line; %s is only for positive parameters (sigma, phi, nu, sd)", p, p.Class, pr)
	}
	return nil
}

// algorithm is the estimator and optimizer of a fit.
type algorithm struct {
	est     elbo.Estimator
	method  optim.Method
	choice  *govi.Choice // govi.Auto's choice, which also starts q
	estName string
	optName string
}

func (o *fitOptions) algorithm(lin *model.Linear) algorithm {
	a := algorithm{estName: o.estimator, optName: o.optimizer}
	if o.estimator == "mc" {
		a.est = &elbo.MonteCarlo{Draws: o.mcDraws, Fixed: o.fixedDraws, Seed: o.seed}
		a.estName = fmt.Sprintf("mc (%d draws", o.mcDraws)
		if o.fixedDraws {
			a.estName += ", fixed"
		}
		a.estName += ")"
	} else {
		a.est = &elbo.Quadrature{}
	}
	opt := o.optimizer
	if opt == "auto" {
		switch {
		case o.estimator == "quadrature":
			ch := govi.Auto(lin, o.seed)
			a.est, a.method, a.choice = ch.Estimator, ch.Method, &ch
			a.optName = fmt.Sprint(ch.Method)
			return a
		case o.fixedDraws:
			opt = "lbfgs"
		default:
			opt = "adam"
		}
		a.optName = opt
	}
	switch opt {
	case "lbfgs":
		a.method = &optim.LBFGS{}
	case "adam":
		a.method = &optim.Adam{Rate: o.rate}
	case "sgd":
		a.method = &optim.GradientAscent{Rate: o.rate}
	}
	return a
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
	p, err := prepare(m, src, o.dropMissing, o.categorical)
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
	fit, res := o.fit(ctx, p, src, stderr)

	report.PrintSummary(stdout, fit)
	if o.out != "" {
		if err := writeOutputs(o.out, fit, p.built.Spec); err != nil {
			return withCode(exitFailure, err)
		}
		if !o.quiet {
			fmt.Fprintf(stderr, "wrote %s\n", strings.Join(outputFiles(o.out), ", "))
		}
	}
	switch {
	case ctx.Err() != nil || res.Status == optim.Canceled:
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

// fit runs the optimizer, draws from the approximation, diagnoses it and
// assembles the report.
func (o *fitOptions) fit(ctx context.Context, p *prepared, src source, stderr io.Writer) (*report.Fit, *govi.Result) {
	b := p.built
	lin := b.Linear
	d := lin.Dim()
	var q family.Family
	if o.approx == "meanfield" {
		q = family.NewMeanField(d)
	} else {
		q = family.NewFullRank(d)
	}
	alg := o.algorithm(lin)
	if alg.choice != nil {
		// Cannot fail for a Linear model: a warm start that does not work
		// out leaves q as it is.
		_ = alg.choice.Apply(ctx, q)
	}
	prog := report.NewProgress(stderr, o.quiet, o.maxIter)
	settings := &govi.Settings{Optim: optim.Settings{MaxIter: o.maxIter, TolRelObj: o.tolRelObj, Callback: prog.Callback}}
	res, err := govi.Fit(ctx, lin, q, alg.est, alg.method, settings)
	if err != nil {
		// Flags were checked, so the pieces fit together; report it as a
		// failed run rather than lose the context.
		res = &govi.Result{Family: q, Params: q.Params(nil), ELBO: math.Inf(-1), Status: optim.Failed, Message: err.Error()}
	}
	if ctx.Err() != nil && res.Status != optim.Canceled {
		res.Status = optim.Canceled
	}
	prog.Done(res.Status.String())

	warnings := slices.Clone(p.warnings)
	ds := govi.Sample(lin, res.Family, b, o.draws, o.seed)
	draws := make([][]float64, o.draws)
	for s := range draws {
		draws[s] = ds.X.RawRowView(s)
	}
	theta := res.Family.Mean(nil)
	mean := make([]float64, len(b.Names))
	b.Constrain(mean, theta)

	var diag *report.Diagnostics
	var notes []string
	var psis []report.Moment
	resampled, showPSIS := false, false
	dg, err := govi.Diagnose(ds, govi.DiagnoseOptions{
		MeanField:   o.approx == "meanfield",
		Centered:    p.model.Parameterization == "centered" && len(b.Design.Groups) > 0,
		NonCentered: p.model.Parameterization != "centered" && len(b.Design.Groups) > 0,
	})
	if err != nil {
		warnings = append(warnings, "diagnostics unavailable: "+err.Error())
	} else {
		diag = &report.Diagnostics{
			Khat: dg.Khat, ESS: dg.ESS, ELBO: dg.ELBO, ELBOSE: dg.ELBOSE,
			LogEvidence: dg.LogEvidence, LogEvidenceSE: dg.LogEvidenceSE,
			Reliability:        dg.Reliability.String(),
			KhatSummaries:      dg.KhatSummaries,
			SummaryReliability: dg.SummaryReliability.String(),
			WorstSummary:       dg.WorstSummary,
		}
		if alg.estName == "quadrature" && !math.IsInf(res.ELBO, 0) {
			// The quadrature ELBO is exact (no Monte Carlo error).
			diag.ELBO, diag.ELBOSE = res.ELBO, 0
		}
		cm, csd, err := govi.Corrected(ds, dg)
		if err == nil {
			for j, name := range ds.Names {
				psis = append(psis, report.Moment{Name: name, Mean: cm[j], SD: csd[j]})
			}
		}
		summariesBad := dg.SummaryReliability == diagnose.Bad || dg.SummaryReliability == diagnose.VeryBad
		showPSIS = summariesBad
		ratiosBad := dg.Reliability == diagnose.Bad || dg.Reliability == diagnose.VeryBad
		switch {
		case summariesBad:
			warnings = append(warnings, dg.Advice, reweightCheck(draws, cm, csd, dg.LogWeights, dg.ESS))
		case ratiosBad:
			notes = append(notes, dg.Advice)
		}
		if o.resample {
			rs, err := govi.Resample(ds, dg, o.draws, o.seed)
			if err != nil {
				warnings = append(warnings, "importance resampling failed: "+err.Error())
			} else {
				ds, resampled = rs, true
				for s := range draws {
					draws[s] = ds.X.RawRowView(s)
				}
			}
		}
	}
	switch res.Status {
	case optim.IterationLimit:
		limit := fmt.Sprintf("%d iterations", res.Iterations)
		if o.maxIter > 0 {
			limit = fmt.Sprintf("--max-iter %d", o.maxIter)
		}
		warnings = append(warnings, fmt.Sprintf("the optimizer stopped at the iteration limit (%s) before converging: the results may be inaccurate; raise --max-iter", limit))
	case optim.Canceled:
		warnings = append(warnings, fmt.Sprintf("interrupted after %d iterations: the results are not converged", res.Iterations))
	case optim.Failed:
		warnings = append(warnings, "the fit failed: "+res.Message)
	}

	var priors []report.PriorInfo
	for _, pr := range b.Priors {
		coef := pr.Coef
		if pr.Group != "" {
			coef = pr.Group
			if pr.Coef != "" {
				coef += "," + pr.Coef
			}
		}
		priors = append(priors, report.PriorInfo{Class: pr.Class, Coef: coef, Prior: pr.Prior})
	}
	link := p.model.Link
	if link == "" {
		link = spec.Families[p.model.Family][0]
	}
	return &report.Fit{
		Params:       report.Summarize(ds.Names, draws),
		Names:        ds.Names,
		Draws:        draws,
		LogP:         ds.LogP,
		LogQ:         ds.LogQ,
		Mean:         mean,
		ELBO:         res.ELBO,
		Trace:        res.Trace,
		Iterations:   res.Iterations,
		Converged:    res.Status == optim.Converged,
		Stop:         res.Status.String(),
		Message:      res.Message,
		Seconds:      res.Elapsed.Seconds(),
		Family:       p.model.Family,
		Link:         link,
		Formula:      p.model.Formula,
		Approx:       o.approx,
		Estimator:    alg.estName,
		Optimizer:    alg.optName,
		Seed:         o.seed,
		Priors:       priors,
		ELBORelative: !lin.Proper(),
		Diagnostics:  diag,
		Warnings:     warnings,
		Notes:        notes,
		PSIS:         psis,
		ShowPSIS:     o.resample || showPSIS,
		Resampled:    resampled,
		Data:         src.name(),
	}, res
}
