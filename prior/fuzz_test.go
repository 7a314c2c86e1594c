package prior

import (
	"math"
	"strings"
	"testing"
)

// FuzzParse: any text gives a prior or an error starting "prior: ", never
// a panic; a parsed prior prints to text that parses to the same prior,
// and its log density is never NaN nor +Inf.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"normal(0, 2.5)", "student_t(3, 0, 10)", "cauchy(0, 5)", "double_exponential(0, 1)", "logistic(0, 1)",
		"half_normal(0, 1)", "half_cauchy(0, 5)", "half_student_t(3, 0, 2.5)", "exponential(1)", "gamma(2, 0.1)",
		"inv_gamma(1, 1)", "lognormal(0, 1)", "flat", "normal(0, 1e-300)", "normal(1e308, 1)", "normal(,)", "normal(0, 1",
		"gamma(2, 0.1))", "NORMAL(0,1)", "normal(0x1p3, 1)", "normal(inf, 1)", "normal(nan, 1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "prior: ") {
				t.Fatalf("Parse(%q): error %q lacks the package prefix", s, err)
			}
			if len(err.Error()) > 2*MaxLength+400 {
				t.Fatalf("Parse(%q): a message of %d bytes", s, len(err.Error()))
			}
			return
		}
		again, err := Parse(p.String())
		if err != nil || again != p {
			t.Fatalf("Parse(%q) = %#v prints as %q, which parses to %#v (%v)", s, p, p.String(), again, err)
		}
		for _, x := range []float64{-1e10, -1, 0, 0.5, 1, 1e10} {
			if v, _, _ := p.LogProb(x); math.IsNaN(v) || math.IsInf(v, 1) {
				t.Fatalf("%s: log density at %g is %g", p, x, v)
			}
		}
	})
}
