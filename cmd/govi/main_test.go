package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/govi-dev/govi/examples"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/report"
)

// goviBin is the govi binary built once for the tests that need a real
// process (exit codes, signals).
var goviBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "govi-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goviBin = filepath.Join(dir, "govi")
	build := exec.Command("go", "build", "-o", goviBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building govi: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is the outcome of one govi invocation.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runBinary runs the govi binary.
func runBinary(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(goviBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running govi %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{code, stdout.String(), stderr.String()}
}

// goviRun calls run in this process, as main would.
func goviRun(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(args, &stdout, &stderr)
	if err != nil {
		fmt.Fprintf(&stderr, "govi: %s\n", err)
	}
	return result{exitCode(err), stdout.String(), stderr.String()}
}

// mustRun calls run and fails the test unless it succeeds.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := goviRun(t, args...)
	if r.code != 0 {
		t.Fatalf("govi %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// writeData writes a CSV file of columns ([]float64 or []string) to dir.
func writeData(t *testing.T, dir, name string, header []string, cols ...any) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, synth.CSV(header, cols...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeText writes a file.
func writeText(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readSummary(t *testing.T, dir string) *report.Summary {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := report.ReadSummaryJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func param(t *testing.T, s *report.Summary, name string) report.Param {
	t.Helper()
	for _, p := range s.Parameters {
		if p.Name == name {
			return p
		}
	}
	var names []string
	for _, p := range s.Parameters {
		names = append(names, p.Name)
	}
	t.Fatalf("no parameter %q in the summary (have %s)", name, strings.Join(names, ", "))
	return report.Param{}
}

// recovers checks that the posterior of each parameter covers its true
// value within z posterior sds.
func recovers(t *testing.T, s *report.Summary, truth map[string]float64, z float64) {
	t.Helper()
	for name, v := range truth {
		p := param(t, s, name)
		if d := math.Abs(p.Mean-v) / p.SD; !(d <= z) {
			t.Errorf("%s: posterior mean %.4g (sd %.3g) is %.1f sds from the true %g", name, p.Mean, p.SD, d, v)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"help", "fit"}, {"fit", "--help"}, {"fit", "-h"},
		{"predict", "--help"}, {"examples", "--help"}, {"version", "--help"},
	} {
		r := runBinary(t, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "130") || !strings.Contains(r.stdout, "Example") {
			t.Errorf("govi %v: want usage with examples and exit codes on stdout and exit 0; got %v", args, r)
		}
	}
	// Every flag of fit and predict is documented in its help.
	for cmd, help := range map[string]string{"fit": fitHelp, "predict": predictHelp} {
		src, err := os.ReadFile(cmd + ".go")
		if err != nil {
			t.Fatal(err)
		}
		flags := regexp.MustCompile(`fs\.\w*Var\([^,]+, "([a-z-]+)"`).FindAllStringSubmatch(string(src), -1)
		if len(flags) < 7 {
			t.Errorf("found only %d flags in %s.go", len(flags), cmd)
		}
		for _, m := range flags {
			if !strings.Contains(help, "--"+m[1]+" ") {
				t.Errorf("govi %s --help does not document --%s", cmd, m[1])
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"fitt"}, `did you mean "fit"`},
		{[]string{"--formula", "y ~ x"}, "command must come first"},
		{[]string{"fit", "--example", "wells", "--optimzer", "adam"}, "did you mean --optimizer"},
		{[]string{"fit", "--example", "wells", "--draws"}, "needs a value"},
		{[]string{"fit", "--example", "wells", "--draws", "many"}, "invalid value"},
		{[]string{"fit", "--example", "wells", "stray"}, `unexpected argument "stray"`},
		{[]string{"fit", "--example", "wels"}, `did you mean "wells"`},
		{[]string{"fit", "--data", "x.csv"}, "missing --formula, --family"},
		{[]string{"fit", "--example", "wells", "--approx", "fulrank"}, `did you mean "fullrank"`},
		{[]string{"fit", "--example", "wells", "--optimizer", "lbfgs", "--estimator", "mc"}, "lbfgs needs a deterministic ELBO"},
		{[]string{"fit", "--example", "wells", "--fixed-draws"}, "only to --estimator mc"},
		{[]string{"fit", "--example", "wells", "--nu", "4"}, "nu fixes the degrees of freedom of the student family"},
		{[]string{"fit", "--example", "wells", "--data", "x.csv"}, "cannot be combined"},
		{[]string{"fit", "--example", "wells", "--draws", "5"}, "--draws must be at least 10"},
		{[]string{"fit", "--example", "wells", "--rate", "0.1"}, "--rate applies only"},
		{[]string{"fit", "--spec", "s.json", "--data", "x.csv", "--formula", "y ~ x"}, "cannot be combined with --spec"},
		{[]string{"predict", "--data", "x.csv"}, "missing --fit"},
		{[]string{"version", "x"}, "no arguments"},
		{[]string{"examples", "x"}, "no arguments"},
	} {
		r := runBinary(t, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("govi %v: want exit 2 and %q on stderr; got %v", c.args, c.want, r)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runBinary(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "govi ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("govi version: %v", r)
	}
}

func TestExamplesCommand(t *testing.T) {
	r := runBinary(t, "examples")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, e := range examples.All() {
		line := ""
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, e.Name+" ") {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, e.Formula) || !strings.Contains(line, fmt.Sprint(e.Rows())) || !strings.Contains(line, e.Family) {
			t.Errorf("govi examples: no line with name, rows, family and formula of %s:\n%s", e.Name, r.stdout)
		}
	}
	if got := examples.All()[0].Rows(); got != 3020 {
		t.Errorf("wells has %d rows, want 3020", got)
	}
}

// The README's first command runs in a couple of seconds and prints a real
// result.
func TestFitExampleWells(t *testing.T) {
	r := runBinary(t, "fit", "--example", "wells")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{"bernoulli [logit]", "switch ~ dist100 + arsenic", "Intercept ~ normal(0, 2.5)",
		"dist100", "arsenic", "ELBO:", "Stop: converged", "Pareto k-hat"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// Gelman & Hill (2007), section 5.4: switch ~ dist100 + arsenic gives
	// 0.00 (0.08), -0.90 (0.10), 0.46 (0.04).
	if !regexp.MustCompile(`dist100\s+-0\.89\d\s+0\.10\d`).MatchString(r.stdout) ||
		!regexp.MustCompile(`arsenic\s+0\.46\d\s+0\.041`).MatchString(r.stdout) {
		t.Errorf("wells estimates differ from Gelman & Hill's:\n%s", r.stdout)
	}
}

// Every example fits with its defaults.
func TestFitExamples(t *testing.T) {
	for _, e := range examples.All() {
		if e.Name == "wells" {
			continue // TestFitExampleWells
		}
		t.Run(e.Name, func(t *testing.T) {
			out := t.TempDir()
			r := mustRun(t, "fit", "--example", e.Name, "--quiet", "--draws", "1000", "--out", out)
			s := readSummary(t, out)
			if !s.Converged || s.Formula != e.Formula || s.Family != e.Family {
				t.Errorf("summary: converged %v, formula %q, family %q; stdout:\n%s", s.Converged, s.Formula, s.Family, r.stdout)
			}
		})
	}
}
