package optim

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// LBFGS maximizes a deterministic objective with gonum's limited-memory
// BFGS and its bisection line search (strong Wolfe conditions). The zero
// value is usable.
//
// Maximize uses these Settings fields:
//   - If MaxIter is 0, it will be defaulted to 2000.
//   - If GradTol is 0, it will be defaulted to 1e-7. The run converges
//     when ‖∇f‖∞ < GradTol.
//   - If FuncTol is 0, it will be defaulted to 1e-15, about the rounding
//     error of f, so by default a run also converges when f is flat to
//     machine precision: when for 10 consecutive iterations f has not
//     improved on its best value by more than FuncTol·|f|.
//   - Callback.
//
// The other fields are ignored.
//
// A non-finite objective is reported to the line search as +∞ (for the
// minimized −f), so the step is halved until it is finite again. gonum's
// bisection cannot finish when the optimum along the search direction
// lies at the edge of the region where f is finite; the run then restarts
// from the best point with a fresh memory, up to 5 times while that
// improves f.
//
// gonum's line search also fails when f no longer changes in floating
// point, which happens at the optimum before a tight gradient threshold
// is met. Such a failure counts as convergence when the gradient is small
// relative to the size of f, ‖∇f‖∞ ≤ 10⁻³·max(1, |f|)^½; otherwise the run
// is reported as Failed.
type LBFGS struct {
	// Store is the number of correction pairs. If Store is 0, it will be
	// defaulted to 100 for up to 40000 parameters and to 4·10⁶/n (at least
	// 5) for n parameters above, which bounds the memory to about 64 MB.
	// The two-loop recursion costs O(Store·n) per iteration, negligible
	// next to an ELBO evaluation, and a long memory cuts the iterations of
	// full-rank fits, whose n grows as d² (radon's 4094 parameters: 263
	// iterations with 15 pairs, 93 with 100).
	Store int
}

var _ Method = (*LBFGS)(nil)

// Stochastic returns false.
func (*LBFGS) Stochastic() bool { return false }

// String names the method.
func (*LBFGS) String() string { return "L-BFGS" }

// cache evaluates f and ∇f together, since gonum asks for them separately.
type cache struct {
	obj   Objective
	x     []float64
	f     float64
	g     []float64
	valid bool
	evals int
}

func (c *cache) at(x []float64) {
	if c.valid && floats.Equal(x, c.x) {
		return
	}
	copy(c.x, x)
	c.f = c.obj.Eval(c.g, c.x)
	c.evals++
	c.valid = true
}

// recorder counts the iterations of gonum's runs, records the trace, calls
// the callback and stops a run when the context is canceled.
//
// gonum reports the starting point as a first major iteration, which is
// not a step, and does not pass the major iteration that ends a run to the
// recorder; Maximize adds that one when the run is over.
type recorder struct {
	ctx      context.Context
	callback func(Progress) error
	res      *Result
	cache    *cache
	max      int
	stop     error

	// Per call of optimize.Minimize:
	started bool // the starting point has been reported
	steps   int  // steps recorded
}

var errCallback = errors.New("optim: callback stop")

func (r *recorder) Init() error { return nil }

func (r *recorder) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if err := r.ctx.Err(); err != nil {
		r.stop = err
		return err
	}
	if op != optimize.MajorIteration {
		return nil
	}
	if !r.started {
		r.started = true
		return nil
	}
	r.steps++
	return r.step(-loc.F)
}

// step records an iteration that reached f.
func (r *recorder) step(f float64) error {
	r.res.Iterations++
	r.res.Trace = append(r.res.Trace, f)
	if r.callback != nil {
		err := r.callback(Progress{Iter: r.res.Iterations, F: f, Evals: r.cache.evals, Max: r.max})
		if err != nil {
			r.stop = err
			return errCallback
		}
	}
	return nil
}

// Maximize implements Method with the settings documented on LBFGS.
func (l *LBFGS) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
	n := len(x)
	cfg := l.config(s, n)
	maxIter, gradTol, funcTol := cfg.maxIter, cfg.gradTol, cfg.funcTol
	c := &cache{obj: obj, x: make([]float64, n), g: make([]float64, n)}
	res := Result{}
	c.at(x)
	if !finite(c.f) || !allFinite(c.g) {
		res.X = clone(x)
		res.F, res.Evals = c.f, c.evals
		res.Status = Failed
		res.Message = "the objective or its gradient is not finite at the initial values"
		return res
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 {
			c.at(x)
			if !finite(c.f) || !allFinite(c.g) {
				res.Rejected++
				return math.Inf(1)
			}
			return -c.f
		},
		Grad: func(grad, x []float64) {
			c.at(x)
			for i, v := range c.g {
				grad[i] = -v
			}
		},
	}
	rec := &recorder{ctx: ctx, callback: s.Callback, res: &res, cache: c, max: maxIter}
	// gonum's bisection cannot finish when the minimum along the search
	// direction lies at the edge of the region where the objective is
	// finite; restarting from the best point (with a fresh, steepest-ascent
	// memory) gets past it.
	const maxRestarts = 5
	start := clone(x)
	var out *optimize.Result
	var err error
	for restart := 0; ; restart++ {
		set := &optimize.Settings{
			GradientThreshold: gradTol,
			Converger: &optimize.FunctionConverge{
				Absolute:   1e-300,
				Relative:   funcTol,
				Iterations: lbfgsFuncIters,
			},
			// gonum counts the starting point as an iteration.
			MajorIterations: maxIter - res.Iterations + 1,
			Recorder:        rec,
		}
		method := &optimize.LBFGS{Store: cfg.store, GradStopThreshold: math.NaN()}
		c.at(start)
		f0 := c.f
		rec.started, rec.steps = false, 0
		out, err = optimize.Minimize(prob, start, set, method)
		if out != nil && rec.stop == nil && out.Stats.MajorIterations-1 > rec.steps {
			// The iteration that ended the run (by convergence or the
			// iteration limit), which gonum does not record.
			rec.step(-out.F)
		}
		lsFail := errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress)
		if !lsFail || rec.stop != nil || out == nil || restart == maxRestarts || res.Iterations >= maxIter {
			break
		}
		// Restart only while it makes progress and the gradient is not
		// already negligible.
		c.at(out.X)
		if !(c.f > f0) || flat(floats.Norm(c.g, math.Inf(1)), c.f) {
			break
		}
		copy(start, out.X)
	}
	res.Evals = c.evals
	if out != nil {
		res.X = clone(out.X)
		res.F = -out.F
	} else {
		res.X = clone(x)
		res.F = c.f
	}
	// The final gradient at X.
	c.at(res.X)
	gnorm := floats.Norm(c.g, math.Inf(1))
	switch {
	case rec.stop != nil:
		res.Status, res.Err = Canceled, rec.stop
		res.Message = "canceled: " + rec.stop.Error()
	case err == nil && out != nil:
		switch out.Status {
		case optimize.GradientThreshold:
			res.Status = Converged
			res.Message = fmt.Sprintf("gradient norm %.3g below %g", gnorm, gradTol)
		case optimize.FunctionConvergence:
			res.Status = Converged
			res.Message = fmt.Sprintf("relative change of the objective below %g over %d iterations (gradient norm %.3g)", funcTol, lbfgsFuncIters, gnorm)
		case optimize.IterationLimit:
			res.Status = IterationLimit
			res.Message = fmt.Sprintf("reached the iteration limit (%d); gradient norm %.3g", maxIter, gnorm)
		default:
			res.Status = Failed
			res.Message = "L-BFGS stopped: " + out.Status.String()
		}
	case errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress):
		// f is flat to machine precision along the search direction. That
		// is the optimum when the gradient is small on the scale of f.
		if flat(gnorm, res.F) {
			res.Status = Converged
			res.Message = fmt.Sprintf("objective flat to machine precision (line search cannot improve it); gradient norm %.3g", gnorm)
		} else {
			res.Status = Failed
			res.Message = fmt.Sprintf("line search failed with gradient norm %.3g: the gradient may be inconsistent with the objective", gnorm)
		}
	default:
		res.Status = Failed
		res.Message = "L-BFGS failed: " + err.Error()
	}
	return res
}
