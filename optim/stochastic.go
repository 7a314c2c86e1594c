package optim

import (
	"context"
	"fmt"
	"math"
)

// Schedule gives the step-size multiplier at iteration t ≥ 1.
type Schedule interface {
	Rate(t int) float64
}

// Constant is a constant multiplier of 1.
type Constant struct{}

// Rate returns 1.
func (Constant) Rate(int) float64 { return 1 }

// Decay is the Robbins-Monro schedule (1 + t/Tau)^(−Kappa). With
// ½ < Kappa ≤ 1 the steps sum to infinity and their squares do not, which
// makes stochastic gradient ascent converge (Robbins & Monro 1951).
type Decay struct {
	// Tau is the iteration scale; zero means 100.
	Tau float64
	// Kappa is the decay exponent; zero means 0.6.
	Kappa float64
}

// Rate returns (1 + t/Tau)^(−Kappa).
func (d Decay) Rate(t int) float64 {
	tau, kappa := d.Tau, d.Kappa
	if tau <= 0 {
		tau = 100
	}
	if kappa <= 0 {
		kappa = 0.6
	}
	return math.Pow(1+float64(t)/tau, -kappa)
}

// stepper is a first-order update rule.
type stepper interface {
	reset(n int)
	// update takes the gradient accepted at iteration t.
	update(g []float64, t int)
	// propose stores x + step in dst, the step scaled by shrink.
	propose(dst, x []float64, t int, shrink float64)
}

// GradientAscent is the textbook update φ ← φ + η_t ∇φ ELBO with
// η_t = Rate·Schedule(t).
type GradientAscent struct {
	// Rate is the base step size; zero means 1e-3.
	Rate float64
	// Schedule multiplies Rate; nil means Decay{}.
	Schedule Schedule

	g []float64
}

var _ Method = (*GradientAscent)(nil)

// Stochastic returns true.
func (*GradientAscent) Stochastic() bool { return true }

// String names the method.
func (*GradientAscent) String() string { return "gradient ascent" }

func (ga *GradientAscent) reset(n int) { ga.g = make([]float64, n) }

func (ga *GradientAscent) update(g []float64, _ int) { copy(ga.g, g) }

func (ga *GradientAscent) propose(dst, x []float64, t int, shrink float64) {
	rate := ga.Rate
	if rate <= 0 {
		rate = 1e-3
	}
	var sch Schedule = Decay{}
	if ga.Schedule != nil {
		sch = ga.Schedule
	}
	eta := rate * sch.Rate(t) * shrink
	for i := range dst {
		dst[i] = x[i] + eta*ga.g[i]
	}
}

// Maximize implements Method.
func (ga *GradientAscent) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
	return runStochastic(ctx, obj, x, s, ga)
}

// Adam is the adaptive-moment method of Kingma & Ba (2015), for ascent:
// φ ← φ + η_t m̂/(√v̂ + ε). Its per-coordinate scaling makes it insensitive
// to the very different scales of μ and log σ.
type Adam struct {
	// Rate is the step size; zero means 0.05.
	Rate float64
	// Beta1 and Beta2 are the moment decay rates; zero means 0.9 and 0.999.
	Beta1, Beta2 float64
	// Eps guards the division; zero means 1e-8.
	Eps float64
	// Schedule multiplies Rate; nil means Constant.
	Schedule Schedule

	m, v []float64
	b1t  float64
	b2t  float64
}

var _ Method = (*Adam)(nil)

// Stochastic returns true.
func (*Adam) Stochastic() bool { return true }

// String names the method.
func (*Adam) String() string { return "Adam" }

func (a *Adam) params() (rate, b1, b2, eps float64) {
	rate, b1, b2, eps = a.Rate, a.Beta1, a.Beta2, a.Eps
	if rate <= 0 {
		rate = 0.05
	}
	if b1 <= 0 {
		b1 = 0.9
	}
	if b2 <= 0 {
		b2 = 0.999
	}
	if eps <= 0 {
		eps = 1e-8
	}
	return
}

func (a *Adam) reset(n int) {
	a.m = make([]float64, n)
	a.v = make([]float64, n)
	a.b1t, a.b2t = 1, 1
}

func (a *Adam) update(g []float64, _ int) {
	_, b1, b2, _ := a.params()
	a.b1t *= b1
	a.b2t *= b2
	for i, gi := range g {
		a.m[i] = b1*a.m[i] + (1-b1)*gi
		a.v[i] = b2*a.v[i] + (1-b2)*gi*gi
	}
}

func (a *Adam) propose(dst, x []float64, t int, shrink float64) {
	rate, _, _, eps := a.params()
	if a.Schedule != nil {
		rate *= a.Schedule.Rate(t)
	}
	rate *= shrink
	c1 := 1 / (1 - a.b1t)
	c2 := 1 / (1 - a.b2t)
	for i := range dst {
		dst[i] = x[i] + rate*(a.m[i]*c1)/(math.Sqrt(a.v[i]*c2)+eps)
	}
}

// Maximize implements Method.
func (a *Adam) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
	return runStochastic(ctx, obj, x, s, a)
}

// maxRejects is the number of consecutive halvings tried before a run
// fails: 2^-40 ≈ 1e-12 of the step.
const maxRejects = 40

// runStochastic is the loop shared by stochastic methods.
func runStochastic(ctx context.Context, obj Objective, x0 []float64, s Settings, st stepper) Result {
	n := len(x0)
	maxIter := s.MaxIter
	if maxIter <= 0 {
		maxIter = 10000
	}
	res := Result{X: append([]float64(nil), x0...)}
	x := res.X
	g := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	avg := make([]float64, n)
	lastAvg := make([]float64, n)
	haveAvg := false
	navg := 0

	f := obj.Eval(g, x)
	res.Evals++
	if !finite(f) || !allFinite(g) {
		res.Status, res.F = Failed, f
		res.Message = "the objective or its gradient is not finite at the initial values"
		return res
	}
	st.reset(n)
	tr := newRelTracker(s)
	anneal := s.Anneal
	if anneal == 0 {
		anneal = 4
	}
	gsum := make([]float64, n)
	gsum2 := make([]float64, n)
	gcount := 0
	stationary := false
	shrink := 1.0
	annealing := 0 // windows completed in the annealing phase, 0 before it
	phaseIt := 0   // iterations in the current annealing window
	for t := 1; t <= maxIter; t++ {
		if err := ctx.Err(); err != nil {
			res.Status, res.Message = Canceled, "canceled: "+err.Error()
			break
		}
		st.update(g, t)
		step := shrink
		if annealing > 0 {
			step *= math.Ldexp(1, -annealing)
		}
		ok := false
		rejectedNow := false
		for try := 0; try < maxRejects; try++ {
			st.propose(xn, x, t, step)
			fn := obj.Eval(gn, xn)
			res.Evals++
			if finite(fn) && allFinite(gn) {
				f, ok = fn, true
				break
			}
			// Reject and retry smaller (with new draws when stochastic).
			// The smaller step carries over to the next iterations and
			// recovers by doubling after each clean one: a region where
			// the model overflows may be near, but a rejection caused by
			// an unlucky draw should not slow the rest of the run.
			res.Rejected++
			rejectedNow = true
			shrink *= 0.5
			step *= 0.5
		}
		if ok && !rejectedNow && shrink < 1 {
			shrink = math.Min(1, 2*shrink)
		}
		if !ok {
			res.Status = Failed
			res.Message = fmt.Sprintf("no finite step found at iteration %d after %d halvings", t, maxRejects)
			break
		}
		copy(x, xn)
		copy(g, gn)
		res.Iterations = t
		res.Trace = append(res.Trace, f)
		if s.Callback != nil {
			if err := s.Callback(Progress{Iter: t, F: f, Evals: res.Evals, Max: maxIter}); err != nil {
				res.Status, res.Message = Canceled, "stopped: "+err.Error()
				break
			}
		}
		if annealing == 0 {
			for i, v := range g {
				gsum[i] += v
				gsum2[i] += v * v
			}
			gcount++
			closed, conv := tr.add(f)
			if closed {
				stationary = stationaryGradient(gsum, gsum2, gcount)
				gcount = 0
				for i := range gsum {
					gsum[i], gsum2[i] = 0, 0
				}
			}
			if s.Stationarity >= 0 {
				conv = conv && stationary
			}
			if anneal < 0 {
				// Average over the current window only.
				accumulate(avg, x, &navg)
				if closed {
					finishWindow(lastAvg, avg, &navg)
					haveAvg = true
				}
				if conv {
					res.Status = Converged
					res.Message = fmt.Sprintf("relative change of the windowed objective below %g", tr.tol)
					break
				}
				continue
			}
			if conv {
				annealing, phaseIt = 1, 0
				for i := range avg {
					avg[i] = 0
				}
				navg = 0
			}
			continue
		}
		// Annealing phase: average over its last two windows.
		phaseIt++
		if annealing >= anneal-1 {
			accumulate(avg, x, &navg)
		}
		if phaseIt == tr.window {
			phaseIt = 0
			if annealing == anneal {
				finishWindow(lastAvg, avg, &navg)
				haveAvg = true
				res.Status = Converged
				res.Message = fmt.Sprintf("relative change of the windowed objective below %g, then %d annealing windows", tr.tol, anneal)
				break
			}
			annealing++
		}
	}
	if res.Status == NotTerminated {
		res.Status = IterationLimit
		res.Message = fmt.Sprintf("reached the iteration limit (%d) before the objective stabilized", maxIter)
	}
	res.F = f
	if !s.NoAverage && res.Status != Failed {
		if !haveAvg && navg > 0 {
			finishWindow(lastAvg, avg, &navg)
			haveAvg = true
		}
		if haveAvg {
			copy(res.X, lastAvg)
			res.F = obj.Eval(nil, res.X)
			res.Evals++
		}
	}
	return res
}

func accumulate(avg, x []float64, n *int) {
	for i, v := range x {
		avg[i] += v
	}
	*n++
}

func finishWindow(dst, avg []float64, n *int) {
	for i := range avg {
		dst[i] = avg[i] / float64(*n)
		avg[i] = 0
	}
	*n = 0
}

// stationaryGradient reports whether the mean gradient over a window is
// consistent with zero: Σᵢ tᵢ², with tᵢ the mean of coordinate i over its
// standard error, is within three standard deviations of its χ²ₙ
// expectation n. At a stationary point of the ELBO the estimated gradient
// has mean zero, so this catches parameters still drifting slowly (such
// as scales whose gradient signal is weak next to the noise) that a flat
// ELBO average cannot reveal (Pflug 1990; Lang, Xiao & Zhang 2019).
func stationaryGradient(sum, sum2 []float64, w int) bool {
	if w < 2 {
		return false
	}
	n := float64(w)
	chi := 0.0
	for i, s := range sum {
		mean := s / n
		v := (sum2[i] - n*mean*mean) / (n - 1)
		switch {
		case v > 0:
			chi += mean * mean / (v / n)
		case mean != 0:
			return false
		}
	}
	k := float64(len(sum))
	return chi <= k+3*math.Sqrt(2*k)
}
