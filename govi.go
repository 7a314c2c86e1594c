// Package govi fits variational approximations q_φ(θ) to Bayesian
// posteriors p(θ | D) ∝ p(D | θ)p(θ) by maximizing the evidence lower bound
//
//	ELBO(φ) = E_q[log p(D | θ)] − KL(q_φ ‖ p(θ)) = log p(D) − KL(q_φ ‖ p(θ | D)).
//
// A fit combines four independent pieces, as in Stan's and NumPyro's
// variational inference:
//
//   - a model (package model): a log density on unconstrained R^d with its
//     gradient, or one that describes its linear-predictor structure
//     (model.Predictors, implemented by model.Linear for GLMs with group
//     effects) for the quadrature ELBO, natural-gradient steps and
//     minibatches; package bnn's networks are models too;
//   - a variational family (package family): mean-field, low-rank or
//     full-rank Gaussian, or any type implementing family.Family;
//   - an ELBO estimator (package elbo): Monte Carlo, Gauss-Hermite
//     quadrature, or quadrature on minibatches of rows;
//   - an optimizer (package optim): gradient ascent, Adam, L-BFGS,
//     natural-gradient steps (deterministic or stochastic), or several of
//     them in turn (optim.Fallback).
//
// Fit runs them and returns the fitted family with the ELBO trace and the
// reason it stopped; Auto chooses the pieces for a model. Sample draws from
// the fit with the log densities PSIS needs, Diagnose checks it (a verdict
// built on KL(q ‖ p), the expectation-specific k-hat of the summaries and
// how far importance reweighting moves them; Pareto k-hat, ESS, ELBO and
// importance-weighted evidence with standard errors), and Corrected and
// Resample use the smoothed importance weights. None of them names a
// concrete model or family: they use the interfaces of packages model,
// family and elbo, so a new piece plugs in without changes here.
//
// Run is the whole pipeline (choose, fit, draw, diagnose, advise) behind
// the govi command, with minibatch fits of data in memory or streamed from
// files (RunOptions.BatchSize, Source). FitMixture fits the quadrature
// mixture over a hierarchical model's few hyperparameters (group sds,
// auxiliary parameters), right where a Gaussian understates the group
// sds; Run uses it by default for models with group-level terms.
package govi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// Settings controls Fit. The zero value is usable: every zero field
// selects the documented default of the optimizer, except that with a
// minibatch estimator (one implementing optim.Epochs, such as
// elbo.Minibatch) a zero Optim.Window becomes a whole number of epochs of
// at least 50 batches.
type Settings struct {
	// Optim holds iteration limits, tolerances and the progress callback.
	Optim optim.Settings
	// Init is the initial φ; nil keeps the family's current parameters
	// (μ = 0 and unit scale for a new family).
	Init []float64
}

// Result is the outcome of Fit.
type Result struct {
	// Family is the fitted q, with its parameters set to Params; nil for a
	// quadrature mixture (Approx).
	Family family.Family
	// Approx is the fitted approximation: Family, or the Mixture of Run
	// with Family "mixture".
	Approx family.Sampler
	// Params is the fitted φ.
	Params []float64
	// ELBO is the objective at Params (for stochastic runs, the average over
	// the last window of iterations).
	ELBO float64
	// Trace is the ELBO at every iteration.
	Trace []float64
	// Iterations, Evals and Rejected count optimizer iterations, ELBO and
	// gradient evaluations, and steps rejected for non-finite values.
	Iterations, Evals, Rejected int
	// Elapsed is the wall time of the optimization.
	Elapsed time.Duration
	// Status says why the optimizer stopped; Message says it in words.
	Status  optim.Status
	Message string
}

// Converged reports whether the run met its convergence test.
func (r *Result) Converged() bool { return r.Status == optim.Converged }

// ErrStochasticLBFGS is returned when a deterministic-only method is paired
// with a stochastic estimator.
var ErrStochasticLBFGS = errors.New("govi: L-BFGS needs a deterministic objective: use elbo.Quadrature or elbo.MonteCarlo with Fixed draws")

// objective adapts an estimator and family to optim.Objective, and to
// optim.Curved when the estimator provides curvature and the family
// natural-gradient steps.
type objective struct {
	est elbo.Estimator
	q   family.Family

	cur, pend *curvState
	// Averaging: the anchor and the sums of the targets added since.
	anchor      *curvState
	hsum        *mat.SymDense // Σ E[∇²]
	msum        []float64     // Σ (E[∇] − E[∇²]μ)
	ntarget     int
	geff, mutmp []float64
	hmean       *mat.SymDense
}

var (
	_ optim.Averaging = (*objective)(nil)
	_ optim.Epochs    = (*objective)(nil)
)

// curvState is what a natural-gradient step from one point needs.
type curvState struct {
	phi []float64
	mu  []float64     // E_q[θ]
	h   *mat.SymDense // E_q[∇² log p]
	g   []float64     // E_q[∇ log p]
}

func newCurvState(d int) *curvState {
	return &curvState{mu: make([]float64, d), h: mat.NewSymDense(d, nil), g: make([]float64, d)}
}

func (o *objective) Eval(grad, phi []float64) float64 {
	o.q.SetParams(phi)
	return o.est.ELBO(grad, o.q)
}

// ErrNoNaturalStep is reported when natural-gradient steps are asked of a
// family that has none (it does not implement family.Natural).
var ErrNoNaturalStep = errors.New("govi: the family has no natural-gradient step (use L-BFGS or a stochastic method)")

// Curvature evaluates the ELBO at phi with E_q[∇ log p] and E_q[∇² log p]
// into the pending state.
func (o *objective) Curvature(phi []float64) (f, gnorm float64, err error) {
	cv, ok := o.est.(elbo.Curvature)
	if !ok {
		return 0, 0, elbo.ErrUnsupported
	}
	if _, ok := o.q.(family.Natural); !ok {
		return 0, 0, ErrNoNaturalStep
	}
	o.q.SetParams(phi)
	if o.pend == nil {
		d := o.q.Dim()
		o.cur, o.pend = newCurvState(d), newCurvState(d)
	}
	st := o.pend
	f, err = cv.ExpectedGradHess(st.g, st.h, o.q)
	if err != nil {
		return f, 0, err
	}
	st.phi = append(st.phi[:0], phi...)
	o.q.Mean(st.mu)
	for _, v := range st.g {
		gnorm = math.Max(gnorm, math.Abs(v))
	}
	return f, gnorm, nil
}

// Accept makes the pending state current.
func (o *objective) Accept() { o.cur, o.pend = o.pend, o.cur }

// Propose takes the family's natural-gradient step of size rho from the
// current point.
func (o *objective) Propose(dst []float64, rho float64) bool {
	st := o.cur
	o.q.SetParams(st.phi)
	return o.q.(family.Natural).NaturalStep(dst, rho, st.g, st.h)
}

// Anchor makes the current state the anchor of averaged steps.
func (o *objective) Anchor() {
	d := o.q.Dim()
	if o.anchor == nil {
		o.anchor = newCurvState(d)
		o.hsum, o.hmean = mat.NewSymDense(d, nil), mat.NewSymDense(d, nil)
		o.msum, o.geff = make([]float64, d), make([]float64, d)
	}
	o.anchor.phi = append(o.anchor.phi[:0], o.cur.phi...)
	copy(o.anchor.mu, o.cur.mu)
	o.hsum.Zero()
	clear(o.msum)
	o.ntarget = 0
}

// AddTarget adds the current state's natural-parameter target,
// (−E[∇²], E[∇] − E[∇²]μ), to the sums.
func (o *objective) AddTarget() {
	st := o.cur
	d := len(st.g)
	o.hsum.AddSym(o.hsum, st.h)
	for i := 0; i < d; i++ {
		v := st.g[i]
		for j := 0; j < d; j++ {
			v -= st.h.At(i, j) * st.mu[j]
		}
		o.msum[i] += v
	}
	o.ntarget++
}

// ProposeAverage takes the step of size rho from the anchor toward the
// mean target (H̄, m̄): a natural step from the anchor with E[∇²] = H̄ and
// E[∇] = m̄ + H̄μ_anchor moves the natural parameters exactly there.
func (o *objective) ProposeAverage(dst []float64, rho float64) bool {
	if o.ntarget == 0 {
		return false
	}
	d := len(o.msum)
	inv := 1 / float64(o.ntarget)
	o.hmean.ScaleSym(inv, o.hsum)
	for i := 0; i < d; i++ {
		v := o.msum[i] * inv
		for j := 0; j < d; j++ {
			v += o.hmean.At(i, j) * o.anchor.mu[j]
		}
		o.geff[i] = v
	}
	o.q.SetParams(o.anchor.phi)
	return o.q.(family.Natural).NaturalStep(dst, rho, o.geff, o.hmean)
}

// BatchesPerEpoch forwards to a minibatch estimator; it is 1 otherwise.
func (o *objective) BatchesPerEpoch() int {
	if e, ok := o.est.(optim.Epochs); ok {
		return e.BatchesPerEpoch()
	}
	return 1
}

// EpochStarted forwards to a minibatch estimator; otherwise every
// evaluation is a whole pass.
func (o *objective) EpochStarted() bool {
	if e, ok := o.est.(optim.Epochs); ok {
		return e.EpochStarted()
	}
	return true
}

// Fit maximizes the ELBO of model m over family q with estimator est and
// optimizer method. It returns an error only when the pieces cannot work
// together; a run that fails or is canceled returns a Result whose Status
// says so, with the last finite parameters.
func Fit(ctx context.Context, m model.LogDensity, q family.Family, est elbo.Estimator, method optim.Method, s *Settings) (*Result, error) {
	if s == nil {
		s = &Settings{}
	}
	if m.Dim() != q.Dim() {
		return nil, fmt.Errorf("govi: model has dimension %d, family %d", m.Dim(), q.Dim())
	}
	if !method.Stochastic() && !est.Deterministic() {
		return nil, ErrStochasticLBFGS
	}
	if s.Init != nil {
		if len(s.Init) != q.Len() {
			return nil, fmt.Errorf("govi: Init has %d parameters, the family %d", len(s.Init), q.Len())
		}
		q.SetParams(s.Init)
	}
	if err := est.Init(m, q); err != nil {
		return nil, err
	}
	start := time.Now()
	// Like Stan's initialization retries: if the ELBO is not finite at the
	// initial φ (draws or nodes reach a region where the model overflows),
	// shrink q's scale, up to 2^-10.
	init := "initial values"
	for k := 0; k < 10 && !finite(est.ELBO(nil, q)); k++ {
		q.ScaleBy(0.5)
		init = fmt.Sprintf("initial values with the scale shrunk by 2^-%d", k+1)
	}
	x0 := q.Params(nil)
	os := s.Optim
	if e, ok := est.(optim.Epochs); ok && os.Window == 0 {
		// Windows of whole epochs, at least 50 batches: over an epoch the
		// minibatches' noise averages out.
		b := max(1, e.BatchesPerEpoch())
		os.Window = b * ((50 + b - 1) / b)
	}
	res := method.Maximize(ctx, &objective{est: est, q: q}, x0, os)
	q.SetParams(res.X)
	if !finite(res.F) {
		// A non-finite ELBO never reaches the result.
		res.F = math.Inf(-1)
		if res.Status != optim.Failed {
			res.Status = optim.Failed
		}
		if res.Message == "" {
			res.Message = "the ELBO is not finite"
		}
		res.Message += " (from " + init + ")"
	}
	return &Result{
		Family:     q,
		Approx:     q,
		Params:     res.X,
		ELBO:       res.F,
		Trace:      res.Trace,
		Iterations: res.Iterations,
		Evals:      res.Evals,
		Rejected:   res.Rejected,
		Elapsed:    time.Since(start),
		Status:     res.Status,
		Message:    res.Message,
	}, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
