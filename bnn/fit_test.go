package bnn

import (
	"context"
	"math"
	"testing"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/optim"
)

// TestGoviFit fits a network through govi.Fit, the generic driver: with
// the generic Monte Carlo estimator (full reparameterization) and the
// mean-field and low-rank families, with LocalReparam and Adam, and with
// the deterministic Moments estimator and L-BFGS. Each fit must raise
// the ELBO well above its starting value and predict held-out data
// about as well as Train does.
func TestGoviFit(t *testing.T) {
	x, y := gapData(120, 3)
	xt, yt := gapData(300, 4)
	newNet := func() *Network {
		net, err := New(Spec{Hidden: []int{10}, Activation: Tanh}, x, y)
		if err != nil {
			t.Fatal(err)
		}
		return net
	}
	ref := &Moments{}
	cases := []struct {
		name   string
		q      func(d int) family.Family
		est    elbo.Estimator
		method optim.Method
	}{
		{"MonteCarlo/meanfield/Adam", func(d int) family.Family { return family.NewMeanField(d) }, &elbo.MonteCarlo{Draws: 8, Seed: 1}, &optim.Adam{Rate: 0.003}},
		{"MonteCarlo/lowrank/Adam", func(d int) family.Family { return family.NewLowRank(d, 3) }, &elbo.MonteCarlo{Draws: 8, Seed: 1}, &optim.Adam{Rate: 0.003}},
		{"LocalReparam/meanfield/Adam", func(d int) family.Family { return family.NewMeanField(d) }, &LocalReparam{Draws: 4, Seed: 1}, &optim.Adam{Rate: 0.003}},
		{"Moments/meanfield/LBFGS", func(d int) family.Family { return family.NewMeanField(d) }, &Moments{}, &optim.LBFGS{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.method.Stochastic() {
				t.Skip("6000 Adam iterations; skipped with -short")
			}
			net := newNet()
			q := c.q(net.Dim())
			if err := net.InitFamily(q, 1); err != nil {
				t.Fatal(err)
			}
			var start float64
			if mf, ok := q.(*family.MeanField); ok {
				if err := ref.Init(net, mf); err != nil {
					t.Fatal(err)
				}
				start = ref.ELBO(nil, mf)
			}
			res, err := govi.Fit(context.Background(), net, q, c.est, c.method, &govi.Settings{Optim: optim.Settings{MaxIter: 6000, Window: 500}})
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(res.ELBO) || math.IsInf(res.ELBO, 0) {
				t.Fatalf("ELBO %g: %s", res.ELBO, res.Message)
			}
			_, ll := rmseLL(t, net, q, xt, yt)
			t.Logf("%s after %d iterations (%v): ELBO %.2f (start %.2f); held-out log-likelihood %.3f", res.Status, res.Iterations, res.Elapsed.Round(1e6), res.ELBO, start, ll)
			if mf, ok := q.(*family.MeanField); ok && !(ref.ELBO(nil, mf) > start+50) {
				t.Errorf("the ELBO rose from %.2f only to %.2f", start, ref.ELBO(nil, mf))
			}
			// The noise sd is 0.2: the held-out log density per point of a
			// good fit is near log N(0 | 0, 0.2²) − ½ = 0.19.
			if ll < -0.2 {
				t.Errorf("held-out log-likelihood %.3f", ll)
			}
		})
	}
}

// rmseLL returns the RMSE of the predictive mean and the mean log
// predictive density on x, y.
func rmseLL(t *testing.T, net *Network, q family.Family, x interface {
	Dims() (int, int)
	At(i, j int) float64
}, y []float64) (float64, float64) {
	t.Helper()
	xd := denseOf(x)
	pr, err := net.Predict(q, xd, &PredictOptions{Draws: 500, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := net.LogPredictive(q, xd, y, &PredictOptions{Draws: 500, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	se := 0.0
	for i := range y {
		se += (pr.Mean[i] - y[i]) * (pr.Mean[i] - y[i])
	}
	return math.Sqrt(se / float64(len(y))), mean(lp)
}
