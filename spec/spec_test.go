package spec_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/spec"
)

const wellsCSV = `switch,dist100,arsenic,educ,village
1,0.17,2.36,0,a
1,0.47,0.71,0,b
0,0.21,2.07,10,a
1,0.21,1.15,12,c
1,0.40,1.10,14,b
1,0.69,3.90,9,a
1,0.80,2.97,4,c
1,0.41,3.24,10,b
1,0.86,3.28,0,a
0,0.55,2.52,0,c
1,0.29,3.19,5,b
0,0.16,0.95,0,a
`

func frame(t *testing.T, csv string) *data.Frame {
	t.Helper()
	fr, err := data.ReadCSV(strings.NewReader(csv), "wells.csv", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

func TestDefaultsAndNames(t *testing.T) {
	m := &spec.Model{Formula: "switch ~ dist100 + arsenic + (1 | village)", Family: "bernoulli"}
	b, err := m.Build(frame(t, wellsCSV))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range b.Priors {
		got = append(got, p.String())
	}
	want := []string{
		"Intercept ~ normal(0, 2.5)",
		"b[dist100] ~ normal(0, 10.2)",
		"b[arsenic] ~ normal(0, 2.31)",
		"sd[village,Intercept] ~ half_student_t(3, 0, 2.5)",
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("priors\n got %q\nwant %q", got, want)
	}
	names := strings.Join(b.Names, " ")
	if names != "b_Intercept b_dist100 b_arsenic sd_village__Intercept r_village[a,Intercept] r_village[b,Intercept] r_village[c,Intercept]" {
		t.Errorf("names %s", names)
	}
}

func TestUserPriors(t *testing.T) {
	m := &spec.Model{Formula: "arsenic ~ dist100 + educ", Family: "gaussian", Priors: []spec.Prior{
		{Class: "b", Prior: "normal(0, 1)"},
		{Class: "b", Coef: "educ", Prior: "student_t(3, 0, 2)"},
		{Class: "sigma", Prior: "flat"},
	}}
	b, err := m.Build(frame(t, wellsCSV))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range b.Priors {
		got = append(got, p.String())
	}
	want := "Intercept ~ normal(2.29, 2.7); b ~ normal(0, 1); b[educ] ~ student_t(3, 0, 2); sigma ~ flat"
	if strings.Join(got, "; ") != want {
		t.Errorf("priors\n got %q\nwant %q", strings.Join(got, "; "), want)
	}
	lin := b.Linear
	if s := lin.CoefPrior(1).String(); s != "normal(0, 1)" {
		t.Errorf("dist100 prior %s", s)
	}
	if s := lin.CoefPrior(2).String(); s != "student_t(3, 0, 2)" {
		t.Errorf("educ prior %s", s)
	}
	if lin.AuxPrior(0) == nil || lin.AuxPrior(0).Proper() || !lin.AuxPrior(0).Positive() {
		t.Errorf("sigma prior should be flat on (0, ∞), got %v", lin.AuxPrior(0))
	}
	if lin.Proper() {
		t.Error("a flat prior makes the model improper")
	}
}

func TestBuildErrors(t *testing.T) {
	fr := frame(t, wellsCSV)
	for _, tc := range []struct {
		m    spec.Model
		want string
	}{
		{spec.Model{Formula: "switch ~ dist100", Family: "bernouli"}, `unknown family "bernouli" (did you mean "bernoulli"?)`},
		{spec.Model{Formula: "switch ~ dist100", Family: "poisson", Link: "logit"}, "family poisson has no link \"logit\""},
		{spec.Model{Formula: "switch ~ dist100", Family: "bernoulli", Priors: []spec.Prior{{Class: "b", Coef: "dist10", Prior: "normal(0,1)"}}}, `no coefficient "dist10" (did you mean "dist100"?)`},
		{spec.Model{Formula: "switch ~ dist100", Family: "bernoulli", Priors: []spec.Prior{{Class: "sigma", Prior: "exponential(1)"}}}, "family bernoulli has no parameter sigma"},
		{spec.Model{Formula: "switch ~ dist100", Family: "bernoulli", Priors: []spec.Prior{{Class: "b", Prior: "normal(0, -1)"}}}, "sigma must be positive"},
		{spec.Model{Formula: "arsenic ~ dist100", Family: "gaussian", Priors: []spec.Prior{{Class: "sigma", Prior: "normal(0, 1)"}}}, "sigma is a positive parameter"},
		{spec.Model{Formula: "arsenic ~ dist100", Family: "bernoulli"}, "wells.csv: family bernoulli needs y to be 0 or 1; 12 bad values: row 2 (arsenic = 2.36)"},
		{spec.Model{Formula: "educ ~ dist100", Family: "poisson"}, ""},
		{spec.Model{Formula: "arsenic ~ dist100", Family: "poisson"}, "needs non-negative whole counts"},
		{spec.Model{Formula: "switch ~ dist100", Family: "bernoulli", Parameterization: "sideways"}, "unknown parameterization"},
	} {
		_, err := tc.m.Build(fr)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: unexpected error %v", tc.m, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v:\n got %v\nwant %q", tc.m, err, tc.want)
		}
	}
}

func TestParsePrior(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"b ~ normal(0, 2.5)", "b ~ normal(0, 2.5)"},
		{"b[dist100] ~ normal(0,1)", "b[dist100] ~ normal(0,1)"},
		{"sd[g] ~ half_normal(0, 1)", "sd[g] ~ half_normal(0, 1)"},
		{"sd[g, x] ~ exponential(1)", "sd[g,x] ~ exponential(1)"},
		{"Intercept ~ student_t(3, 0, 10)", "Intercept ~ student_t(3, 0, 10)"},
	} {
		p, err := spec.ParsePrior(tc.in)
		if err != nil || p.String() != tc.want {
			t.Errorf("%q: got %v %v, want %q", tc.in, p, err, tc.want)
		}
	}
	for _, bad := range []string{"b normal(0,1)", "beta ~ normal(0,1)", "b ~ nromal(0, 1)", "b[x ~ normal(0,1)"} {
		if _, err := spec.ParsePrior(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The saved description round-trips through JSON and rebuilds the same
// model; centering is a reparameterization, so with flat priors on the
// coefficients a full-rank fit reports the same raw-scale posterior.
func TestJSONRoundTripAndCentering(t *testing.T) {
	fr := frame(t, wellsCSV)
	m := &spec.Model{Formula: "arsenic ~ dist100 + educ", Family: "gaussian", Priors: []spec.Prior{{Class: "b", Prior: "flat"}, {Class: "Intercept", Prior: "flat"}}}
	b, err := m.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	js, err := b.Spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := spec.Parse(js)
	if err != nil {
		t.Fatal(err)
	}
	js2, _ := back.JSON()
	if string(js) != string(js2) {
		t.Errorf("JSON changed on a round trip:\n%s\n%s", js, js2)
	}
	b2, err := back.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	nc := *back
	nc.NoCenter = true
	b3, err := nc.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	fit := func(bb *spec.Built) []float64 {
		q := family.NewFullRank(bb.Linear.Dim())
		if _, err := govi.Fit(context.Background(), bb.Linear, q, &elbo.Quadrature{}, &optim.LBFGS{}, nil); err != nil {
			t.Fatal(err)
		}
		x := make([]float64, len(bb.Names))
		bb.Constrain(x, q.Mean(nil))
		return x
	}
	x1, x2, x3 := fit(b), fit(b2), fit(b3)
	for i := 0; i < 3; i++ {
		if x1[i] != x2[i] {
			t.Errorf("rebuilt model differs at %s: %g vs %g", b.Names[i], x1[i], x2[i])
		}
		if math.Abs(x1[i]-x3[i]) > 1e-6*math.Max(1, math.Abs(x3[i])) {
			t.Errorf("centered and uncentered fits differ at %s: %g vs %g", b.Names[i], x1[i], x3[i])
		}
	}
}

// Default scales are rounded as a whole to three significant digits, so
// that the printed prior is exact and short.
func TestDefaultScaleRounding(t *testing.T) {
	// sd(y) = 0.776531, so 2.5·sd(y) = 1.941327 prints as 1.94; the
	// slope's scale 2.5·sd(y)/sd(x) = 1.227803 as 1.23.
	csv := "y,x\n0.1,1\n1.2,2\n0.4,3\n2.1,4\n0.9,5\n"
	fr, err := data.ReadCSV(strings.NewReader(csv), "t.csv", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&spec.Model{Formula: "y ~ x", Family: "gaussian"}).Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range b.Priors {
		got = append(got, p.String())
	}
	want := "Intercept ~ normal(0.94, 1.94); b[x] ~ normal(0, 1.23); sigma ~ exponential(1.29)"
	if strings.Join(got, "; ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "; "), want)
	}
}

// (1 + x | g) gives correlated effects with an LKJ prior, default lkj(1)
// or the cor prior given, reported as brms does (cor_g__a__b); (1 + x || g)
// gives independent ones; a cor prior needs lkj() and correlated effects.
func TestCorrelatedEffects(t *testing.T) {
	fr := frame(t, wellsCSV)
	build := func(f string, priors ...string) (*spec.Built, error) {
		m := &spec.Model{Formula: f, Family: "bernoulli"}
		for _, p := range priors {
			pr, err := spec.ParsePrior(p)
			if err != nil {
				return nil, err
			}
			m.Priors = append(m.Priors, pr)
		}
		return m.Build(fr)
	}
	b, err := build("switch ~ dist100 + (1 + dist100 | village)")
	if err != nil {
		t.Fatal(err)
	}
	c := b.Linear.Terms().Correlations
	if len(c) != 1 || len(c[0].Groups) != 2 || c[0].Eta != 1 {
		t.Errorf("correlations %+v, want one block of 2 with lkj(1)", c)
	}
	if !slices.Contains(b.Names, "cor_village__Intercept__dist100") {
		t.Errorf("names %v lack the correlation", b.Names)
	}
	if !slices.ContainsFunc(b.Priors, func(p spec.Prior) bool { return p.String() == "cor[village] ~ lkj(1)" }) {
		t.Errorf("priors %v lack the default lkj(1)", b.Priors)
	}
	b, err = build("switch ~ dist100 + (1 + dist100 | village)", "cor ~ lkj(2)")
	if err != nil {
		t.Fatal(err)
	}
	if c := b.Linear.Terms().Correlations; c[0].Eta != 2 {
		t.Errorf("cor ~ lkj(2) gives eta %g", c[0].Eta)
	}
	b, err = build("switch ~ dist100 + (1 + dist100 || village)")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Linear.Terms().Correlations) != 0 || slices.ContainsFunc(b.Names, func(n string) bool { return strings.HasPrefix(n, "cor_") }) {
		t.Errorf("(1 + dist100 || village) has correlations: %v", b.Names)
	}
	for _, bad := range []struct{ formula, prior string }{
		{"switch ~ dist100 + (1 + dist100 || village)", "cor ~ lkj(2)"},
		{"switch ~ dist100 + (1 + dist100 | village)", "cor ~ normal(0, 1)"},
		{"switch ~ dist100 + (1 + dist100 | village)", "cor ~ lkj(-1)"},
	} {
		if _, err := build(bad.formula, bad.prior); err == nil {
			t.Errorf("%s with %s: no error", bad.formula, bad.prior)
		}
	}
}

// "y ~ ." fits every other column, as in R, and the saved description
// keeps the expansion.
func TestDotFormula(t *testing.T) {
	fr := frame(t, wellsCSV)
	m := &spec.Model{Formula: "switch ~ . - village", Family: "bernoulli"}
	if cols, err := m.Columns(); err != nil || cols != nil {
		t.Errorf("Columns of a dot formula: %v, %v; want nil (all)", cols, err)
	}
	b, err := m.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"b_Intercept", "b_dist100", "b_arsenic", "b_educ"}
	if !slices.Equal(b.Names, want) {
		t.Errorf("names %v, want %v", b.Names, want)
	}
	if b.Spec.Formula != "switch ~ (dist100 + arsenic + educ + village) - village" {
		t.Errorf("saved formula %q", b.Spec.Formula)
	}
}
