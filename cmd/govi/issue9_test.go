package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's first example: a verdict a statistician agrees with (the
// fit is within 0.05 sd of NUTS), KL(q‖p) printed and in summary.json.
func TestWellsVerdict(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r := mustRun(t, "fit", "--example", "wells", "--out", out, "--quiet")
	for _, want := range []string{"Diagnostics:\n Verdict: reliable (", " KL(q‖p): ", "Time: fit "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	s := readSummary(t, out)
	if d := s.Diagnostics; d == nil || d.Verdict != "reliable" || !(d.KL < 0.01) || !(d.KLSE > 0) || len(d.Halves) != 2 {
		t.Errorf("summary diagnostics %+v", s.Diagnostics)
	}
	// The centered eight schools, mean-field, is clearly off: never reliable.
	r = mustRun(t, "fit", "--example", "eight_schools", "--approx", "meanfield", "--parameterization", "centered", "--quiet")
	if !strings.Contains(r.stdout, "Verdict: unreliable") {
		t.Errorf("centered eight schools, mean-field:\n%s", r.stdout)
	}
}

// Bad input on every path: a clear error naming the file, row and column
// or the flag, a non-zero exit, and no output left behind.
func TestBadInputNoOutput(t *testing.T) {
	dir := t.TempDir()
	n := 40
	rng := newRNG(21)
	x := normals(rng, n, 0, 1)
	y := make([]float64, n)
	big := make([]float64, n)
	for i := range y {
		y[i] = x[i] + rng.NormFloat64()
		big[i] = 1e308
	}
	good := writeData(t, dir, "good.csv", []string{"y", "x"}, y, x)
	bigPath := writeData(t, dir, "big.csv", []string{"y", "x"}, y, big)
	semi := writeText(t, dir, "semi.csv", "y;x\n1;2\n2;3\n3;5\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"values near 1e308", []string{"fit", "--data", bigPath, "--formula", "y ~ x", "--family", "gaussian"}, exitData, []string{"big.csv", "row 2, column x"}},
		{"semicolons", []string{"fit", "--data", semi, "--formula", "y ~ x", "--family", "gaussian"}, exitData, []string{"semicolons"}},
		{"a billion draws", []string{"fit", "--data", good, "--formula", "y ~ x", "--family", "gaussian", "--draws", "1000000000"}, exitUsage, []string{"1000000000 draws", "limit"}},
		{"tiny prior", []string{"fit", "--data", good, "--formula", "y ~ x", "--family", "gaussian", "--prior", "b ~ normal(0, 1e-300)"}, exitUsage, []string{"1e-300", "outside the range"}},
		{"response on the right", []string{"fit", "--data", good, "--formula", "y ~ x + y", "--family", "gaussian"}, exitUsage, []string{"also appears on the right"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "_"))
			r := goviRun(t, append(tc.args, "--out", out, "--quiet")...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d: %v", r.code, tc.code, r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
			for _, line := range strings.Split(r.stderr, "\n") {
				if len(line) > 300 {
					t.Errorf("a message line of %d bytes: %s", len(line), r.stderr)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created", out)
			}
		})
	}

	// OUT/draws.csv in the way: the fit does not start, nothing is written.
	out := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(out, "draws.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := goviRun(t, "fit", "--data", good, "--formula", "y ~ x", "--family", "gaussian", "--out", out)
	if r.code != exitFailure || !strings.Contains(r.stderr, "draws.csv exists and is not a regular file") || strings.Contains(r.stderr, "iter") {
		t.Errorf("draws.csv a directory: %v", r)
	}
	if _, err := os.Stat(filepath.Join(out, "spec.json")); err == nil {
		t.Error("spec.json left behind")
	}

	// predict: an unwritable --out is named as given; ±1e308 predictors
	// give an error naming the row and column, and no rows.
	fit := filepath.Join(dir, "fit")
	mustRun(t, "fit", "--data", good, "--formula", "y ~ x", "--family", "gaussian", "--out", fit, "--quiet")
	r = goviRun(t, "predict", "--fit", fit, "--data", good, "--out", "/proc/x/p.csv")
	if r.code == 0 || !strings.Contains(r.stderr, "--out /proc/x/p.csv") {
		t.Errorf("predict --out /proc/x/p.csv: %v", r)
	}
	huge := writeText(t, dir, "huge.csv", fmt.Sprintf("x\n1\n%g\n-1e308\n", 1e308))
	r = goviRun(t, "predict", "--fit", fit, "--data", huge)
	if r.code != exitData || !strings.Contains(r.stderr, "row 3, column x") || r.stdout != "" {
		t.Errorf("predict with 1e308: %v", r)
	}
}

// --parameterization auto (the default with group terms) fits both and
// keeps the higher ELBO: the non-centered eight schools, whose centered
// fit is clearly worse; spec.json records the one kept, and the advice
// never sends the user to the other. The mixture (the default approx
// here) is the same under both and is fitted once.
func TestParameterizationAuto(t *testing.T) {
	mix := mustRun(t, "fit", "--example", "eight_schools", "--out", filepath.Join(t.TempDir(), "mix"), "--quiet")
	if strings.Contains(mix.stdout, "kept the") || !strings.Contains(mix.stdout, "quadrature mixture") {
		t.Errorf("the mixture fitted under both parameterizations:\n%s", mix.stdout)
	}
	out := filepath.Join(t.TempDir(), "out")
	r := mustRun(t, "fit", "--example", "eight_schools", "--approx", "fullrank", "--out", out, "--quiet")
	if !strings.Contains(r.stdout, "kept the non-centered ones") {
		t.Errorf("no note on the parameterization kept:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "centered parameterization") || strings.Contains(r.stdout, "--parameterization auto, which") {
		t.Errorf("the advice suggests a parameterization after auto:\n%s", r.stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "spec.json"))
	if err != nil || !strings.Contains(string(b), `"parameterization": "noncentered"`) {
		t.Errorf("spec.json: %v\n%s", err, b)
	}
}
