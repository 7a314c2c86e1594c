package bnn

import (
	"context"
	"math"
	"runtime"
	"sync"
	"testing"

	"github.com/govi-dev/govi/family"
)

// mcELBO estimates the ELBO at q with calls×draws local-reparameterization
// draws per row (each call a different stream) and returns the mean and
// its standard error over the calls. The local reparameterization is
// exact in distribution for each row's output, so this is an unbiased
// estimate of the true ELBO.
func mcELBO(t *testing.T, net *Network, q family.Family, calls, draws int) (mean, se float64) {
	t.Helper()
	// Calls run on all cores (a small network has a single chunk); each
	// has its own seed, and the sums are taken in call order.
	vals := make([]float64, calls)
	var wg sync.WaitGroup
	next := make(chan int, calls)
	for c := 0; c < calls; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				e := &LocalReparam{Seed: uint64(1000 + c), Draws: draws}
				if err := e.Init(net, q); err != nil {
					panic(err)
				}
				vals[c] = e.ELBO(nil, q)
			}
		}()
	}
	wg.Wait()
	var s, s2 float64
	for _, v := range vals {
		s += v
		s2 += v * v
	}
	n := float64(calls)
	mean = s / n
	se = math.Sqrt(math.Max(s2/n-mean*mean, 0) / (n - 1))
	return mean, se
}

// trained returns a network on synthetic data and a mean-field q trained
// for a while by the local reparameterization ELBO, a realistic point at
// which to compare the estimators.
func trained(t *testing.T, lik Likelihood, act Activation, hidden []int, n, p int) (*Network, *family.MeanField) {
	t.Helper()
	net := smallNetP(t, lik, act, hidden, n, p, Prior{Scale: 1})
	q := family.NewMeanField(net.Dim())
	if err := net.InitFamily(q, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Train(context.Background(), q, &LocalReparam{Seed: 9}, TrainSettings{Epochs: 300, Batch: 10, Rate: 1e-2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return net, q
}

// TestMomentsVersusMonteCarlo compares the deterministic moment
// propagation ELBO with a 10⁶-draw Monte Carlo estimate of the true ELBO
// on small networks at a trained q.
//
//   - One hidden layer, Gaussian likelihood: the hidden units use disjoint
//     weights of q, so they are independent, and the output's mean and
//     variance are exact; the Gaussian expected log likelihood depends on
//     nothing else. The gap must be Monte Carlo noise: within 4 standard
//     errors.
//   - One hidden layer, Bernoulli likelihood: the output's first two
//     moments are exact, only its Gaussianity is assumed. With
//     f(a) = log logistic(±a), |f”'| ≤ 1/(6√3), a Taylor expansion to
//     second order around the mean (whose terms the two distributions
//     share) bounds the error per row by (|f”'|max/6)(E|a−M|³ + E|ã−M|³)
//     with E|ã−M|³ = 2√(2/π)S³ for the Gaussian ã; E|a−M|³ is estimated
//     from draws. The gap must be within that bound plus 4 standard
//     errors.
//   - Two hidden layers: units of the second layer share their inputs and
//     are correlated, which the diagonal propagation ignores; the gap is
//     measured and must be smaller than that of the plug-in estimate (the
//     log likelihood at the mean weights, which ignores q's spread
//     altogether).
func TestMomentsVersusMonteCarlo(t *testing.T) {
	if testing.Short() {
		t.Skip("10⁶-draw Monte Carlo estimates; skipped with -short")
	}
	const calls, draws = 100, 10000 // 10⁶ draws per row
	t.Run("gaussian-1-layer", func(t *testing.T) {
		net, q := trained(t, Gaussian, ReLU, []int{8}, 20, 2)
		dvi := momentsELBO(t, net, q)
		mc, se := mcELBO(t, net, q, calls, draws)
		t.Logf("moments %.5f, Monte Carlo %.5f ± %.5f (10⁶ draws per row): gap %.5f = %.1f SE", dvi, mc, se, dvi-mc, (dvi-mc)/se)
		if math.Abs(dvi-mc) > 4*se {
			t.Errorf("the moment ELBO %.6f is not within 4 standard errors of the Monte Carlo ELBO %.6f ± %.6f", dvi, mc, se)
		}
	})
	t.Run("bernoulli-1-layer", func(t *testing.T) {
		net, q := trained(t, Bernoulli, Tanh, []int{6}, 20, 2)
		dvi := momentsELBO(t, net, q)
		mc, se := mcELBO(t, net, q, calls, draws)
		bound := thirdMomentBound(t, net, q, 50000)
		t.Logf("moments %.6f, Monte Carlo %.6f ± %.6f: gap %.6f; Taylor bound %.6f", dvi, mc, se, dvi-mc, bound)
		if math.Abs(dvi-mc) > bound+4*se {
			t.Errorf("gap %.6f exceeds the bound %.6f + 4 SE (%.6f)", dvi-mc, bound, 4*se)
		}
	})
	t.Run("gaussian-2-layers", func(t *testing.T) {
		net, q := trained(t, Gaussian, ReLU, []int{8, 8}, 20, 2)
		dvi := momentsELBO(t, net, q)
		mc, se := mcELBO(t, net, q, calls, draws)
		plug := pluginELBO(net, q)
		t.Logf("moments %.4f, Monte Carlo %.4f ± %.4f: gap %.4f (%.2g of |ELBO|); plug-in %.4f, gap %.4f", dvi, mc, se, dvi-mc, math.Abs(dvi-mc)/math.Abs(mc), plug, plug-mc)
		if math.Abs(dvi-mc) > math.Abs(plug-mc) {
			t.Errorf("the moment ELBO's gap %.4f is larger than the plug-in's %.4f", dvi-mc, plug-mc)
		}
	})
}

func momentsELBO(t *testing.T, net *Network, q family.Family) float64 {
	t.Helper()
	e := &Moments{Nodes: 32}
	if err := e.Init(net, q); err != nil {
		t.Fatal(err)
	}
	return e.ELBO(nil, q)
}

// pluginELBO is Σᵢ log p(yᵢ | θ = μ) + E_q[log p(θ)] + H(q).
func pluginELBO(net *Network, q *family.MeanField) float64 {
	mu := q.Mean(nil)
	ll := net.LogLikGrad(nil, mu)
	return ll + net.expectedLogPrior(mu, q.SD(), nil, nil, nil) + q.Entropy(nil)
}

// thirdMomentBound returns Σᵢ (1/(36√3))(E|aᵢ−Mᵢ|³ + 2√(2/π)Sᵢ³) for a
// one-hidden-layer network, with E|a−M|³ estimated from draws of θ
// (plus 4 standard errors) and M, S² the exact moments of the output.
func thirdMomentBound(t *testing.T, net *Network, q *family.MeanField, draws int) float64 {
	t.Helper()
	n := net.NumRows()
	e := &Moments{Nodes: 32}
	if err := e.Init(net, q); err != nil {
		t.Fatal(err)
	}
	// Exact output moments from the moment propagation (exact for one
	// hidden layer).
	e.begin(nil, q)
	wk := e.work[0]
	M := make([]float64, n)
	S := make([]float64, n)
	for k := 0; k < e.blocks; k++ {
		r0, r1 := e.blockRange(k)
		for tt := 0; tt < r1-r0; tt++ {
			i := r0 + tt
			copy(wk.a0[tt*net.p:(tt+1)*net.p], net.xe[i*net.p:(i+1)*net.p])
			copy(wk.a02[tt*net.p:(tt+1)*net.p], net.xe2[i*net.p:(i+1)*net.p])
		}
		e.forward(wk, r1-r0)
		last := len(net.layers) - 1
		for tt := 0; tt < r1-r0; tt++ {
			M[r0+tt] = wk.mM[last][tt]
			S[r0+tt] = math.Sqrt(wk.vV[last][tt])
		}
	}
	// E|a − M|³ by drawing θ.
	s3 := make([]float64, n)
	s6 := make([]float64, n)
	theta := make([]float64, net.Dim())
	eps := make([]float64, net.Dim())
	w := newPointWork(net)
	st := newTestStream(77)
	for d := 0; d < draws; d++ {
		for j := range eps {
			eps[j] = st.NormFloat64()
		}
		q.Transform(theta, eps)
		for lo := 0; lo < n; lo += pointBlock {
			r := min(pointBlock, n-lo)
			copy(w.a0[:r*net.p], net.x[lo*net.p:(lo+r)*net.p])
			w.forward(net, theta, r)
			z := w.z[len(net.layers)-1]
			for tt := 0; tt < r; tt++ {
				c := math.Abs(z[tt] - M[lo+tt])
				c3 := c * c * c
				s3[lo+tt] += c3
				s6[lo+tt] += c3 * c3
			}
		}
	}
	bound := 0.0
	f3 := 1 / (6 * math.Sqrt(3))
	for i := 0; i < n; i++ {
		m3 := s3[i] / float64(draws)
		se := math.Sqrt(math.Max(s6[i]/float64(draws)-m3*m3, 0) / float64(draws))
		bound += f3 / 6 * (m3 + 4*se + 2*math.Sqrt(2/math.Pi)*S[i]*S[i]*S[i])
	}
	return bound
}
