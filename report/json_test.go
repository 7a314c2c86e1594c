package report

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// smallFit is a two-parameter fit used across the tests.
func smallFit() *Fit {
	return &Fit{
		Params: []Param{
			{"b_Intercept", 0.0027137, 0.0794, -0.128, 0.00271, 0.1334},
			{"b_dist100", -0.8966, 0.1047, -1.0688, -0.8966, -0.7244},
		},
		Names:      []string{"b_Intercept", "b_dist100"},
		Draws:      [][]float64{{0.1, -0.9}, {-0.05, -0.85}, {0.0123456789012345, -1.0000000000000002}},
		LogP:       []float64{-2040.5, -2041.25, -2039.875},
		LogQ:       []float64{3.5, 2.75, 4.125},
		Mean:       []float64{0.0027137, -0.8966},
		ELBO:       -2043.124,
		Trace:      []float64{-2500, -2100, -2050, -2043.2, -2043.124},
		Iterations: 5,
		Converged:  true,
		Stop:       "converged",
		Seconds:    0.4213,
		Family:     "bernoulli",
		Link:       "logit",
		Formula:    "switch ~ dist100",
		Approx:     "fullrank",
		Estimator:  "quadrature",
		Optimizer:  "lbfgs",
		Seed:       42,
		Priors: []PriorInfo{
			{"b", "", "normal(0, 2.5)"},
			{"b", "dist100", "normal(0, 1)"},
			{"Intercept", "", "student_t(3, 0, 2.5)"},
		},
		Diagnostics: &Diagnostics{
			Khat: 0.213, ESS: 3804.2, ELBO: -2043.1312, ELBOSE: 0.0123,
			LogEvidence: -2042.9876, LogEvidenceSE: 0.0045, Reliability: "good",
			Verdict: "reliable", VerdictReason: "reweighting moves nothing", KL: 0.1436, KLSE: 0.0045,
			MeanShift: 0.012, MeanShiftParam: "b_dist100", SDRatio: 1.01, SDRatioParam: "b_Intercept",
			Halves: []Half{{KL: 0.15, KLSE: 0.006, MeanShift: 0.02, SDRatio: 1.02, KhatSummaries: 0.3}, {KL: 0.14, KLSE: 0.006, MeanShift: 0.01, SDRatio: 0.99, KhatSummaries: 0.2}},
		},
		Warnings: []string{"the ELBO trace is still rising"},
		Data:     "wells.csv",
	}
}

func TestSummaryJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, smallFit()); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	for _, k := range []string{"parameters", "elbo", "elbo_relative", "iterations", "converged", "stop",
		"message", "seconds", "family", "link", "formula", "priors", "approx", "estimator", "optimizer",
		"seed", "diagnostics", "warnings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	params := m["parameters"].([]any)
	p0 := params[0].(map[string]any)
	for _, k := range []string{"name", "mean", "sd", "q5", "q50", "q95"} {
		if _, ok := p0[k]; !ok {
			t.Errorf("parameter missing key %q", k)
		}
	}
	pr := m["priors"].([]any)[1].(map[string]any)
	if pr["class"] != "b" || pr["coef"] != "dist100" || pr["prior"] != "normal(0, 1)" {
		t.Errorf("prior = %v", pr)
	}
	d := m["diagnostics"].(map[string]any)
	for _, k := range []string{"khat", "ess", "elbo", "elbo_se", "log_evidence", "log_evidence_se", "reliability"} {
		if _, ok := d[k]; !ok {
			t.Errorf("diagnostics missing key %q", k)
		}
	}
	if m["seed"].(float64) != 42 || m["stop"] != "converged" || m["converged"] != true {
		t.Errorf("seed/stop/converged = %v %v %v", m["seed"], m["stop"], m["converged"])
	}
}

func TestSummaryJSONNonFinite(t *testing.T) {
	f := smallFit()
	f.ELBO = math.Inf(-1)
	f.Params[0].SD = math.NaN()
	f.Diagnostics.Khat = math.Inf(1)
	f.Formula = "y ~ I(x > 2) & z"
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, f); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", buf.String())
	}
	out := buf.String()
	for _, want := range []string{`"elbo": null`, `"sd": null`, `"khat": null`, `"y ~ I(x > 2) & z"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	s, err := ReadSummaryJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(s.ELBO) || !math.IsNaN(s.Parameters[0].SD) || !math.IsNaN(s.Diagnostics.Khat) {
		t.Errorf("nulls did not read back as NaN: %v %v %v", s.ELBO, s.Parameters[0].SD, s.Diagnostics.Khat)
	}
}

func TestSummaryJSONRoundTrip(t *testing.T) {
	f := smallFit()
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, f); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSummaryJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Params {
		checkParam(t, s.Parameters[i], f.Params[i])
	}
	if s.ELBO != f.ELBO || s.Iterations != 5 || !s.Converged || s.Stop != "converged" || s.Seconds != f.Seconds ||
		s.Family != "bernoulli" || s.Link != "logit" || s.Formula != f.Formula || s.Approx != "fullrank" ||
		s.Estimator != "quadrature" || s.Optimizer != "lbfgs" || s.Seed != 42 || s.Data != "wells.csv" || s.Draws != 3 {
		t.Errorf("round trip changed fields: %+v", s)
	}
	if len(s.Priors) != 3 || s.Priors[1] != f.Priors[1] {
		t.Errorf("priors = %+v", s.Priors)
	}
	if !reflect.DeepEqual(*s.Diagnostics, *f.Diagnostics) {
		t.Errorf("diagnostics = %+v, want %+v", *s.Diagnostics, *f.Diagnostics)
	}
	if len(s.Warnings) != 1 || s.Warnings[0] != f.Warnings[0] {
		t.Errorf("warnings = %q", s.Warnings)
	}
}

func TestSummaryJSONEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, &Fit{Seed: math.MaxUint64}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"parameters": []`, `"priors": []`, `"warnings": []`, `"diagnostics": null`, `"seed": 18446744073709551615`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	s, err := ReadSummaryJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if s.Diagnostics != nil || s.Seed != math.MaxUint64 {
		t.Errorf("diagnostics = %v, seed = %d", s.Diagnostics, s.Seed)
	}
}

func TestReadSummaryJSONErrors(t *testing.T) {
	for _, in := range []string{"", "not json", `{"elbo": "high"}`, `{"elbo": 1} {}`, `[1, 2]`} {
		if _, err := ReadSummaryJSON(strings.NewReader(in)); err == nil {
			t.Errorf("ReadSummaryJSON(%q) succeeded", in)
		} else if !strings.HasPrefix(err.Error(), "report: ") {
			t.Errorf("error %q lacks the report: prefix", err)
		}
	}
}
