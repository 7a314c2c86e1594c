package bnn_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/bnn"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/optim"
)

// A regression network trained by minibatch Adam on the local
// reparameterization ELBO, and its posterior predictive distribution on
// the data's scale.
func Example() {
	// y = 10 + 5 sin(x) + N(0, 1) on x ∈ [−3, 3].
	r := rand.New(rand.NewPCG(1, 2))
	n := 300
	x := mat.NewDense(n, 1, nil)
	y := make([]float64, n)
	for i := range y {
		v := -3 + 6*r.Float64()
		x.Set(i, 0, v)
		y[i] = 10 + 5*math.Sin(v) + r.NormFloat64()
	}
	net, err := bnn.New(bnn.Spec{Hidden: []int{20}, Activation: bnn.Tanh, Likelihood: bnn.Gaussian}, x, y)
	if err != nil {
		panic(err)
	}
	q := family.NewMeanField(net.Dim())
	if err := net.InitFamily(q, 1); err != nil {
		panic(err)
	}
	res, err := net.Train(context.Background(), q, &bnn.LocalReparam{Seed: 1},
		bnn.TrainSettings{Epochs: 1000, Batch: 100, Rate: 1e-2, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d weights, %s\n", res.Weights, res.Stopped)
	at := []float64{-1.5, 0, 1.5}
	pr, err := net.Predict(q, mat.NewDense(len(at), 1, at), &bnn.PredictOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	for i, v := range at {
		fmt.Printf("x = %4.1f: mean %5.1f (true %5.1f), sd %.1f, 95%% interval [%4.1f, %4.1f]\n",
			v, pr.Mean[i], 10+5*math.Sin(v), pr.SD[i], pr.Quantiles.At(i, 0), pr.Quantiles.At(i, 2))
	}
	// Output:
	// 61 weights, completed 1000 epochs
	// x = -1.5: mean   5.3 (true   5.0), sd 1.2, 95% interval [ 2.9,  7.6]
	// x =  0.0: mean   9.8 (true  10.0), sd 1.2, 95% interval [ 7.5, 12.0]
	// x =  1.5: mean  15.0 (true  15.0), sd 1.2, 95% interval [12.7, 17.3]
}

// The network is a model like any other for govi.Fit: here the
// deterministic moment-propagation ELBO with L-BFGS, on a two-class
// problem (a Bernoulli likelihood), then held-out accuracy and log
// predictive density.
func ExampleMoments() {
	r := rand.New(rand.NewPCG(3, 4))
	data := func(n int) (*mat.Dense, []float64) {
		x := mat.NewDense(n, 2, nil)
		y := make([]float64, n)
		for i := range y {
			a, b := 4*r.Float64()-2, 4*r.Float64()-2
			x.Set(i, 0, a)
			x.Set(i, 1, b)
			if a*a+b*b < 1.5 { // inside a circle
				y[i] = 1
			}
		}
		return x, y
	}
	x, y := data(300)
	xt, yt := data(1000)
	net, err := bnn.New(bnn.Spec{Hidden: []int{16}, Likelihood: bnn.Bernoulli}, x, y)
	if err != nil {
		panic(err)
	}
	q := family.NewMeanField(net.Dim())
	if err := net.InitFamily(q, 1); err != nil {
		panic(err)
	}
	res, err := govi.Fit(context.Background(), net, q, &bnn.Moments{}, &optim.LBFGS{}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status)
	pr, err := net.Predict(q, xt, &bnn.PredictOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	right := 0
	for i, c := range pr.Class {
		if c == yt[i] {
			right++
		}
	}
	lp, err := net.LogPredictive(q, xt, yt, &bnn.PredictOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	s := 0.0
	for _, v := range lp {
		s += v
	}
	fmt.Printf("held-out accuracy %.2f, log predictive density %.2f per point\n", float64(right)/float64(len(yt)), s/float64(len(lp)))
	// Output:
	// converged
	// held-out accuracy 0.95, log predictive density -0.15 per point
}
