package optim

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Curved is an objective that can propose second-order steps, such as the
// natural-gradient steps of Gaussian variational inference. It keeps a
// current state (from the last accepted point) and a pending one (from the
// last evaluated candidate), so a rejected candidate costs nothing more.
type Curved interface {
	// Curvature evaluates f at x and computes, into the pending state, what
	// Propose needs. gnorm is the norm of the gradient part it knows.
	Curvature(x []float64) (f, gnorm float64, err error)
	// Accept makes the pending state current.
	Accept()
	// Propose stores in dst the step of size rho ∈ (0, 1] from the current
	// point; rho = 1 is the full step. It reports false when no valid step
	// of that size exists (for example, a covariance that would not be
	// positive definite).
	Propose(dst []float64, rho float64) bool
}

// ErrNotCurved is reported when NaturalGradient is given an objective that
// cannot propose curved steps.
var ErrNotCurved = errors.New("optim: the objective does not provide curvature")

// NaturalGradient maximizes a deterministic objective with damped
// second-order steps supplied by a Curved objective; given any other
// objective, Maximize returns a Failed result with Err ErrNotCurved. For
// Gaussian variational inference the full step is the fixed point
// Σ⁻¹ ← −E_q[∇² log p], μ ← μ + Σ E_q[∇ log p] (Opper & Archambeau 2009),
// and a step of size ρ interpolates the natural parameters (Khan & Lin
// 2017). A step is accepted when the objective does not decrease (beyond
// a relative 10⁻¹⁴, its rounding) and is finite; otherwise it is rejected
// and ρ is halved, up to 40 times. ρ doubles again (up to 1) after each
// accepted step, so near the optimum the method takes full steps and
// converges in few iterations. The zero value is usable.
//
// Maximize uses these Settings fields:
//   - If MaxIter is 0, it will be defaulted to 500.
//   - If FuncTol is 0, it will be defaulted to 1e-12. The run converges
//     when a full step changes the objective by at most
//     FuncTol·max(1, |f|): near the fixed point the iteration contracts
//     fast, so the remaining error is far smaller than that last change.
//     With Extrapolate set it also converges one step earlier, when two
//     successive full steps contract by a ratio r ≤ 1/2 and the geometric
//     remainder of the last change, |Δf|·r/(1 − r), is within the same
//     bound.
//   - Callback.
//
// The other fields are ignored. When no damped step improves the
// objective, the run counts as converged if the gradient norm reported by
// Curvature is small relative to the size of f, as for LBFGS, and as
// Failed otherwise.
type NaturalGradient struct {
	// Extrapolate stops at the step whose successor is predicted, from
	// the contraction of the last two full steps, to change f by less
	// than the tolerance, instead of taking that step. f is then within
	// the tolerance of the fixed point's value, but the iterate is less
	// polished: an f within ε of the optimum leaves the iterate about
	// √(2ε) away in the curvature's units (for VI: posterior sds), where
	// the default rule's extra step leaves rounding. For Gaussian VI of
	// GLMs r is about 10⁻³ near the fixed point, so this saves one full
	// data pass of about eight.
	Extrapolate bool
}

var _ Method = (*NaturalGradient)(nil)

// Stochastic returns false.
func (*NaturalGradient) Stochastic() bool { return false }

// String names the method.
func (*NaturalGradient) String() string { return "natural gradient" }

// Maximize implements Method with the settings documented on
// NaturalGradient.
func (ng *NaturalGradient) Maximize(ctx context.Context, obj Objective, x0 []float64, s Settings) Result {
	n := len(x0)
	res := Result{X: clone(x0)}
	c, ok := obj.(Curved)
	if !ok {
		return cannotRun(obj, x0, ErrNotCurved)
	}
	cfg := naturalGradientConfig(s)
	maxIter, funcTol := cfg.maxIter, cfg.funcTol
	x := res.X
	xn := make([]float64, n)
	f, gnorm, err := c.Curvature(x)
	res.Evals++
	if err != nil {
		res.Status, res.F, res.Err = Failed, f, err
		res.Message = "cannot compute the curvature: " + err.Error()
		return res
	}
	if !finite(f) || !finite(gnorm) {
		res.Status, res.F = Failed, f
		res.Message = "the objective is not finite at the initial values"
		return res
	}
	c.Accept()
	rho := 1.0
	prevFull := math.NaN() // |Δf| of the last full step, NaN if the last step was damped
	for it := 1; it <= maxIter; it++ {
		if err := ctx.Err(); err != nil {
			res.Status, res.Message, res.Err = Canceled, "canceled: "+err.Error(), err
			break
		}
		accepted := false
		var fn, gn float64
		for try := 0; try < 40; try++ {
			if c.Propose(xn, rho) {
				var err error
				fn, gn, err = c.Curvature(xn)
				res.Evals++
				// Accept a step that does not lower f beyond rounding.
				if err == nil && finite(fn) && finite(gn) && fn >= f-1e-14*math.Abs(f) {
					accepted = true
					break
				}
				res.Rejected++
			}
			rho *= 0.5
		}
		if !accepted {
			if flat(gnorm, f) {
				res.Status = Converged
				res.Message = fmt.Sprintf("no step improves the objective (flat to machine precision); gradient norm %.3g", gnorm)
			} else {
				res.Status = Failed
				res.Message = fmt.Sprintf("no damped step improves the objective; gradient norm %.3g", gnorm)
			}
			break
		}
		c.Accept()
		df := fn - f
		copy(x, xn)
		f, gnorm = fn, gn
		res.Iterations = it
		res.Trace = append(res.Trace, f)
		if s.Callback != nil {
			if err := s.Callback(Progress{Iter: it, F: f, Evals: res.Evals, Max: maxIter}); err != nil {
				res.Status, res.Message, res.Err = Canceled, "stopped: "+err.Error(), err
				break
			}
		}
		// A full step that no longer changes f is the fixed point.
		tol := funcTol * math.Max(1, math.Abs(f))
		if rho == 1 && math.Abs(df) <= tol {
			res.Status = Converged
			res.Message = fmt.Sprintf("a full step changed the objective by %.3g (below %g relative); gradient norm %.3g", df, funcTol, gnorm)
			break
		}
		if rho == 1 && ng.Extrapolate {
			if r := math.Abs(df) / prevFull; r <= 0.5 && math.Abs(df)*r/(1-r) <= tol {
				res.Status = Converged
				res.Message = fmt.Sprintf("full steps contract by %.2g; the next would change the objective by about %.3g (below %g relative); gradient norm %.3g", r, math.Abs(df)*r, funcTol, gnorm)
				break
			}
			prevFull = math.Abs(df)
		} else {
			prevFull = math.NaN()
		}
		rho = math.Min(1, 2*rho)
	}
	if res.Status == NotTerminated {
		res.Status = IterationLimit
		res.Message = fmt.Sprintf("reached the iteration limit (%d); gradient norm %.3g", maxIter, gnorm)
	}
	res.F = f
	return res
}
