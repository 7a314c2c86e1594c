package stream_test

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/prior"
	"github.com/govi-dev/govi/stream"
)

// grouped is a Poisson regression with an offset, a non-centered varying
// intercept and a varying slope: every part of a Layout.
func grouped(t testing.TB, n int) *model.Linear { return groupedModel(t, n, false) }

// groupedModel is grouped, with the two group effects correlated (terms
// with multipliers) when cor is set.
func groupedModel(t testing.TB, n int, cor bool) *model.Linear {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	off := make([]float64, n)
	idx := make([]int, n)
	val := make([]float64, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		x.Set(i, 1, r.NormFloat64())
		x.Set(i, 2, r.NormFloat64())
		off[i] = 0.1 * r.NormFloat64()
		idx[i] = r.IntN(7)
		val[i] = r.NormFloat64()
		eta := 0.3 + 0.2*x.At(i, 1) - 0.1*x.At(i, 2) + off[i] + 0.3*float64(idx[i]%3-1)
		y[i] = synth.Poisson(r, math.Exp(eta))
	}
	l, err := lik.NewPoissonLog(y)
	if err != nil {
		t.Fatal(err)
	}
	levels := []string{"a", "b", "c", "d", "e", "f", "g"}
	terms := model.Terms{
		Lik: l, X: x, Offset: off,
		Coef: []model.Prior{prior.Normal{Mu: 0, Sigma: 2.5}, prior.Normal{Mu: 0, Sigma: 1}, prior.Normal{Mu: 0, Sigma: 1}},
		Groups: []model.Group{
			{Name: "g", Coef: "Intercept", Levels: levels, Index: idx, SD: prior.Exponential{Rate: 1}},
			{Name: "g", Coef: "v", Levels: levels, Index: idx, Value: val, SD: prior.Exponential{Rate: 1}, Centered: !cor},
		},
	}
	if cor {
		terms.Correlations = []model.Correlation{{Groups: []int{0, 1}, Eta: 2}}
	}
	m, err := model.NewLinear(terms)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// draws returns S random points of dimension d.
func draws(S, d int) *mat.Dense {
	r := rand.New(rand.NewPCG(3, 4))
	th := mat.NewDense(S, d, nil)
	for s := 0; s < S; s++ {
		for j := 0; j < d; j++ {
			th.Set(s, j, 0.3*r.NormFloat64())
		}
	}
	return th
}

// The blocked pass gives the model's own log density at every draw, the
// same numbers at GOMAXPROCS 1 and 2, with independent and with
// correlated group effects.
func TestLogLikMatchesModel(t *testing.T) {
	for _, cor := range []bool{false, true} {
		logLikMatchesModel(t, groupedModel(t, 3000, cor))
	}
}

func logLikMatchesModel(t *testing.T, m *model.Linear) {
	th := draws(37, m.Dim())
	var got [2][]float64
	for k, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		got[k] = make([]float64, 37)
		if err := stream.LogLik(stream.Rows(m, 500), th, got[k]); err != nil {
			t.Fatal(err)
		}
		runtime.GOMAXPROCS(old)
		for s := range got[k] {
			got[k][s] += stream.LogPrior(m.Layout(), th.RawRowView(s))
		}
	}
	for s := 0; s < 37; s++ {
		want := m.LogDensity(th.RawRowView(s))
		if math.Abs(got[0][s]-want) > 1e-9*math.Abs(want) {
			t.Errorf("draw %d: %.12g, want %.12g", s, got[0][s], want)
		}
		if got[0][s] != got[1][s] {
			t.Errorf("draw %d: %.17g at GOMAXPROCS 1, %.17g at 2", s, got[0][s], got[1][s])
		}
	}
}

// A full pass over blocks gives the quadrature ELBO of the whole data.
func TestELBOPass(t *testing.T) {
	m := grouped(t, 2000)
	q := family.NewFullRank(m.Dim())
	q.ScaleBy(0.2)
	qe := &elbo.Quadrature{}
	if err := qe.Init(m, q); err != nil {
		t.Fatal(err)
	}
	want := qe.ELBO(nil, q)
	got, err := stream.ELBO(stream.Rows(m, 300), m, q, qe)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("pass ELBO %.12g, want %.12g", got, want)
	}
	if again := qe.ELBO(nil, q); again != want {
		t.Errorf("after the pass the estimator gives %.17g, want %.17g", again, want)
	}
}

// Minibatch VI over a data pass matches the full-batch fit of a logistic
// regression within 0.1 posterior sd in every mean and 5% in every sd,
// with the same numbers at GOMAXPROCS 1 and 2.
func TestMinibatchStream(t *testing.T) {
	m := synth.LogisticModel(40000, 10, 2)
	d := m.Dim()
	ref := family.NewFullRank(d)
	ch := govi.Auto(m, 1)
	if err := ch.Apply(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if _, err := govi.Fit(context.Background(), m, ref, ch.Estimator, ch.Method, nil); err != nil {
		t.Fatal(err)
	}
	var rc mat.SymDense
	ref.Cov(&rc)
	var phi [2][]float64
	for k, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		q := family.NewFullRank(d)
		q.ScaleBy(1e-3)
		mb := &stream.Minibatch{Source: stream.Rows(m, 1000), Size: 1000, Buffer: 3, Seed: 7}
		res, err := govi.Fit(context.Background(), m, q, mb, &optim.StochasticNatural{}, nil)
		mb.Close()
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged() {
			t.Fatalf("%s", res.Message)
		}
		phi[k] = q.Params(nil)
		mu := q.Mean(nil)
		var c mat.SymDense
		q.Cov(&c)
		zmax, sdmax := 0.0, 0.0
		for i := 0; i < d; i++ {
			s := math.Sqrt(rc.At(i, i))
			zmax = math.Max(zmax, math.Abs(mu[i]-ref.Mean(nil)[i])/s)
			sdmax = math.Max(sdmax, math.Abs(math.Sqrt(c.At(i, i))/s-1))
		}
		t.Logf("GOMAXPROCS %d: %d epochs, %d batches, %d rows: max z %.2g, max |sd ratio − 1| %.2g", procs, mb.Epoch(), res.Iterations, mb.Rows(), zmax, sdmax)
		if zmax > 0.1 || sdmax > 0.05 {
			t.Errorf("max z %.3g, sd error %.3g; want ≤ 0.1 and ≤ 0.05", zmax, sdmax)
		}
	}
	for i := range phi[0] {
		if phi[0][i] != phi[1][i] {
			t.Fatalf("φ[%d] differs at GOMAXPROCS 1 and 2: %.17g vs %.17g", i, phi[0][i], phi[1][i])
		}
	}
}
