package spec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// fitDraws builds m on fr, fits it with Built.Fit and returns the fitted
// description with its draws as govi fit saves and govi predict reads them
// (through draws.csv).
func fitDraws(t *testing.T, m *spec.Model, fr *data.Frame, draws int) (*spec.Built, *report.Fit, *report.Draws) {
	t.Helper()
	b, err := m.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	fit, out, err := b.Fit(context.Background(), govi.RunOptions{Seed: 1, Draws: draws})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Fit.Converged() {
		t.Fatalf("fit: %v (%s)", out.Fit.Status, out.Fit.Message)
	}
	var buf bytes.Buffer
	if err := report.WriteDrawsCSV(&buf, fit); err != nil {
		t.Fatal(err)
	}
	d, err := report.ReadDrawsCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return b, fit, d
}

func readFrame(t *testing.T, name, text string) *data.Frame {
	t.Helper()
	fr, err := data.ReadCSV(strings.NewReader(text), name, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

// log_pd against the closed form: with known standard errors and a normal
// prior on the mean, the posterior of mu is N(m, v) and the predictive
// density of a new y with standard error s is N(y | m, v + s²).
func TestLogPDClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	var csv strings.Builder
	csv.WriteString("y,s\n")
	prec, wsum := 1.0/100, 0.0 // prior mu ~ normal(0, 10)
	for i := 0; i < 40; i++ {
		s := 0.5 + rng.Float64()
		y := 2 + s*rng.NormFloat64()
		fmt.Fprintf(&csv, "%.17g,%.17g\n", y, s)
		prec += 1 / (s * s)
		wsum += y / (s * s)
	}
	m, v := wsum/prec, 1/prec
	model := &spec.Model{Formula: "y | se(s) ~ 1", Family: "gaussian", Priors: []spec.Prior{{Class: "Intercept", Prior: "normal(0, 10)"}}}
	b, _, d := fitDraws(t, model, readFrame(t, "train.csv", csv.String()), 20000)
	newRows := "y,s\n2.1,1\n0.5,0.7\n3.9,2\n200,0.5\n"
	p, err := spec.NewPredictor(b.Spec, d, readFrame(t, "new.csv", newRows))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Observed() || p.Len() != 4 || p.Draws() != 20000 {
		t.Fatalf("observed %v, %d rows, %d draws", p.Observed(), p.Len(), p.Draws())
	}
	ys, ss := []float64{2.1, 0.5, 3.9, 200}, []float64{1, 0.7, 2, 0.5}
	var eta []float64
	for i := range ys {
		got := p.LogPD(i)
		eta = p.Linpred(eta, i)
		// Brute force: log of the mean over draws of N(y | mu_s, s²).
		var mean, m2 float64
		lo, hi := math.Inf(1), math.Inf(-1)
		S := float64(len(eta))
		for _, mu := range eta {
			z := (ys[i] - mu) / ss[i]
			ll := -0.5*math.Log(2*math.Pi) - math.Log(ss[i]) - 0.5*z*z
			mean += math.Exp(ll) / S
			m2 += math.Exp(2*ll) / S
			lo, hi = math.Min(lo, ll), math.Max(hi, ll)
		}
		if i < 3 {
			sd := math.Sqrt(v + ss[i]*ss[i])
			z := (ys[i] - m) / sd
			exact := -0.5*math.Log(2*math.Pi) - math.Log(sd) - 0.5*z*z
			// Monte Carlo standard error of the log of the mean density.
			mcse := math.Sqrt((m2-mean*mean)/S) / mean
			if math.Abs(got-math.Log(mean)) > 1e-12 || math.Abs(got-exact) > 4*mcse+1e-4 {
				t.Errorf("y = %g, s = %g: log_pd %.6f, brute force %.6f, closed form %.6f (MC error %.2g)", ys[i], ss[i], got, math.Log(mean), exact, mcse)
			}
			continue
		}
		// Far in the tail every density underflows: the log-mean-exp stays
		// finite and between the largest log density less log S and the
		// largest.
		if mean != 0 || !(got <= hi && got >= hi-math.Log(float64(len(eta)))) {
			t.Errorf("y = %g: log_pd %g, brute force %g, log densities in [%g, %g]", ys[i], got, math.Log(mean), lo, hi)
		}
	}
	// Without the response there is nothing to score.
	p, err = spec.NewPredictor(b.Spec, d, readFrame(t, "new.csv", "s\n1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pr := p.Summarize(1); p.Observed() || pr.LogPD != nil || !math.IsNaN(p.LogPD(0)) {
		t.Errorf("no response: observed %v, log_pd %v", p.Observed(), pr.LogPD)
	}
	// Known standard errors are needed.
	if _, err := spec.NewPredictor(b.Spec, d, readFrame(t, "new.csv", "y\n1\n")); !isDataError(err) || !strings.Contains(err.Error(), "se(s)") {
		t.Errorf("no se column: %v", err)
	}
}

func isDataError(err error) bool {
	var de *spec.DataError
	return errors.As(err, &de)
}

// Predictions summarize the draws of every row: the predictive mean and
// quantiles of a gaussian model match eta and sigma.
func TestPredictSummaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var csv strings.Builder
	csv.WriteString("y,x,g\n")
	for i := 0; i < 200; i++ {
		x := rng.NormFloat64()
		g := "abc"[i%3 : i%3+1]
		fmt.Fprintf(&csv, "%.17g,%.17g,%s\n", 1+0.5*x+map[string]float64{"a": -0.3, "b": 0, "c": 0.3}[g]+0.4*rng.NormFloat64(), x, g)
	}
	b, fit, d := fitDraws(t, &spec.Model{Formula: "y ~ x + (1 | g)", Family: "gaussian"}, readFrame(t, "train.csv", csv.String()), 4000)
	p, err := spec.NewPredictor(b.Spec, d, readFrame(t, "new.csv", "x,g\n0,a\n1,zz\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"zz"`) {
		t.Errorf("warnings %q", w)
	}
	pr := p.Summarize(3)
	mean := func(name string) float64 {
		for _, q := range fit.Params {
			if q.Name == name {
				return q.Mean
			}
		}
		t.Fatalf("no %s", name)
		return 0
	}
	wantEta := []float64{mean("b_Intercept") + mean("r_g[a,Intercept]"), mean("b_Intercept") + mean("b_x")}
	for i := range wantEta {
		if math.Abs(pr.LinpredMean[i]-wantEta[i]) > 1e-9 || pr.EpredMean[i] != pr.LinpredMean[i] {
			t.Errorf("row %d: linpred %g epred %g, want %g", i, pr.LinpredMean[i], pr.EpredMean[i], wantEta[i])
		}
		if math.Abs(pr.PredMean[i]-wantEta[i]) > 4*pr.PredSD[i]/math.Sqrt(4000) || pr.PredSD[i] < mean("sigma") ||
			!(pr.PredQ5[i] < pr.PredQ50[i] && pr.PredQ50[i] < pr.PredQ95[i]) {
			t.Errorf("row %d: predictive mean %g sd %g quantiles %g %g %g", i, pr.PredMean[i], pr.PredSD[i], pr.PredQ5[i], pr.PredQ50[i], pr.PredQ95[i])
		}
	}
	// The simulated y are keyed by (seed, row).
	a, c := p.Predict(nil, 1, 7), p.Predict(nil, 1, 7)
	if !slices.Equal(a, c) || slices.Equal(a, p.Predict(nil, 1, 8)) {
		t.Error("Predict is not keyed by the seed")
	}
}

// A spec.json edited after the fit is not used with the old draws.
func TestPredictMismatch(t *testing.T) {
	fr := frame(t, wellsCSV)
	b, _, d := fitDraws(t, &spec.Model{Formula: "switch ~ dist100", Family: "bernoulli"}, fr, 100)
	edited := *b.Spec
	edited.Family = "poisson" // same parameters, another family
	if _, err := spec.NewPredictor(&edited, d, fr); !isDataError(err) || !strings.Contains(err.Error(), "family bernoulli") || !strings.Contains(err.Error(), "not from the same fit") {
		t.Errorf("edited family: %v", err)
	}
	// Without the comments, the parameters still have to match.
	d.Config = map[string]string{}
	edited.Family = "negbinomial" // adds phi
	if _, err := spec.NewPredictor(&edited, d, fr); !isDataError(err) || !strings.Contains(err.Error(), "phi") {
		t.Errorf("edited family, no comments: %v", err)
	}
	if _, err := spec.NewPredictor(&spec.Model{Formula: "switch ~ dist100", Family: "bernoulli"}, d, fr); err == nil {
		t.Error("a description without a recipe was used")
	}
}

// Parameter names: a predictor called sigma is b_sigma, next to the
// parameter sigma, in summaries, draws.csv and prediction.
func TestNamePredictorSigma(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var csv strings.Builder
	csv.WriteString("y,sigma\n")
	for i := 0; i < 100; i++ {
		x := rng.NormFloat64()
		fmt.Fprintf(&csv, "%.17g,%.17g\n", 2*x+0.5*rng.NormFloat64(), x)
	}
	fr := readFrame(t, "s.csv", csv.String())
	b, fit, d := fitDraws(t, &spec.Model{Formula: "y ~ sigma", Family: "gaussian", Priors: []spec.Prior{{Class: "b", Coef: "sigma", Prior: "normal(0, 5)"}}}, fr, 1000)
	if want := []string{"b_Intercept", "b_sigma", "sigma"}; !slices.Equal(b.Names, want) || !slices.Equal(d.Names, want) {
		t.Errorf("names %v, columns %v, want %v", b.Names, d.Names, want)
	}
	if bs, s := fit.Params[1], fit.Params[2]; math.Abs(bs.Mean-2) > 4*bs.SD || math.Abs(s.Mean-0.5) > 4*s.SD {
		t.Errorf("b_sigma %v, sigma %v", bs, s)
	}
	if _, err := spec.Predict(b.Spec, d, fr, 1); err != nil {
		t.Error(err)
	}
}

// A predictor called Intercept next to the intercept is an error naming
// the column; without the intercept it is the coefficient b_Intercept.
func TestNamePredictorIntercept(t *testing.T) {
	fr := readFrame(t, "i.csv", "y,Intercept\n1,0.5\n0,1.5\n1,0.2\n0,2\n1,0.1\n")
	_, err := (&spec.Model{Formula: "y ~ Intercept", Family: "bernoulli"}).Build(fr)
	var se *spec.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `column called "Intercept"`) || !strings.Contains(err.Error(), "b_Intercept") {
		t.Errorf("y ~ Intercept: %v", err)
	}
	b, err := (&spec.Model{Formula: "y ~ 0 + Intercept", Family: "bernoulli"}).Build(fr)
	if err != nil || !slices.Equal(b.Names, []string{"b_Intercept"}) {
		t.Errorf("y ~ 0 + Intercept: %v %v", b, err)
	}
}

// Group-level effects are one array per grouping factor in draws.csv, in
// CmdStan's layout (r_g.level.coef, column-major, contiguous), even when
// the formula interleaves the terms of two factors.
func TestGroupArraysCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var csv strings.Builder
	csv.WriteString("y,x,g,h\n")
	for i := 0; i < 120; i++ {
		x := rng.NormFloat64()
		fmt.Fprintf(&csv, "%.17g,%.17g,%s,%s\n", x+0.3*rng.NormFloat64(), x, "pqrs"[i%4:i%4+1], "uv"[i%2:i%2+1])
	}
	b, fit, d := fitDraws(t, &spec.Model{Formula: "y ~ x + (1 | g) + (1 | h) + (0 + x | g)", Family: "gaussian"}, readFrame(t, "g.csv", csv.String()), 200)
	want := []string{"b_Intercept", "b_x", "sigma", "sd_g__Intercept", "sd_g__x", "sd_h__Intercept"}
	wantNames := slices.Clone(want)
	for k, coef := range []string{"Intercept", "x"} {
		for l, lv := range []string{"p", "q", "r", "s"} {
			want = append(want, fmt.Sprintf("r_g.%d.%d", l+1, k+1))
			wantNames = append(wantNames, fmt.Sprintf("r_g[%s,%s]", lv, coef))
		}
	}
	for l, lv := range []string{"u", "v"} {
		want = append(want, fmt.Sprintf("r_h.%d.1", l+1))
		wantNames = append(wantNames, fmt.Sprintf("r_h[%s,Intercept]", lv))
	}
	if !slices.Equal(d.Names, want) || !slices.Equal(b.Names, wantNames) {
		t.Errorf("columns %v\nwant %v\nnames %v\nwant %v", d.Names, want, b.Names, wantNames)
	}
	// Read by ReadCmdStanCSV, the header checks out by CmdStan's rules.
	var buf bytes.Buffer
	if err := report.WriteDrawsCSV(&buf, fit); err != nil {
		t.Fatal(err)
	}
	names, rows, _, err := report.ReadCmdStanCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 201 || !slices.Equal(names[3:], want) {
		t.Fatalf("%d rows, header %v", len(rows), names)
	}
	checkCmdStanArrays(t, names)
	// The draws of r_g[q,x] are the values summarized under that name.
	j := slices.Index(names, "r_g.2.2")
	var sum float64
	for _, r := range rows[1:] {
		sum += r[j]
	}
	if p := fit.Params[slices.Index(wantNames, "r_g[q,x]")]; math.Abs(sum/200-p.Mean) > 1e-12 {
		t.Errorf("r_g.2.2 mean %g, summary of r_g[q,x] %g", sum/200, p.Mean)
	}
}

// checkCmdStanArrays checks CmdStan's rules for array columns: the
// elements of an array are contiguous and enumerate the whole array in
// column-major order (first index fastest), as stanio, ArviZ and rstan
// reshape them.
func checkCmdStanArrays(t *testing.T, header []string) {
	t.Helper()
	seen := map[string]bool{}
	for i := 0; i < len(header); {
		base, _, isArray := strings.Cut(header[i], ".")
		j := i
		var idx [][]int
		for j < len(header) && strings.HasPrefix(header[j], base+".") {
			var ix []int
			for _, s := range strings.Split(header[j], ".")[1:] {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 {
					t.Fatalf("column %s: index %q", header[j], s)
				}
				ix = append(ix, n)
			}
			idx = append(idx, ix)
			j++
		}
		if !isArray {
			j = i + 1
		}
		if seen[base] {
			t.Errorf("%s appears in two places", base)
		}
		seen[base] = true
		if isArray {
			dims := idx[len(idx)-1]
			cur := make([]int, len(dims))
			for d := range cur {
				cur[d] = 1
			}
			for _, ix := range idx {
				if !slices.Equal(ix, cur) {
					t.Errorf("%s: element %v where column-major order has %v", base, ix, cur)
					break
				}
				for d := range cur {
					if cur[d]++; cur[d] <= dims[d] {
						break
					}
					cur[d] = 1
				}
			}
		}
		i = j
	}
}
