package govi_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi"
	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// Monte Carlo + Adam on the conjugate regression. The tolerance comes from
// the Monte Carlo error: an averaged stochastic-gradient estimate over T
// iterations of S draws has error sd about 1/√(ST) posterior sds
// (Polyak & Juditsky 1992: with q ≈ posterior the gradient noise covariance
// in μ is P/S and the Hessian is P, so the averaged error covariance is
// Σ/(ST)). The result averages the last two windows of 50 iterations
// (T = 100), so we allow 4/√(ST) for each mean, and 6/√(ST) for each sd
// because annealing averages correlated iterates.
func TestConjugateMonteCarloAdam(t *testing.T) {
	c := testmodel.NewConjugate(250, 6, 1)
	mean, cov := c.Posterior()
	const S, T = 64, 100
	tolZ, tolR := 4/math.Sqrt(S*T), 6/math.Sqrt(S*T)
	for seed := uint64(1); seed <= 3; seed++ {
		m := c.Linear()
		q := family.NewFullRank(m.Dim())
		res, err := govi.Fit(context.Background(), m, q, &elbo.MonteCarlo{Draws: S, Seed: seed}, &optim.Adam{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged() {
			t.Fatalf("seed %d: %v: %s", seed, res.Status, res.Message)
		}
		var gc mat.SymDense
		q.Cov(&gc)
		for i := range mean {
			sd := math.Sqrt(cov.At(i, i))
			if z := math.Abs(q.Mean(nil)[i]-mean[i]) / sd; z > tolZ {
				t.Errorf("seed %d: mean[%d] off by %.3g sd > %.3g", seed, i, z, tolZ)
			}
			if r := math.Sqrt(gc.At(i, i)) / sd; math.Abs(r-1) > tolR {
				t.Errorf("seed %d: sd[%d] ratio %.4f, want within %.3g of 1", seed, i, r, tolR)
			}
		}
	}
}

// Plain gradient ascent with the Robbins-Monro schedule reaches the
// optimum of a deterministic objective.
func TestGradientAscent(t *testing.T) {
	c := testmodel.NewConjugate(40, 2, 5)
	m := c.Linear()
	q := family.NewMeanField(m.Dim())
	method := &optim.GradientAscent{Rate: 0.02, Schedule: optim.Constant{}}
	res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{}, method, &govi.Settings{Optim: optim.Settings{MaxIter: 3000, NoAverage: true, Anneal: -1, TolRelObj: 1e-12}})
	if err != nil {
		t.Fatal(err)
	}
	ref := family.NewMeanField(m.Dim())
	if _, err := govi.Fit(context.Background(), m, ref, &elbo.Quadrature{}, &optim.LBFGS{}, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if e := math.Abs(q.Mean(nil)[i] - ref.Mean(nil)[i]); e > 1e-6 {
			t.Errorf("mean[%d] = %g, optimum %g", i, q.Mean(nil)[i], ref.Mean(nil)[i])
		}
		if e := math.Abs(q.SD()[i]/ref.SD()[i] - 1); e > 1e-6 {
			t.Errorf("sd[%d] = %g, optimum %g", i, q.SD()[i], ref.SD()[i])
		}
	}
	// The trace increases monotonically for a small enough constant step.
	for i := 1; i < len(res.Trace); i++ {
		if res.Trace[i] < res.Trace[i-1]-1e-9 {
			t.Fatalf("ELBO decreased at iteration %d: %g → %g", i, res.Trace[i-1], res.Trace[i])
		}
	}
}

// cliff is a narrow posterior N(2.5, 0.1²) in each coordinate that cannot
// be evaluated beyond θ = 3 (5 posterior sds away): large steps overshoot
// into the region where the model is NaN, and must be rejected.
type cliff struct{ d int }

func (c cliff) Dim() int { return c.d }
func (c cliff) LogDensity(x []float64) float64 {
	return c.LogDensityGrad(make([]float64, len(x)), x)
}
func (c cliff) LogDensityGrad(g, x []float64) float64 {
	lp := 0.0
	for i, v := range x {
		if v > 3 {
			return math.NaN()
		}
		z := (v - 2.5) / 0.1
		lp -= 0.5 * z * z
		g[i] = -z / 0.1
	}
	return lp
}

func TestNonFiniteStepsAreRejected(t *testing.T) {
	// Monte Carlo starts from N(0, 1), whose draws cross the cliff early on
	// (dropped draws); L-BFGS starts close to the optimum, where its first
	// unit-length step overshoots into the NaN region (rejected steps).
	for _, tc := range []struct {
		name     string
		est      elbo.Estimator
		method   optim.Method
		mean, sd float64
	}{
		{"adam", &elbo.MonteCarlo{Draws: 8, Seed: 1}, &optim.Adam{}, 0, 1},
		{"sgd", &elbo.MonteCarlo{Draws: 8, Seed: 1}, &optim.GradientAscent{Rate: 0.005, Schedule: optim.Decay{Tau: 1000}}, 0, 1},
		{"lbfgs", &elbo.Quadrature{Nodes: 8}, &optim.LBFGS{}, 2.4, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := family.NewMeanField(2)
			q.SetMeanSD([]float64{tc.mean, tc.mean}, []float64{tc.sd, tc.sd})
			res, err := govi.Fit(context.Background(), cliff{2}, q, tc.est, tc.method, &govi.Settings{Optim: optim.Settings{MaxIter: 5000}})
			if err != nil {
				t.Fatal(err)
			}
			if !model.AllFinite(res.Params) || math.IsNaN(res.ELBO) || math.IsInf(res.ELBO, 0) {
				t.Fatalf("non-finite result: ELBO %g, params %v", res.ELBO, res.Params)
			}
			for _, v := range res.Trace {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite ELBO in the trace")
				}
			}
			dropped := 0
			if mc, ok := tc.est.(*elbo.MonteCarlo); ok {
				dropped = mc.Dropped()
			}
			if res.Rejected+dropped == 0 {
				t.Errorf("no step was rejected and no draw dropped: the test does not reach the cliff")
			}
			if !res.Converged() {
				t.Errorf("status %v: %s", res.Status, res.Message)
			}
			for i := 0; i < 2; i++ {
				if m, sd := q.Mean(nil)[i], q.SD()[i]; math.Abs(m-2.5) > 0.02 || math.Abs(sd/0.1-1) > 0.1 {
					t.Errorf("coordinate %d: mean %.4f sd %.4f, want 2.5 and 0.1", i, m, sd)
				}
			}
			t.Logf("%s: %d dropped draws, %d rejected, %d iterations, status %v: %s", tc.name, dropped, res.Rejected, res.Iterations, res.Status, res.Message)
		})
	}
}

// A model that is never finite fails with a status, not a panic.
func TestFailureIsAStatus(t *testing.T) {
	bad := model.Func{N: 2, F: func([]float64) float64 { return math.NaN() }, Grad: func(g, _ []float64) float64 { return math.NaN() }}
	for _, method := range []optim.Method{&optim.Adam{}, &optim.LBFGS{}} {
		est := elbo.Estimator(&elbo.MonteCarlo{Seed: 1})
		if !method.Stochastic() {
			est = &elbo.MonteCarlo{Seed: 1, Fixed: true}
		}
		res, err := govi.Fit(context.Background(), bad, family.NewFullRank(2), est, method, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != optim.Failed || res.Message == "" {
			t.Errorf("%T: status %v (%q), want Failed with a message", method, res.Status, res.Message)
		}
	}
}

func TestCancel(t *testing.T) {
	c := testmodel.NewConjugate(100, 3, 1)
	for _, method := range []optim.Method{&optim.Adam{}, &optim.LBFGS{}} {
		ctx, cancel := context.WithCancel(context.Background())
		var est elbo.Estimator = &elbo.MonteCarlo{Seed: 1}
		if !method.Stochastic() {
			est = &elbo.Quadrature{}
		}
		s := &govi.Settings{Optim: optim.Settings{Callback: func(p optim.Progress) error {
			if p.Iter == 3 {
				cancel()
			}
			return nil
		}}}
		res, err := govi.Fit(ctx, c.Linear(), family.NewFullRank(3), est, method, s)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != optim.Canceled {
			t.Errorf("%T: status %v, want Canceled", method, res.Status)
		}
		if res.Iterations > 4 || !model.AllFinite(res.Params) {
			t.Errorf("%T: %d iterations after cancel, params %v", method, res.Iterations, res.Params)
		}
	}
}

func TestLBFGSNeedsDeterministic(t *testing.T) {
	c := testmodel.NewConjugate(10, 2, 1)
	_, err := govi.Fit(context.Background(), c.Linear(), family.NewMeanField(2), &elbo.MonteCarlo{}, &optim.LBFGS{}, nil)
	if !errors.Is(err, govi.ErrStochasticLBFGS) {
		t.Errorf("got %v, want ErrStochasticLBFGS", err)
	}
}

// logisticData simulates a two-parameter logistic regression.
func logisticData(n int, seed uint64) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		x.Set(i, 1, rng.NormFloat64())
		eta := 0.5 + 1.2*x.At(i, 1)
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	return x, y
}

// bruteLogEvidence integrates p(D | β)p(β) over a 2-D grid spanning ±10
// sds of q around its mean, with the trapezoid rule in log space; for a
// smooth integrand that decays like a Gaussian the rule converges
// geometrically, so 301² points give many digits.
func bruteLogEvidence(m model.LogDensity, mean []float64, sd []float64) float64 {
	const k = 301
	h0, h1 := 20*sd[0]/(k-1), 20*sd[1]/(k-1)
	vals := make([]float64, 0, k*k)
	th := make([]float64, 2)
	for i := 0; i < k; i++ {
		th[0] = mean[0] - 10*sd[0] + float64(i)*h0
		for j := 0; j < k; j++ {
			th[1] = mean[1] - 10*sd[1] + float64(j)*h1
			vals = append(vals, m.LogDensity(th))
		}
	}
	return floats.LogSumExp(vals) + math.Log(h0*h1)
}

// A non-conjugate check: the optimized quadrature ELBO of a logistic
// regression lies below the exact log evidence, and the gap shrinks as N
// grows because the posterior becomes more nearly Gaussian.
func TestLogisticEvidenceGap(t *testing.T) {
	prev := math.Inf(1)
	for _, n := range []int{10, 40, 160} {
		x, y := logisticData(n, 3)
		m, err := model.NewLinear(model.Terms{Lik: testmodel.Logit{Y: y}, X: x,
			Coef: []model.Prior{testmodel.Normal{Mu: 0, Sigma: 2}, testmodel.Normal{Mu: 0, Sigma: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		q := family.NewFullRank(2)
		res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{Nodes: 40}, &optim.LBFGS{}, nil)
		if err != nil || !res.Converged() {
			t.Fatalf("n=%d: %v %v", n, err, res.Status)
		}
		var cov mat.SymDense
		q.Cov(&cov)
		lz := bruteLogEvidence(m, q.Mean(nil), []float64{math.Sqrt(cov.At(0, 0)), math.Sqrt(cov.At(1, 1))})
		gap := lz - res.ELBO
		t.Logf("n=%d: log p(D) = %.6f, ELBO = %.6f, gap %.6f", n, lz, res.ELBO, gap)
		if !(gap > 0) {
			t.Errorf("n=%d: ELBO %.8f is not below log p(D) %.8f", n, res.ELBO, lz)
		}
		if !(gap < prev) {
			t.Errorf("n=%d: gap %.6f did not shrink from %.6f", n, gap, prev)
		}
		prev = gap
	}
}

// Fallback continues with the next method when one does not converge.
func TestFallback(t *testing.T) {
	// A gradient ascent with a negligible step stops at its iteration
	// limit, and L-BFGS finishes the fit from there.
	m := testmodel.NewConjugate(60, 2, 4).Linear()
	q := family.NewFullRank(m.Dim())
	ref := family.NewFullRank(m.Dim())
	fb := &optim.Fallback{Methods: []optim.Method{&optim.GradientAscent{Rate: 1e-9, Schedule: optim.Constant{}}, &optim.LBFGS{}}}
	res, err := govi.Fit(context.Background(), m, q, &elbo.Quadrature{}, fb, &govi.Settings{Optim: optim.Settings{MaxIter: 20, Anneal: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := govi.Fit(context.Background(), m, ref, &elbo.Quadrature{}, &optim.LBFGS{}, nil); err != nil {
		t.Fatal(err)
	}
	if !res.Converged() || !strings.Contains(res.Message, "then L-BFGS") {
		t.Fatalf("status %v: %s", res.Status, res.Message)
	}
	for i, v := range q.Mean(nil) {
		if math.Abs(v-ref.Mean(nil)[i]) > 1e-6 {
			t.Errorf("mean[%d] = %g, L-BFGS alone %g", i, v, ref.Mean(nil)[i])
		}
	}
}

// Auto's choice recovers the exact posterior on every kind of model it
// distinguishes.
func TestAuto(t *testing.T) {
	c := testmodel.NewConjugate(120, 3, 6)
	mean, _ := c.Posterior()
	for _, m := range []model.LogDensity{c.Linear(), c.General()} {
		q := family.NewFullRank(3)
		ch := govi.Auto(m, 1)
		if err := ch.Apply(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		res, err := govi.Fit(context.Background(), m, q, ch.Estimator, ch.Method, nil)
		if err != nil || !res.Converged() {
			t.Fatalf("%T: %v %s", m, err, res.Message)
		}
		for i, v := range q.Mean(nil) {
			if math.Abs(v-mean[i]) > 1e-6 {
				t.Errorf("%T: mean[%d] = %g, want %g", m, i, v, mean[i])
			}
		}
	}
}
