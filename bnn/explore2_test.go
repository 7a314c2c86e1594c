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

func gapData(n int, seed uint64) (*mat.Dense, []float64) {
	r := rand.New(rand.NewPCG(seed, 5))
	x := mat.NewDense(n, 1, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		var v float64
		if i%2 == 0 {
			v = -3 + 2*r.Float64()
		} else {
			v = 1 + 2*r.Float64()
		}
		x.Set(i, 0, v)
		y[i] = math.Sin(v) + 0.1*v*v + 0.2*r.NormFloat64()
	}
	return x, y
}

func TestExploreGap(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	x, y := gapData(200, 1)
	act := ReLU
	if envf("TANH", 0) == 1 {
		act = Tanh
	}
	hidden := []int{int(envf("W", 50)), int(envf("W", 50))}
	if envf("ONE", 0) == 1 {
		hidden = []int{50}
	}
	net, err := New(Spec{Hidden: hidden, Activation: act, Likelihood: Gaussian, Prior: Prior{Scale: envf("SCALE", 1), FanIn: envf("FANIN", 0) == 1, Learn: envf("LEARN", 0) == 1}}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewMeanField(net.Dim())
	net.InitFamily(q, 1)
	var est Estimator = &LocalReparam{Seed: 1}
	if envf("MOM", 0) == 1 {
		est = &Moments{}
	}
	res, err := net.Train(context.Background(), q, est, TrainSettings{Epochs: int(envf("EPOCHS", 1000)), Batch: int(envf("BATCH", 32)), Rate: envf("RATE", 1e-2), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ELBO %.2f (%s, %.1fs) hyper %.3v sigma %.3f", res.ELBO[len(res.ELBO)-1], res.Stopped, res.Seconds, net.Hyper(), math.Exp(q.Mean(nil)[net.NoiseIndex()])*net.ySD)
	grid := mat.NewDense(17, 1, nil)
	for i := 0; i < 17; i++ {
		grid.Set(i, 0, -4+0.5*float64(i))
	}
	pr, _ := net.Predict(q, grid, &PredictOptions{Draws: 2000})
	for i := 0; i < 17; i++ {
		v := grid.At(i, 0)
		t.Logf("x %5.2f  mean %6.3f (true %6.3f) sd %.3f  [%6.3f, %6.3f]", v, pr.Mean[i], math.Sin(v)+0.1*v*v, pr.SD[i], pr.Quantiles.At(i, 0), pr.Quantiles.At(i, 2))
	}
	xt, yt := gapData(400, 2)
	pt, _ := net.Predict(q, xt, nil)
	cover := 0
	for i, v := range yt {
		if v >= pt.Quantiles.At(i, 0) && v <= pt.Quantiles.At(i, 2) {
			cover++
		}
	}
	t.Logf("coverage %.3f", float64(cover)/400)
}
