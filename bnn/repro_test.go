package bnn

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
)

// TestReproducible trains the same network with each estimator at
// GOMAXPROCS 1 and 2 and requires bit-identical parameters, per-epoch
// ELBOs and predictions. Batches of 128 rows split into 4 chunks, so
// both settings run chunks on different workers.
func TestReproducible(t *testing.T) {
	x, y := synthetic(Gaussian, 700, 4, 0, 5)
	for _, c := range []struct {
		name string
		est  func() Estimator
	}{
		{"lrt", func() Estimator { return &LocalReparam{Seed: 4} }},
		{"moments", func() Estimator { return &Moments{} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(procs int) ([]float64, []float64, *Prediction) {
				old := runtime.GOMAXPROCS(procs)
				defer runtime.GOMAXPROCS(old)
				net, err := New(Spec{Hidden: []int{16, 8}, Prior: Prior{Learn: true}}, x, y)
				if err != nil {
					t.Fatal(err)
				}
				q := family.NewMeanField(net.Dim())
				if err := net.InitFamily(q, 3); err != nil {
					t.Fatal(err)
				}
				res, err := net.Train(context.Background(), q, c.est(), TrainSettings{Epochs: 6, Rate: 1e-2, Seed: 8})
				if err != nil {
					t.Fatal(err)
				}
				pr, err := net.Predict(q, x, &PredictOptions{Draws: 50, Seed: 2})
				if err != nil {
					t.Fatal(err)
				}
				return append(q.Params(nil), net.Hyper()...), res.ELBO, pr
			}
			p1, e1, pr1 := run(1)
			p2, e2, pr2 := run(2)
			for i := range p1 {
				if p1[i] != p2[i] {
					t.Fatalf("parameter %d differs between GOMAXPROCS 1 and 2: %.17g, %.17g", i, p1[i], p2[i])
				}
			}
			for i := range e1 {
				if e1[i] != e2[i] {
					t.Fatalf("epoch %d ELBO differs: %.17g, %.17g", i+1, e1[i], e2[i])
				}
			}
			for i := range pr1.Mean {
				if pr1.Mean[i] != pr2.Mean[i] || pr1.SD[i] != pr2.SD[i] || pr1.Quantiles.At(i, 0) != pr2.Quantiles.At(i, 0) {
					t.Fatalf("prediction %d differs", i)
				}
			}
		})
	}
}

// flaky wraps an estimator and makes some evaluations non-finite.
type flaky struct {
	Estimator
	calls int
	bad   func(call int) bool
}

func (f *flaky) ELBOHyper(grad, hgrad []float64, q family.Family) float64 {
	f.calls++
	v := f.Estimator.ELBOHyper(grad, hgrad, q)
	if f.bad(f.calls) {
		for i := range grad {
			grad[i] = math.NaN()
		}
		return math.NaN()
	}
	return v
}

// TestNonFinite checks that a step whose ELBO is not finite is rejected
// and retried smaller, that training fails with ErrNotFinite when no
// finite step can be found, and that the family never holds a non-finite
// value afterwards.
func TestNonFinite(t *testing.T) {
	net := smallNet(t, Bernoulli, ReLU, []int{8}, 200, Prior{})
	check := func(q family.Family) {
		t.Helper()
		for i, v := range q.Params(nil) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("φ[%d] = %g after training", i, v)
			}
		}
	}
	t.Run("occasional", func(t *testing.T) {
		q := family.NewMeanField(net.Dim())
		net.InitFamily(q, 1)
		est := &flaky{Estimator: &LocalReparam{Seed: 1}, bad: func(c int) bool { return c%7 == 3 }}
		res, err := net.Train(context.Background(), q, est, TrainSettings{Epochs: 5, Batch: 32, Rate: 1e-2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rejected == 0 || res.Epochs != 5 {
			t.Fatalf("%d rejected steps in %d epochs", res.Rejected, res.Epochs)
		}
		check(q)
	})
	t.Run("overflow", func(t *testing.T) {
		// A step of 1e4 sends log σ to values where σ overflows: those
		// steps are rejected and halved until they are finite.
		q := family.NewMeanField(net.Dim())
		net.InitFamily(q, 1)
		res, err := net.Train(context.Background(), q, &LocalReparam{Seed: 1}, TrainSettings{Epochs: 3, Batch: 50, Rate: 1e4})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rejected == 0 {
			t.Fatalf("no rejected step at a step size of 1e4")
		}
		check(q)
		for _, v := range res.ELBO {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite epoch ELBO %g", v)
			}
		}
	})
	t.Run("persistent", func(t *testing.T) {
		q := family.NewMeanField(net.Dim())
		net.InitFamily(q, 1)
		start := q.Params(nil)
		est := &flaky{Estimator: &Moments{}, bad: func(c int) bool { return c > 1 }}
		res, err := net.Train(context.Background(), q, est, TrainSettings{Epochs: 2, Batch: 50})
		if !errors.Is(err, ErrNotFinite) {
			t.Fatalf("error %v, want ErrNotFinite", err)
		}
		if !strings.Contains(err.Error(), "epoch 1, batch 2") {
			t.Errorf("error does not say where: %v", err)
		}
		check(q)
		for i, v := range q.Params(nil) {
			if v != start[i] {
				t.Fatalf("q moved to a non-accepted point")
			}
		}
		if res.Steps != 0 || res.Rejected != maxRejects {
			t.Errorf("%d steps, %d rejected", res.Steps, res.Rejected)
		}
	})
	t.Run("initial", func(t *testing.T) {
		q := family.NewMeanField(net.Dim())
		net.InitFamily(q, 1)
		est := &flaky{Estimator: &Moments{}, bad: func(int) bool { return true }}
		if _, err := net.Train(context.Background(), q, est, TrainSettings{Epochs: 1}); !errors.Is(err, ErrNotFinite) {
			t.Fatalf("error %v, want ErrNotFinite", err)
		}
		check(q)
	})
}

// TestMemoryBudget checks that a network too large for the budget is
// refused before anything is allocated, with an error that says how much
// it needs.
func TestMemoryBudget(t *testing.T) {
	x, y := synthetic(Gaussian, 50, 3, 0, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := New(Spec{Hidden: []int{200000, 200000}}, x, y) // 4·10¹⁰ weights
	runtime.ReadMemStats(&after)
	var me *MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("error %v, want a *MemoryError", err)
	}
	if me.Need < 8*4e10*30 || !strings.Contains(err.Error(), "MaxBytes") {
		t.Errorf("estimate %g bytes; message %q", me.Need, err)
	}
	if after.TotalAlloc-before.TotalAlloc > 1<<20 {
		t.Errorf("allocated %d bytes before refusing", after.TotalAlloc-before.TotalAlloc)
	}
	t.Log(err)
	// An explicit budget.
	if _, err := New(Spec{Hidden: []int{100}, MaxBytes: 1 << 10}, x, y); !errors.As(err, &me) {
		t.Fatalf("a 1 KiB budget: %v", err)
	}
	if _, err := New(Spec{Hidden: []int{100}, MaxBytes: 1 << 30}, x, y); err != nil {
		t.Fatalf("a 1 GiB budget: %v", err)
	}
	if b := DefaultBudget(); b <= 0 {
		t.Errorf("DefaultBudget() = %d", b)
	}
}

// TestDataErrors checks the errors for bad data at training and
// prediction.
func TestDataErrors(t *testing.T) {
	x, y := synthetic(Categorical, 60, 3, 3, 1) // classes 0, 2, 4
	net, err := New(Spec{Hidden: []int{4}, Likelihood: Categorical}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	q := family.NewMeanField(net.Dim())
	net.InitFamily(q, 1)
	if got := net.Classes(); len(got) != 3 || got[2] != 4 {
		t.Fatalf("classes %v", got)
	}
	_, err = net.LogPredictive(q, x.Slice(0, 2, 0, 3).(*mat.Dense), []float64{2, 3}, nil)
	if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "class 3") {
		t.Errorf("unseen class: %v", err)
	}
	if _, err := net.Predict(q, mat.NewDense(2, 2, nil), nil); !errors.Is(err, ErrData) {
		t.Errorf("wrong number of columns: %v", err)
	}
	bad := mat.NewDense(1, 3, []float64{1, math.NaN(), 0})
	if _, err := net.Predict(q, bad, nil); !errors.Is(err, ErrData) {
		t.Errorf("NaN input: %v", err)
	}
	if _, err := net.Predict(q, x, &PredictOptions{Levels: []float64{1.5}}); err == nil {
		t.Errorf("quantile level 1.5 accepted")
	}
	yb := make([]float64, 60)
	yb[3] = 2
	if _, err := New(Spec{Likelihood: Bernoulli}, x, yb); !errors.Is(err, ErrData) {
		t.Errorf("bernoulli response 2: %v", err)
	}
	if _, err := New(Spec{Likelihood: Categorical}, x, make([]float64, 60)); !errors.Is(err, ErrData) {
		t.Errorf("one class: %v", err)
	}
	if _, err := New(Spec{Hidden: []int{0}}, x, y); !errors.Is(err, ErrSpec) {
		t.Errorf("width 0: %v", err)
	}
	if _, err := net.Predict(family.NewMeanField(3), x, nil); err == nil {
		t.Errorf("family of the wrong dimension accepted")
	}
}

// TestEarlyStop checks the smoothed-ELBO stopping rule and cancellation.
func TestEarlyStop(t *testing.T) {
	net := smallNet(t, Gaussian, ReLU, []int{8}, 200, Prior{})
	q := family.NewMeanField(net.Dim())
	net.InitFamily(q, 1)
	res, err := net.Train(context.Background(), q, &Moments{}, TrainSettings{Epochs: 5000, Batch: 200, Rate: 1e-2, Patience: 20, Tol: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Epochs >= 5000 || !strings.Contains(res.Stopped, "did not improve") {
		t.Fatalf("stopped after %d epochs: %s", res.Epochs, res.Stopped)
	}
	if len(res.ELBO) != res.Epochs || res.Weights != net.Weights() || !(res.Seconds > 0) {
		t.Fatalf("result %+v", res)
	}
	t.Logf("%s after %d epochs, ELBO %.2f", res.Stopped, res.Epochs, res.ELBO[len(res.ELBO)-1])
	ctx, cancel := context.WithCancel(context.Background())
	res, err = net.Train(ctx, q, &Moments{}, TrainSettings{Epochs: 100, Callback: func(e int, _ float64) error {
		if e == 3 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) || res.Epochs != 3 {
		t.Fatalf("canceled run: %v after %d epochs", err, res.Epochs)
	}
	check := q.Params(nil)
	for _, v := range check {
		if math.IsNaN(v) {
			t.Fatal("NaN parameter after cancellation")
		}
	}
}
