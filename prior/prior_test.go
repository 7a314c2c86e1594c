package prior

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/stat/distuv"
)

// Every type is a validator (a Prior with Validate).
var _ = []validator{
	Flat{}, Normal{}, StudentT{}, Cauchy{}, DoubleExponential{}, Logistic{},
	HalfNormal{}, HalfCauchy{}, HalfStudentT{}, Exponential{}, Gamma{}, InvGamma{}, LogNormal{},
}

// proper lists one or more instances of every proper prior, including
// extreme parameters, for the generic tests.
var proper = []Prior{
	Normal{0, 2.5}, Normal{-3, 1e-3}, Normal{1e3, 1e4},
	StudentT{3, 0, 10}, StudentT{0.5, 1, 2}, StudentT{1e6, -2, 0.5},
	Cauchy{0, 5}, Cauchy{2, 1e-2},
	DoubleExponential{0, 1}, DoubleExponential{-1, 3},
	Logistic{0, 1}, Logistic{4, 0.2},
	HalfNormal{1}, HalfNormal{1e-3}, HalfNormal{50},
	HalfCauchy{5}, HalfCauchy{0.1},
	HalfStudentT{3, 10}, HalfStudentT{1.5, 0.5},
	Exponential{1}, Exponential{1e-2}, Exponential{30},
	Gamma{2, 0.1}, Gamma{0.5, 1}, Gamma{1, 3}, Gamma{50, 20},
	InvGamma{1, 1}, InvGamma{3, 0.5}, InvGamma{0.5, 2},
	LogNormal{0, 1}, LogNormal{2, 0.3}, LogNormal{-1, 2},
}

// TestReference compares log densities with gonum's distuv (and, for the
// half-* priors, log 2 plus the full density).
func TestReference(t *testing.T) {
	type ref struct {
		p    Prior
		want func(x float64) float64
	}
	refs := []ref{
		{Normal{0.5, 2.5}, distuv.Normal{Mu: 0.5, Sigma: 2.5}.LogProb},
		{StudentT{3, 1, 10}, distuv.StudentsT{Nu: 3, Mu: 1, Sigma: 10}.LogProb},
		{StudentT{0.5, -1, 0.2}, distuv.StudentsT{Nu: 0.5, Mu: -1, Sigma: 0.2}.LogProb},
		{Cauchy{1, 5}, distuv.StudentsT{Nu: 1, Mu: 1, Sigma: 5}.LogProb},
		{DoubleExponential{-1, 2}, distuv.Laplace{Mu: -1, Scale: 2}.LogProb},
		// distuv.Logistic.LogProb ignores Mu and S (gonum v0.17.0), so
		// the logistic reference is the textbook formula
		// −z − log σ − 2 log(1 + e^{−z}).
		{Logistic{0.3, 1.7}, func(x float64) float64 {
			z := (x - 0.3) / 1.7
			return -z - math.Log(1.7) - 2*math.Log(1+math.Exp(-z))
		}},
		{HalfNormal{3}, func(x float64) float64 { return math.Ln2 + distuv.Normal{Sigma: 3}.LogProb(x) }},
		{HalfCauchy{5}, func(x float64) float64 { return math.Ln2 + distuv.StudentsT{Nu: 1, Sigma: 5}.LogProb(x) }},
		{HalfStudentT{4, 2}, func(x float64) float64 { return math.Ln2 + distuv.StudentsT{Nu: 4, Sigma: 2}.LogProb(x) }},
		{Exponential{1.5}, distuv.Exponential{Rate: 1.5}.LogProb},
		{Gamma{2, 0.1}, distuv.Gamma{Alpha: 2, Beta: 0.1}.LogProb},
		{Gamma{0.5, 3}, distuv.Gamma{Alpha: 0.5, Beta: 3}.LogProb},
		{InvGamma{3, 0.5}, distuv.InverseGamma{Alpha: 3, Beta: 0.5}.LogProb},
		{LogNormal{0.2, 0.7}, distuv.LogNormal{Mu: 0.2, Sigma: 0.7}.LogProb},
	}
	for _, r := range refs {
		xs := []float64{-30, -2, -0.5, 0.01, 0.3, 1, 2.5, 7, 40}
		for _, x := range xs {
			got, _, _ := r.p.LogProb(x)
			if r.p.Positive() && x <= 0 {
				continue // checked in TestOutsideSupport
			}
			want := r.want(x)
			if math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
				t.Errorf("%v at %g: log p = %.17g, want %.17g", r.p, x, got, want)
			}
		}
	}
}

// TestNormalized integrates exp(log p) over the support numerically: with
// x = μ + s·sinh(u) on the real line and x = e^u on (0, ∞) the integrands
// decay exponentially in u even for the Cauchy tails, and Simpson's rule on
// a fine grid is accurate to ~1e-10 (the Laplace kink at μ falls on u = 0, a
// grid node, so each half is smooth).
func TestNormalized(t *testing.T) {
	const (
		umax = 200.0
		n    = 80000 // even
	)
	h := 2 * umax / n
	for _, p := range proper {
		var s float64
		for j := 0; j <= n; j++ {
			u := -umax + float64(j)*h
			var x, jac float64
			if p.Positive() {
				x, jac = math.Exp(u), math.Exp(u)
			} else {
				mu, scale := location(p)
				x, jac = mu+scale*math.Sinh(u), scale*math.Cosh(u)
			}
			lp, _, _ := p.LogProb(x)
			w := 2.0
			if j%2 == 1 {
				w = 4
			}
			if j == 0 || j == n {
				w = 1
			}
			if f := math.Exp(lp) * jac; f > 0 && !math.IsInf(f, 0) {
				s += w * f
			}
		}
		s *= h / 3
		if math.Abs(s-1) > 1e-8 {
			t.Errorf("%v integrates to 1 %+.3g", p, s-1)
		}
	}
}

// location returns the centre and scale of a real-line prior.
func location(p Prior) (mu, scale float64) {
	switch p := p.(type) {
	case Normal:
		return p.Mu, p.Sigma
	case StudentT:
		return p.Mu, p.Sigma
	case Cauchy:
		return p.Mu, p.Sigma
	case DoubleExponential:
		return p.Mu, p.Sigma
	case Logistic:
		return p.Mu, p.Sigma
	}
	panic(fmt.Sprintf("no location for %T", p))
}

// fivePoint is the fourth-order central difference for a first derivative.
var fivePoint = fd.Formula{
	Stencil: []fd.Point{
		{Loc: -2, Coeff: 1.0 / 12}, {Loc: -1, Coeff: -8.0 / 12},
		{Loc: 1, Coeff: 8.0 / 12}, {Loc: 2, Coeff: -1.0 / 12},
	},
	Derivative: 1,
	Step:       1e-3,
}

// checkDeriv compares got with the five-point derivative of f at x, allowing
// tol relative error plus rounding noise and the truncation error estimated
// from steps h and 2h.
func checkDeriv(t *testing.T, what string, got float64, f func(float64) float64, x, scale, h, tol float64) {
	t.Helper()
	const eps = 0x1p-52
	d := func(h float64) float64 { return fd.Derivative(f, x, &fd.Settings{Formula: fivePoint, Step: h}) }
	want := d(h)
	allowed := tol*math.Abs(want) + 20*eps*(math.Abs(scale)+math.Abs(x*want))/h + 2*math.Abs(want-d(2*h))
	if !(math.Abs(got-want) <= allowed) {
		t.Errorf("%s = %.15g, finite difference %.15g (allowed %.3g)", what, got, want, allowed)
	}
}

func TestDerivatives(t *testing.T) {
	for _, p := range proper {
		var xs []float64
		if p.Positive() {
			xs = []float64{1e-6, 1e-3, 0.05, 0.5, 1, 3, 20, 1e3, 1e6}
		} else {
			mu, s := location(p)
			for _, u := range []float64{-1e4, -30, -2, -0.5, 0.3, 1, 4, 30, 1e4} {
				xs = append(xs, mu+s*u)
			}
		}
		for _, x := range xs {
			lp, d1, d2 := p.LogProb(x)
			if math.IsNaN(lp) || math.IsInf(lp, 0) || math.IsNaN(d1) || math.IsNaN(d2) {
				t.Errorf("%v at %g: (%g, %g, %g)", p, x, lp, d1, d2)
				continue
			}
			// Steps small relative to the distance to μ (the Laplace kink)
			// and to 0 (the boundary of positive supports).
			h := 1e-4 * math.Abs(x)
			if !p.Positive() {
				mu, s := location(p)
				h = 1e-4 * math.Max(math.Abs(x-mu), 1e-3*s)
			}
			at := fmt.Sprintf("%v at %g", p, x)
			lpf := func(x float64) float64 { lp, _, _ := p.LogProb(x); return lp }
			d1f := func(x float64) float64 { _, d, _ := p.LogProb(x); return d }
			checkDeriv(t, at+": d1", d1, lpf, x, lp, h, 1e-8)
			checkDeriv(t, at+": d2", d2, d1f, x, d1, h, 1e-8)
		}
	}
}

func TestLaplaceSubgradient(t *testing.T) {
	p := DoubleExponential{Mu: 1, Sigma: 2}
	lp, d1, d2 := p.LogProb(1)
	if lp != -math.Ln2-math.Log(2) || d1 != 0 || d2 != 0 {
		t.Errorf("double_exponential at μ: (%g, %g, %g), want (%g, 0, 0)", lp, d1, d2, -math.Ln2-math.Log(2))
	}
	if _, d1, _ := p.LogProb(1.5); d1 != -0.5 {
		t.Errorf("d1 right of μ = %g, want -0.5", d1)
	}
	if _, d1, _ := p.LogProb(0.5); d1 != 0.5 {
		t.Errorf("d1 left of μ = %g, want 0.5", d1)
	}
}

func TestOutsideSupport(t *testing.T) {
	ps := []Prior{Flat{OnPositive: true}}
	for _, p := range proper {
		if p.Positive() {
			ps = append(ps, p)
		}
	}
	for _, p := range ps {
		for _, x := range []float64{0, -1e-300, -1, math.Inf(-1)} {
			lp, d1, d2 := p.LogProb(x)
			if !math.IsInf(lp, -1) || d1 != 0 || d2 != 0 {
				t.Errorf("%v at %g: (%g, %g, %g), want (-Inf, 0, 0)", p, x, lp, d1, d2)
			}
		}
	}
}

// TestExtremes checks that densities stay finite (or −Inf), never NaN, at
// extreme arguments inside the support.
func TestExtremes(t *testing.T) {
	for _, p := range proper {
		xs := []float64{1e-300, 1e-10, 1e10, 1e300, math.MaxFloat64}
		if !p.Positive() {
			xs = append(xs, 0, -1e-300, -1e10, -1e300, -math.MaxFloat64)
		}
		for _, x := range xs {
			lp, d1, d2 := p.LogProb(x)
			if math.IsNaN(lp) || math.IsNaN(d1) || math.IsNaN(d2) || math.IsInf(lp, 1) {
				t.Errorf("%v at %g: (%g, %g, %g)", p, x, lp, d1, d2)
			}
		}
	}
}

func TestFlat(t *testing.T) {
	for _, f := range []Flat{{}, {OnPositive: true}} {
		for _, x := range []float64{1e-300, 1, 1e300} {
			if lp, d1, d2 := f.LogProb(x); lp != 0 || d1 != 0 || d2 != 0 {
				t.Errorf("%+v at %g: (%g, %g, %g), want zeros", f, x, lp, d1, d2)
			}
		}
		if f.Proper() || f.Positive() != f.OnPositive || f.String() != "flat" || f.Validate() != nil {
			t.Errorf("%+v: Proper %v, Positive %v, String %q, Validate %v", f, f.Proper(), f.Positive(), f, f.Validate())
		}
	}
	if lp, _, _ := (Flat{}).LogProb(-5); lp != 0 {
		t.Errorf("flat on the real line at -5: %g, want 0", lp)
	}
}

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		p                Prior
		positive, proper bool
	}{
		{Normal{0, 1}, false, true}, {StudentT{3, 0, 1}, false, true}, {Cauchy{0, 1}, false, true},
		{DoubleExponential{0, 1}, false, true}, {Logistic{0, 1}, false, true},
		{HalfNormal{1}, true, true}, {HalfCauchy{1}, true, true}, {HalfStudentT{3, 1}, true, true},
		{Exponential{1}, true, true}, {Gamma{2, 1}, true, true}, {InvGamma{2, 1}, true, true},
		{LogNormal{0, 1}, true, true}, {Flat{}, false, false}, {Flat{OnPositive: true}, true, false},
	} {
		if c.p.Positive() != c.positive || c.p.Proper() != c.proper {
			t.Errorf("%v: Positive %v, Proper %v; want %v, %v", c.p, c.p.Positive(), c.p.Proper(), c.positive, c.proper)
		}
	}
}

func TestNormalParams(t *testing.T) {
	type gaussian interface{ NormalParams() (mu, sigma float64) }
	var p Prior = Normal{Mu: 1, Sigma: 2.5}
	g, ok := p.(gaussian)
	if !ok {
		t.Fatal("Normal does not implement NormalParams")
	}
	if mu, sigma := g.NormalParams(); mu != 1 || sigma != 2.5 {
		t.Errorf("NormalParams() = %g, %g; want 1, 2.5", mu, sigma)
	}
	for _, p := range []Prior{StudentT{3, 0, 1}, LogNormal{0, 1}, HalfNormal{1}, Flat{}} {
		if _, ok := p.(gaussian); ok {
			t.Errorf("%v claims to be Gaussian", p)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Prior
	}{
		{"normal(0, 2.5)", Normal{0, 2.5}},
		{"  normal ( -1.5e2 ,2.5E-1 )  ", Normal{-150, 0.25}},
		{"normal(+3,1e0)", Normal{3, 1}},
		{"student_t(3, 0, 10)", StudentT{3, 0, 10}},
		{"student_t(3,0,10)", StudentT{3, 0, 10}},
		{"cauchy(0,5)", Cauchy{0, 5}},
		{"double_exponential(0,1)", DoubleExponential{0, 1}},
		{"logistic(0,1)", Logistic{0, 1}},
		{"half_normal(0, 1)", HalfNormal{1}},
		{"half_normal(-0, 1)", HalfNormal{1}},
		{"half_normal(0.0, 1)", HalfNormal{1}},
		{"half_cauchy(0, 5)", HalfCauchy{5}},
		{"half_student_t(3, 0, 10)", HalfStudentT{3, 10}},
		{"exponential(1)", Exponential{1}},
		{"exponential( 2.5e-3 )", Exponential{0.0025}},
		{"gamma(2, 0.1)", Gamma{2, 0.1}},
		{"inv_gamma(1, 1)", InvGamma{1, 1}},
		{"lognormal(0, 1)", LogNormal{0, 1}},
		{"flat", Flat{}},
		{" flat ", Flat{}},
		{"flat()", Flat{}},
		{"normal(0, 1e-100)", Normal{0, 1e-100}},
		{"normal(-1e100, 1e100)", Normal{-1e100, 1e100}},
	} {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "prior: empty prior specification"},
		{"   ", "prior: empty prior specification"},
		{"normall(0, 1)", `prior: unknown prior "normall"; did you mean "normal"?`},
		{"Normal(0, 1)", `prior: unknown prior "Normal"; did you mean "normal"?`},
		{"half-normal(0, 1)", `prior: unknown prior "half-normal"; did you mean "half_normal"?`},
		{"halfcauchy(0, 1)", `prior: unknown prior "halfcauchy"; did you mean "half_cauchy"?`},
		{"studentt(3, 0, 1)", `prior: unknown prior "studentt"; did you mean "student_t"?`},
		{"laplace(0, 1)", `prior: unknown prior "laplace"; did you mean "double_exponential"?`},
		{"inverse_gamma(1, 1)", `prior: unknown prior "inverse_gamma"; did you mean "inv_gamma"?`},
		{"weibull(1, 1)", `prior: unknown prior "weibull"; known priors are normal, student_t, cauchy, double_exponential, logistic, half_normal, half_cauchy, half_student_t, exponential, gamma, inv_gamma, lognormal, flat`},
		{"student_t(3, 0)", "prior: student_t(3, 0): student_t takes 3 arguments: student_t(nu, mu, sigma)"},
		{"normal(1)", "prior: normal(1): normal takes 2 arguments: normal(mu, sigma)"},
		{"normal", "prior: normal: normal takes 2 arguments: normal(mu, sigma)"},
		{"normal()", "prior: normal(): normal takes 2 arguments: normal(mu, sigma)"},
		{"exponential(1, 2)", "prior: exponential(1, 2): exponential takes 1 argument: exponential(rate)"},
		{"half_normal(1)", "prior: half_normal(1): half_normal takes 2 arguments: half_normal(0, sigma)"},
		{"half_student_t(3, 10)", "prior: half_student_t(3, 10): half_student_t takes 3 arguments: half_student_t(nu, 0, sigma)"},
		{"flat(1)", "prior: flat(1): flat takes no arguments"},
		{"normal(0, -1)", "prior: normal(0, -1): sigma must be positive"},
		{"normal(0, 1e-300)", "prior: normal(0, 1e-300): sigma = 1e-300 is outside the range of magnitudes a prior's arguments may take, 1e-100 to 1e+100 (or 0); rescale the data instead"},
		{"normal(1e101, 1)", "prior: normal(1e101, 1): mu = 1e+101 is outside the range of magnitudes a prior's arguments may take, 1e-100 to 1e+100 (or 0); rescale the data instead"},
		{"normal(0,0)", "prior: normal(0, 0): sigma must be positive"},
		{"student_t(0, 0, 1)", "prior: student_t(0, 0, 1): nu must be positive"},
		{"student_t(-3, 0, 1)", "prior: student_t(-3, 0, 1): nu must be positive"},
		{"cauchy(0, -5)", "prior: cauchy(0, -5): sigma must be positive"},
		{"half_cauchy(0, 0)", "prior: half_cauchy(0, 0): sigma must be positive"},
		{"half_normal(1, 2)", "prior: half_normal(1, 2): location must be 0, as in half_normal(0, sigma)"},
		{"half_student_t(3, 1, 2)", "prior: half_student_t(3, 1, 2): location must be 0, as in half_student_t(nu, 0, sigma)"},
		{"exponential(0)", "prior: exponential(0): rate must be positive"},
		{"gamma(-2, 0.1)", "prior: gamma(-2, 0.1): shape must be positive"},
		{"gamma(2, 0)", "prior: gamma(2, 0): rate must be positive"},
		{"inv_gamma(1, -1)", "prior: inv_gamma(1, -1): scale must be positive"},
		{"lognormal(0, -1)", "prior: lognormal(0, -1): sigma must be positive"},
		{"normal(0, inf)", "prior: normal(0, inf): sigma must be finite"},
		{"normal(NaN, 1)", "prior: normal(NaN, 1): mu must be finite"},
		{"normal(1e999, 1)", "prior: normal(1e999, 1): mu must be finite"},
		{"normal(0, abc)", `prior: normal(0, abc): sigma = "abc" is not a number`},
		{"normal(0, 1 2)", `prior: normal(0, 1 2): sigma = "1 2" is not a number`},
		{"normal(0, )", "prior: normal(0, ): sigma (argument 2) is empty"},
		{"normal(0, 1", `prior: "normal(0, 1": missing ")"`},
		{"normal(0, 1))", `prior: "normal(0, 1))": unexpected ")" after ")"`},
		{"normal(0, 1) x", `prior: "normal(0, 1) x": unexpected "x" after ")"`},
		{"normal((0), 1)", `prior: "normal((0), 1)": unexpected "("`},
		{"normal 0 1", `prior: "normal 0 1": want name(arguments), e.g. normal(0, 1)`},
		{"(0, 1)", `prior: "(0, 1)": want name(arguments), e.g. normal(0, 1)`},
		{"flat)", `prior: "flat)": want name(arguments), e.g. normal(0, 1)`},
	} {
		p, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error %q", c.in, p, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q):\n got %q\nwant %q", c.in, err, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		p    validator
		want string
	}{
		{Normal{0, -1}, "prior: normal(0, -1): sigma must be positive"},
		{Normal{nan, 1}, "prior: normal(NaN, 1): mu must be finite"},
		{Normal{0, inf}, "prior: normal(0, +Inf): sigma must be finite"},
		{Normal{0, nan}, "prior: normal(0, NaN): sigma must be positive"},
		{StudentT{inf, 0, 1}, "prior: student_t(+Inf, 0, 1): nu must be finite"},
		{StudentT{3, -inf, 1}, "prior: student_t(3, -Inf, 1): mu must be finite"},
		{Cauchy{0, 0}, "prior: cauchy(0, 0): sigma must be positive"},
		{DoubleExponential{0, -2}, "prior: double_exponential(0, -2): sigma must be positive"},
		{Logistic{inf, 1}, "prior: logistic(+Inf, 1): mu must be finite"},
		{HalfNormal{0}, "prior: half_normal(0, 0): sigma must be positive"},
		{HalfCauchy{-1}, "prior: half_cauchy(0, -1): sigma must be positive"},
		{HalfStudentT{0, 1}, "prior: half_student_t(0, 0, 1): nu must be positive"},
		{HalfStudentT{3, 0}, "prior: half_student_t(3, 0, 0): sigma must be positive"},
		{Exponential{-1}, "prior: exponential(-1): rate must be positive"},
		{Gamma{0, 1}, "prior: gamma(0, 1): shape must be positive"},
		{InvGamma{1, 0}, "prior: inv_gamma(1, 0): scale must be positive"},
		{LogNormal{0, 0}, "prior: lognormal(0, 0): sigma must be positive"},
	} {
		err := c.p.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("%#v.Validate() = %v, want %q", c.p, err, c.want)
		}
	}
	for _, p := range proper {
		if err := p.(validator).Validate(); err != nil {
			t.Errorf("%v: unexpected %v", p, err)
		}
	}
}

// TestStringRoundTrip checks that String is the Stan spelling and that Parse
// inverts it exactly.
func TestStringRoundTrip(t *testing.T) {
	for _, c := range []struct {
		p    Prior
		want string
	}{
		{Normal{0, 2.5}, "normal(0, 2.5)"},
		{StudentT{3, 0, 10}, "student_t(3, 0, 10)"},
		{HalfNormal{1}, "half_normal(0, 1)"},
		{HalfStudentT{3, 10}, "half_student_t(3, 0, 10)"},
		{Exponential{1e-5}, "exponential(1e-05)"},
		{Gamma{2, 0.1}, "gamma(2, 0.1)"},
		{InvGamma{1, 1}, "inv_gamma(1, 1)"},
		{Flat{}, "flat"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.p, got, c.want)
		}
	}
	for _, p := range append(proper, Normal{0.1, 1.0 / 3}, Flat{}) {
		q, err := Parse(p.String())
		if err != nil || q != p {
			t.Errorf("Parse(%q) = %#v, %v; want %#v", p.String(), q, err, p)
		}
	}
}

func TestNames(t *testing.T) {
	names := Names()
	if len(names) != 13 || names[0] != "normal" || names[len(names)-1] != "flat" {
		t.Errorf("Names() = %v", names)
	}
	for _, n := range names {
		if editDistance(n, n) != 0 {
			t.Errorf("editDistance(%q, %q) != 0", n, n)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"kitten", "sitting", 3}, {"", "abc", 3}, {"normal", "normall", 1}, {"flat", "", 4}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, p := range proper {
		if a := testing.AllocsPerRun(20, func() { p.LogProb(0.7) }); a != 0 {
			t.Errorf("%v: %g allocations per LogProb", p, a)
		}
	}
}

func BenchmarkLogProb(b *testing.B) {
	for _, p := range []Prior{Normal{0, 1}, StudentT{3, 0, 1}, Gamma{2, 1}, LogNormal{0, 1}} {
		b.Run(fmt.Sprintf("%T", p), func(b *testing.B) {
			b.ReportAllocs()
			var s float64
			for i := 0; b.Loop(); i++ {
				lp, _, _ := p.LogProb(0.5 + float64(i%8))
				s += lp
			}
			_ = s
		})
	}
}
