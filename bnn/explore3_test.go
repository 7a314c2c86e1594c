package bnn

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
)

func moons(n int, noise float64, seed uint64) (*mat.Dense, []float64) {
	r := rand.New(rand.NewPCG(seed, 6))
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		t := math.Pi * r.Float64()
		if i%2 == 0 {
			x.Set(i, 0, math.Cos(t)+noise*r.NormFloat64())
			x.Set(i, 1, math.Sin(t)+noise*r.NormFloat64())
		} else {
			x.Set(i, 0, 1-math.Cos(t)+noise*r.NormFloat64())
			x.Set(i, 1, 0.5-math.Sin(t)+noise*r.NormFloat64())
			y[i] = 1
		}
	}
	return x, y
}

func TestExploreMoons(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	x, y := moons(400, envf("NOISE", 0.2), 1)
	xt, yt := moons(1000, envf("NOISE", 0.2), 2)
	act := ReLU
	if envf("TANH", 0) == 1 {
		act = Tanh
	}
	lik := Bernoulli
	if envf("CAT", 0) == 1 {
		lik = Categorical
	}
	net, _ := New(Spec{Hidden: []int{int(envf("W", 20)), int(envf("W", 20))}, Activation: act, Likelihood: lik}, x, y)
	q := family.NewMeanField(net.Dim())
	net.InitFamily(q, 1)
	var est Estimator = &LocalReparam{Seed: 1}
	if envf("MOM", 0) == 1 {
		est = &Moments{}
	}
	res, _ := net.Train(context.Background(), q, est, TrainSettings{Epochs: int(envf("EPOCHS", 500)), Batch: int(envf("BATCH", 64)), Rate: envf("RATE", 1e-2), Seed: 1})
	pr, _ := net.Predict(q, xt, nil)
	acc := 0.0
	for i, c := range pr.Class {
		if c == yt[i] {
			acc++
		}
	}
	lp, _ := net.LogPredictive(q, xt, yt, nil)
	s := 0.0
	for _, v := range lp {
		s += v
	}
	t.Logf("ELBO %.2f %.2fs acc %.4f ll %.4f", res.ELBO[len(res.ELBO)-1], res.Seconds, acc/1000, s/1000)
}
