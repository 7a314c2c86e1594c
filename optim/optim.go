// Package optim maximizes an objective, such as the ELBO over the
// variational parameters. Six methods implement Method:
//
//   - GradientAscent: stochastic gradient ascent with a step-size Schedule
//     (Constant, or the Robbins-Monro Decay), for noisy objectives;
//   - Adam: the adaptive-moment method of Kingma & Ba, for noisy objectives;
//   - LBFGS: limited-memory BFGS (gonum's optimize), for deterministic
//     objectives;
//   - NaturalGradient: damped second-order steps proposed by an objective
//     that implements Curved, for deterministic objectives;
//   - StochasticNatural: natural-gradient steps on minibatches with a
//     Robbins-Monro step size and averaging over epochs (Hoffman, Blei, Wang
//     & Paisley 2013), for objectives that implement Curved, Averaging and
//     Epochs;
//   - Fallback: several methods in turn, each starting where the previous
//     one stopped, until one converges.
//
// A method maximizes an Objective from a starting point under Settings
// and returns a Result. The zero Settings is usable: a zero field selects
// the default of the method, and each method documents the fields it uses
// and their defaults. The zero value of every method type is usable too
// (though a Fallback with no methods can only report ErrNoMethods), and a
// method value holds only its configuration, so one value can serve any
// number of runs, concurrently as well.
//
// A badly behaved objective makes a run fail, not panic. Every method
// rejects a step whose objective or gradient is not finite and retries it
// smaller, and every Result carries parameters X (never nil): where the
// run ended, or a copy of the starting point. The Result's Status says why
// the run stopped (Converged, IterationLimit, Failed or Canceled), its
// Message says it in words, and its Err holds the error behind a failure
// or cancellation, if any: ErrNoMethods, ErrNotCurved, the context's
// error, or the one returned by Settings.Callback, either of which stops
// a run after the current iteration.
package optim

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Objective is a function to maximize.
type Objective interface {
	// Eval returns f(x) and, if grad is not nil, stores ∇f(x) there. A
	// stochastic objective returns an unbiased estimate of both.
	Eval(grad, x []float64) float64
}

// Status says why a run stopped.
type Status int

// Stop reasons. NotTerminated is the zero Status; no method of this
// package returns it.
const (
	NotTerminated  Status = iota
	Converged             // a convergence test passed
	IterationLimit        // MaxIter reached first
	Failed                // no finite step could be found, or the method could not run
	Canceled              // the context was canceled or the callback returned an error
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
	Max   int     // iteration limit in effect (MaxIter or the method's default)
	// Epoch and Rows are set for minibatch fits (govi.Run): the epoch
	// under way and the rows evaluated so far; zero otherwise.
	Epoch, Rows int
	// MaxEpochs is the epoch limit of a minibatch fit (Max in whole
	// epochs), or zero.
	MaxEpochs int
}

// Settings controls a run. The zero value is usable: a field that is zero
// (or, unless documented otherwise, negative) selects the default of the
// method, and a method ignores the fields it does not use. The defaults
// differ between methods and are documented on each: GradientAscent,
// Adam, LBFGS and NaturalGradient. Fallback passes the Settings to each
// of its methods unchanged.
type Settings struct {
	// MaxIter limits the number of iterations. Used by all methods.
	MaxIter int

	// TolRelObj is the convergence tolerance of GradientAscent and Adam,
	// as Stan's tol_rel_obj: the objective is averaged over windows of
	// Window iterations, and the run converges when the mean or the median
	// of the last Span relative changes between window averages falls
	// below it. Relative changes use max(|f|, 1) as denominator so an
	// objective near zero does not prevent convergence, and a change
	// smaller than two Monte Carlo standard errors of the window averages
	// counts as zero, so noise alone does not prevent it either. (Stan's
	// default of 1e-2 stops far too early; see shared/anchors.)
	TolRelObj float64
	// Window is the number of iterations per averaging window
	// (GradientAscent and Adam).
	Window int
	// Span is the number of window-to-window relative changes tested
	// (GradientAscent and Adam).
	Span int
	// Stationarity: if it is 0 or positive, the convergence of
	// GradientAscent and Adam also requires the gradient averaged over the
	// last window to be statistically zero (a χ² test on the
	// per-coordinate means), because a flat objective can hide parameters
	// that still drift; if it is negative, the test is skipped.
	Stationarity int
	// Anneal is the number of windows GradientAscent and Adam run after
	// the convergence test passes, halving the step in each; the result is
	// the average of the iterates over the last two of them, or over the
	// only one if Anneal is 1 (Polyak-Ruppert averaging). A constant step
	// leaves the iterates jittering around the optimum by an amount that
	// grows with the step; annealing and averaging remove most of it. If
	// Anneal is negative, there is no annealing, and the result is the
	// average of the iterates over the last window.
	Anneal int
	// NoAverage makes GradientAscent and Adam return the last iterate
	// instead of an average.
	NoAverage bool

	// GradTol stops an LBFGS run when ‖∇f‖∞ < GradTol.
	GradTol float64
	// FuncTol is the convergence tolerance on changes of f of LBFGS and
	// NaturalGradient; see each for the exact test.
	FuncTol float64

	// Callback, if set, is called after every iteration; a non-nil error
	// stops the run with status Canceled and that error as Result.Err.
	// Used by all methods.
	Callback func(Progress) error
}

// Result is the outcome of a run.
type Result struct {
	// X holds the final parameters; it is never nil. After a failure it
	// holds the last finite parameters, or a copy of the starting point.
	X []float64
	// F is the objective at X (for stochastic runs, an estimate).
	F          float64
	Iterations int
	Evals      int // objective and gradient evaluations
	Rejected   int // steps rejected because f or ∇f was not finite (or, for NaturalGradient, because f decreased)
	Status     Status
	Message    string    // why it stopped, in words
	Err        error     // the error behind a Failed or Canceled status, if any
	Trace      []float64 // objective after every iteration (an estimate when stochastic)
}

// Method maximizes an objective.
type Method interface {
	// Maximize starts from x (which it does not modify).
	Maximize(ctx context.Context, obj Objective, x []float64, s Settings) Result
	// Stochastic reports whether the method suits noisy objectives.
	Stochastic() bool
}

// clone returns a copy of x that is not nil, even when x is empty.
func clone(x []float64) []float64 { return append(make([]float64, 0, len(x)), x...) }

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

func newRelTracker(window, span int, tol float64) *relTracker {
	return &relTracker{window: window, span: span, tol: tol}
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
