package elbo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/conformance"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
)

// hierModel builds a model.Linear with every kind of term: a likelihood
// with an auxiliary parameter (or not), dense columns, a centered and a
// non-centered group, and Gaussian, Student-t and flat priors.
func hierModel(t *testing.T, n int, logistic bool, centered, noncentered bool) *model.Linear {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	g1 := make([]int, n)
	g2 := make([]int, n)
	v2 := make([]float64, n)
	off := make([]float64, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		x.Set(i, 1, rng.NormFloat64())
		x.Set(i, 2, rng.NormFloat64()+0.5*x.At(i, 1))
		g1[i] = i % 4
		g2[i] = i % 3
		v2[i] = rng.NormFloat64()
		off[i] = 0.1 * rng.NormFloat64()
		eta := 0.3 + 0.8*x.At(i, 1) - 0.5*x.At(i, 2) + 0.4*float64(g1[i]-2)
		if logistic {
			if rng.Float64() < 1/(1+math.Exp(-eta)) {
				y[i] = 1
			}
		} else {
			y[i] = eta + 0.7*rng.NormFloat64()
		}
	}
	var lik model.Likelihood = testmodel.Gauss{Y: y}
	var aux []model.Prior
	if logistic {
		lik = testmodel.Logit{Y: y}
	} else {
		aux = []model.Prior{testmodel.HalfNormal{Sigma: 2}}
	}
	terms := model.Terms{
		Lik:    lik,
		X:      x,
		Offset: off,
		Coef:   []model.Prior{testmodel.StudentT{Nu: 3, Mu: 0, Sigma: 5}, testmodel.Normal{Mu: 0, Sigma: 2}, nil},
		Aux:    aux,
	}
	if centered {
		terms.Groups = append(terms.Groups, model.Group{Name: "g1", Coef: "Intercept", Levels: []string{"a", "b", "c", "d"}, Index: g1, SD: testmodel.HalfNormal{Sigma: 1}, Centered: true})
	}
	if noncentered {
		terms.Groups = append(terms.Groups, model.Group{Name: "g2", Coef: "v", Levels: []string{"a", "b", "c"}, Index: g2, Value: v2, SD: testmodel.HalfNormal{Sigma: 1}})
	}
	m, err := model.NewLinear(terms)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// randomParams sets q to a random, moderately concentrated φ.
func randomParams(q family.Family, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	phi := q.Params(nil)
	d := q.Dim()
	for i := range phi {
		phi[i] = 0.3 * rng.NormFloat64()
	}
	switch q.(type) {
	case *family.MeanField:
		for i := d; i < 2*d; i++ {
			phi[i] = -1 + 0.3*rng.NormFloat64()
		}
	case *family.FullRank:
		k := d
		for i := 0; i < d; i++ {
			for j := 0; j < i; j++ {
				phi[k+j] = 0.1 * rng.NormFloat64()
			}
			phi[k+i] = -1 + 0.3*rng.NormFloat64()
			k += i + 1
		}
	case *family.LowRank:
		for i := d; i < 2*d; i++ {
			phi[i] = -1 + 0.3*rng.NormFloat64()
		}
		for i := 2 * d; i < len(phi); i++ {
			phi[i] = 0.2 * rng.NormFloat64()
		}
	}
	q.SetParams(phi)
	return phi
}

// checkELBOGrad compares an estimator's gradient with central differences
// of its own value, which is a deterministic function of φ for every
// estimator here (Monte Carlo with Fixed draws).
func checkELBOGrad(t *testing.T, est elbo.Estimator, m model.LogDensity, q family.Family, tol float64) {
	t.Helper()
	if err := est.Init(m, q); err != nil {
		t.Fatal(err)
	}
	phi := randomParams(q, 11)
	grad := make([]float64, len(phi))
	f0 := est.ELBO(grad, q)
	if !model.AllFinite(grad) || math.IsNaN(f0) {
		t.Fatalf("non-finite ELBO %g or gradient", f0)
	}
	f := func(x []float64) float64 {
		q.SetParams(x)
		return est.ELBO(nil, q)
	}
	num := fd.Gradient(nil, f, phi, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	q.SetParams(phi)
	// The value must not depend on whether the gradient was requested.
	if f1 := est.ELBO(nil, q); f1 != f0 {
		t.Errorf("ELBO with gradient %.17g, without %.17g", f0, f1)
	}
	worst, at := 0.0, 0
	for i := range grad {
		e := math.Abs(grad[i]-num[i]) / math.Max(1, math.Abs(num[i]))
		if e > worst {
			worst, at = e, i
		}
	}
	if worst > tol {
		t.Errorf("gradient[%d] = %.10g, finite difference %.10g: relative error %.3g > %.3g", at, grad[at], num[at], worst, tol)
	}
}

func TestGradients(t *testing.T) {
	type fam struct {
		name string
		new  func(d int) family.Family
	}
	fams := []fam{
		{"meanfield", func(d int) family.Family { return family.NewMeanField(d) }},
		{"fullrank", func(d int) family.Family { return family.NewFullRank(d) }},
		{"lowrank", func(d int) family.Family { return family.NewLowRank(d, 2) }},
	}
	models := []struct {
		name     string
		logistic bool
		c, nc    bool
	}{
		{"gauss", false, false, false},
		{"logit", true, false, false},
		{"gauss-centered", false, true, false},
		{"gauss-noncentered", false, false, true},
		{"logit-both", true, true, true},
		{"gauss-both", false, true, true},
	}
	for _, mm := range models {
		m := hierModel(t, 60, mm.logistic, mm.c, mm.nc)
		for _, f := range fams {
			t.Run(mm.name+"/"+f.name+"/quadrature", func(t *testing.T) {
				checkELBOGrad(t, &elbo.Quadrature{}, m, f.new(m.Dim()), 1e-6)
			})
			t.Run(mm.name+"/"+f.name+"/quadrature-rows", func(t *testing.T) {
				qe := &elbo.Quadrature{}
				q := f.new(m.Dim())
				if err := qe.Init(m, q); err != nil {
					t.Fatal(err)
				}
				if err := qe.SetRows([]int{3, 7, 8, 20, 41}); err != nil {
					t.Fatal(err)
				}
				checkELBOGradNoInit(t, qe, q, 1e-6)
			})
			t.Run(mm.name+"/"+f.name+"/mc-fixed", func(t *testing.T) {
				checkELBOGrad(t, &elbo.MonteCarlo{Draws: 7, Fixed: true, Seed: 5}, m, f.new(m.Dim()), 1e-6)
			})
			t.Run(mm.name+"/"+f.name+"/mc-antithetic", func(t *testing.T) {
				checkELBOGrad(t, &elbo.MonteCarlo{Draws: 6, Fixed: true, Antithetic: true, Seed: 5}, m, f.new(m.Dim()), 1e-6)
			})
		}
	}
	// The tensor rule on a small general model, and Monte Carlo with the
	// closed-form KL of a Gaussian prior.
	c := testmodel.NewConjugate(40, 3, 9)
	g := c.General()
	for _, f := range fams {
		t.Run("general/"+f.name+"/tensor", func(t *testing.T) {
			checkELBOGrad(t, &elbo.Quadrature{Nodes: 6}, g, f.new(3), 1e-6)
		})
		t.Run("general/"+f.name+"/mc-kl", func(t *testing.T) {
			checkELBOGrad(t, &elbo.MonteCarlo{Draws: 5, Fixed: true, Seed: 2}, g, f.new(3), 1e-6)
		})
	}
}

func checkELBOGradNoInit(t *testing.T, est elbo.Estimator, q family.Family, tol float64) {
	t.Helper()
	phi := randomParams(q, 12)
	grad := make([]float64, len(phi))
	est.ELBO(grad, q)
	f := func(x []float64) float64 {
		q.SetParams(x)
		return est.ELBO(nil, q)
	}
	num := fd.Gradient(nil, f, phi, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	for i := range grad {
		if e := math.Abs(grad[i]-num[i]) / math.Max(1, math.Abs(num[i])); e > tol {
			t.Errorf("gradient[%d] = %.10g, finite difference %.10g: relative error %.3g", i, grad[i], num[i], e)
		}
	}
}

// The quadrature gradient and curvature for likelihoods with auxiliary
// parameters from package lik, including the per-node cache of Student-t.
func TestGradientsAuxLikelihoods(t *testing.T) {
	x, eta := benchDesign(40, 2)
	liks := benchLikelihoods(eta)
	for _, name := range []string{"student_t", "negbinomial_log", "gaussian"} {
		m := benchModel(liks[name], x)
		for _, q := range []family.Family{family.NewMeanField(m.Dim()), family.NewFullRank(m.Dim()), family.NewLowRank(m.Dim(), 2)} {
			t.Run(fmt.Sprintf("%s/%T", name, q), func(t *testing.T) {
				checkELBOGrad(t, &elbo.Quadrature{}, m, q, 1e-6)
			})
		}
	}
}

// Every estimator keeps the contracts (conformance.Estimator) on every
// kind of model, with each family: finite-difference gradients where
// deterministic, unbiasedness against quadrature where stochastic,
// statelessness in q and independence of GOMAXPROCS.
func TestConformance(t *testing.T) {
	ests := []struct {
		name string
		new  func() elbo.Estimator
	}{
		{"quadrature", func() elbo.Estimator { return &elbo.Quadrature{} }},
		{"mc", func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 8, Seed: 3} }},
		{"mc-antithetic", func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 8, Seed: 4, Antithetic: true} }},
		{"mc-fixed", func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 7, Seed: 5, Fixed: true} }},
	}
	models := map[string]model.LogDensity{
		"logit":             hierModel(t, 40, true, false, false),
		"gauss-centered":    hierModel(t, 40, false, true, false),
		"gauss-noncentered": hierModel(t, 40, false, false, true),
		"logit-both":        hierModel(t, 40, true, true, true),
		"general":           testmodel.NewConjugate(30, 2, 9).General(),
	}
	for name, m := range models {
		d := m.Dim()
		for _, e := range ests {
			qs := []family.Family{family.NewMeanField(d), family.NewFullRank(d), family.NewLowRank(d, 1)}
			for _, q := range qs {
				q.ScaleBy(0.2) // near the posterior's width (N = 40)
			}
			if err := conformance.Estimator(e.new, m, qs...); err != nil {
				t.Errorf("%s/%s: %v", name, e.name, err)
			}
		}
	}
}

// plantedBug is quadrature with a slightly wrong gradient and a memory of
// the first family it saw (the bug the stateless contract rules out).
type plantedBug struct {
	elbo.Quadrature
	gradBug bool
	first   family.Family
}

// Init remembers q, as the quadrature estimator did before it was made
// stateless.
func (p *plantedBug) Init(m model.LogDensity, q family.Family) error {
	p.first = q
	return p.Quadrature.Init(m, q)
}

func (p *plantedBug) ELBO(grad []float64, q family.Family) float64 {
	if !p.gradBug {
		q = p.first
	}
	v := p.Quadrature.ELBO(grad, q)
	if grad != nil && p.gradBug {
		grad[0] *= 1.001
	}
	return v
}

func TestConformanceCatchesBugs(t *testing.T) {
	m := hierModel(t, 40, true, false, false)
	d := m.Dim()
	for _, bug := range []bool{true, false} {
		err := conformance.Estimator(func() elbo.Estimator { return &plantedBug{gradBug: bug} }, m, family.NewMeanField(d), family.NewFullRank(d))
		if err == nil {
			t.Errorf("planted bug (gradient %v, stateful %v) passed", bug, !bug)
		}
	}
}

// Correlated group effects (terms whose multipliers τ_c L_cm depend on
// several shared coordinates) keep the contracts of every estimator.
func TestConformanceCorrelated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	n, levels := 30, 4
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	idx := make([]int, n)
	xs := make([]float64, n)
	for i := 0; i < n; i++ {
		xs[i] = rng.NormFloat64()
		x.Set(i, 0, 1)
		x.Set(i, 1, xs[i])
		idx[i] = i % levels
		y[i] = 0.3 + xs[i] + rng.NormFloat64()
	}
	lv := []string{"a", "b", "c", "d"}
	hn := testmodel.HalfNormal{Sigma: 1}
	m, err := model.NewLinear(model.Terms{Lik: testmodel.Gauss{Y: y}, X: x, Aux: []model.Prior{hn},
		Coef: []model.Prior{testmodel.Normal{Mu: 0, Sigma: 5}, testmodel.Normal{Mu: 0, Sigma: 5}},
		Groups: []model.Group{
			{Name: "g", Coef: "Intercept", Levels: lv, Index: idx, SD: hn},
			{Name: "g", Coef: "x", Levels: lv, Index: idx, Value: xs, SD: hn},
		},
		Correlations: []model.Correlation{{Groups: []int{0, 1}, Eta: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	for _, e := range []func() elbo.Estimator{
		func() elbo.Estimator { return &elbo.Quadrature{AuxNodes: 3} },
		func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 8, Seed: 3} },
	} {
		qs := []family.Family{family.NewMeanField(d), family.NewFullRank(d), family.NewLowRank(d, 1)}
		for _, q := range qs {
			q.ScaleBy(0.3)
		}
		if err := conformance.Estimator(e, m, qs...); err != nil {
			t.Error(err)
		}
	}
}
