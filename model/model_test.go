package model_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/conformance"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/transform"
)

// eightSchools builds y_j ~ N(μ + r_j, s_j) with r_j ~ N(0, τ), μ ~ N(0, 5)
// and τ ~ half-normal(0, 5): a Linear model with a Gaussian-with-known-sd
// likelihood, an intercept column and one group.
func eightSchools(t *testing.T, centered bool) *model.Linear {
	t.Helper()
	y := []float64{28, 8, -3, 7, -1, 1, 18, 12}
	se := []float64{15, 10, 16, 11, 9, 11, 10, 18}
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	x := mat.NewDense(8, 1, []float64{1, 1, 1, 1, 1, 1, 1, 1})
	m, err := model.NewLinear(model.Terms{
		Lik:  seLik{y, se},
		X:    x,
		Coef: []model.Prior{testmodel.Normal{Mu: 0, Sigma: 5}},
		Groups: []model.Group{{Name: "school", Coef: "Intercept", Levels: strings.Split("ABCDEFGH", ""),
			Index: idx, SD: testmodel.HalfNormal{Sigma: 5}, Centered: centered}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type seLik struct{ y, se []float64 }

func (s seLik) Len() int      { return len(s.y) }
func (s seLik) Aux() []string { return nil }
func (s seLik) LogLik(i int, eta float64, _, _ []float64) (float64, float64, float64) {
	return testmodel.GaussKnown{Y: s.y[i : i+1], SD: s.se[i]}.LogLik(0, eta, nil, nil)
}

func normLog(x, m, s float64) float64 {
	z := (x - m) / s
	return -0.5*math.Log(2*math.Pi) - math.Log(s) - 0.5*z*z
}

// The Linear density equals the eight-schools density written out by hand,
// including the log-Jacobian of τ = e^ψ, in both parameterizations.
func TestLinearMatchesHandWritten(t *testing.T) {
	y := []float64{28, 8, -3, 7, -1, 1, 18, 12}
	se := []float64{15, 10, 16, 11, 9, 11, 10, 18}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, centered := range []bool{true, false} {
		m := eightSchools(t, centered)
		if m.Dim() != 10 {
			t.Fatalf("dim %d", m.Dim())
		}
		th := make([]float64, 10)
		for i := range th {
			th[i] = rng.NormFloat64()
		}
		psi, mu := th[m.SDIndex(0)], th[m.CoefIndex(0)]
		tau := math.Exp(psi)
		want := normLog(mu, 0, 5) + math.Log(2) + normLog(tau, 0, 5) + psi
		for j := 0; j < 8; j++ {
			b := th[m.GroupIndex(0, j)]
			r := b
			if centered {
				want += normLog(b, 0, tau)
			} else {
				want += normLog(b, 0, 1)
				r = tau * b
			}
			want += normLog(y[j], mu+r, se[j])
		}
		if got := m.LogDensity(th); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("centered=%v: LogDensity %.15g, by hand %.15g", centered, got, want)
		}
	}
}

func TestLinearGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, centered := range []bool{true, false} {
		m := eightSchools(t, centered)
		for r := 0; r < 5; r++ {
			th := make([]float64, m.Dim())
			for i := range th {
				th[i] = rng.NormFloat64()
			}
			if err := model.CheckGrad(m, th, 1e-7); err != nil {
				t.Errorf("centered=%v: %v", centered, err)
			}
		}
	}
	// A likelihood with an auxiliary parameter and an offset.
	n := 30
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	off := make([]float64, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		x.Set(i, 1, rng.NormFloat64())
		y[i] = rng.NormFloat64()
		off[i] = rng.NormFloat64()
	}
	m, err := model.NewLinear(model.Terms{Lik: testmodel.Gauss{Y: y}, X: x, Offset: off,
		Coef: []model.Prior{testmodel.StudentT{Nu: 3, Mu: 1, Sigma: 2}, nil},
		Aux:  []model.Prior{testmodel.HalfNormal{Sigma: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := model.CheckGrad(m, []float64{0.3, 0.5, -1}, 1e-7); err != nil {
		t.Error(err)
	}
	// Row subsets: the full-data density is the prior plus the sum of the
	// rows, so two halves each scaled by 2 average to the whole.
	th := []float64{0.3, 0.5, -1}
	var a, b []int
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	ga, gb, g := make([]float64, 3), make([]float64, 3), make([]float64, 3)
	fa := m.LogDensityRows(ga, th, a, 2)
	fb := m.LogDensityRows(gb, th, b, 2)
	f := m.LogDensityGrad(g, th)
	if math.Abs((fa+fb)/2-f) > 1e-12*math.Abs(f) {
		t.Errorf("row halves average %g, full %g", (fa+fb)/2, f)
	}
	for i := range g {
		if math.Abs((ga[i]+gb[i])/2-g[i]) > 1e-10 {
			t.Errorf("gradient[%d]: halves average %g, full %g", i, (ga[i]+gb[i])/2, g[i])
		}
	}
}

// CheckGrad catches a wrong gradient and NumGrad provides a right one.
func TestCheckGradAndNumGrad(t *testing.T) {
	f := func(x []float64) float64 { return -x[0]*x[0] - math.Sin(x[1])*x[0] }
	good := model.Func{N: 2, F: f, Grad: func(g, x []float64) float64 {
		g[0], g[1] = -2*x[0]-math.Sin(x[1]), -math.Cos(x[1])*x[0]
		return f(x)
	}}
	bad := model.Func{N: 2, F: f, Grad: func(g, x []float64) float64 {
		g[0], g[1] = -2*x[0], -math.Cos(x[1])*x[0] // forgets a term
		return f(x)
	}}
	x := []float64{0.7, 1.1}
	if err := model.CheckGrad(good, x, 0); err != nil {
		t.Errorf("correct gradient rejected: %v", err)
	}
	var ge *model.GradError
	if err := model.CheckGrad(bad, x, 0); !errors.As(err, &ge) || ge.Index != 0 {
		t.Errorf("wrong gradient not caught at coordinate 0: %v", err)
	}
	ng := model.NumGrad{F: model.Func{N: 2, F: f}}
	g := make([]float64, 2)
	ng.LogDensityGrad(g, x)
	want := make([]float64, 2)
	good.LogDensityGrad(want, x)
	for i := range g {
		if math.Abs(g[i]-want[i]) > 1e-8 {
			t.Errorf("NumGrad[%d] = %g, want %g", i, g[i], want[i])
		}
	}
}

func TestNewLinearErrors(t *testing.T) {
	x := mat.NewDense(3, 1, []float64{1, 1, 1})
	lik := testmodel.GaussKnown{Y: []float64{1, 2, 3}, SD: 1}
	for _, tc := range []struct {
		terms model.Terms
		want  string
	}{
		{model.Terms{}, "needs a likelihood"},
		{model.Terms{Lik: lik, X: mat.NewDense(2, 1, nil)}, "X has 2 rows"},
		{model.Terms{Lik: lik, X: x, Offset: []float64{1}}, "offset has 1 rows"},
		{model.Terms{Lik: lik, X: x, Coef: []model.Prior{testmodel.HalfNormal{Sigma: 1}}}, "needs a positive parameter"},
		{model.Terms{Lik: lik, Groups: []model.Group{{Name: "g", Levels: []string{"a"}, Index: []int{0, 1, 0}}}}, "outside [0, 1)"},
		{model.Terms{Lik: lik, Groups: []model.Group{{Name: "g", Levels: []string{"a"}, Index: []int{0}}}}, "has 1 row indices"},
		{model.Terms{Lik: lik, Groups: []model.Group{{Name: "g", Levels: []string{"a"}, Index: []int{0, 0, 0}, SD: testmodel.Normal{Mu: 0, Sigma: 1}}}}, "positive support"},
	} {
		_, err := model.NewLinear(tc.terms)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
}

func TestLinearConstrain(t *testing.T) {
	for _, centered := range []bool{true, false} {
		m := eightSchools(t, centered)
		names := m.ConstrainedNames()
		if names[0] != "b[1]" || names[1] != "sd_school__Intercept" || names[2] != "r_school[A,Intercept]" || len(names) != 10 {
			t.Fatalf("names %v", names)
		}
		th := make([]float64, 10)
		for i := range th {
			th[i] = 0.1 * float64(i+1)
		}
		x := make([]float64, 10)
		m.Constrain(x, th)
		tau := math.Exp(th[m.SDIndex(0)])
		if x[0] != th[m.CoefIndex(0)] || x[1] != tau {
			t.Errorf("coefficient or sd wrong: %v", x[:2])
		}
		for j := 0; j < 8; j++ {
			want := th[m.GroupIndex(0, j)]
			if !centered {
				want *= tau
			}
			if math.Abs(x[2+j]-want) > 1e-15 {
				t.Errorf("centered=%v: r[%d] = %g, want %g", centered, j, x[2+j], want)
			}
		}
		if un := m.Names(); un[m.SDIndex(0)] != "log_sd_school__Intercept" {
			t.Errorf("unconstrained names %v", un)
		}
	}
}

// A Stan-style model on the natural scale: the Jacobians are added and the
// gradient is chained through the transforms.
func TestConstrained(t *testing.T) {
	simplex, err := transform.NewSimplex(3)
	if err != nil {
		t.Fatal(err)
	}
	params := []model.Param{
		{Name: "sigma", Transform: transform.Lower{A: 0}},
		{Name: "p", Transform: transform.Interval{A: -1, B: 2}, Size: 2},
		{Name: "w", Vector: simplex},
		{Name: "mu"},
	}
	// log p = log N(mu | 0, sigma) + Σ p² + Σ log w (a Dirichlet(2,2,2) kernel).
	f := func(grad, x []float64) float64 {
		sigma, p0, p1, mu := x[0], x[1], x[2], x[6]
		lp := normLog(mu, 0, sigma) - p0*p0 - p1*p1
		for _, w := range x[3:6] {
			lp += math.Log(w)
		}
		if grad != nil {
			grad[0] = -1/sigma + mu*mu/(sigma*sigma*sigma)
			grad[1], grad[2] = -2*p0, -2*p1
			for i := 3; i < 6; i++ {
				grad[i] = 1 / x[i]
			}
			grad[6] = -mu / (sigma * sigma)
		}
		return lp
	}
	c, err := model.NewConstrained(params, f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dim() != 6 || len(c.ConstrainedNames()) != 7 || c.ConstrainedNames()[3] != "w[1]" {
		t.Fatalf("dim %d names %v", c.Dim(), c.ConstrainedNames())
	}
	th := []float64{0.3, -0.4, 1.2, 0.5, -0.7, 0.9}
	if err := model.CheckGrad(c, th, 1e-7); err != nil {
		t.Error(err)
	}
	x := make([]float64, 7)
	c.Constrain(x, th)
	want := f(nil, x) + th[0] // Lower: log-Jacobian u
	for _, u := range th[1:3] {
		lj, _, _ := transform.Interval{A: -1, B: 2}.LogJac(u)
		want += lj
	}
	want += simplex.LogJacGrad(nil, th[3:5])
	if got := c.LogDensity(th); math.Abs(got-want) > 1e-12 {
		t.Errorf("LogDensity %.15g, want %.15g", got, want)
	}
}

// Reparameterizing keeps the density of the group effects: mapping θ from
// one parameterization to the other leaves the constrained quantities
// unchanged, and the log densities differ by the log-Jacobian of r = τz,
// J·log τ per group.
func TestReparameterize(t *testing.T) {
	nc := eightSchools(t, false)
	c, err := nc.Reparameterize(true)
	if err != nil {
		t.Fatal(err)
	}
	th := make([]float64, nc.Dim())
	for i := range th {
		th[i] = 0.3*float64(i) - 1
	}
	tc := make([]float64, c.Dim())
	c.MapFrom(tc, nc, th)
	x1 := make([]float64, 10)
	x2 := make([]float64, 10)
	nc.Constrain(x1, th)
	c.Constrain(x2, tc)
	for i := range x1 {
		if math.Abs(x1[i]-x2[i]) > 1e-12*math.Max(1, math.Abs(x1[i])) {
			t.Errorf("%s: %g vs %g", nc.ConstrainedNames()[i], x1[i], x2[i])
		}
	}
	// p_c(θ_c) = p_nc(θ_nc) / |∂θ_c/∂θ_nc| and ∂r/∂z = τ for 8 effects.
	psi := th[nc.SDIndex(0)]
	if d := nc.LogDensity(th) - c.LogDensity(tc) - 8*psi; math.Abs(d) > 1e-10 {
		t.Errorf("log densities differ by %g beyond the Jacobian", d)
	}
	back := make([]float64, nc.Dim())
	nc.MapFrom(back, c, tc)
	for i := range th {
		if math.Abs(back[i]-th[i]) > 1e-12 {
			t.Errorf("round trip θ[%d] = %g, want %g", i, back[i], th[i])
		}
	}
}

// Every model keeps the contracts (conformance.Model): gradients, row
// subsets, and, for Predictors models, a Layout that describes exactly the
// model's log density and gradient.
func TestConformance(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	points := func(d int) [][]float64 {
		var ps [][]float64
		for r := 0; r < 3; r++ {
			th := make([]float64, d)
			for i := range th {
				th[i] = 0.5 * rng.NormFloat64()
			}
			ps = append(ps, th)
		}
		return ps
	}
	c := testmodel.NewConjugate(30, 3, 2)
	models := []model.LogDensity{eightSchools(t, true), eightSchools(t, false), c.Linear(), c.General()}
	for _, m := range models {
		if err := conformance.Model(m, points(m.Dim())...); err != nil {
			t.Error(err)
		}
	}
}

// A Layout that does not describe its model is caught: the eight-schools
// model with the intercept's prior dropped from its description.
type lyingLayout struct {
	*model.Linear
	l model.Layout
}

func (m lyingLayout) Layout() *model.Layout { return &m.l }

func TestConformanceCatchesLayout(t *testing.T) {
	m := eightSchools(t, false)
	l := *m.Layout()
	l.Priors = l.Priors[1:] // forget the prior of the intercept
	if err := conformance.Model(lyingLayout{m, l}, []float64{0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.4}); err == nil {
		t.Error("a layout that forgets a prior passed")
	}
}

// A LayoutModel evaluates a Layout as the model it describes, and
// Condition fixes shared coordinates: its log density at x is the full
// model's at (values, x), for the centered and non-centered eight schools
// and a model with an auxiliary parameter, and both keep the contracts.
func TestLayoutModelAndCondition(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	n := 30
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	g := make([]int, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		x.Set(i, 1, rng.NormFloat64())
		y[i] = rng.NormFloat64()
		g[i] = i % 3
	}
	aux, err := model.NewLinear(model.Terms{Lik: testmodel.Gauss{Y: y}, X: x,
		Coef: []model.Prior{testmodel.Normal{Mu: 0, Sigma: 2}, nil}, Aux: []model.Prior{testmodel.HalfNormal{Sigma: 1}},
		Groups: []model.Group{{Name: "g", Coef: "Intercept", Levels: []string{"a", "b", "c"}, Index: g, SD: testmodel.HalfNormal{Sigma: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []model.Predictors{eightSchools(t, true), eightSchools(t, false), aux} {
		lm, err := model.NewLayoutModel(*m.Layout(), m.Dim())
		if err != nil {
			t.Fatal(err)
		}
		th := make([]float64, m.Dim())
		for i := range th {
			th[i] = 0.4 * rng.NormFloat64()
		}
		if a, b := lm.LogDensity(th), m.LogDensity(th); math.Abs(a-b) > 1e-10*math.Abs(b) {
			t.Errorf("%T: LayoutModel %g, model %g", m, a, b)
		}
		if err := conformance.Model(lm, th); err != nil {
			t.Error(err)
		}
		shared := m.Layout().Shared()
		for _, p := range m.Layout().Priors {
			if p.Kind == model.ScaledNormal && p.ScaleAt >= 0 && !slices.Contains(shared, p.ScaleAt) {
				shared = append(shared, p.ScaleAt)
			}
		}
		vals := make([]float64, len(shared))
		for k, a := range shared {
			vals[k] = th[a]
		}
		cm, free, err := model.Condition(m, shared, vals)
		if err != nil {
			t.Fatal(err)
		}
		if len(cm.Layout().Shared()) != 0 || cm.Layout().Scaled() {
			t.Errorf("%T: the conditional model still has shared coordinates", m)
		}
		xf := make([]float64, len(free))
		for k, a := range free {
			xf[k] = th[a]
		}
		if a, b := cm.LogDensity(xf), m.LogDensity(th); math.Abs(a-b) > 1e-10*math.Abs(b) {
			t.Errorf("%T: conditional %g, joint %g", m, a, b)
		}
		if err := conformance.Model(cm, xf); err != nil {
			t.Error(err)
		}
	}
	// A coefficient cannot be fixed.
	if _, _, err := model.Condition(aux, []int{aux.CoefIndex(0)}, []float64{1}); err == nil {
		t.Error("fixing a coefficient was accepted")
	}
}

// corModel is y ~ N(β0 + β1 x + r_g0 + r_g1 x, 1) with (r_g0, r_g1)
// correlated (and, for k = 3, a third varying coefficient x²).
func corModel(t *testing.T, n, levels, k int, eta float64) *model.Linear {
	t.Helper()
	rng := rand.New(rand.NewPCG(10, 10))
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	idx := make([]int, n)
	xs, x2 := make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		xs[i] = rng.NormFloat64()
		x2[i] = xs[i] * xs[i]
		x.Set(i, 0, 1)
		x.Set(i, 1, xs[i])
		idx[i] = i % levels
		y[i] = 0.5 + xs[i] + 0.3*float64(idx[i]%3) + rng.NormFloat64()
	}
	lv := make([]string, levels)
	for i := range lv {
		lv[i] = string(rune('a' + i))
	}
	hn := testmodel.HalfNormal{Sigma: 1}
	groups := []model.Group{
		{Name: "g", Coef: "Intercept", Levels: lv, Index: idx, SD: hn},
		{Name: "g", Coef: "x", Levels: lv, Index: idx, Value: xs, SD: hn},
		{Name: "g", Coef: "x2", Levels: lv, Index: idx, Value: x2, SD: hn},
	}[:k]
	cg := []int{0, 1, 2}[:k]
	m, err := model.NewLinear(model.Terms{Lik: testmodel.GaussKnown{Y: y, SD: 1}, X: x,
		Coef:   []model.Prior{testmodel.Normal{Mu: 0, Sigma: 5}, testmodel.Normal{Mu: 0, Sigma: 5}},
		Groups: groups, Correlations: []model.Correlation{{Groups: cg, Eta: eta}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Correlated effects keep the contracts (gradients, a Layout that
// describes the density), their names follow brms, and the reported
// correlation and effects are those of Ω = LLᵀ and r = diag(τ)Lz.
func TestCorrelatedEffects(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	for _, k := range []int{2, 3} {
		m := corModel(t, 40, 5, k, 2)
		th := make([]float64, m.Dim())
		for i := range th {
			th[i] = 0.5 * rng.NormFloat64()
		}
		if err := conformance.Model(m, th); err != nil {
			t.Error(err)
		}
		names := m.ConstrainedNames()
		if k == 2 && !slices.Contains(names, "cor_g__Intercept__x") {
			t.Errorf("names %v lack cor_g__Intercept__x", names)
		}
		if k == 3 && !slices.Equal(names[5:8], []string{"cor_g__Intercept__x", "cor_g__Intercept__x2", "cor_g__x__x2"}) {
			t.Errorf("names %v", names[:8])
		}
		out := make([]float64, len(names))
		m.Constrain(out, th)
		// K = 2: ρ = tanh(y), r_1 = τ_1(ρ z_0 + √(1−ρ²) z_1).
		if k == 2 {
			var yAt, z0At, z1At, sd1At int
			for i, n := range m.Names() {
				switch {
				case strings.HasPrefix(n, "atanh_cpc_g"):
					yAt = i
				case n == "z_g[c,Intercept]":
					z0At = i
				case n == "z_g[c,x]":
					z1At = i
				case n == "log_sd_g__x":
					sd1At = i
				}
			}
			rho := math.Tanh(th[yAt])
			want := math.Exp(th[sd1At]) * (rho*th[z0At] + math.Sqrt(1-rho*rho)*th[z1At])
			if got := out[slices.Index(names, "cor_g__Intercept__x")]; math.Abs(got-rho) > 1e-12 {
				t.Errorf("correlation %g, want tanh(y) = %g", got, rho)
			}
			if got := out[slices.Index(names, "r_g[c,x]")]; math.Abs(got-want) > 1e-12 {
				t.Errorf("r_g[c,x] = %g, want %g", got, want)
			}
		}
	}
}

// The partial-correlation priors are LKJ(η): each integrates to one, and
// for K = 3, η = 1 (uniform correlation matrices) every correlation has
// the Beta(1.5, 1.5) marginal on (−1, 1), whose sd is 1/2.
func TestLKJPrior(t *testing.T) {
	m := corModel(t, 12, 3, 3, 1)
	var priors []model.CoordPrior
	for _, p := range m.Layout().Priors {
		if p.Prior != nil && strings.HasPrefix(p.Prior.String(), "lkj") {
			priors = append(priors, p)
		}
	}
	if len(priors) != 3 {
		t.Fatalf("%d partial-correlation priors, want 3", len(priors))
	}
	for _, p := range priors {
		z := quad.Fixed(func(y float64) float64 { lp, _, _ := p.Prior.LogProb(y); return math.Exp(lp) }, -30, 30, 4000, nil, 0)
		if math.Abs(z-1) > 1e-9 {
			t.Errorf("%s integrates to %g", p.Prior, z)
		}
	}
	// Draw the partial correlations from their Betas and build Ω.
	rng := rand.New(rand.NewPCG(4, 4))
	b := func(shape float64) float64 { return 2*betaDraw(rng, shape) - 1 }
	var s [3]float64
	const n = 200000
	for r := 0; r < n; r++ {
		z10, z20, z21 := b(1.5), b(1.5), b(1)
		// L rows: (1), (z10, √(1−z10²)), (z20, z21√(1−z20²), …).
		rho := [3]float64{z10, z20, z10*z20 + math.Sqrt(1-z10*z10)*z21*math.Sqrt(1-z20*z20)}
		for i, v := range rho {
			s[i] += v * v
		}
	}
	for i, v := range s {
		if sd := math.Sqrt(v / n); math.Abs(sd-0.5) > 0.005 {
			t.Errorf("correlation %d has sd %.4f, want 0.5", i, sd)
		}
	}
}

// betaDraw draws Beta(a, a) as X/(X+Y) with gamma variates.
func betaDraw(rng *rand.Rand, a float64) float64 {
	x, y := synth.Gamma(rng, a), synth.Gamma(rng, a)
	return x / (x + y)
}
