package optim

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Averaging is a Curved objective whose evaluations are noisy estimates
// (one minibatch each) and that can average the targets of the points it
// evaluated since an anchor: for Gaussian variational inference the
// target of a point is the natural-parameter fixed point (Λ̂, η̂) =
// (−E[∇²], E[∇] − E[∇²]μ) estimated there, and a step of size ρ moves the
// anchor's natural parameters a fraction ρ toward the targets' mean.
type Averaging interface {
	Curved
	// Anchor makes the current state the anchor and empties the average.
	Anchor()
	// AddTarget adds the current state's target to the average.
	AddTarget()
	// ProposeAverage stores in dst the step of size rho ∈ (0, 1] from the
	// anchor toward the mean of the added targets; it reports false when
	// no valid step of that size exists.
	ProposeAverage(dst []float64, rho float64) bool
}

// Epochs is implemented by objectives whose evaluations walk through
// minibatches of the data (elbo.Minibatch, through govi.Fit), so that
// StochasticNatural's windows are the data's epochs.
type Epochs interface {
	// BatchesPerEpoch returns the number of evaluations per pass over the
	// data.
	BatchesPerEpoch() int
	// EpochStarted reports whether the last evaluation was the first
	// batch of a new pass.
	EpochStarted() bool
}

// ErrNotAveraging is reported when StochasticNatural is given an objective
// that does not implement Averaging.
var ErrNotAveraging = errors.New("optim: StochasticNatural needs an objective that averages natural-gradient targets (Averaging)")

// StochasticNatural is stochastic variational inference with
// natural-gradient steps (Hoffman, Blei, Wang & Paisley 2013) for an
// Averaging objective, such as govi.Fit's with elbo.Minibatch on a
// model.Predictors model and a family with natural-gradient steps. After
// each minibatch it steps from the epoch's anchor toward the mean of the
// targets estimated so far in the epoch:
//
//	λ_j = λ_anchor + r_j (mean_{i≤j} λ̂_i − λ_anchor),
//
// with r_j = 1 in the first epoch (the natural parameters are the running
// average of the estimates, which moves fast from any start) and
// r_j = η_e·j/W in epoch e ≥ 1, η_e = min(1, Rate·Schedule.Rate(e)), W
// the batches per epoch. Every batch's target thus enters an epoch's step
// with the same weight: with rows drawn without replacement an epoch's
// targets average over every row once, so the subsampling noise cancels
// at the epoch's end instead of being damped exponentially as constant
// steps would, and the iteration is a damped full-data natural-gradient
// step per epoch whose evaluation points improve within the epoch. With
// ½ < κ ≤ 1 the epochs' steps η_e satisfy Robbins and Monro's conditions.
// Epochs come from the objective when it implements Epochs, and are
// Window evaluations long otherwise. The zero value is usable.
//
// Maximize uses these Settings fields:
//   - If MaxIter is 0, it will be defaulted to 20000.
//   - If TolRelObj is 0, it will be defaulted to 1e-4.
//   - If Window is 0, it will be defaulted to 50.
//   - If Span is 0, it will be defaulted to 2.
//   - Callback: called after every iteration.
//
// A run converges when, for Span consecutive epochs, the epoch average of
// the objective changes by less than TolRelObj relative (changes within
// two standard errors of zero count as none) and every parameter changes
// between epoch ends by less than ParamTol·(1 + |x|). X is the last epoch
// end's parameters and F the average of the last epoch's estimates. A
// proposal that is invalid or whose objective is not finite is retried at
// half the step, up to 40 times before the run fails. Anneal,
// Stationarity, NoAverage, GradTol and FuncTol are ignored.
type StochasticNatural struct {
	// Rate multiplies the schedule. If Rate is 0, it will be defaulted to
	// 1.
	Rate float64
	// Schedule gives the epochs' step sizes η_e. If Schedule is nil, it
	// will be defaulted to Decay{Tau:4,Kappa:0.6}.
	Schedule Schedule
	// ParamTol is the parameters' convergence tolerance. If ParamTol is
	// 0, it will be defaulted to 1e-4.
	ParamTol float64
}

var _ Method = (*StochasticNatural)(nil)

// Stochastic returns true.
func (*StochasticNatural) Stochastic() bool { return true }

// String names the method.
func (*StochasticNatural) String() string { return "stochastic natural gradient" }

type sviConfig struct {
	maxIter, window, span int
	tolRelObj, paramTol   float64
	rate                  float64
	sch                   Schedule
}

func (sn *StochasticNatural) config(s Settings) sviConfig {
	c := sviConfig{
		maxIter:   orInt(s.MaxIter, sviMaxIter),
		window:    orInt(s.Window, stochWindow),
		span:      orInt(s.Span, sviSpan),
		tolRelObj: orFloat(s.TolRelObj, stochTolRelObj),
		paramTol:  orFloat(sn.ParamTol, sviParamTol),
		rate:      orFloat(sn.Rate, sviRate),
		sch:       sn.Schedule,
	}
	if c.sch == nil {
		c.sch = Decay{Tau: sviTau, Kappa: sviKappa}
	}
	return c
}

// Maximize implements Method with the settings documented on
// StochasticNatural.
func (sn *StochasticNatural) Maximize(ctx context.Context, obj Objective, x0 []float64, s Settings) Result {
	av, ok := obj.(Averaging)
	if !ok {
		return cannotRun(obj, x0, ErrNotAveraging)
	}
	c := sn.config(s)
	ep, _ := obj.(Epochs)
	w := c.window
	if ep != nil {
		w = max(1, ep.BatchesPerEpoch())
	}
	n := len(x0)
	res := Result{X: clone(x0)}
	x := res.X
	xn := make([]float64, n)
	f, _, err := av.Curvature(x)
	res.Evals++
	if err != nil || !finite(f) {
		res.Status, res.F, res.Err = Failed, f, err
		res.Message = "the objective is not finite at the initial values"
		if err != nil {
			res.Message = "cannot compute the curvature: " + err.Error()
		}
		return res
	}
	av.Accept()
	av.Anchor()
	prev := make([]float64, n)
	prevF, prevV := 0.0, 0.0
	havePrev := false
	epoch, j, calm := 0, 0, 0
	fsum, fsum2 := 0.0, 0.0
	lastF := f
	for t := 1; t <= c.maxIter; t++ {
		if err := ctx.Err(); err != nil {
			res.Status, res.Message, res.Err = Canceled, "canceled: "+err.Error(), err
			break
		}
		av.AddTarget()
		j++
		r := 1.0
		if epoch > 0 {
			r = math.Min(1, c.rate*c.sch.Rate(epoch)) * math.Min(1, float64(j)/float64(w))
		}
		accepted := false
		var fn float64
		for try := 0; try < maxRejects; try++ {
			if av.ProposeAverage(xn, r) {
				var err error
				fn, _, err = av.Curvature(xn)
				res.Evals++
				if err == nil && finite(fn) {
					accepted = true
					break
				}
			}
			res.Rejected++
			r *= 0.5
		}
		if !accepted {
			res.Status = Failed
			res.Message = fmt.Sprintf("no valid step found at iteration %d after %d halvings", t, maxRejects)
			break
		}
		av.Accept()
		copy(x, xn)
		f = fn
		fsum += f
		fsum2 += f * f
		res.Iterations = t
		res.Trace = append(res.Trace, f)
		if s.Callback != nil {
			if err := s.Callback(Progress{Iter: t, F: f, Evals: res.Evals, Max: c.maxIter}); err != nil {
				res.Status, res.Message, res.Err = Canceled, "stopped: "+err.Error(), err
				break
			}
		}
		end := j >= w
		if ep != nil {
			end = ep.EpochStarted()
		}
		if !end {
			continue
		}
		// An epoch ended: every one of its batches is in the step.
		lastF = fsum / float64(j)
		// The variance of the epoch mean, from the spread of the estimates;
		// a change within two standard errors of zero counts as none.
		v := math.Max(0, fsum2/float64(j)-lastF*lastF) / float64(max(j-1, 1))
		objCalm := havePrev && math.Max(0, math.Abs(lastF-prevF)-2*math.Sqrt(v+prevV)) < c.tolRelObj*math.Max(1, math.Abs(lastF))
		prevF, prevV = lastF, v
		paramCalm := havePrev
		for i := range x {
			if havePrev && math.Abs(x[i]-prev[i]) > c.paramTol*(1+math.Abs(prev[i])) {
				paramCalm = false
				break
			}
		}
		if objCalm && paramCalm {
			calm++
		} else {
			calm = 0
		}
		copy(prev, x)
		havePrev = true
		epoch++
		j, fsum, fsum2 = 0, 0, 0
		av.Anchor()
		if calm >= c.span {
			res.Status = Converged
			res.Message = fmt.Sprintf("over %d epochs the objective's epoch average changed by less than %g and the parameters by less than %g relative", c.span, c.tolRelObj, c.paramTol)
			break
		}
	}
	if res.Status == NotTerminated {
		res.Status = IterationLimit
		res.Message = fmt.Sprintf("reached the iteration limit (%d) before the epochs settled", c.maxIter)
	}
	res.F = lastF
	return res
}
