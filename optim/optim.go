// Package optim maximizes an objective (the ELBO) over the variational
// parameters: plain gradient ascent with a step-size schedule and Adam for
// stochastic objectives, and L-BFGS (gonum's optimize) for deterministic
// ones. Every method rejects a step whose objective or gradient is not
// finite, retries it smaller, and reports why it stopped as a Status.
package optim

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Objective is a function to maximize.
type Objective interface {
	// Eval returns f(x) and, if grad is not nil, stores ∇f(x) there.
	Eval(grad, x []float64) float64
}

// Status says why a run stopped.
type Status int

// Stop reasons.
const (
	NotTerminated  Status = iota
	Converged             // a convergence test passed
	IterationLimit        // MaxIter reached first
	Failed                // no finite step could be found, or the method failed
	Canceled              // the context was canceled or the callback asked to stop
)

func (s Status) String() string {
	switch s {
	case NotTerminated:
		return "not terminated"
	case Converged:
		return "converged"
	case IterationLimit:
		return "iteration limit"
	case Failed:
		return "failed"
	case Canceled:
		return "canceled"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Progress is passed to Settings.Callback after every iteration.
type Progress struct {
	Iter  int     // completed iterations
	F     float64 // objective at this iteration (an estimate when stochastic)
	Evals int     // objective evaluations so far
	Max   int     // iteration limit
}

// Settings controls a run. Zero values select the documented defaults.
type Settings struct {
	// MaxIter limits major iterations. Zero means 10000 for stochastic
	// methods and 2000 for L-BFGS.
	MaxIter int

	// TolRelObj is the stochastic convergence tolerance, as Stan's
	// tol_rel_obj: the objective is averaged over windows of Window
	// iterations, and the run converges when the mean or the median of the
	// last Span relative changes between window averages falls below it.
	// Zero means 1e-4 (Stan's default of 1e-2 stops far too early; see
	// shared/anchors). Relative changes use max(|f|, 1) as denominator so
	// an objective near zero does not prevent convergence, and a change
	// smaller than two Monte Carlo standard errors of the window averages
	// counts as zero, so noise alone does not prevent it either.
	TolRelObj float64
	// Window is the number of iterations per averaging window; zero means 50.
	Window int
	// Span is the number of window-to-window relative changes tested; zero
	// means 4.
	Span int
	// Stationarity: unless negative, stochastic convergence also requires
	// the gradient averaged over the last window to be statistically zero
	// (a χ² test on the per-coordinate means), because a flat ELBO can hide
	// parameters that still drift.
	Stationarity int
	// Anneal is the number of windows run after the convergence test
	// passes, halving the step in each; the result is the average of the
	// iterates over the last two of them (Polyak-Ruppert averaging). A
	// constant step leaves the iterates jittering around the optimum by an
	// amount that grows with the step; annealing and averaging remove most
	// of it. Zero means 4; negative disables annealing, and the result is
	// then the average over the last window.
	Anneal int
	// NoAverage returns the last iterate instead of an average.
	NoAverage bool

	// GradTol stops a deterministic run when ‖∇f‖∞ ≤ GradTol. Zero means
	// 1e-7. A line search that fails because f no longer changes in floating
	// point counts as convergence when ‖∇f‖∞ ≤ 1e-3·max(1, |f|)^½ (the
	// objective is then flat to machine precision; see LBFGS).
	GradTol float64
	// FuncTol stops a deterministic run when the relative change in f over
	// 10 iterations is at most FuncTol. Zero means 1e-15, about the rounding
	// error of f, so by default a run ends when f is flat to machine precision.
	FuncTol float64

	// Callback, if set, is called after every iteration; a non-nil error
	// stops the run with status Canceled.
	Callback func(Progress) error
}

// Result is the outcome of a run.
type Result struct {
	X          []float64 // final parameters
	F          float64   // objective at X (for stochastic runs, the last window average)
	Iterations int
	Evals      int // objective and gradient evaluations
	Rejected   int // steps rejected because f or ∇f was not finite
	Status     Status
	Message    string    // why it stopped, in words
	Trace      []float64 // objective at every iteration
}

// Method maximizes an objective.
type Method interface {
	// Maximize starts from x (which it does not modify).
	Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result
	// Stochastic reports whether the method suits noisy objectives.
	Stochastic() bool
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func allFinite(x []float64) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}

// relTracker implements the windowed relative-change test.
type relTracker struct {
	window, span int
	tol          float64
	sum, sum2    float64
	count        int
	prev, prevV  float64
	havePrev     bool
	rel          []float64
	last         float64 // last complete window average
}

func newRelTracker(s Settings) *relTracker {
	r := &relTracker{window: s.Window, span: s.Span, tol: s.TolRelObj}
	if r.window <= 0 {
		r.window = 50
	}
	if r.span <= 0 {
		r.span = 4
	}
	if r.tol <= 0 {
		r.tol = 1e-4
	}
	return r
}

// add records f and reports whether a window closed and whether the run
// has converged.
func (r *relTracker) add(f float64) (closed, converged bool) {
	r.sum += f
	r.sum2 += f * f
	r.count++
	if r.count < r.window {
		return false, false
	}
	n := float64(r.count)
	avg := r.sum / n
	// Variance of the window mean, from the spread of the estimates.
	v := math.Max(0, (r.sum2-n*avg*avg)/(n-1)) / n
	r.sum, r.sum2, r.count = 0, 0, 0
	r.last = avg
	if r.havePrev {
		// A change within two standard errors of zero is noise, not
		// progress, and counts as no change.
		d := math.Abs(avg-r.prev) - 2*math.Sqrt(v+r.prevV)
		rel := math.Max(0, d) / math.Max(math.Abs(avg), 1)
		r.rel = append(r.rel, rel)
		if len(r.rel) > r.span {
			r.rel = r.rel[1:]
		}
	}
	r.prev, r.prevV, r.havePrev = avg, v, true
	if len(r.rel) < r.span {
		return true, false
	}
	mean := 0.0
	for _, v := range r.rel {
		mean += v
	}
	mean /= float64(len(r.rel))
	med := append([]float64(nil), r.rel...)
	sort.Float64s(med)
	median := med[len(med)/2]
	if len(med)%2 == 0 {
		median = 0.5 * (med[len(med)/2-1] + median)
	}
	return true, mean < r.tol || median < r.tol
}
