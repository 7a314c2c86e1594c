package bnn

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
)

func envf(k string, d float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return v
	}
	return d
}

func TestExploreDigits(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	x, y := digits(t)
	var tr, te []int
	for i := 0; i < 1797; i++ {
		if i%5 == 0 {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	xtr, ytr := subset(x, y, tr)
	xte, yte := subset(x, y, te)
	prior := Prior{Scale: envf("SCALE", 1), FanIn: envf("FANIN", 0) == 1, Learn: envf("LEARN", 0) == 1}
	net, err := New(Spec{Hidden: []int{100, 100}, Likelihood: Categorical, Prior: prior}, xtr, ytr)
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewMeanField(net.Dim())
	net.InitFamily(q, 1)
	var est Estimator = &LocalReparam{Seed: 1}
	if envf("MOM", 0) == 1 {
		est = &Moments{}
	}
	ep := int(envf("EPOCHS", 200))
	start := time.Now()
	res, err := net.Train(context.Background(), q, est, TrainSettings{Epochs: ep, Rate: envf("RATE", 1e-3), Seed: 1, Callback: func(e int, v float64) error {
		if e%50 == 0 {
			pr, _ := net.Predict(q, xte, &PredictOptions{Draws: 100})
			acc := 0.0
			for i, c := range pr.Class {
				if c == yte[i] {
					acc++
				}
			}
			lp, _ := net.LogPredictive(q, xte, yte, &PredictOptions{Draws: 100})
			s := 0.0
			for _, v := range lp {
				s += v
			}
			t.Logf("epoch %d ELBO %.1f acc %.4f ll %.4f  hyper %.3v", e, v, acc/float64(len(yte)), s/float64(len(lp)), net.Hyper())
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Stopped, time.Since(start), res.Seconds)
	_ = mat.NewDense
}
