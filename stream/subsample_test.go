package stream_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/stream"
)

// The difference estimator is exact when every row is in the subsample,
// and otherwise within a few of its standard errors of the exact log
// likelihood, which at 200,000 rows are far below a nat; it gives the same
// numbers at GOMAXPROCS 1 and 2.
func TestLogLikSubsample(t *testing.T) {
	m := synth.LogisticModel(200000, 10, 2)
	q := family.NewFullRank(m.Dim())
	ch := govi.Auto(m, 1)
	if err := ch.Apply(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if res, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil); err != nil || !res.Converged() {
		t.Fatalf("%v %s", err, res.Message)
	}
	const S = 60
	ds := govi.Sample(m, q, nil, S, 5)
	exact := make([]float64, S)
	if err := stream.LogLik(stream.Rows(m, 0), ds.Theta, exact); err != nil {
		t.Fatal(err)
	}
	c := q.Mean(nil)

	all, seAll := make([]float64, S), make([]float64, S)
	if err := stream.LogLikSubsample(stream.Rows(m, 0), ds.Theta, c, 1, all, seAll); err != nil {
		t.Fatal(err)
	}
	for s := range all {
		if math.Abs(all[s]-exact[s]) > 1e-9*math.Abs(exact[s]) || seAll[s] != 0 {
			t.Fatalf("stride 1, draw %d: %.12g ± %g, want %.12g ± 0", s, all[s], seAll[s], exact[s])
		}
	}

	var got, se [2][]float64
	for k, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		got[k], se[k] = make([]float64, S), make([]float64, S)
		err := stream.LogLikSubsample(stream.Rows(m, 3000), ds.Theta, c, 20, got[k], se[k])
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
	}
	maxSE, maxZ := 0.0, 0.0
	for s := range exact {
		if got[0][s] != got[1][s] || se[0][s] != se[1][s] {
			t.Fatalf("draw %d: %.17g ± %g at GOMAXPROCS 1, %.17g ± %g at 2", s, got[0][s], se[0][s], got[1][s], se[1][s])
		}
		if !(se[0][s] > 0) {
			t.Fatalf("draw %d: standard error %g, want > 0", s, se[0][s])
		}
		maxSE = math.Max(maxSE, se[0][s])
		maxZ = math.Max(maxZ, math.Abs(got[0][s]-exact[s])/se[0][s])
	}
	t.Logf("stride 20: max SE %.3g nats, max |error|/SE %.2f", maxSE, maxZ)
	if maxSE > 0.01 {
		t.Errorf("max standard error %.3g nats, want below 0.01", maxSE)
	}
	if maxZ > 4.5 {
		t.Errorf("an estimate is %.2f standard errors from the exact value, want at most 4.5", maxZ)
	}

	g := grouped(t, 500)
	th := draws(3, g.Dim())
	err := stream.LogLikSubsample(stream.Rows(g, 0), th, make([]float64, g.Dim()), 5, make([]float64, 3), nil)
	if !errors.Is(err, stream.ErrNoSubsample) {
		t.Errorf("group-level terms: error %v, want ErrNoSubsample", err)
	}
}
