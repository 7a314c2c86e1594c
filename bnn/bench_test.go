package bnn

import (
	"context"
	"testing"

	"github.com/govi-dev/govi/family"
)

// benchTrainer returns a trainer of the 64-100-100-10 ReLU network on the
// digits data (17,610 weights), batches of 128.
func benchTrainer(b *testing.B, est Estimator) *trainer {
	x, y := digits(b)
	net, err := New(Spec{Hidden: []int{100, 100}, Likelihood: Categorical, Prior: Prior{Scale: 1}}, x, y)
	if err != nil {
		b.Fatal(err)
	}
	if net.Weights() != 17610 {
		b.Fatalf("%d weights, want 17610", net.Weights())
	}
	q := family.NewMeanField(net.Dim())
	if err := net.InitFamily(q, 1); err != nil {
		b.Fatal(err)
	}
	t, err := newTrainer(net, q, est, TrainSettings{Batch: 128, Rate: 1e-3, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := t.start(); err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkTrainDigits measures training throughput, one op per minibatch
// of 128 rows (an Adam step and an ELBO-and-gradient evaluation), in
// examples per second. Run it at -cpu 1,2.
func BenchmarkTrainDigits(b *testing.B) {
	for _, c := range []struct {
		name string
		est  func() Estimator
	}{
		{"lrt", func() Estimator { return &LocalReparam{Seed: 1} }},
		{"moments", func() Estimator { return &Moments{} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			t := benchTrainer(b, c.est())
			b.ReportAllocs()
			b.ResetTimer()
			ex := 0
			for i := 0; i < b.N; i++ {
				if t.next >= t.batches {
					t.endEpoch()
				}
				ex += len(t.rows())
				if !t.step() {
					b.Fatal("step failed")
				}
			}
			b.ReportMetric(float64(ex)/b.Elapsed().Seconds(), "examples/s")
		})
	}
}

var _ = context.Background
