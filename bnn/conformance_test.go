package bnn

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/conformance"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/mathx"
)

// softplusMF is a mean-field family parameterized by φ = (μ, ρ) with
// σ = softplus(ρ), as Bayes by Backprop does (Blundell et al. 2015): a
// family of the mean-field shape that is not family.MeanField, to show
// that the estimators reach q only through the factor view.
type softplusMF struct {
	mu, rho, sd []float64
}

var _ family.Gaussian = (*softplusMF)(nil)

func newSoftplusMF(d int) *softplusMF {
	f := &softplusMF{mu: make([]float64, d), rho: make([]float64, d), sd: make([]float64, d)}
	for i := range f.rho {
		f.rho[i] = 0.5413248546129181 // softplus⁻¹(1)
		f.sd[i] = 1
	}
	return f
}

func (f *softplusMF) Dim() int      { return len(f.mu) }
func (f *softplusMF) Len() int      { return 2 * len(f.mu) }
func (f *softplusMF) NoiseDim() int { return len(f.mu) }
func (f *softplusMF) Params(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.Len())
	}
	copy(dst, f.mu)
	copy(dst[len(f.mu):], f.rho)
	return dst
}
func (f *softplusMF) SetParams(phi []float64) {
	d := len(f.mu)
	copy(f.mu, phi[:d])
	copy(f.rho, phi[d:])
	for i, r := range f.rho {
		f.sd[i] = mathx.Softplus(r)
	}
}
func (f *softplusMF) Transform(theta, eps []float64) {
	for i := range f.mu {
		theta[i] = f.mu[i] + f.sd[i]*eps[i]
	}
}
func (f *softplusMF) Backprop(dphi []float64, w float64, g, eps []float64) {
	d := len(f.mu)
	for i := range f.mu {
		dphi[i] += w * g[i]
		dphi[d+i] += w * g[i] * eps[i] * mathx.Logistic(f.rho[i])
	}
}
func (f *softplusMF) Entropy(grad []float64) float64 {
	d := len(f.mu)
	h := 0.5 * float64(d) * (1 + math.Log(2*math.Pi))
	for i, s := range f.sd {
		h += math.Log(s)
		if grad != nil {
			grad[d+i] += mathx.Logistic(f.rho[i]) / s
		}
	}
	return h
}
func (f *softplusMF) LogProb(theta []float64) float64 {
	lp := 0.0
	for i := range f.mu {
		z := (theta[i] - f.mu[i]) / f.sd[i]
		lp -= halfLog2Pi + math.Log(f.sd[i]) + 0.5*z*z
	}
	return lp
}
func (f *softplusMF) Mean(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(f.mu))
	}
	copy(dst, f.mu)
	return dst
}
func (f *softplusMF) ScaleBy(c float64) {
	for i := range f.sd {
		f.sd[i] *= c
		f.rho[i] = f.sd[i] + math.Log(-math.Expm1(-f.sd[i])) // softplus⁻¹
	}
}
func (f *softplusMF) Cov(dst *mat.SymDense) {
	d := len(f.mu)
	if dst.IsEmpty() {
		dst.ReuseAsSym(d)
	}
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			dst.SetSym(i, j, 0)
		}
		dst.SetSym(i, i, f.sd[i]*f.sd[i])
	}
}
func (f *softplusMF) Factor() family.Factor { return family.Factor{Mu: f.mu, D: f.sd} }
func (f *softplusMF) BackpropFactor(dphi, gmu, gD, _ []float64) {
	d := len(f.mu)
	for i := range f.mu {
		dphi[i] += gmu[i]
		if gD != nil {
			dphi[d+i] += gD[i] * mathx.Logistic(f.rho[i])
		}
	}
}

// setFromMeanField copies q's mean and sds into f.
func (f *softplusMF) setFrom(q *family.MeanField) {
	copy(f.mu, q.Mean(nil))
	for i, s := range q.SD() {
		f.sd[i] = s
		f.rho[i] = s + math.Log(-math.Expm1(-s))
	}
}

func TestSoftplusFamilyConformance(t *testing.T) {
	if err := conformance.Family(newSoftplusMF(4)); err != nil {
		t.Fatal(err)
	}
}

// TestModelConformance runs conformance.Model on networks of every layer
// type and likelihood.
func TestModelConformance(t *testing.T) {
	for _, c := range gradCases {
		net := smallNet(t, c.lik, c.act, c.hidden, 30, Prior{Scale: 1.2})
		q := randomMeanField(net, 11)
		pts := [][]float64{q.Mean(nil), net.InitMean(3)}
		if err := conformance.Model(net, pts...); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
}

// TestEstimatorConformance runs conformance.Estimator on this package's
// estimators, with family.MeanField and the softplus mean-field family,
// and on the generic elbo.MonteCarlo (full reparameterization) with the
// network as a model, with the mean-field and low-rank families. A tiny
// tanh network (d = 5) lets the conformance check compare the stochastic
// estimators with the tensor-product quadrature ELBO (unbiasedness).
func TestEstimatorConformance(t *testing.T) {
	cases := []struct {
		netCase
		p int
	}{
		{netCase{Gaussian, Tanh, []int{1}}, 1},
		{netCase{Bernoulli, Tanh, []int{1}}, 1},
		{netCase{Gaussian, ReLU, []int{4, 3}}, 3},
		{netCase{Categorical, ReLU, []int{5}}, 3},
		{netCase{Bernoulli, Tanh, []int{3, 2}}, 3},
	}
	for _, c := range cases {
		net := smallNetP(t, c.lik, c.act, c.hidden, 24, c.p, Prior{Scale: 1})
		mf := randomMeanField(net, 12)
		// Moderate sds, so the Monte Carlo estimates have light tails.
		mf.ScaleBy(0.5)
		sp := newSoftplusMF(net.Dim())
		sp.setFrom(mf)
		ests := map[string]func() elbo.Estimator{
			"moments":     func() elbo.Estimator { return &Moments{} },
			"lrt":         func() elbo.Estimator { return &LocalReparam{Seed: 3} },
			"lrt fixed":   func() elbo.Estimator { return &LocalReparam{Seed: 3, Fixed: true} },
			"lrt 4 draws": func() elbo.Estimator { return &LocalReparam{Seed: 3, Draws: 4} },
		}
		for name, newEst := range ests {
			if err := conformance.Estimator(newEst, net, mf, sp); err != nil {
				t.Errorf("%v %s: %v", c, name, err)
			}
		}
		lr := family.NewLowRank(net.Dim(), 2)
		if err := net.InitFamily(lr, 12); err != nil {
			t.Fatal(err)
		}
		lr.ScaleBy(4)
		newMC := func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 8, Seed: 1} }
		if err := conformance.Estimator(newMC, net, mf, lr); err != nil {
			t.Errorf("%v elbo.MonteCarlo: %v", c, err)
		}
		// The local estimators refuse a low-rank family.
		if err := (&LocalReparam{}).Init(net, lr); !errors.Is(err, elbo.ErrUnsupported) {
			t.Errorf("LocalReparam with a low-rank family: %v, want ErrUnsupported", err)
		}
		if err := (&Moments{}).Init(net, lr); !errors.Is(err, elbo.ErrUnsupported) {
			t.Errorf("Moments with a low-rank family: %v, want ErrUnsupported", err)
		}
	}
}
