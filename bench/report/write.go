package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// systems in the order of the tables; a problem has either the rstanarm or
// the rstan ones.
var systems = []string{"govi-default", "govi-meanfield", "govi-fullrank",
	"rstanarm-meanfield", "rstanarm-fullrank", "rstanarm-sampling",
	"rstan-meanfield", "rstan-fullrank", "rstan-sampling"}

func isGovi(s string) bool     { return strings.HasPrefix(s, "govi-") }
func isStanVI(s string) bool   { return !isGovi(s) && !strings.HasSuffix(s, "-sampling") }
func isADVIMF(s string) bool   { return strings.HasSuffix(s, "-meanfield") && !isGovi(s) }
func isSampling(s string) bool { return strings.HasSuffix(s, "-sampling") }

// cell is one system on one problem, over its seeds.
type cell struct {
	runs, errors, nonconv, skipped int
	fit, e2e                       float64 // medians
	maxZ, medZ, minR, maxR, khat   float64 // medians over the scored runs
	worstZ, worstSD                float64 // the worst scored run (govi) or the best (Stan), see target 1
	bestZ, bestSD                  float64
	scored                         int
	verdicts                       map[string]int
	approx                         map[string]int
	errs                           []string
	divergences, rhat              float64
}

type report struct {
	dir      string
	probs    map[string]*Problem
	order    []string
	runs     []*Run
	compiles []*Run
	cells    map[string]map[string]*cell
	svgName  string
}

func (rp *report) aggregate() {
	rp.cells = map[string]map[string]*cell{}
	group := map[string]map[string][]*Run{}
	for _, r := range rp.runs {
		if group[r.Problem] == nil {
			group[r.Problem] = map[string][]*Run{}
		}
		group[r.Problem][r.System] = append(group[r.Problem][r.System], r)
	}
	for p, bySys := range group {
		rp.cells[p] = map[string]*cell{}
		for s, rs := range bySys {
			c := &cell{verdicts: map[string]int{}, approx: map[string]int{}, worstZ: math.NaN(), worstSD: math.NaN(),
				bestZ: math.NaN(), bestSD: math.NaN(), divergences: math.NaN(), rhat: math.NaN()}
			var fit, e2e, mz, mdz, mir, mar, kh []float64
			for _, r := range rs {
				if r.Skipped != "" {
					c.skipped++
					continue
				}
				c.runs++
				if r.failed() {
					c.errors++
					c.errs = append(c.errs, r.Error)
				} else if r.Nonconverged {
					c.nonconv++
				}
				if v := val(r.E2eS); !math.IsNaN(v) {
					e2e = append(e2e, v)
				}
				if v := val(r.FitS); !math.IsNaN(v) {
					fit = append(fit, v)
				}
				if r.Verdict != "" {
					c.verdicts[r.Verdict]++
				}
				if r.Approx != "" {
					c.approx[r.Approx]++
				}
				if r.Khat != nil {
					kh = append(kh, val(r.Khat))
				}
				if r.Divergences != nil {
					c.divergences, c.rhat = val(r.Divergences), val(r.RhatMax)
				}
				if !r.scored {
					continue
				}
				c.scored++
				mz, mdz, mir, mar = append(mz, r.maxZ), append(mdz, r.medZ), append(mir, r.minR), append(mar, r.maxR)
				c.worstZ, c.worstSD = worse(c.worstZ, r.maxZ), worse(c.worstSD, r.sdErr())
				c.bestZ, c.bestSD = better(c.bestZ, r.maxZ), better(c.bestSD, r.sdErr())
			}
			c.fit, c.e2e = median(fit), median(e2e)
			c.maxZ, c.medZ, c.minR, c.maxR = median(mz), median(mdz), median(mir), median(mar)
			c.khat = median(kh)
			rp.cells[p][s] = c
		}
	}
}

// worse and better treat NaN (a run with a NaN summary) as the worst.
func worse(a, b float64) float64 {
	if math.IsNaN(b) {
		return math.Inf(1)
	}
	if math.IsNaN(a) {
		return b
	}
	return math.Max(a, b)
}

func better(a, b float64) float64 {
	if math.IsNaN(b) {
		b = math.Inf(1)
	}
	if math.IsNaN(a) {
		return b
	}
	return math.Min(a, b)
}

func f(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "−inf"
	case math.Abs(x) >= 1000:
		return fmt.Sprintf("%.3g", x)
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.*f", prec, x)
}

// secs prints a time with 2–3 significant digits.
func secs(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x < 0.01:
		return fmt.Sprintf("%.4f", x)
	case x < 1:
		return fmt.Sprintf("%.3f", x)
	case x < 100:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func ratio(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x >= 10:
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.1f×", x)
}

func counts(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var out []string
	for _, k := range ks {
		if len(m) == 1 {
			out = append(out, k)
		} else {
			out = append(out, fmt.Sprintf("%s ×%d", k, m[k]))
		}
	}
	return strings.Join(out, ", ")
}

// target1 is the accuracy comparison on one problem.
type target1 struct {
	problem                       string
	goviZ, goviSD, stanZ, stanSD  float64
	stanZSys, stanSDSys           string
	pass, strict, noStan, noScore bool
}

func (rp *report) accuracyTargets() []target1 {
	var out []target1
	for _, name := range rp.order {
		cs := rp.cells[name]
		g := cs["govi-default"]
		t := target1{problem: name, stanZ: math.Inf(1), stanSD: math.Inf(1)}
		if g == nil || g.scored == 0 {
			t.noScore = true
			out = append(out, t)
			continue
		}
		t.goviZ, t.goviSD = g.worstZ, g.worstSD
		for _, s := range systems {
			c := cs[s]
			if c == nil || !isStanVI(s) || c.scored == 0 {
				continue
			}
			if c.bestZ < t.stanZ {
				t.stanZ, t.stanZSys = c.bestZ, s
			}
			if c.bestSD < t.stanSD {
				t.stanSD, t.stanSDSys = c.bestSD, s
			}
		}
		if math.IsInf(t.stanZ, 1) {
			t.noStan, t.pass, t.strict = true, true, true
		} else {
			t.strict = t.goviZ <= t.stanZ && t.goviSD <= t.stanSD
			t.pass = t.goviZ <= t.stanZ+tolZ && t.goviSD <= t.stanSD+tolSD
		}
		out = append(out, t)
	}
	return out
}

var bnnLine = regexp.MustCompile(`^(examples/s|govi |PyTorch|threads|[0-9]+ epochs|.*accuracy|.*log-likelihood|.*best / PyTorch)`)

func (rp *report) write(w *bytes.Buffer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	machine := readKV(filepath.Join(rp.dir, "machine.txt"))
	startup := readFile(filepath.Join(rp.dir, "startup.json"))

	p("# Benchmark: govi against Stan (rstanarm, rstan) and PyTorch\n\n")
	p("<!-- Generated by `go run ./bench/report` from the raw results of `bench/run_all.sh`; do not edit by hand. -->\n\n")
	p("Every number below comes from one run of `bench/run_all.sh` (started %s, %s s of wall time; settings: %s). ", machine["start"], strings.Fields(machine["end"] + " ? ? ?")[2], machine["settings"])
	p("Rerun it with `bench/run_all.sh` (about 90 minutes) or `bench/run_all.sh --quick` (1 seed, 6 posteriors and the N = 10⁴ regressions: about 6 minutes on this machine, compiling 4 Stan programs included). ")
	p("The raw results (one JSON line per fit, and `runs.csv` with the scores) stay in the results folder; they are not committed.\n\n")
	p("**Machine.** %s cores, shared with two other engineers' work during the run (load average %s at the start, %s at the end), so absolute times are noisy; ", machine["nproc"], machine["load_start"], machine["load_end"])
	var st struct {
		Load               float64 `json:"r_load_s"`
		R, Rstanarm, Rstan string
		Loo                string
	}
	json.Unmarshal([]byte(startup), &st)
	p("the systems alternate within each seed so that drift hits them alike, and the tables give medians. %s; %s, rstanarm %s, rstan %s, loo %s (Debian packages); starting R and loading them took %s s, counted in no run.\n\n",
		strings.TrimPrefix(machine["go"], "go version "), st.R, st.Rstanarm, st.Rstan, st.Loo, secs(st.Load))

	// Summary.
	p("## Summary: the three targets\n\n")
	ts := rp.accuracyTargets()
	var pass, strict, scored, noStan int
	var misses []target1
	for _, t := range ts {
		if t.noScore {
			continue
		}
		scored++
		if t.noStan {
			noStan++
		}
		if t.pass {
			pass++
		} else {
			misses = append(misses, t)
		}
		if t.strict {
			strict++
		}
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "missed"
	}
	p("1. **govi at least as accurate as every Stan VI run on every posterior: %s**: met on %d of %d problems with a reference, missed on %d ", verdict(len(misses) == 0 && scored > 0), pass, scored, len(misses))
	p("(met on %d strictly, without the Monte Carlo tolerance of %.2f in z and %.2f in |log sd ratio|; %d with no Stan VI run that finished). ", strict, tolZ, tolSD, noStan)
	p("The test: govi's default fit, at its worst seed, against the best Stan VI run (meanfield or fullrank, any seed, errored runs excluded) separately for the largest z and for the largest |log sd ratio| over the parameters.")
	if n := len(ts) - scored; n > 0 {
		p(" %d problem(s) could not be scored (no reference or no govi fit).", n)
	}
	p("\n")
	for _, t := range misses {
		p("   - missed on %s: govi's worst seed has max z %s and max |log r| %s, the best Stan runs %s (%s) and %s (%s)", t.problem, f(t.goviZ, 3), f(t.goviSD, 3), f(t.stanZ, 3), t.stanZSys, f(t.stanSD, 3), t.stanSDSys)
		if c := rp.cells[t.problem][t.stanSDSys]; c != nil {
			p("; %s's medians over its %d runs: max z %s, sd ratios %s–%s", t.stanSDSys, c.scored, f(c.maxZ, 3), f(c.minR, 2), f(c.maxR, 2))
		}
		if g := rp.cells[t.problem]["govi-default"]; g != nil {
			p("; govi: sd ratios %s–%s, verdict %s", f(g.minR, 2), f(g.maxR, 2), counts(g.verdicts))
		}
		p(".\n")
	}
	// Target 2.
	type speed struct {
		name           string
		govi, mf, fr   float64
		rmf, rfr       float64
		goviFit, mfFit float64
	}
	var sp []speed
	ok2 := true
	for _, name := range rp.order {
		if rp.probs[name].Source != "synthetic" {
			continue
		}
		cs := rp.cells[name]
		s := speed{name: name, govi: math.NaN(), mf: math.NaN(), fr: math.NaN(), goviFit: math.NaN(), mfFit: math.NaN()}
		if c := cs["govi-default"]; c != nil {
			s.govi, s.goviFit = c.e2e, c.fit
		}
		if c := cs["rstanarm-meanfield"]; c != nil {
			s.mf, s.mfFit = c.e2e, c.fit
		}
		if c := cs["rstanarm-fullrank"]; c != nil {
			s.fr = c.e2e
		}
		s.rmf, s.rfr = s.mf/s.govi, s.fr/s.govi
		if !(s.rmf >= 10 && s.rfr >= 10) {
			ok2 = false
		}
		sp = append(sp, s)
	}
	p("2. **≥ 10× faster than Stan's ADVI end to end on the generated logistic regressions: %s** (median end-to-end seconds; ADVI is rstanarm's `stan_glm` meanfield and fullrank; R's start-up and `library(rstanarm)` are not counted, which favours Stan):\n\n", verdict(ok2 && len(sp) > 0))
	p("   | regression | govi | ADVI meanfield | ratio | ADVI fullrank | ratio | govi fit alone | ADVI meanfield fit alone |\n   |---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range sp {
		p("   | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.name, secs(s.govi), secs(s.mf), ratio(s.rmf), secs(s.fr), ratio(s.rfr), secs(s.goviFit), secs(s.mfFit))
	}
	p("\n")
	// Target 3.
	var gRuns, gErr, gNon, gDefRuns, gDefErr, gDefNon int
	var gErrs []string
	for _, r := range rp.runs {
		if !isGovi(r.System) || r.Skipped != "" {
			continue
		}
		gRuns++
		def := r.System == "govi-default"
		if def {
			gDefRuns++
		}
		if r.failed() {
			gErr++
			gErrs = append(gErrs, fmt.Sprintf("%s %s seed %d: %s", r.Problem, r.System, r.Seed, r.Error))
			if def {
				gDefErr++
			}
		} else if r.Nonconverged {
			gNon++
			gErrs = append(gErrs, fmt.Sprintf("%s %s seed %d: not converged", r.Problem, r.System, r.Seed))
			if def {
				gDefNon++
			}
		}
	}
	p("3. **0 govi failures: %s**: %d errors and %d non-converged fits in %d govi runs (default: %d and %d in %d).\n", verdict(gErr+gNon == 0), gErr, gNon, gRuns, gDefErr, gDefNon, gDefRuns)
	for _, e := range gErrs {
		p("   - %s\n", e)
	}
	var skipped int
	skipWhy := map[string]int{}
	for _, r := range rp.runs {
		if r.Skipped != "" {
			skipped++
			skipWhy[r.Skipped]++
		}
	}
	if skipped > 0 {
		p("\n%d planned fits were not run: %s.\n", skipped, counts(skipWhy))
	}
	p("\n![accuracy against time](%s)\n\n", rp.svgName)
	p("*The plot: one point per system and problem, the median end-to-end time (log scale) against the median over seeds of the largest z over the parameters (log scale); lower left is better.*\n\n")

	// Methods.
	p("## How it was run\n\n")
	p("- **Problems.** The 14 posteriors of `shared/posteriordb`, the 5 of `shared/posteriordb-extra` and radon's non-centered program, as `internal/posteriordb` maps them (the same data transforms and priors as each `model.md`; `bench/govibench` checks its parameter names against that package), ")
	p("and logistic regressions generated by `tools/synth` (seed 1: X ~ N(0, 1) with 20 correlated columns, priors Intercept ~ normal(0, 5), b ~ normal(0, 2.5)).\n")
	p("- **Stan.** rstanarm's `stan_glm` with the same formula and priors (`autoscale = FALSE`; `NULL` for a flat prior) where rstanarm can express the model: `algorithm = \"meanfield\"` and `\"fullrank\"` at rstanarm's defaults (tol_rel_obj 1e-4, importance resampling on, 1000 draws) and `\"sampling\"` (4 chains of 2000 iterations on 2 cores; on the regressions with N·d > 10⁶, 2 chains of 300 warm-up and 300 draws, so that the reference fits in the time budget). ")
	p("Otherwise rstan's `vb` at its defaults with `importance_resampling = TRUE` (and `sampling`, 4 chains) on a Stan program written from `model.md` in `bench/stan/`; compile time is reported apart below and is in no run's time. ")
	p("k-hat is the PSIS k-hat of log p − log q that rstan computes with `loo::psis` (`stanfit@sim$diagnostics$psis$pareto_k`, rstanarm's `fit$stanfit`). ")
	p("A run is non-converged if Stan printed that the algorithm may not have converged or hit its iteration limit (VI), or had divergences or R-hat > 1.01 (sampling).\n")
	p("- **govi.** The `govi fit` command (built once, `go build ./cmd/govi`) with the same formula and priors, at its defaults (`govi-default`: `--approx auto`, the quadrature mixture for models with group-level terms, full-rank otherwise; `--parameterization auto`) and with `--approx meanfield` and `--approx fullrank` (with the program's parameterization), on the same seeds. ")
	p("k-hat and the verdict are from its summary.json; an exit code other than 0 is an error, `converged: false` is non-converged.\n")
	p("- **Times.** *Fit alone*: the `stan_glm`/`vb`/`sampling` call (which includes Stan's drawing and PSIS), govi's `fit` phase. *End to end*: for govi the whole `govi fit` process (read the CSV, fit, draw, diagnose, write summary.json and draws.csv); for Stan, in an R process that has already loaded rstanarm, reading the CSV (`data.table::fread`; rstan: the data.json), the call, and `as.matrix` of the draws. ")
	p("R's own start-up with the packages loaded is in startup.json (`r_load_s`) and is not counted.\n")
	p("- **Accuracy.** Per reference parameter (constrained scale, the reference's names, sums like theta[j] = mu + r_j computed per draw), z = |mean − ref mean| / ref sd and r = sd / ref sd; each run gives its largest and median z and its smallest and largest r, and the tables show the medians over seeds. ")
	p("References: posteriordb's NUTS draws (shared/), and for the generated regressions the pooled draws of this run's rstanarm sampling.\n\n")

	// Per problem.
	p("## Per problem\n\n")
	p("Medians over seeds. *× govi*: the system's median end-to-end time over govi-default's. *fail*: errors / non-converged / not run, of the runs. Verdict: govi's, with how many seeds gave it. ")
	p("An errored run counts in the end-to-end median (it stops early) but has no fit time and no accuracy, so the fit-alone median can exceed the end-to-end one. On the generated regressions the sampling run is the reference and has no accuracy of its own.\n\n")
	for _, name := range rp.order {
		pr := rp.probs[name]
		cs := rp.cells[name]
		p("### %s\n\n", name)
		p("%d rows, %d reference parameters. govi: `%s` (%s", pr.Rows, len(pr.Params), pr.Govi.Formula, pr.Govi.Family)
		if len(pr.Govi.Priors) > 0 {
			p("; %s", strings.Join(pr.Govi.Priors, "; "))
		}
		if len(pr.Govi.Flags) > 0 {
			p("; %s", strings.Join(pr.Govi.Flags, " "))
		}
		p("). ")
		if pr.Stan.Kind == "rstan" {
			p("Stan: rstan on `bench/stan/%s` (%s). ", filepath.Base(pr.Stan.Program), pr.Stan.Why)
		} else {
			var as []string
			for _, k := range []string{"prior", "prior_intercept", "prior_aux"} {
				if v, ok := pr.Stan.Args[k]; ok {
					as = append(as, k+" = "+v)
				}
			}
			p("Stan: `stan_glm(%s, family = %s, %s)`. ", pr.Stan.Formula, pr.Stan.Family, strings.Join(as, ", "))
		}
		if pr.refFrom == "" {
			reference(pr, rp.runs)
		}
		p("Reference: %s.", pr.refFrom)
		if pr.Note != "" {
			p(" Note: %s.", pr.Note)
		}
		p("\n\n")
		if cs == nil {
			p("No runs.\n\n")
			continue
		}
		g := cs["govi-default"]
		ge2e := math.NaN()
		if g != nil {
			ge2e = g.e2e
		}
		p("| system | runs | fit alone s | end to end s | × govi | max z | median z | min r | max r | k-hat | govi verdict | fail |\n")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
		for _, s := range systems {
			c := cs[s]
			if c == nil {
				continue
			}
			label := s
			if s == "govi-default" && len(c.approx) > 0 {
				label = fmt.Sprintf("govi-default (%s)", counts(c.approx))
			}
			extra := ""
			if isSampling(s) && !math.IsNaN(c.divergences) {
				extra = fmt.Sprintf(" (div %s, R-hat %s)", f(c.divergences, 0), f(c.rhat, 3))
			}
			acc := fmt.Sprintf("%s | %s | %s | %s", f(c.maxZ, 2), f(c.medZ, 2), f(c.minR, 2), f(c.maxR, 2))
			if isSampling(s) && pr.Ref == nil {
				acc = "reference | | |"
			}
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %d/%d/%d%s |\n", label, c.runs, secs(c.fit), secs(c.e2e), ratio(c.e2e/ge2e),
				acc, f(c.khat, 2), counts(c.verdicts), c.errors, c.nonconv, c.skipped, extra)
		}
		var errs []string
		for _, s := range systems {
			if c := cs[s]; c != nil {
				seen := map[string]bool{}
				for _, e := range c.errs {
					e = firstLine(e)
					if !seen[e] {
						seen[e] = true
						errs = append(errs, fmt.Sprintf("%s: %s", s, e))
					}
				}
			}
		}
		if len(errs) > 0 {
			p("\nErrors: %s.\n", strings.Join(errs, "; "))
		}
		p("\n")
	}

	// Compile times.
	if len(rp.compiles) > 0 {
		p("## rstan compile times (not in any run's time)\n\n| program | seconds | from cache |\n|---|---:|---|\n")
		for _, c := range rp.compiles {
			p("| %s | %s | %v |\n", c.Program, secs(float64(c.Seconds)), c.Cached)
		}
		p("\n")
	}

	// The neural network.
	p("## Neural network: govi against PyTorch Bayes by Backprop (bench/bnn.sh)\n\n")
	if b, err := os.ReadFile(filepath.Join(rp.dir, "bnn.txt")); err == nil {
		p("The 64-100-100-10 ReLU network (17,610 weights) on shared/data/digits.csv, batches of 128: training throughput at 1 and 2 cores/threads, held-out accuracy and test log-likelihood, as `bench/bnn.sh` prints them:\n\n```\n")
		for _, l := range strings.Split(string(b), "\n") {
			if t := strings.TrimSpace(l); bnnLine.MatchString(t) && !strings.HasPrefix(t, "==") {
				p("%s\n", strings.TrimRight(l, " "))
			}
		}
		p("```\n\n")
	} else {
		p("Not run (bench/run_all.sh --no-bnn, or it did not finish).\n\n")
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// readKV reads machine.txt: "key rest of line".
func readKV(path string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(readFile(path), "\n") {
		k, v, _ := strings.Cut(l, " ")
		if k != "" {
			m[k] = v
		}
	}
	return m
}

// plot writes accuracy (median max z) against median end-to-end time.
func (rp *report) plot(path string) error {
	pl := plot.New()
	pl.Title.Text = "Accuracy against time: one point per system and problem"
	pl.X.Label.Text = "median end-to-end wall time, s (log)"
	pl.Y.Label.Text = "median over seeds of max z = |mean − ref| / ref sd (log)"
	pl.X.Scale, pl.Y.Scale = plot.LogScale{}, plot.LogScale{}
	pl.X.Tick.Marker, pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	pl.Legend.Top = true
	pl.Legend.Left = false
	styles := map[string]struct {
		shape draw.GlyphDrawer
		color [3]uint8
	}{
		"govi-default":       {draw.CircleGlyph{}, [3]uint8{0, 114, 178}},
		"govi-meanfield":     {draw.TriangleGlyph{}, [3]uint8{86, 180, 233}},
		"govi-fullrank":      {draw.SquareGlyph{}, [3]uint8{0, 158, 115}},
		"rstanarm-meanfield": {draw.CrossGlyph{}, [3]uint8{213, 94, 0}},
		"rstanarm-fullrank":  {draw.PlusGlyph{}, [3]uint8{230, 159, 0}},
		"rstanarm-sampling":  {draw.RingGlyph{}, [3]uint8{100, 100, 100}},
		"rstan-meanfield":    {draw.CrossGlyph{}, [3]uint8{204, 121, 167}},
		"rstan-fullrank":     {draw.PlusGlyph{}, [3]uint8{170, 50, 120}},
		"rstan-sampling":     {draw.RingGlyph{}, [3]uint8{40, 40, 40}},
	}
	const floor = 1e-3 // a z below it is drawn at it (log axis)
	top := floor
	for _, s := range systems {
		var xy plotter.XYs
		for _, name := range rp.order {
			c := rp.cells[name][s]
			if c == nil || c.scored == 0 || math.IsNaN(c.e2e) || math.IsNaN(c.maxZ) || c.e2e <= 0 {
				continue
			}
			xy = append(xy, plotter.XY{X: c.e2e, Y: math.Max(c.maxZ, floor)})
			top = math.Max(top, math.Min(c.maxZ, 1e6))
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		st := styles[s]
		sc.GlyphStyle.Shape = st.shape
		sc.GlyphStyle.Radius = vg.Points(3)
		sc.GlyphStyle.Color = rgb(st.color)
		pl.Add(sc)
		pl.Legend.Add(s, sc)
	}
	pl.Add(plotter.NewGrid())
	// Headroom above the points for the legend (top right).
	pl.Y.Max = top * 100
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return pl.Save(9*vg.Inch, 6*vg.Inch, path)
}

func rgb(c [3]uint8) color.RGBA { return color.RGBA{R: c[0], G: c[1], B: c[2], A: 255} }
