package report

import (
	"math"
	"os"
	"strings"
	"testing"
)

const smallFitText = `govi variational fit
 family:    bernoulli [logit]
 formula:   switch ~ dist100
 data:      wells.csv
 approx:    fullrank Gaussian, quadrature ELBO, lbfgs optimizer
 seed:      42

Priors:
 b ~ normal(0, 2.5)
 b[dist100] ~ normal(0, 1)
 Intercept ~ student_t(3, 0, 2.5)

  parameter       mean      sd      5%      50%     95%
  b_Intercept  0.00271  0.0794  -0.128  0.00271   0.133
  b_dist100     -0.897   0.105   -1.07   -0.897  -0.724

ELBO: -2043.13 (SE 0.0123)
Iterations: 5
Time: 0.42 s
Stop: converged
Diagnostics:
 Verdict: reliable (reweighting moves nothing)
 KL(q‖p): 0.144 ± 0.00450 nats (log evidence − ELBO)
 log evidence: -2042.99 ± 0.00450 (importance-weighted estimate)
 reweighting: means move by at most 0.0120 sd (b_dist100); sds by a factor 1.01 (b_Intercept)
 Pareto k-hat: 0.21 (good: the approximation is close to the posterior)
 ESS: 3804
Warning: the ELBO trace is still rising
`

func TestPrintSummaryGolden(t *testing.T) {
	var b strings.Builder
	PrintSummary(&b, smallFit())
	if b.String() != smallFitText {
		t.Errorf("summary differs.\ngot:\n%s\nwant:\n%s", b.String(), smallFitText)
	}
}

const minimalFitText = `govi variational fit
 family:    gaussian
 approx:    meanfield Gaussian
 seed:      0

  parameter  mean   sd    5%   50%   95%
  mu         1.00  NaN  1.00  1.00  1.00

ELBO: -Inf (relative: the prior is improper)
Iterations: 0
Time: 0.00 s
Stop: failed (no finite step)
`

func TestPrintSummaryMinimal(t *testing.T) {
	f := &Fit{
		Params:       []Param{{"mu", 1, math.NaN(), 1, 1, 1}},
		ELBO:         math.Inf(-1),
		ELBORelative: true,
		Stop:         "failed",
		Message:      "no finite step",
		Family:       "gaussian",
		Approx:       "meanfield",
	}
	var b strings.Builder
	PrintSummary(&b, f)
	if b.String() != minimalFitText {
		t.Errorf("summary differs.\ngot:\n%s\nwant:\n%s", b.String(), minimalFitText)
	}
}

func TestPrintSummaryDiagnosticsVariants(t *testing.T) {
	tests := []struct {
		name string
		edit func(f *Fit)
		want []string
	}{
		{"exact ELBO has no SE", func(f *Fit) { f.Diagnostics.ELBOSE = 0 }, []string{"ELBO: -2043.13\n"}},
		{"NaN diagnostic ELBO falls back", func(f *Fit) { f.Diagnostics.ELBO = math.NaN() }, []string{"ELBO: -2043.12\n"}},
		{"relative", func(f *Fit) { f.ELBORelative = true }, []string{
			"ELBO: -2043.13 (SE 0.0123) (relative: the prior is improper)\n",
			"(importance-weighted estimate; relative: the prior is improper)\n"}},
		{"very bad", func(f *Fit) { f.Diagnostics.Reliability = "very bad"; f.Diagnostics.Khat = 1.34 },
			[]string{" Pareto k-hat: 1.34 (very bad: the approximation does not match the posterior; do not trust the summaries)\n"}},
		{"no diagnostics", func(f *Fit) { f.Diagnostics = nil }, []string{"ELBO: -2043.12\nIterations"}},
		{"phases", func(f *Fit) { f.Phases = []Phase{{"fit", 0.5}, {"draws", 0.004}, {"diagnostics", 2}} }, []string{"Time: fit 0.50 s, draws 0.00400 s, diagnostics 2.00 s\n"}},
		{"interrupted", func(f *Fit) { f.Interrupted, f.Stop, f.Converged = true, "canceled", false }, []string{"Stop: canceled; interrupted: not converged\n"}},
		{"verdict first", func(f *Fit) { f.Diagnostics.Verdict, f.Diagnostics.VerdictReason = "unreliable", "KL 1 nat" }, []string{"Diagnostics:\n Verdict: unreliable (KL 1 nat)\n"}},
		{"two warnings", func(f *Fit) { f.Warnings = []string{"one", "two\nlines"} }, []string{"Warning: one\nWarning: two lines\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := smallFit()
			tt.edit(f)
			var b strings.Builder
			PrintSummary(&b, f)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			if tt.name == "no diagnostics" && strings.Contains(b.String(), "Diagnostics") {
				t.Error("diagnostics block printed without diagnostics")
			}
		})
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		x    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1.5, "1.50"}, {-0.8966, "-0.897"}, {0.0027137, "0.00271"},
		{0.001, "0.00100"}, {0.00099949, "9.99e-04"}, {12.345, "12.3"}, {123.45, "123"}, {1234.5, "1234"},
		{999999, "999999"}, {1e6, "1.00e+06"}, {-4.567e7, "-4.57e+07"}, {1.23e-5, "1.23e-05"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Inf"}, {math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		if got := FormatNumber(tt.x); got != tt.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tt.x, got, tt.want)
		}
	}
}

func ExamplePrintSummary() {
	draws := [][]float64{{0.10, 1.2}, {0.30, 0.9}, {-0.20, 1.1}, {0.00, 1.0}}
	f := &Fit{
		Names:      []string{"b_x", "sigma"},
		Params:     Summarize([]string{"b_x", "sigma"}, draws),
		Draws:      draws,
		ELBO:       -123.456,
		Iterations: 40,
		Converged:  true,
		Stop:       "converged",
		Seconds:    0.05,
		Family:     "gaussian",
		Link:       "identity",
		Formula:    "y ~ x",
		Approx:     "meanfield",
		Estimator:  "mc",
		Optimizer:  "adam",
		Seed:       1,
		Priors:     []PriorInfo{{"b", "", "normal(0, 1)"}, {"sigma", "", "exponential(1)"}},
	}
	PrintSummary(os.Stdout, f)
	// Output:
	// govi variational fit
	//  family:    gaussian [identity]
	//  formula:   y ~ x
	//  approx:    meanfield Gaussian, mc ELBO, adam optimizer
	//  seed:      1
	//
	// Priors:
	//  b ~ normal(0, 1)
	//  sigma ~ exponential(1)
	//
	//   parameter    mean     sd      5%     50%    95%
	//   b_x        0.0500  0.208  -0.170  0.0500  0.270
	//   sigma        1.05  0.129   0.915    1.05   1.19
	//
	// ELBO: -123.46
	// Iterations: 40
	// Time: 0.05 s
	// Stop: converged
}
