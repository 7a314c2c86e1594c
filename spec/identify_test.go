package spec

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/govi-dev/govi/data"
)

func frame(t *testing.T, cols map[string][]float64) *data.Frame {
	t.Helper()
	var cs []*data.Column
	for _, n := range []string{"y", "n", "x1", "x2", "x3"} {
		if v, ok := cols[n]; ok {
			cs = append(cs, data.NewNumeric(n, v))
		}
	}
	fr, err := data.New("d.csv", cs...)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

var flat = []Prior{{Class: "b", Prior: "flat"}, {Class: "Intercept", Prior: "flat"}}

// Rank-deficient designs and separated outcomes: a *DataError naming the
// columns under flat priors, a prior-dominated warning under proper ones.
func TestIdentify(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 60
	x1, x2, x3, y, yb, ys, tr := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range x1 {
		x1[i] = r.NormFloat64()
		x2[i] = 2 * x1[i]
		x3[i] = r.NormFloat64()
		y[i] = x1[i] + r.NormFloat64()
		if r.Float64() < 1/(1+math.Exp(-x3[i])) {
			yb[i] = 1
		}
		if x1[i] > 0 { // x1 separates ys completely
			ys[i] = 1
		}
		tr[i] = 3
	}
	for _, tc := range []struct {
		name    string
		m       Model
		cols    map[string][]float64
		err     string // empty: no error
		warning string
	}{
		{"collinear, flat", Model{Formula: "y ~ x1 + x2", Family: "gaussian", Priors: flat}, map[string][]float64{"y": y, "x1": x1, "x2": x2}, "x2 = 2·x1", ""},
		{"collinear, proper", Model{Formula: "y ~ x1 + x2", Family: "gaussian"}, map[string][]float64{"y": y, "x1": x1, "x2": x2}, "", "prior-dominated"},
		{"collinear with the intercept, flat", Model{Formula: "y ~ x1 + x2 + x3", Family: "gaussian", Priors: flat}, map[string][]float64{"y": y, "x1": x1, "x2": x2, "x3": x3}, "x1 and x2", ""},
		{"separation, flat", Model{Formula: "y ~ x1 + x3", Family: "bernoulli", Priors: flat}, map[string][]float64{"y": ys, "x1": x1, "x3": x3}, "separated by x1", ""},
		{"separation, proper", Model{Formula: "y ~ x1 + x3", Family: "bernoulli"}, map[string][]float64{"y": ys, "x1": x1, "x3": x3}, "", "separated by x1"},
		{"no separation", Model{Formula: "y ~ x3", Family: "bernoulli", Priors: flat}, map[string][]float64{"y": yb, "x3": x3}, "", ""},
		{"binomial separation", Model{Formula: "y | trials(n) ~ x1", Family: "binomial", Priors: flat}, map[string][]float64{"y": scale(ys, 3), "n": tr, "x1": x1}, "separated", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.m.Build(frame(t, tc.cols))
			if tc.err != "" {
				var de *DataError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a *DataError saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := strings.Join(b.Warnings, "\n")
			if tc.warning != "" && !strings.Contains(w, tc.warning) {
				t.Errorf("warnings %q lack %q", w, tc.warning)
			}
			if tc.warning == "" && (strings.Contains(w, "separated") || strings.Contains(w, "rank-deficient")) {
				t.Errorf("unexpected warning %q", w)
			}
		})
	}
}

func scale(v []float64, c float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = c * x
	}
	return out
}

// Values out of range, a constant response, and fractional trials: a
// *DataError naming the column (and the row).
func TestCheckValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 30
	x, y, big, tiny, huge, c, tr, s := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
		y[i] = x[i] + r.NormFloat64()
		big[i] = 1e308 * (0.5 + r.Float64()/2)
		tiny[i] = 1e-300 * (1 + r.Float64())
		huge[i] = 1e300 * (1 + r.Float64())
		c[i] = 3
		tr[i] = 5
		s[i] = float64(i % 5)
	}
	tr[4] = 5.5
	for _, tc := range []struct {
		name, formula, family string
		cols                  map[string][]float64
		want                  string
	}{
		{"predictor near 1e308", "y ~ x1", "gaussian", map[string][]float64{"y": y, "x1": big}, "row 1, column x1"},
		{"response near 1e300", "y ~ x1", "gaussian", map[string][]float64{"y": huge, "x1": x}, "column y"},
		{"response near 1e-300", "y ~ x1", "gaussian", map[string][]float64{"y": tiny, "x1": x}, "has sd"},
		{"constant response", "y ~ x1", "gaussian", map[string][]float64{"y": c, "x1": x}, "is constant"},
		{"tiny predictor", "y ~ x1", "gaussian", map[string][]float64{"y": y, "x1": tiny}, "varies by too little"},
		{"fractional trials", "y | trials(n) ~ x1", "binomial", map[string][]float64{"y": s, "n": tr, "x1": x}, "family binomial needs the trials to be whole numbers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&Model{Formula: tc.formula, Family: tc.family}).Build(frame(t, tc.cols))
			var de *DataError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a *DataError saying %q", err, tc.want)
			}
			if tc.name == "fractional trials" && de.Column != "n" {
				t.Errorf("column %q, want the trials column n", de.Column)
			}
		})
	}
}
