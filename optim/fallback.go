package optim

import (
	"context"
	"fmt"
	"strings"
)

// Fallback runs Methods in order, each starting from where the previous one
// stopped, until one converges: for example a natural-gradient method,
// fast where the expected Hessian is negative definite, then L-BFGS for
// the rest. A canceled run stops at once. The result counts all
// iterations and evaluations, and the trace is the concatenation.
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

// Maximize implements Method.
func (f *Fallback) Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result {
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
		out.Status = r.Status
		if r.Status == Converged || r.Status == Canceled || i == len(f.Methods)-1 {
			break
		}
		if usable {
			start = r.X
		}
	}
	return out
}
