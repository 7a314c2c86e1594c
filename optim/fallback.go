package optim

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNoMethods is reported when a Fallback has no methods to run.
var ErrNoMethods = errors.New("optim: Fallback has no methods")

// Fallback runs Methods in order, each starting from where the previous one
// stopped, until one converges: for example a natural-gradient method,
// fast where the expected Hessian is negative definite, then L-BFGS for
// the rest.
//
// Each method gets the same context and Settings, so MaxIter, the
// tolerances and their defaults apply to each method separately, as
// documented on it. A Canceled method ends the sequence at once. The next
// method starts from the previous result when its X and F are finite, and
// otherwise from the same point as the previous method. The result has the
// Status and Err of the last method run, and the X and F of the last one
// whose X and F are finite (of the first, if none are); it counts the
// iterations, evaluations and rejections of all of them, concatenates
// their traces and joins their messages.
//
// The zero value, with no Methods, is usable but cannot maximize
// anything: Maximize then returns a Failed result with Err ErrNoMethods,
// X a copy of the starting point and F the objective there. Methods must
// not contain nil.
type Fallback struct {
	Methods []Method
}

var _ Method = (*Fallback)(nil)

// String names the methods in order, e.g. "natural gradient, then L-BFGS".
func (f *Fallback) String() string {
	var names []string
	for _, m := range f.Methods {
		names = append(names, fmt.Sprint(m))
	}
	return strings.Join(names, ", then ")
}

// Stochastic reports whether any method is stochastic.
func (f *Fallback) Stochastic() bool {
	for _, m := range f.Methods {
		if m.Stochastic() {
			return true
		}
	}
	return false
}

// Maximize implements Method as documented on Fallback.
func (f *Fallback) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
	if len(f.Methods) == 0 {
		return cannotRun(obj, x, ErrNoMethods)
	}
	var out Result
	start := x
	for i, m := range f.Methods {
		r := m.Maximize(ctx, obj, start, s)
		out.Iterations += r.Iterations
		out.Evals += r.Evals
		out.Rejected += r.Rejected
		out.Trace = append(out.Trace, r.Trace...)
		msg := fmt.Sprintf("%v: %s", m, r.Message)
		if out.Message != "" {
			msg = out.Message + "; then " + msg
		}
		out.Message = msg
		usable := r.X != nil && allFinite(r.X) && finite(r.F)
		if usable || out.X == nil {
			out.X, out.F = r.X, r.F
		}
		out.Status, out.Err = r.Status, r.Err
		if r.Status == Converged || r.Status == Canceled || i == len(f.Methods)-1 {
			break
		}
		if usable {
			start = r.X
		}
	}
	if out.X == nil {
		// A method outside this package returned no parameters.
		out.X = clone(start)
		out.F = obj.Eval(nil, out.X)
		out.Evals++
	}
	return out
}

// cannotRun is the result of a method that cannot start: Failed with err,
// at a copy of x, with F the objective there.
func cannotRun(obj Objective, x []float64, err error) Result {
	res := Result{X: clone(x), Status: Failed, Message: err.Error(), Err: err}
	res.F = obj.Eval(nil, res.X)
	res.Evals = 1
	return res
}
