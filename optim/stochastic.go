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
// makes stochastic gradient ascent converge (Robbins & Monro 1951). The
// zero value is usable.
type Decay struct {
	// Tau is the iteration scale. If Tau is 0, it will be defaulted to 100.
	Tau float64
	// Kappa is the decay exponent. If Kappa is 0, it will be defaulted to
	// 0.6.
	Kappa float64
}

// Rate returns (1 + t/Tau)^(−Kappa).
func (d Decay) Rate(t int) float64 {
	tau, kappa := d.params()
	return math.Pow(1+float64(t)/tau, -kappa)
}

func (d Decay) params() (tau, kappa float64) {
	return orFloat(d.Tau, decayTau), orFloat(d.Kappa, decayKappa)
}

// stepper is the state of a first-order update rule during one run.
type stepper interface {
	// update takes the gradient accepted at iteration t.
	update(g []float64, t int)
	// propose stores x + step in dst, the step scaled by shrink.
	propose(dst, x []float64, t int, shrink float64)
}

// GradientAscent is stochastic gradient ascent, φ ← φ + η_t ∇f(φ) with
// η_t = Rate·Schedule.Rate(t), for noisy objectives such as a Monte Carlo
// ELBO. The zero value is usable.
//
// Maximize uses these Settings fields, the same way as Adam:
//   - If MaxIter is 0, it will be defaulted to 10000.
//   - If TolRelObj is 0, it will be defaulted to 1e-4.
//   - If Window is 0, it will be defaulted to 50.
//   - If Span is 0, it will be defaulted to 4.
//   - If Anneal is 0, it will be defaulted to 4.
//   - Stationarity, NoAverage and Callback: their zero values select the
//     stationarity test, the averaged result and no callback.
//
// GradTol and FuncTol are ignored.
//
// A run converges when the windowed test of TolRelObj (and, unless
// Stationarity is negative, the stationarity test) passes, followed by
// Anneal windows of annealing; the result is then the Polyak-Ruppert
// average of the iterates described under Settings.Anneal, and F is the
// objective evaluated there. If MaxIter is reached first, X is the average
// of the iterates collected for averaging so far, or the last iterate if
// there are none. A step whose objective or gradient is not finite is
// rejected and retried at half the size, up to 40 times before the run
// fails; the smaller step carries over to the next iterations and doubles
// back after each clean one.
type GradientAscent struct {
	// Rate is the base step size. If Rate is 0, it will be defaulted to
	// 1e-3.
	Rate float64
	// Schedule multiplies Rate. If Schedule is nil, it will be defaulted
	// to Decay{}.
	Schedule Schedule
}

var _ Method = (*GradientAscent)(nil)

// Stochastic returns true.
func (*GradientAscent) Stochastic() bool { return true }

// String names the method.
func (*GradientAscent) String() string { return "gradient ascent" }

// gaStepper is the state of a GradientAscent run.
type gaStepper struct {
	rate float64
	sch  Schedule
	g    []float64
}

func (ga *GradientAscent) stepper(n int) *gaStepper {
	st := &gaStepper{rate: orFloat(ga.Rate, gaRate), sch: ga.Schedule, g: make([]float64, n)}
	if st.sch == nil {
		st.sch = Decay{}
	}
	return st
}

func (st *gaStepper) update(g []float64, _ int) { copy(st.g, g) }

func (st *gaStepper) propose(dst, x []float64, t int, shrink float64) {
	eta := st.rate * st.sch.Rate(t) * shrink
	for i := range dst {
		dst[i] = x[i] + eta*st.g[i]
	}
}

// Maximize implements Method with the settings documented on
// GradientAscent.
func (ga *GradientAscent) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
	return runStochastic(ctx, obj, x, stochasticConfig(s), s.Callback, ga.stepper(len(x)))
}

// Adam is the adaptive-moment method of Kingma & Ba (2015), for ascent:
// φ ← φ + η_t m̂/(√v̂ + ε) with η_t = Rate·Schedule.Rate(t), for noisy
// objectives such as a Monte Carlo ELBO. Its per-coordinate scaling makes
// it insensitive to the very different scales of μ and log σ. The zero
// value is usable.
//
// Maximize uses these Settings fields, the same way as GradientAscent
// (whose documentation describes the convergence test, the averaging and
// the rejection of non-finite steps):
//   - If MaxIter is 0, it will be defaulted to 10000.
//   - If TolRelObj is 0, it will be defaulted to 1e-4.
//   - If Window is 0, it will be defaulted to 50.
//   - If Span is 0, it will be defaulted to 4.
//   - If Anneal is 0, it will be defaulted to 4.
//   - Stationarity, NoAverage and Callback: their zero values select the
//     stationarity test, the averaged result and no callback.
//
// GradTol and FuncTol are ignored.
type Adam struct {
	// Rate is the step size. If Rate is 0, it will be defaulted to 0.05.
	Rate float64
	// Beta1 and Beta2 are the decay rates of the moment estimates, below
	// 1. If Beta1 is 0, it will be defaulted to 0.9. If Beta2 is 0, it
	// will be defaulted to 0.999.
	Beta1, Beta2 float64
	// Eps guards the division. If Eps is 0, it will be defaulted to 1e-8.
	Eps float64
	// Schedule multiplies Rate. If Schedule is nil, it will be defaulted
	// to Constant{}.
	Schedule Schedule
}

var _ Method = (*Adam)(nil)

// Stochastic returns true.
func (*Adam) Stochastic() bool { return true }

// String names the method.
func (*Adam) String() string { return "Adam" }

// adamStepper is the state of an Adam run.
type adamStepper struct {
	rate, b1, b2, eps float64
	sch               Schedule
	m, v              []float64
	b1t, b2t          float64 // β₁ᵗ and β₂ᵗ
}

func (a *Adam) stepper(n int) *adamStepper {
	st := &adamStepper{
		rate: orFloat(a.Rate, adamRate),
		b1:   orFloat(a.Beta1, adamBeta1),
		b2:   orFloat(a.Beta2, adamBeta2),
		eps:  orFloat(a.Eps, adamEps),
		sch:  a.Schedule,
		m:    make([]float64, n),
		v:    make([]float64, n),
		b1t:  1,
		b2t:  1,
	}
	if st.sch == nil {
		st.sch = Constant{}
	}
	return st
}

func (st *adamStepper) update(g []float64, _ int) {
	st.b1t *= st.b1
	st.b2t *= st.b2
	for i, gi := range g {
		st.m[i] = st.b1*st.m[i] + (1-st.b1)*gi
		st.v[i] = st.b2*st.v[i] + (1-st.b2)*gi*gi
	}
}

func (st *adamStepper) propose(dst, x []float64, t int, shrink float64) {
	rate := st.rate * st.sch.Rate(t) * shrink
	c1 := 1 / (1 - st.b1t)
	c2 := 1 / (1 - st.b2t)
	for i := range dst {
		dst[i] = x[i] + rate*(st.m[i]*c1)/(math.Sqrt(st.v[i]*c2)+st.eps)
	}
}

// Maximize implements Method with the settings documented on Adam.
func (a *Adam) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
	return runStochastic(ctx, obj, x, stochasticConfig(s), s.Callback, a.stepper(len(x)))
}

// maxRejects is the number of consecutive halvings tried before a run
// fails: 2^-40 ≈ 1e-12 of the step.
const maxRejects = 40

// runStochastic is the loop shared by stochastic methods.
func runStochastic(ctx context.Context, obj Objective, x0 []float64, c stochConfig, callback func(Progress) error, st stepper) Result {
	n := len(x0)
	maxIter := c.maxIter
	res := Result{X: clone(x0)}
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
	tr := newRelTracker(c.window, c.span, c.tolRelObj)
	anneal := c.anneal
	gsum := make([]float64, n)
	gsum2 := make([]float64, n)
	gcount := 0
	stationary := false
	shrink := 1.0
	annealing := 0 // windows completed in the annealing phase, 0 before it
	phaseIt := 0   // iterations in the current annealing window
	for t := 1; t <= maxIter; t++ {
		if err := ctx.Err(); err != nil {
			res.Status, res.Message, res.Err = Canceled, "canceled: "+err.Error(), err
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
		if callback != nil {
			if err := callback(Progress{Iter: t, F: f, Evals: res.Evals, Max: maxIter}); err != nil {
				res.Status, res.Message, res.Err = Canceled, "stopped: "+err.Error(), err
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
			if c.stationarity {
				conv = conv && stationary
			}
			if anneal == 0 {
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
	if c.average && res.Status != Failed {
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
