package elbo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// curvModel is a model with every term the expected Hessian handles: a
// likelihood with or without an auxiliary parameter, normal and Student-t
// priors, and a centered group.
func curvModel(t *testing.T, gaussian bool) *model.Linear {
	t.Helper()
	rng := rand.New(rand.NewPCG(8, 8))
	n := 50
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	g := make([]int, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		x.Set(i, 1, rng.NormFloat64())
		x.Set(i, 2, rng.NormFloat64())
		g[i] = i % 5
		if gaussian {
			y[i] = x.At(i, 1) + rng.NormFloat64()
		} else if rng.Float64() < 0.4 {
			y[i] = 1
		}
	}
	var l model.Likelihood
	var aux []model.Prior
	var err error
	if gaussian {
		l, err = lik.NewGaussian(y)
		aux = []model.Prior{prior.Exponential{Rate: 1}}
	} else {
		l, err = lik.NewBernoulliLogit(y)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewLinear(model.Terms{Lik: l, X: x, Aux: aux,
		Coef:   []model.Prior{prior.StudentT{Nu: 3, Mu: 0, Sigma: 2}, prior.Normal{Mu: 0, Sigma: 1}, nil},
		Groups: []model.Group{{Name: "g", Coef: "Intercept", Levels: []string{"a", "b", "c", "d", "e"}, Index: g, SD: prior.HalfNormal{Sigma: 1}, Centered: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExpectedHessian(t *testing.T) {
	for _, gaussian := range []bool{false, true} {
		m := curvModel(t, gaussian)
		d := m.Dim()
		for _, q := range []family.Family{family.NewFullRank(d), family.NewMeanField(d)} {
			qe := &elbo.Quadrature{}
			if err := qe.Init(m, q); err != nil {
				t.Fatal(err)
			}
			phi := randomParams(q, 31)
			h := mat.NewSymDense(d, nil)
			eg := make([]float64, d)
			val, err := qe.ExpectedGradHess(eg, h, q)
			if err != nil {
				t.Fatal(err)
			}
			// Value and E[∇] agree with ELBO and its μ-gradient.
			grad0 := make([]float64, q.Len())
			if v0 := qe.ELBO(grad0, q); math.Abs(v0-val) > 1e-10*math.Abs(v0) {
				t.Errorf("ExpectedGradHess value %.15g, ELBO %.15g", val, v0)
			}
			for i := 0; i < d; i++ {
				if math.Abs(eg[i]-grad0[i]) > 1e-9*math.Max(1, math.Abs(grad0[i])) {
					t.Errorf("E[∇][%d] = %.12g, μ-gradient %.12g", i, eg[i], grad0[i])
				}
			}
			checkHessianFD(t, qe, q, phi, h, fmt.Sprintf("gaussian=%v %T", gaussian, q))
		}
	}
}

// The curvature of a Student-t regression (aux σ and ν, cached per node)
// matches finite differences of its expected gradient.
func TestExpectedHessianStudent(t *testing.T) {
	x, eta := benchDesign(40, 2)
	m := benchModel(benchLikelihoods(eta)["student_t"], x)
	d := m.Dim()
	q := family.NewFullRank(d)
	qe := &elbo.Quadrature{}
	if err := qe.Init(m, q); err != nil {
		t.Fatal(err)
	}
	phi := randomParams(q, 5)
	h := mat.NewSymDense(d, nil)
	if _, err := qe.ExpectedGradHess(make([]float64, d), h, q); err != nil {
		t.Fatal(err)
	}
	checkHessianFD(t, qe, q, phi, h, "student_t")
}

// checkHessianFD compares h with the Jacobian in μ of the μ-part of the
// ELBO gradient, which is E_q[∇ log p] (the entropy does not depend on μ).
func checkHessianFD(t *testing.T, qe *elbo.Quadrature, q family.Family, phi []float64, h *mat.SymDense, what string) {
	t.Helper()
	d := q.Dim()
	grad := make([]float64, q.Len())
	num := mat.NewDense(d, d, nil)
	fd.Jacobian(num, func(dst, mu []float64) {
		x := append([]float64(nil), phi...)
		copy(x, mu)
		q.SetParams(x)
		qe.ELBO(grad, q)
		copy(dst, grad[:d])
	}, phi[:d], &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
	q.SetParams(phi)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			want := 0.5 * (num.At(i, j) + num.At(j, i))
			if got := h.At(i, j); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: H[%d,%d] = %.8g, finite difference %.8g", what, i, j, got, want)
			}
		}
	}
}

func TestExpectedHessianUnsupported(t *testing.T) {
	m := hierModel(t, 30, true, false, true) // non-centered group
	q := family.NewFullRank(m.Dim())
	qe := &elbo.Quadrature{}
	if err := qe.Init(m, q); err != nil {
		t.Fatal(err)
	}
	if _, err := qe.ExpectedGradHess(make([]float64, m.Dim()), mat.NewSymDense(m.Dim(), nil), q); err != elbo.ErrUnsupported {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

// For a general model the tensor rule and fixed Monte Carlo draws give the
// expected Hessian by Stein's identity from gradients at the points; on the
// conjugate regression the log density is quadratic, so the expected
// Hessian is the constant H = −(XᵀX/σ² + S0⁻¹). The rule is exact for it;
// S Monte Carlo draws give H·L·(Σ εεᵀ/S)·L⁻¹ plus a term in the draws'
// mean, off by O(1/√S): with S = 4000 the sample moments of ε are within
// about 4/√S ≈ 0.06 of I, so we allow 0.1 of the largest entry.
func TestExpectedHessianStein(t *testing.T) {
	c := testmodel.NewConjugate(50, 3, 4)
	g := c.General()
	_, cov := c.Posterior()
	var ch mat.Cholesky
	ch.Factorize(cov)
	var prec mat.SymDense
	if err := ch.InverseTo(&prec); err != nil {
		t.Fatal(err)
	}
	scale := 0.0
	for i := 0; i < 3; i++ {
		scale = math.Max(scale, prec.At(i, i))
	}
	for _, tc := range []struct {
		est elbo.Curvature
		tol float64
	}{{&elbo.Quadrature{Nodes: 4}, 1e-9}, {&elbo.MonteCarlo{Draws: 4000, Fixed: true, Seed: 1}, 0.1}} {
		est := tc.est
		for _, q := range []family.Family{family.NewFullRank(3), family.NewMeanField(3)} {
			if err := est.Init(g, q); err != nil {
				t.Fatal(err)
			}
			randomParams(q, 2)
			h := mat.NewSymDense(3, nil)
			eg := make([]float64, 3)
			if _, err := est.ExpectedGradHess(eg, h, q); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				for j := 0; j <= i; j++ {
					if d := h.At(i, j) + prec.At(i, j); math.Abs(d) > tc.tol*scale {
						t.Errorf("%T %T: H[%d,%d] = %.12g, want %.12g", est, q, i, j, h.At(i, j), -prec.At(i, j))
					}
				}
			}
		}
	}
	if _, err := (&elbo.MonteCarlo{Seed: 1}).ExpectedGradHess(nil, nil, family.NewMeanField(3)); err != elbo.ErrUnsupported {
		t.Errorf("random draws: got %v, want ErrUnsupported", err)
	}
}
