// Package testmodel builds models with known answers for tests across
// packages: the conjugate Gaussian linear regression (exact posterior and
// log evidence) and small logistic regressions.
package testmodel

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/model"
)

const halfLog2Pi = 0.91893853320467274178032973640561763986139747363778

// GaussKnown is y ~ N(η, SD²) with known SD: a Likelihood.
type GaussKnown struct {
	Y  []float64
	SD float64
}

// Len returns N.
func (g GaussKnown) Len() int { return len(g.Y) }

// Aux returns nil.
func (GaussKnown) Aux() []string { return nil }

// Degree returns 2.
func (GaussKnown) Degree() int { return 2 }

// LogLik implements model.Likelihood.
func (g GaussKnown) LogLik(i int, eta float64, _, _ []float64) (l, d1, d2 float64) {
	r := (g.Y[i] - eta) / g.SD
	return -halfLog2Pi - math.Log(g.SD) - 0.5*r*r, r / g.SD, -1 / (g.SD * g.SD)
}

// Gauss is y ~ N(η, σ²) with σ an auxiliary parameter.
type Gauss struct{ Y []float64 }

// Len returns N.
func (g Gauss) Len() int { return len(g.Y) }

// Aux returns {"sigma"}.
func (Gauss) Aux() []string { return []string{"sigma"} }

// LogLik implements model.Likelihood.
func (g Gauss) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	s := aux[0]
	r := (g.Y[i] - eta) / s
	if daux != nil {
		daux[0] = (r*r - 1) / s
	}
	return -halfLog2Pi - math.Log(s) - 0.5*r*r, r / s, -1 / (s * s)
}

// Logit is Bernoulli-logit: y ∈ {0,1}.
type Logit struct{ Y []float64 }

// Len returns N.
func (b Logit) Len() int { return len(b.Y) }

// Aux returns nil.
func (Logit) Aux() []string { return nil }

// LogLik implements model.Likelihood: yη − log(1 + e^η).
func (b Logit) LogLik(i int, eta float64, _, _ []float64) (l, d1, d2 float64) {
	var sp, p float64 // softplus(η), logistic(η)
	if eta > 0 {
		e := math.Exp(-eta)
		sp = eta + math.Log1p(e)
		p = 1 / (1 + e)
	} else {
		e := math.Exp(eta)
		sp = math.Log1p(e)
		p = e / (1 + e)
	}
	return b.Y[i]*eta - sp, b.Y[i] - p, -p * (1 - p)
}

// Normal is a normal prior N(Mu, Sigma²).
type Normal struct{ Mu, Sigma float64 }

// LogProb implements model.Prior.
func (n Normal) LogProb(x float64) (lp, d1, d2 float64) {
	z := (x - n.Mu) / n.Sigma
	return -halfLog2Pi - math.Log(n.Sigma) - 0.5*z*z, -z / n.Sigma, -1 / (n.Sigma * n.Sigma)
}

// NormalParams marks the prior as Gaussian.
func (n Normal) NormalParams() (float64, float64) { return n.Mu, n.Sigma }

// Positive returns false.
func (Normal) Positive() bool { return false }

// Proper returns true.
func (Normal) Proper() bool { return true }

func (n Normal) String() string { return "normal" }

// StudentT is a Student-t prior with Nu degrees of freedom, used to test
// the quadrature of non-Gaussian priors.
type StudentT struct{ Nu, Mu, Sigma float64 }

// LogProb implements model.Prior.
func (s StudentT) LogProb(x float64) (lp, d1, d2 float64) {
	z := (x - s.Mu) / s.Sigma
	nu := s.Nu
	lg1, _ := math.Lgamma((nu + 1) / 2)
	lg2, _ := math.Lgamma(nu / 2)
	u := 1 + z*z/nu
	lp = lg1 - lg2 - 0.5*math.Log(nu*math.Pi) - math.Log(s.Sigma) - (nu+1)/2*math.Log(u)
	d1 = -(nu + 1) * z / (nu * u) / s.Sigma
	d2 = -(nu + 1) / nu * (1 - z*z/nu) / (u * u) / (s.Sigma * s.Sigma)
	return
}

// Positive returns false.
func (StudentT) Positive() bool { return false }

// Proper returns true.
func (StudentT) Proper() bool { return true }

func (StudentT) String() string { return "student_t" }

// HalfNormal is a half-normal prior on a positive parameter.
type HalfNormal struct{ Sigma float64 }

// LogProb implements model.Prior.
func (h HalfNormal) LogProb(x float64) (lp, d1, d2 float64) {
	if x <= 0 {
		return math.Inf(-1), 0, 0
	}
	z := x / h.Sigma
	return math.Ln2 - halfLog2Pi - math.Log(h.Sigma) - 0.5*z*z, -z / h.Sigma, -1 / (h.Sigma * h.Sigma)
}

// Positive returns true.
func (HalfNormal) Positive() bool { return true }

// Proper returns true.
func (HalfNormal) Proper() bool { return true }

func (HalfNormal) String() string { return "half_normal" }

// Conjugate is Bayesian linear regression with known noise,
// y = Xβ + e, e ~ N(0, Noise²I), β ~ N(M0, diag(S0²)).
type Conjugate struct {
	X      *mat.Dense
	Y      []float64
	Noise  float64
	M0, S0 []float64
}

// NewConjugate simulates a regression with n rows and d correlated columns.
func NewConjugate(n, d int, seed uint64) *Conjugate {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		common := rng.NormFloat64()
		for j := 0; j < d; j++ {
			// Shared factor makes the columns correlate at about 0.5-0.8.
			x.Set(i, j, 0.3*float64(j)+common*(0.6+0.1*float64(j))+rng.NormFloat64()*0.7)
		}
	}
	beta := make([]float64, d)
	m0 := make([]float64, d)
	s0 := make([]float64, d)
	for j := range beta {
		beta[j] = rng.NormFloat64()
		m0[j] = 0.1 * float64(j)
		s0[j] = 1 + 0.5*float64(j)
	}
	c := &Conjugate{X: x, Y: make([]float64, n), Noise: 1.5, M0: m0, S0: s0}
	for i := range c.Y {
		c.Y[i] = mat.Dot(x.RowView(i), mat.NewVecDense(d, beta)) + c.Noise*rng.NormFloat64()
	}
	return c
}

// Linear returns the model as a model.Linear.
func (c *Conjugate) Linear() *model.Linear {
	_, d := c.X.Dims()
	pr := make([]model.Prior, d)
	for j := range pr {
		pr[j] = Normal{c.M0[j], c.S0[j]}
	}
	m, err := model.NewLinear(model.Terms{Lik: GaussKnown{Y: c.Y, SD: c.Noise}, X: c.X, Coef: pr})
	if err != nil {
		panic(err)
	}
	return m
}

// Posterior returns the exact posterior mean and covariance:
// S = (S0⁻¹ + XᵀX/σ²)⁻¹, m = S(S0⁻¹m0 + Xᵀy/σ²).
func (c *Conjugate) Posterior() (mean []float64, cov *mat.SymDense) {
	_, d := c.X.Dims()
	prec := mat.NewSymDense(d, nil)
	prec.SymOuterK(1/(c.Noise*c.Noise), c.X.T())
	b := make([]float64, d)
	for j := 0; j < d; j++ {
		prec.SetSym(j, j, prec.At(j, j)+1/(c.S0[j]*c.S0[j]))
		b[j] = c.M0[j] / (c.S0[j] * c.S0[j])
	}
	var xty mat.VecDense
	xty.MulVec(c.X.T(), mat.NewVecDense(len(c.Y), c.Y))
	for j := range b {
		b[j] += xty.AtVec(j) / (c.Noise * c.Noise)
	}
	var ch mat.Cholesky
	if !ch.Factorize(prec) {
		panic("testmodel: posterior precision not positive definite")
	}
	cov = mat.NewSymDense(d, nil)
	if err := ch.InverseTo(cov); err != nil {
		panic(err)
	}
	var m mat.VecDense
	if err := ch.SolveVecTo(&m, mat.NewVecDense(d, b)); err != nil {
		panic(err)
	}
	return m.RawVector().Data, cov
}

// LogEvidence returns log p(y) = log N(y | X m0, σ²I + X S0 Xᵀ), computed
// from the n×n marginal covariance.
func (c *Conjugate) LogEvidence() float64 {
	n, d := c.X.Dims()
	xs := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			xs.Set(i, j, c.X.At(i, j)*c.S0[j])
		}
	}
	cov := mat.NewSymDense(n, nil)
	cov.SymOuterK(1, xs)
	r := make([]float64, n)
	var mean mat.VecDense
	mean.MulVec(c.X, mat.NewVecDense(d, c.M0))
	for i := 0; i < n; i++ {
		cov.SetSym(i, i, cov.At(i, i)+c.Noise*c.Noise)
		r[i] = c.Y[i] - mean.AtVec(i)
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		panic("testmodel: marginal covariance not positive definite")
	}
	var z mat.VecDense
	if err := ch.SolveVecTo(&z, mat.NewVecDense(n, r)); err != nil {
		panic(err)
	}
	return -float64(n)*halfLog2Pi - 0.5*ch.LogDet() - 0.5*mat.Dot(mat.NewVecDense(n, r), &z)
}

// General returns the regression as a plain model.GaussianPrior (not a
// model.Linear), for estimators that work on any differentiable density.
func (c *Conjugate) General() *General { return &General{c: c} }

// General is the conjugate regression behind the generic interfaces.
type General struct{ c *Conjugate }

var _ model.GaussianPrior = (*General)(nil)

// Dim returns d.
func (g *General) Dim() int { _, d := g.c.X.Dims(); return d }

// LogLikGrad returns log p(y | β) and its gradient.
func (g *General) LogLikGrad(grad, beta []float64) float64 {
	n, d := g.c.X.Dims()
	if grad != nil {
		for j := range grad {
			grad[j] = 0
		}
	}
	s := g.c.Noise
	ll := 0.0
	for i := 0; i < n; i++ {
		row := g.c.X.RawRowView(i)
		eta := 0.0
		for j := 0; j < d; j++ {
			eta += row[j] * beta[j]
		}
		r := (g.c.Y[i] - eta) / s
		ll += -halfLog2Pi - math.Log(s) - 0.5*r*r
		if grad != nil {
			for j := 0; j < d; j++ {
				grad[j] += r / s * row[j]
			}
		}
	}
	return ll
}

// Prior returns N(M0, diag(S0²)).
func (g *General) Prior() ([]float64, mat.Symmetric) {
	v := make([]float64, len(g.c.S0))
	for i, s := range g.c.S0 {
		v[i] = s * s
	}
	return g.c.M0, mat.NewDiagDense(len(v), v)
}

// LogDensityGrad returns log p(y | β) + log p(β) and its gradient.
func (g *General) LogDensityGrad(grad, beta []float64) float64 {
	ll := g.LogLikGrad(grad, beta)
	for j, b := range beta {
		z := (b - g.c.M0[j]) / g.c.S0[j]
		ll += -halfLog2Pi - math.Log(g.c.S0[j]) - 0.5*z*z
		if grad != nil {
			grad[j] -= z / g.c.S0[j]
		}
	}
	return ll
}

// LogDensity returns log p(y | β) + log p(β).
func (g *General) LogDensity(beta []float64) float64 { return g.LogDensityGrad(nil, beta) }
