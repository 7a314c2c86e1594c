package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// groupData writes a data set with a categorical predictor, a numeric one
// and a grouping column.
func groupData(t *testing.T, dir string) string {
	t.Helper()
	rng := newRNG(11)
	n, J := 240, 8
	x := normals(rng, n, 0, 1)
	u := normals(rng, J, 0, 0.6)
	y := make([]float64, n)
	g, c := make([]string, n), make([]string, n)
	for i := range y {
		j := rng.IntN(J)
		g[i] = string(rune('A' + j))
		c[i] = []string{"lo", "mid", "hi"}[i%3]
		y[i] = 0.5 + 1.1*x[i] + map[string]float64{"lo": 0, "mid": 0.4, "hi": 0.9}[c[i]] + u[j] + 1.2*rng.NormFloat64()
	}
	return writeData(t, dir, "grp.csv", []string{"y", "x", "c", "g"}, y, x, c, g)
}

// fit --spec DIR/spec.json reproduces the fit exactly.
func TestSpecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := groupData(t, dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, "fit", "--data", path, "--formula", "y ~ x + c + (1 | g)", "--family", "gaussian",
		"--prior", "b[x] ~ normal(0, 2)", "--prior", "sd ~ half_normal(0, 1)", "--seed", "5", "--quiet", "--out", a)
	mustRun(t, "fit", "--spec", filepath.Join(a, "spec.json"), "--data", path, "--seed", "5", "--quiet", "--out", b)
	sa, sb := readSummary(t, a), readSummary(t, b)
	// draws.csv is identical too, up to the timing comment.
	da, db := readDraws(t, a), readDraws(t, b)
	if da != db {
		t.Errorf("draws.csv differs between the fit and its --spec refit")
	}
	if !slices.Equal(sa.Parameters, sb.Parameters) || sa.ELBO != sb.ELBO || sa.Iterations != sb.Iterations ||
		!slices.Equal(sa.Priors, sb.Priors) || sa.Diagnostics.Khat != sb.Diagnostics.Khat {
		t.Errorf("the --spec fit differs:\n%+v\n%+v", sa, sb)
	}
	// The saved spec has every prior explicit, the recipe and the centers.
	js, err := os.ReadFile(filepath.Join(a, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Parse(js)
	if err != nil {
		t.Fatal(err)
	}
	if m.Recipe == nil || len(m.Centers) == 0 || len(m.Priors) != 6 || m.Formula != "y ~ x + c + (1 | g)" {
		t.Errorf("spec.json: %s", js)
	}
	// A spec file that is not JSON is a usage error, a missing one a data
	// error.
	bad := writeText(t, dir, "bad.json", `{"formula": "y ~ x", "family": "gaussian", "colour": 1}`)
	if r := runBinary(t, "fit", "--spec", bad, "--data", path); r.code != exitUsage || !strings.Contains(r.stderr, "colour") {
		t.Errorf("bad spec: %v", r)
	}
	if r := runBinary(t, "fit", "--spec", filepath.Join(dir, "none.json"), "--data", path); r.code != exitData {
		t.Errorf("missing spec: %v", r)
	}
}

// draws.csv is a CmdStan CSV whose draws are the ones summarized.
func TestDrawsCSV(t *testing.T) {
	dir := t.TempDir()
	path := groupData(t, dir)
	out := filepath.Join(dir, "out")
	mustRun(t, "fit", "--data", path, "--formula", "y ~ x + c + (1 | g)", "--family", "gaussian", "--approx", "fullrank", "--draws", "2000", "--quiet", "--out", out)
	s := readSummary(t, out)
	f, err := os.Open(filepath.Join(out, "draws.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, rows, comments, err := report.ReadCmdStanCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	// brms's names, with the group effects r_g[level,coef] as CmdStan's
	// array r_g.level.coef (the 8 levels A..H of g, one coefficient).
	wantHeader := []string{"lp__", "log_p__", "log_g__", "b_Intercept", "b_x", "b_c_lo", "b_c_mid", "sigma", "sd_g__Intercept"}
	for l := 1; l <= 8; l++ {
		wantHeader = append(wantHeader, fmt.Sprintf("r_g.%d.1", l))
	}
	if !slices.Equal(names, wantHeader) {
		t.Errorf("header %v, want %v", names, wantHeader)
	}
	wantNames := []string{"b_Intercept", "b_x", "b_c[lo]", "b_c[mid]", "sigma", "sd_g__Intercept", "r_g[A,Intercept]"}
	for j, want := range wantNames {
		if s.Parameters[j].Name != want {
			t.Errorf("summary.json parameter %d is %s, want %s", j, s.Parameters[j].Name, want)
		}
	}
	if len(rows) != 2001 || s.Draws != 2000 {
		t.Fatalf("%d rows (summary says %d draws), want the mean row and 2000 draws", len(rows), s.Draws)
	}
	joined := strings.Join(comments, "\n")
	for _, want := range []string{"method = variational", "algorithm = fullrank", "output_samples = 2000", "formula = y ~ x + c + (1 | g)", "seed = 1", "khat = ",
		"#  Elapsed Time: ", " seconds (Sampling)", "# eta = 1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("comments lack %q", want)
		}
	}
	for j, p := range s.Parameters {
		col := 3 + j
		var sum float64
		for _, r := range rows[1:] {
			sum += r[col]
		}
		m := sum / 2000
		mcse := p.SD / math.Sqrt(2000)
		if math.Abs(m-p.Mean) > 1e-9*math.Max(1, math.Abs(m)) {
			t.Errorf("%s: mean of the draws %.6g, summary %.6g", p.Name, m, p.Mean)
		}
		// The first row is the mean of q pushed through the constraining
		// map, which differs from the draws' mean by Monte Carlo error and
		// the nonlinearity of exp for sigma and sd.
		if tol := 4*mcse + 0.02*p.SD; math.Abs(rows[0][col]-p.Mean) > tol && !strings.HasPrefix(p.Name, "s") {
			t.Errorf("%s: mean row %.6g, mean of the draws %.6g (MC error %.3g)", p.Name, rows[0][col], p.Mean, mcse)
		}
	}
	for _, r := range rows[1:] {
		if r[0] != 0 || math.IsNaN(r[1]) || math.IsNaN(r[2]) {
			t.Fatalf("draw row %v: want lp__ 0 and finite log_p__, log_g__", r[:3])
		}
	}
	// elbo.csv holds the trace.
	b, err := os.ReadFile(filepath.Join(out, "elbo.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "iteration,elbo" || len(lines) < 2 {
		t.Errorf("elbo.csv: %q", lines)
	}
}

func TestPredict(t *testing.T) {
	dir := t.TempDir()
	path := groupData(t, dir)
	out := filepath.Join(dir, "fit")
	mustRun(t, "fit", "--data", path, "--formula", "y ~ x + c + (1 | g)", "--family", "gaussian", "--quiet", "--out", out)
	s := readSummary(t, out)
	// New rows without the response, one with an unseen group level.
	newdata := writeText(t, dir, "new.csv", "x,c,g\n0,lo,A\n1.5,hi,C\n-1,mid,ZZ\n")
	pf := filepath.Join(dir, "pred.csv")
	r := runBinary(t, "predict", "--fit", out, "--data", newdata, "--out", pf)
	if r.code != 0 {
		t.Fatal(r)
	}
	if !strings.Contains(r.stderr, "Warning") || !strings.Contains(r.stderr, "ZZ") || !strings.Contains(r.stderr, "taken to be 0") {
		t.Errorf("no warning about the unseen level ZZ: %v", r)
	}
	rows := readPredictions(t, pf)
	if len(rows) != 3 {
		t.Fatalf("%d prediction rows, want 3", len(rows))
	}
	S := float64(s.Draws)
	for i, row := range rows {
		// row,linpred_mean,epred_mean,pred_mean,pred_sd,pred_q5,pred_q50,pred_q95
		if row[0] != float64(i+2) {
			t.Errorf("row %d: line number %v", i, row[0])
		}
		// Gaussian: E[y | eta] = eta, and the predictive mean matches the
		// mean of the linear predictor within Monte Carlo error.
		if row[1] != row[2] {
			t.Errorf("row %d: epred %v != linpred %v", i, row[2], row[1])
		}
		if d := math.Abs(row[3] - row[1]); d > 4*row[4]/math.Sqrt(S) {
			t.Errorf("row %d: predictive mean %.4f, linear predictor %.4f, sd %.3f", i, row[3], row[1], row[4])
		}
		if sigma := param(t, s, "sigma").Mean; row[4] < sigma {
			t.Errorf("row %d: predictive sd %.3f below sigma %.3f", i, row[4], sigma)
		}
		if !(row[5] < row[6] && row[6] < row[7]) {
			t.Errorf("row %d: quantiles %v", i, row[5:])
		}
	}
	// The linear predictor is linear in the draws: for the unseen level it
	// is Intercept + x·b[x] + b[c[mid]] at the posterior means.
	want := param(t, s, "b_Intercept").Mean - param(t, s, "b_x").Mean + param(t, s, "b_c[mid]").Mean
	if math.Abs(rows[2][1]-want) > 1e-9 {
		t.Errorf("unseen level: linpred %.6f, want %.6f", rows[2][1], want)
	}
	// Levels sort in byte order, so "hi" is the reference level of c.
	want = param(t, s, "b_Intercept").Mean + param(t, s, "b_c[lo]").Mean + param(t, s, "r_g[A,Intercept]").Mean
	if math.Abs(rows[0][1]-want) > 1e-9 {
		t.Errorf("level A: linpred %.6f, want %.6f", rows[0][1], want)
	}

	// Reproducible with the same seed (stdout), different with another.
	r1 := mustRun(t, "predict", "--fit", out, "--data", newdata, "--quiet")
	b, _ := os.ReadFile(pf)
	if r1.stdout != string(b) {
		t.Errorf("stdout and --out differ")
	}
	if r2 := mustRun(t, "predict", "--fit", out, "--data", newdata, "--seed", "2", "--quiet"); r2.stdout == r1.stdout {
		t.Errorf("--seed 2 gives the same predictions")
	}
	// The training data (with its response) work too.
	if r := mustRun(t, "predict", "--fit", out, "--data", path, "--quiet"); strings.Count(r.stdout, "\n") != 241 {
		t.Errorf("predicting the training data: %d lines", strings.Count(r.stdout, "\n"))
	}

	// Errors.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--fit", filepath.Join(dir, "nofit"), "--data", newdata}, exitData, "nofit"},
		{[]string{"--fit", dir, "--data", newdata}, exitData, "spec.json"},
		{[]string{"--fit", out, "--data", writeText(t, dir, "nox.csv", "c,g\nlo,A\n")}, exitData, `no column "x"`},
		{[]string{"--fit", out, "--data", writeText(t, dir, "badlevel.csv", "x,c,g\n1,middle,A\n")}, exitData, "middle"},
		{[]string{"--fit", out, "--data", writeText(t, dir, "na.csv", "x,c,g\n1,lo,A\nNA,lo,B\n")}, exitData, "missing"},
	} {
		r := runBinary(t, append([]string{"predict"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("predict %v: want exit %d and %q; got %v", c.args, c.code, c.want, r)
		}
	}
	r = runBinary(t, "predict", "--fit", out, "--data", filepath.Join(dir, "na.csv"), "--drop-missing")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stderr, "dropped 1") {
		t.Errorf("--drop-missing: %v", r)
	}
}

// Binomial prediction takes the trials from the new data; bernoulli gives
// probabilities.
func TestPredictBinomial(t *testing.T) {
	dir := t.TempDir()
	rng := newRNG(12)
	n := 300
	x := normals(rng, n, 0, 1)
	k, trials := make([]float64, n), make([]float64, n)
	for i := range x {
		trials[i] = float64(3 + rng.IntN(10))
		k[i] = binomial(rng, int(trials[i]), invLogit(-0.3+0.8*x[i]))
	}
	path := writeData(t, dir, "bin.csv", []string{"k", "n", "x"}, k, trials, x)
	out := filepath.Join(dir, "fit")
	mustRun(t, "fit", "--data", path, "--formula", "k | trials(n) ~ x", "--family", "binomial", "--quiet", "--out", out)
	newdata := writeText(t, dir, "new.csv", "x,n\n0,10\n2,100\n")
	r := mustRun(t, "predict", "--fit", out, "--data", newdata)
	rows := parsePredictions(t, r.stdout)
	for i, n := range []float64{10, 100} {
		p := invLogit(rows[i][1])
		if math.Abs(rows[i][2]-n*p) > 0.05*n*p {
			t.Errorf("row %d: epred %.3f, n·logit⁻¹(eta) = %.3f", i, rows[i][2], n*p)
		}
		if math.Abs(rows[i][3]-rows[i][2]) > 4*rows[i][4]/math.Sqrt(4000) {
			t.Errorf("row %d: predictive mean %.3f, epred %.3f", i, rows[i][3], rows[i][2])
		}
	}
	if r := runBinary(t, "predict", "--fit", out, "--data", writeText(t, dir, "non.csv", "x\n1\n")); r.code != exitData || !strings.Contains(r.stderr, `no column "n"`) {
		t.Errorf("binomial without trials: %v", r)
	}

	// cbind(): the trials are successes + failures, so both are needed.
	fail := make([]float64, n)
	for i := range fail {
		fail[i] = trials[i] - k[i]
	}
	path = writeData(t, dir, "cb.csv", []string{"k", "fail", "x"}, k, fail, x)
	out = filepath.Join(dir, "cbind")
	mustRun(t, "fit", "--data", path, "--formula", "cbind(k, fail) ~ x", "--family", "binomial", "--quiet", "--out", out)
	rows = parsePredictions(t, mustRun(t, "predict", "--fit", out, "--data", writeText(t, dir, "newcb.csv", "x,k,fail\n0,3,7\n")).stdout)
	if p := invLogit(rows[0][1]); math.Abs(rows[0][2]-10*p) > 0.5 {
		t.Errorf("cbind: epred %.3f, 10·p = %.3f", rows[0][2], 10*p)
	}
}

// Offsets enter the linear predictor of new rows; Poisson predictions are
// counts.
func TestPredictOffset(t *testing.T) {
	out := t.TempDir()
	mustRun(t, "fit", "--example", "claims", "--quiet", "--out", out)
	s := readSummary(t, out)
	r := mustRun(t, "predict", "--fit", out, "--data", writeText(t, t.TempDir(), "new.csv", "x,exposure\n0.5,1\n0.5,10\n"))
	rows := parsePredictions(t, r.stdout)
	lin := param(t, s, "b_Intercept").Mean + 0.5*param(t, s, "b_x").Mean
	for i, e := range []float64{1, 10} {
		if want := lin + math.Log(e); math.Abs(rows[i][1]-want) > 1e-9 {
			t.Errorf("exposure %g: linpred %.6f, want %.6f", e, rows[i][1], want)
		}
		if rows[i][6] != math.Round(rows[i][6]) {
			t.Errorf("exposure %g: predictive median %v is not a count", e, rows[i][6])
		}
	}
	// The example's own data work as new data.
	if r := mustRun(t, "predict", "--fit", out, "--example", "claims", "--quiet"); strings.Count(r.stdout, "\n") != 121 {
		t.Errorf("predict --example claims: %d lines", strings.Count(r.stdout, "\n"))
	}
}

// readDraws returns draws.csv without its timing comments (the "seconds"
// line and the "Elapsed Time" block).
func readDraws(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "draws.csv"))
	if err != nil {
		t.Fatal(err)
	}
	timing := regexp.MustCompile(`^#   seconds = |^#  (Elapsed Time: |              )[0-9.]+ seconds \(`)
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !timing.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func readPredictions(t *testing.T, path string) [][]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parsePredictions(t, string(b))
}

func parsePredictions(t *testing.T, text string) [][]float64 {
	t.Helper()
	names, rows, _, err := report.ReadCmdStanCSV(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"row", "linpred_mean", "epred_mean", "pred_mean", "pred_sd", "pred_q5", "pred_q50", "pred_q95"}
	if len(names) == len(want)+1 {
		want = append(want, "log_pd") // the new data hold the response
	}
	if !slices.Equal(names, want) {
		t.Fatalf("prediction header %v, want %v", names, want)
	}
	return rows
}

// Ctrl-C stops a long fit cleanly: exit 130, outputs written and marked
// not converged.
func TestInterrupt(t *testing.T) {
	dir := t.TempDir()
	rng := newRNG(13)
	n := 20000
	x1, x2 := normals(rng, n, 0, 1), normals(rng, n, 0, 1)
	y := make([]float64, n)
	for i := range y {
		y[i] = bern(rng, invLogit(0.2+0.5*x1[i]-0.7*x2[i]))
	}
	path := writeData(t, dir, "big.csv", []string{"y", "x1", "x2"}, y, x1, x2)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(goviBin, "fit", "--data", path, "--formula", "y ~ x1 + x2", "--family", "bernoulli",
		"--optimizer", "sgd", "--estimator", "mc", "--max-iter", "1000000", "--out", out)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first progress line, then press Ctrl-C.
	sc := bufio.NewScanner(errPipe)
	var stderr strings.Builder
	started := make(chan bool, 1)
	readAll := make(chan struct{})
	go func() {
		defer close(readAll)
		sent := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if !sent && strings.HasPrefix(sc.Text(), "iter ") {
				started <- true
				sent = true
			}
		}
		if !sent {
			started <- false
		}
	}()
	select {
	case ok := <-started:
		if !ok {
			<-readAll
			cmd.Wait()
			t.Fatalf("no progress line; stderr:\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no progress after 60 s")
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-readAll // Wait closes the pipe: read everything first
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != exitInterrupted {
		t.Fatalf("exit code %d (%v), want 130; stderr:\n%s", code, err, stderr.String())
	}
	s := readSummary(t, out)
	if s.Converged || s.Stop != "canceled" || s.Iterations == 0 {
		t.Errorf("summary: converged %v stop %q iterations %d", s.Converged, s.Stop, s.Iterations)
	}
	if !strings.Contains(stdout.String(), "Stop: canceled") || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	for _, f := range []string{"draws.csv", "elbo.csv", "spec.json", "elbo.svg", "marginals.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// Predictions from the interrupted fit carry a warning.
	r := runBinary(t, "predict", "--fit", out, "--data", writeText(t, dir, "new.csv", "x1,x2\n0,0\n"))
	if r.code != 0 || !strings.Contains(r.stderr, "did not converge (stop: canceled)") {
		t.Errorf("predict from an interrupted fit: %v", r)
	}
	var js map[string]any
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(b, &js); err != nil || js["converged"] != false {
		t.Errorf("summary.json: %v %v", err, js["converged"])
	}
}

// --importance-resampling writes resampled draws and prints the
// PSIS-corrected moments; summary.json always has them.
func TestImportanceResampling(t *testing.T) {
	dir := t.TempDir()
	r := runBinary(t, "fit", "--example", "eight_schools", "--approx", "meanfield", "--parameterization", "centered",
		"--importance-resampling", "--quiet", "--out", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "PSIS-corrected (importance-weighted) means and sds") || !strings.Contains(r.stdout, "resampled with the Pareto-smoothed importance weights") {
		t.Errorf("stdout lacks the PSIS table or the resampling note:\n%s", r.stdout)
	}
	s := readSummary(t, dir)
	if !s.Resampled || len(s.PSIS) != len(s.Parameters) {
		t.Fatalf("summary.json: resampled %v, %d PSIS moments for %d parameters", s.Resampled, len(s.PSIS), len(s.Parameters))
	}
	// Resampling with the smoothed weights moves the summaries toward the
	// PSIS-corrected moments: the resampled means equal them within the
	// Monte Carlo error of 4000 resampled draws (ESS is far lower).
	for i, p := range s.Parameters {
		m := s.PSIS[i]
		if p.Name != m.Name {
			t.Fatalf("order differs: %s vs %s", p.Name, m.Name)
		}
		if math.Abs(p.Mean-m.Mean) > 0.5*m.SD {
			t.Errorf("%s: resampled mean %.3g, PSIS mean %.3g (sd %.3g)", p.Name, p.Mean, m.Mean, m.SD)
		}
	}
	if s.Diagnostics == nil || !(s.Diagnostics.KhatSummaries > 0.7) || s.Diagnostics.SummaryReliability == "" {
		t.Errorf("diagnostics %+v", s.Diagnostics)
	}
}

// With the response in the new data, predict scores every row (log_pd);
// a spec.json edited after the fit is refused.
func TestPredictLogPDAndEditedSpec(t *testing.T) {
	dir := t.TempDir()
	path := groupData(t, dir)
	out := filepath.Join(dir, "fit")
	mustRun(t, "fit", "--data", path, "--formula", "y ~ x + c + (1 | g)", "--family", "gaussian", "--quiet", "--out", out)
	r := mustRun(t, "predict", "--fit", out, "--data", writeText(t, dir, "scored.csv", "y,x,c,g\n0.5,0,lo,A\n9,0,lo,A\n"), "--quiet")
	if !strings.HasPrefix(r.stdout, "row,linpred_mean,epred_mean,pred_mean,pred_sd,pred_q5,pred_q50,pred_q95,log_pd\n") {
		t.Fatalf("no log_pd column:\n%s", r.stdout)
	}
	rows := parsePredictions(t, r.stdout)
	// Row 2's y is far out in the predictive tail: a much lower density.
	if lp := rows[0][8]; math.IsNaN(lp) || math.IsInf(lp, 0) || !(rows[1][8] < lp-10) {
		t.Errorf("log_pd %v and %v", rows[0][8], rows[1][8])
	}
	// A response with missing values is left out, with a warning.
	r = mustRun(t, "predict", "--fit", out, "--data", writeText(t, dir, "na.csv", "y,x,c,g\nNA,0,lo,A\n1,0,lo,A\n"))
	if strings.Contains(r.stdout, "log_pd") || !strings.Contains(r.stderr, "no log_pd") {
		t.Errorf("missing response: %v", r)
	}

	// Edit the family in spec.json: the draws no longer belong to it.
	js, err := os.ReadFile(filepath.Join(out, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(js), `"family": "gaussian"`, `"family": "student"`, 1)
	if edited == string(js) {
		t.Fatal("no family in spec.json")
	}
	if err := os.WriteFile(filepath.Join(out, "spec.json"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, "predict", "--fit", out, "--data", path)
	if r.code != exitData || !strings.Contains(r.stderr, "family gaussian") || !strings.Contains(r.stderr, "not from the same fit") || r.stdout != "" {
		t.Errorf("edited spec.json: %v", r)
	}
}

// Group-level models are fitted by the quadrature mixture by default,
// with an optimizer trace and draws like any other fit; with more
// hyperparameters than its limit the fit falls back to the full-rank
// Gaussian and says so.
func TestFitMixtureDefault(t *testing.T) {
	dir := t.TempDir()
	path := groupData(t, dir)
	out := filepath.Join(dir, "out")
	mustRun(t, "fit", "--data", path, "--formula", "y ~ x + c + (1 | g)", "--family", "gaussian", "--draws", "1000", "--quiet", "--out", out)
	s := readSummary(t, out)
	if s.Approx != "mixture" || !s.Converged || s.Draws != 1000 {
		t.Errorf("approx %q, converged %v, draws %d; want the converged mixture", s.Approx, s.Converged, s.Draws)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "elbo.csv")); strings.Count(string(b), "\n") < 2 {
		t.Errorf("elbo.csv has no trace: %q", b)
	}
	// Five groups: five sds and sigma, six hyperparameters.
	rng := newRNG(3)
	n := 200
	cols := []any{normals(rng, n, 0, 1)}
	header := []string{"y"}
	for k := 0; k < 5; k++ {
		g := make([]string, n)
		for i := range g {
			g[i] = string(rune('A' + rng.IntN(4)))
		}
		cols = append(cols, g)
		header = append(header, fmt.Sprintf("g%d", k))
	}
	p5 := writeData(t, dir, "g5.csv", header, cols...)
	out5 := filepath.Join(dir, "out5")
	mustRun(t, "fit", "--data", p5, "--formula", "y ~ (1 | g0) + (1 | g1) + (1 | g2) + (1 | g3) + (1 | g4)", "--family", "gaussian",
		"--parameterization", "centered", "--draws", "500", "--quiet", "--out", out5)
	s5 := readSummary(t, out5)
	if s5.Approx != "fullrank" || !slices.ContainsFunc(s5.Notes, func(n string) bool {
		return strings.Contains(n, "at most 3 hyperparameters") && strings.Contains(n, "full-rank")
	}) {
		t.Errorf("six hyperparameters: approx %q, notes %q; want the full-rank fit and a note", s5.Approx, s5.Notes)
	}
}

// A fit with correlated effects (1 + x | g) reports the correlation and
// predicts: the linear predictor of a row of level A is the mean over the
// draws of b_Intercept + b_x·x + r_g[A,Intercept] + r_g[A,x]·x.
func TestPredictCorrelated(t *testing.T) {
	dir := t.TempDir()
	path := groupData(t, dir)
	out := filepath.Join(dir, "fit")
	mustRun(t, "fit", "--data", path, "--formula", "y ~ x + (1 + x | g)", "--family", "gaussian", "--approx", "meanfield", "--draws", "1000", "--quiet", "--out", out)
	s := readSummary(t, out)
	mean := map[string]float64{}
	for _, p := range s.Parameters {
		mean[p.Name] = p.Mean
	}
	if _, ok := mean["cor_g__Intercept__x"]; !ok {
		t.Fatalf("no cor_g__Intercept__x in %v", s.Parameters)
	}
	newdata := writeText(t, dir, "new.csv", "x,g\n2,A\n")
	pf := filepath.Join(dir, "pred.csv")
	if r := runBinary(t, "predict", "--fit", out, "--data", newdata, "--out", pf); r.code != 0 {
		t.Fatal(r)
	}
	rows := readPredictions(t, pf)
	want := mean["b_Intercept"] + 2*mean["b_x"] + mean["r_g[A,Intercept]"] + 2*mean["r_g[A,x]"]
	if math.Abs(rows[0][1]-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("linpred_mean %.12g, want %.12g", rows[0][1], want)
	}
}
