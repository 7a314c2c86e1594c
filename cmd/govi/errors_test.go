package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/spec"
)

// badInput runs govi with args and checks that it fails with the exit code
// and the messages, writes nothing on stdout and leaves no out.
func badInput(t *testing.T, args []string, out string, code int, want []string) {
	t.Helper()
	r := runBinary(t, args...)
	if r.code != code {
		t.Errorf("exit %d, want %d: %v", r.code, code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q: %v", w, r)
		}
	}
	if r.stdout != "" {
		t.Errorf("output on stdout after an error: %q", r.stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after an error", out)
	}
}

// Every bad input gets its message and exit code, and leaves no output
// files.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := writeText(t, dir, "good.csv", "y,x,z,k,g\n1,0.5,2,3,a\n0,1.5,1,0,b\n1,-0.3,4,5,a\n0,2.2,3,1,b\n1,0.1,0.5,2,a\n")
	nonNum := writeText(t, dir, "nonnum.csv", "y,x\n1,0.5\n0,1.5\n1,12a\n0,2.2\n1,0.3\n")
	missing := writeText(t, dir, "missing.csv", "y,x,z\n1,0.5,1\n0,,2\n1,NA,3\n0,2.2,NaN\n1,0.3,5\n0,1,2\n")
	inf := writeText(t, dir, "inf.csv", "y,x\n1,0.5\n0,Inf\n1,0.3\n")
	notBinary := writeText(t, dir, "notbin.csv", "y,x\n1,0.5\n2,1.5\n0,0.3\n")
	negCount := writeText(t, dir, "neg.csv", "y,x\n1,0.5\n-2,1.5\n0,0.3\n3,1\n")
	fracCount := writeText(t, dir, "frac.csv", "y,x\n1,0.5\n2.5,1.5\n0,0.3\n")
	empty := writeText(t, dir, "empty.csv", "")
	ragged := writeText(t, dir, "ragged.csv", "y,x\n1,0.5\n0,1.5,7\n")
	fit := func(data, f, fam string, extra ...string) []string {
		return append([]string{"fit", "--data", data, "--formula", f, "--family", fam}, extra...)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing file", fit(filepath.Join(dir, "nope.csv"), "y ~ x", "gaussian"), exitData, []string{"nope.csv", "no such file"}},
		{"misspelt column", fit(good, "y ~ xx + z", "gaussian"), exitData, []string{`no column "xx"`, `did you mean "x"`}},
		{"non-numeric cell", fit(nonNum, "y ~ x", "bernoulli"), exitData, []string{"nonnum.csv:4:2", `"12a" is not a number`}},
		{"missing values", fit(missing, "y ~ x + z", "bernoulli"), exitData, []string{"3 missing values", "row 3", `column "x"`, "--drop-missing"}},
		{"infinite cell", fit(inf, "y ~ x", "bernoulli"), exitData, []string{"inf.csv:3:2", "Inf"}},
		{"empty file", fit(empty, "y ~ x", "bernoulli"), exitData, []string{"empty"}},
		{"ragged row", fit(ragged, "y ~ x", "bernoulli"), exitData, []string{"ragged.csv:3", "3 fields, want 2"}},
		{"bernoulli y not 0/1", fit(notBinary, "y ~ x", "bernoulli"), exitData, []string{"notbin.csv", "0 or 1", "row 3 (y = 2)"}},
		{"negative counts", fit(negCount, "y ~ x", "poisson"), exitData, []string{"neg.csv", "non-negative whole counts", "row 3 (y = -2)"}},
		{"fractional counts", fit(fracCount, "y ~ x", "negbinomial"), exitData, []string{"frac.csv", "row 3 (y = 2.5)"}},
		{"log of zero", fit(good, "y ~ log(k)", "bernoulli"), exitData, []string{"log(k)", "-Inf", "row 3"}},
		{"text in arithmetic", fit(good, "y ~ log(g)", "bernoulli"), exitData, []string{`column "g" is categorical`}},
		{"unknown family", fit(good, "y ~ x", "binomal"), exitUsage, []string{`unknown family "binomal"`, `did you mean "binomial"`}},
		{"unknown link", fit(good, "y ~ x", "poisson", "--link", "identity"), exitUsage, []string{`no link "identity"`}},
		{"unknown prior", fit(good, "y ~ x", "gaussian", "--prior", "b ~ norml(0, 1)"), exitUsage, []string{`unknown prior "norml"`, `did you mean "normal"`}},
		{"unknown prior class", fit(good, "y ~ x", "gaussian", "--prior", "beta ~ normal(0, 1)"), exitUsage, []string{`unknown prior class "beta"`}},
		{"prior syntax", fit(good, "y ~ x", "gaussian", "--prior", "b normal(0, 1)"), exitUsage, []string{"class ~ distribution"}},
		{"negative scale", fit(good, "y ~ x", "gaussian", "--prior", "b ~ normal(0, -1)"), exitUsage, []string{"normal(0, -1)", "positive"}},
		{"wrong arity", fit(good, "y ~ x", "gaussian", "--prior", "b ~ student_t(0, 1)"), exitUsage, []string{"student_t(nu, mu, sigma)"}},
		{"prior on a missing coefficient", fit(good, "y ~ x", "gaussian", "--prior", "b[xx] ~ normal(0, 1)"), exitUsage, []string{`no coefficient "xx"`, `did you mean "x"`}},
		{"real prior on sigma", fit(good, "y ~ x", "gaussian", "--prior", "sigma ~ normal(0, 1)"), exitUsage, []string{"sigma is a positive parameter"}},
		{"positive prior on b", fit(good, "y ~ x", "gaussian", "--prior", "b ~ exponential(1)"), exitUsage, []string{"whole real line"}},
		{"sigma prior for poisson", fit(good, "y ~ x", "poisson", "--prior", "sigma ~ exponential(1)"), exitUsage, []string{"no parameter sigma"}},
		{"formula syntax", fit(good, "y ~ x +* z", "gaussian"), exitUsage, []string{"formula:", "y ~ x +* z", "^"}},
		{"formula without ~", fit(good, "y x", "gaussian"), exitUsage, []string{"formula:"}},
		{"se for poisson", fit(good, "k | se(z) ~ x", "poisson"), exitUsage, []string{"se()", "gaussian"}},
		{"categorical not in formula", fit(good, "y ~ x", "gaussian", "--categorical", "k"), exitUsage, []string{"--categorical k"}},
		{"out is a file", fit(good, "y ~ x", "gaussian", "--out", good), exitFailure, []string{"not a directory"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := c.args
			if !strings.Contains(strings.Join(args, " "), "--out") {
				args = append(args, "--out", out)
			}
			badInput(t, args, out, c.code, c.want)
		})
	}
	// No stray files next to the data either.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 9 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files in the data directory: %v", names)
	}
}

func TestDropMissing(t *testing.T) {
	dir := t.TempDir()
	path := writeText(t, dir, "m.csv", "y,x,z,unused\n1,0.5,1,\n0,,2,1\n1,NA,3,2\n0,2.2,NaN,3\n1,0.3,5,\n0,1,2,5\n1,0.2,1,6\n0,1.7,0.4,7\n")
	out := filepath.Join(dir, "out")
	r := mustRun(t, "fit", "--data", path, "--formula", "y ~ x + z", "--family", "bernoulli", "--drop-missing", "--quiet", "--out", out)
	if !strings.Contains(r.stdout, "dropped 3 of 8 rows") {
		t.Errorf("no word about the dropped rows:\n%s", r.stdout)
	}
	s := readSummary(t, out)
	found := false
	for _, w := range s.Warnings {
		found = found || strings.Contains(w, "dropped 3 of 8 rows")
	}
	if !found {
		t.Errorf("summary.json warnings: %q", s.Warnings)
	}
	// The unused column's missing cells do not matter, with or without
	// --drop-missing.
	clean := writeText(t, dir, "c.csv", "y,x,unused\n1,0.5,\n0,1.1,NA\n1,0.3,1\n0,2,\n")
	mustRun(t, "fit", "--data", clean, "--formula", "y ~ x", "--family", "bernoulli", "--quiet")
}

// Constant and duplicate predictors are warnings, not errors: with the
// default (proper) priors the posterior is still proper. With flat priors
// the warning says the posterior is improper.
func TestUnidentifiedColumns(t *testing.T) {
	dir := t.TempDir()
	rng := newRNG(14)
	n := 100
	x := normals(rng, n, 0, 1)
	c := make([]float64, n)
	y := make([]float64, n)
	for i := range y {
		c[i] = 2
		y[i] = 1 + x[i] + 0.5*rng.NormFloat64()
	}
	path := writeData(t, dir, "u.csv", []string{"y", "x", "x_copy", "c"}, y, x, x, c)
	r := mustRun(t, "fit", "--data", path, "--formula", "y ~ x + x_copy + c", "--family", "gaussian", "--quiet")
	for _, want := range []string{`Warning: column "c" is constant`, `Warning: columns "x" and "x_copy" are identical`, "not identified", "proper prior"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	r = goviRun(t, "fit", "--data", path, "--formula", "y ~ x + x_copy", "--family", "gaussian", "--quiet",
		"--prior", "b ~ flat", "--prior", "Intercept ~ flat", "--max-iter", "300")
	if r.code != exitData || !strings.Contains(r.stderr, "x and x_copy") || !strings.Contains(r.stderr, "improper") {
		t.Errorf("flat priors on identical columns: %v", r)
	}
}

// Exit codes come from the type of the library's error, however wrapped.
func TestExitCodeClassification(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	for _, c := range []struct {
		err  error
		code int
	}{
		{nil, exitOK},
		{&formula.SyntaxError{Formula: "y ~", Msg: "missing predictors"}, exitUsage},
		{&spec.Error{Msg: "unknown family"}, exitUsage},
		{&spec.PriorError{Prior: "b ~ x", Msg: "bad"}, exitUsage},
		{&data.Error{File: "d.csv", Line: 3, Field: 2, Column: "x", Msg: "not a number"}, exitData},
		{&formula.EvalError{Formula: "y ~ log(x)", Pos: 4, Msg: "log(x) is -Inf"}, exitData},
		{&spec.DataError{File: "d.csv", Msg: "y outside the support"}, exitData},
		{&ExitError{Code: exitInterrupted, Err: errors.New("interrupted")}, exitInterrupted},
		{errors.New("disk full"), exitFailure},
	} {
		for _, err := range []error{c.err, wrap(c.err)} {
			if c.err == nil {
				err = nil
			}
			if got := exitCode(err); got != c.code {
				t.Errorf("exitCode(%v) = %d, want %d", err, got, c.code)
			}
		}
	}
	// The library's errors are those types.
	fr, _ := data.ReadCSV(strings.NewReader("y,x\n1,0\n2,1\n"), "d.csv", data.Options{})
	for _, c := range []struct {
		m    spec.Model
		code int
	}{
		{spec.Model{Formula: "y ~ x +", Family: "poisson"}, exitUsage},
		{spec.Model{Formula: "y ~ x", Family: "poison"}, exitUsage},
		{spec.Model{Formula: "y ~ x", Family: "poisson", Priors: []spec.Prior{{Class: "sigma", Prior: "exponential(1)"}}}, exitUsage},
		{spec.Model{Formula: "y ~ log(x)", Family: "poisson"}, exitData},
		{spec.Model{Formula: "y ~ z", Family: "poisson"}, exitData},
		{spec.Model{Formula: "y ~ x", Family: "bernoulli"}, exitData},
	} {
		_, err := c.m.Build(fr)
		if got := exitCode(err); got != c.code {
			t.Errorf("%+v: %v: exit code %d, want %d", c.m, err, got, c.code)
		}
	}
	// No error is classified by its text.
	for _, f := range []string{"main.go", "fit.go", "predict.go", "data.go", "output.go", "flags.go", "examples.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(HasPrefix|HasSuffix|Contains|CutPrefix|Index)\([^)]*(err|msg)\b|Error\(\)\s*[!=]=`).Match(src) {
			t.Errorf("%s looks at an error's text", f)
		}
	}
}

// A column called Intercept next to the intercept is a usage error.
func TestInterceptColumn(t *testing.T) {
	path := writeText(t, t.TempDir(), "i.csv", "y,Intercept\n1,0.5\n0,1.5\n1,0.2\n0,2\n")
	r := runBinary(t, "fit", "--data", path, "--formula", "y ~ Intercept", "--family", "bernoulli")
	if r.code != exitUsage || !strings.Contains(r.stderr, `column called "Intercept"`) {
		t.Errorf("%v", r)
	}
}
