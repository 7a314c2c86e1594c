package spec

import (
	"errors"
	"testing"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
)

// FuzzSpec reads any bytes as a spec.json: a *Model or a typed error,
// never a panic; a model that checks out is built on a small data set
// with typed errors only, and its JSON reads back to the same JSON.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{
		`{"formula": "y ~ x", "family": "gaussian"}`,
		`{"formula": "y ~ x + (1 | g)", "family": "gaussian", "parameterization": "centered"}`,
		`{"formula": "y ~ x", "family": "bernoulli", "priors": [{"class": "b", "prior": "normal(0, 1)"}]}`,
		`{"formula": "y | trials(n) ~ x", "family": "binomial"}`,
		`{"formula": "y ~ x", "family": "student", "nu": 4}`,
		`{"formula": "y ~ x", "family": "poisson", "priors": [{"class": "b", "coef": "x", "prior": "flat"}]}`,
		`{"formula": "y ~ x", "family": "gaussian", "priors": [{"class": "sigma", "prior": "normal(0, 1)"}]}`,
		`{"formula": "y ~ x", "family": "gaussian", "nu": -1}`, `{"formula": 3}`, `{}`, `[]`, `{"formula": "y ~ x", "family": "gaussian", "extra": 1}`,
	} {
		f.Add([]byte(s))
	}
	y := []float64{0, 1, 1, 0, 1, 2, 0, 1, 1, 0}
	x := []float64{0.1, -0.3, 1.2, 0.5, -1.1, 0.7, 0.2, -0.4, 0.9, -0.8}
	n := []float64{2, 2, 3, 2, 2, 3, 2, 2, 2, 1}
	g := []string{"a", "b", "a", "b", "a", "b", "a", "b", "a", "b"}
	fr, err := data.New("d.csv", data.NewNumeric("y", y), data.NewNumeric("x", x), data.NewNumeric("n", n), data.NewString("g", g))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse: error of type %T: %v", err, err)
			}
			return
		}
		if err := m.Check(); err != nil {
			if !typed(err) {
				t.Fatalf("Check: error of type %T: %v", err, err)
			}
			return
		}
		js, err := m.JSON()
		if err != nil {
			t.Fatalf("JSON of a checked model: %v", err)
		}
		m2, err := Parse(js)
		if err != nil {
			t.Fatalf("its JSON does not read back: %v\n%s", err, js)
		}
		if js2, _ := m2.JSON(); string(js2) != string(js) {
			t.Fatalf("JSON round trip:\n%s\n%s", js, js2)
		}
		if _, err := m.Build(fr); err != nil && !typed(err) {
			t.Fatalf("Build: error of type %T: %v", err, err)
		}
	})
}

// typed reports whether err is one of the typed errors of spec, formula
// and data.
func typed(err error) bool {
	var (
		e  *Error
		pe *PriorError
		de *DataError
		se *formula.SyntaxError
		ee *formula.EvalError
		re *data.Error
	)
	return errors.As(err, &e) || errors.As(err, &pe) || errors.As(err, &de) || errors.As(err, &se) || errors.As(err, &ee) || errors.As(err, &re)
}
