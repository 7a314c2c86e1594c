package bnn

import (
	"math"
	"testing"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
)

// batchModel is the network with its likelihood restricted to a batch of
// rows scaled by N/|B|, for elbo.MonteCarlo, which keeps the closed-form
// KL (model.GaussianPrior) only on whole models.
type batchModel struct {
	*Network
	rows []int
}

func (b batchModel) scale() float64 { return float64(b.NumRows()) / float64(len(b.rows)) }

func (b batchModel) LogLikGrad(grad, x []float64) float64 {
	if grad != nil {
		clear(grad)
	}
	return b.logLikRows(grad, x, b.rows, b.scale())
}

func (b batchModel) LogDensity(x []float64) float64 {
	return b.LogDensityRows(nil, x, b.rows, b.scale())
}

func (b batchModel) LogDensityGrad(grad, x []float64) float64 {
	return b.LogDensityRows(grad, x, b.rows, b.scale())
}

// TestGradientVariance measures, on one network, q and batch, the
// variance of the gradient of each estimator over repeated evaluations:
// zero for Moments (deterministic), positive for LocalReparam, and for
// the generic elbo.MonteCarlo with full reparameterization (one draw of θ
// for the whole batch, closed-form KL). The local estimator's variance
// must be below the full reparameterization's (Kingma, Salimans & Welling
// 2015: it removes the covariance between the rows of a batch).
func TestGradientVariance(t *testing.T) {
	x, y := synthetic(Categorical, 2000, 8, 4, 21)
	net, err := New(Spec{Hidden: []int{50, 50}, Likelihood: Categorical}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewMeanField(net.Dim())
	if err := net.InitFamily(q, 1); err != nil {
		t.Fatal(err)
	}
	// A point after some training, where the gradient has signal and noise.
	if _, err := net.Train(t.Context(), q, &LocalReparam{Seed: 2}, TrainSettings{Epochs: 5, Rate: 1e-2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	batch := make([]int, 128)
	for i := range batch {
		batch[i] = (i * 13) % net.NumRows()
	}
	d := net.Dim()
	const reps = 200
	measure := func(name string, eval func(g []float64)) (float64, float64) {
		n := q.Len()
		s, s2 := make([]float64, n), make([]float64, n)
		g := make([]float64, n)
		first := make([]float64, n)
		same := true
		for r := 0; r < reps; r++ {
			eval(g)
			if r == 0 {
				copy(first, g)
			}
			for i, v := range g {
				s[i] += v
				s2[i] += v * v
				if v != first[i] {
					same = false
				}
			}
		}
		var vmu, vsd, sig float64
		for i := range s {
			m := s[i] / reps
			v := math.Max(s2[i]/reps-m*m, 0) * reps / (reps - 1)
			if same {
				v = 0
			}
			if i < d {
				vmu += v
			} else {
				vsd += v
			}
			sig += m * m
		}
		vmu /= float64(d)
		vsd /= float64(d)
		sig /= float64(n)
		t.Logf("%-46s gradient variance per coordinate: μ %.4g, log σ %.4g (mean squared gradient %.4g)", name, vmu, vsd, sig)
		return vmu, vsd
	}
	mom := &Moments{}
	lrt := &LocalReparam{Seed: 7}
	for _, e := range []Estimator{mom, lrt} {
		if err := e.Init(net, q); err != nil {
			t.Fatal(err)
		}
		if err := e.SetRows(batch); err != nil {
			t.Fatal(err)
		}
	}
	mc := &elbo.MonteCarlo{Draws: 1, Seed: 7}
	if err := mc.Init(batchModel{net, batch}, q); err != nil {
		t.Fatal(err)
	}
	vm, vs := measure("Moments (deterministic)", func(g []float64) { mom.ELBO(g, q) })
	if vm != 0 || vs != 0 {
		t.Errorf("Moments' gradient varies between evaluations: %g, %g", vm, vs)
	}
	lm, ls := measure("LocalReparam (1 draw per row)", func(g []float64) { lrt.ELBO(g, q) })
	if !(lm > 0 && ls > 0) {
		t.Errorf("LocalReparam's gradient does not vary: %g, %g", lm, ls)
	}
	fm, fs := measure("elbo.MonteCarlo (1 draw of θ, full reparam.)", func(g []float64) { mc.ELBO(g, q) })
	t.Logf("variance ratio full/local reparameterization: μ %.3g, log σ %.3g", fm/lm, fs/ls)
	if !(lm < fm && ls < fs) {
		t.Errorf("the local reparameterization's variance (%g, %g) is not below the full reparameterization's (%g, %g)", lm, ls, fm, fs)
	}
}
