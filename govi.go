// Package govi fits Gaussian variational approximations q_φ(θ) to Bayesian
// posteriors p(θ | D) ∝ p(D | θ)p(θ) by maximizing the evidence lower bound
//
//	ELBO(φ) = E_q[log p(D | θ)] − KL(q_φ ‖ p(θ)) = log p(D) − KL(q_φ ‖ p(θ | D)).
//
// A fit combines four independent pieces, as in Stan's and NumPyro's
// variational inference:
//
//   - a model (package model): a log density on unconstrained R^d with its
//     gradient, or the structured model.Linear for GLM-like likelihoods;
//   - a variational family (package family): mean-field or full-rank Gaussian;
//   - an ELBO estimator (package elbo): Monte Carlo or Gauss-Hermite quadrature;
//   - an optimizer (package optim): gradient ascent, Adam, L-BFGS, natural
//     gradient, or a Fallback chain of them.
//
// Fit runs them and returns the fitted family with the ELBO trace and the
// reason it stopped.
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
// selects the documented default of the optimizer.
type Settings struct {
	// Optim holds iteration limits, tolerances and the progress callback.
	Optim optim.Settings
	// Init is the initial φ; nil keeps the family's current parameters
	// (μ = 0 and unit scale for a new family).
	Init []float64
}

// Result is the outcome of Fit.
type Result struct {
	// Family is the fitted q, with its parameters set to Params.
	Family family.Family
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
// optim.Curved when the estimator provides curvature.
type objective struct {
	est elbo.Estimator
	q   family.Family

	cur, pend *curvState
	tmp       family.Family
}

// curvState is what a natural-gradient step from one point needs.
type curvState struct {
	h    *mat.SymDense // E_q[∇² log p]
	prec *mat.SymDense // Σ⁻¹ (full-rank)
	g    []float64     // E_q[∇ log p]
	mu   []float64
	sd   []float64 // σ (mean-field)
}

func newCurvState(d int, full bool) *curvState {
	c := &curvState{h: mat.NewSymDense(d, nil), g: make([]float64, d), mu: make([]float64, d), sd: make([]float64, d)}
	if full {
		c.prec = mat.NewSymDense(d, nil)
	}
	return c
}

func (o *objective) Eval(grad, phi []float64) float64 {
	o.q.SetParams(phi)
	return o.est.ELBO(grad, o.q)
}

// Curvature evaluates the ELBO at phi with E_q[∇ log p] and E_q[∇² log p]
// into the pending state.
func (o *objective) Curvature(phi []float64) (f, gnorm float64, err error) {
	cv, ok := o.est.(elbo.Curvature)
	if !ok {
		return 0, 0, elbo.ErrUnsupported
	}
	o.q.SetParams(phi)
	d := o.q.Dim()
	if o.pend == nil {
		_, full := o.q.(*family.FullRank)
		o.cur, o.pend = newCurvState(d, full), newCurvState(d, full)
		if full {
			o.tmp = family.NewFullRank(d)
		} else {
			o.tmp = family.NewMeanField(d)
		}
	}
	st := o.pend
	f, err = cv.ExpectedGradHess(st.g, st.h, o.q)
	if err != nil {
		return f, 0, err
	}
	o.q.Mean(st.mu)
	switch q := o.q.(type) {
	case *family.FullRank:
		var linv mat.TriDense
		if err := linv.InverseTri(q.Chol()); err != nil {
			return f, 0, err
		}
		// Σ⁻¹ = L⁻ᵀL⁻¹.
		st.prec.SymOuterK(1, linv.T())
	case *family.MeanField:
		copy(st.sd, q.SD())
	default:
		return f, 0, elbo.ErrUnsupported
	}
	for _, v := range st.g {
		gnorm = math.Max(gnorm, math.Abs(v))
	}
	return f, gnorm, nil
}

// Accept makes the pending state current.
func (o *objective) Accept() { o.cur, o.pend = o.pend, o.cur }

// Propose takes the natural-gradient step of size rho from the current
// point: Λ' = (1−ρ)Σ⁻¹ − ρE[∇²], μ' = μ + ρΛ'⁻¹E[∇] (Khan & Lin 2017). For
// the mean-field family σ keeps only the diagonal of Λ', while the mean step
// uses the full curvature (a damped Newton step in μ).
func (o *objective) Propose(dst []float64, rho float64) bool {
	st := o.cur
	d := len(st.mu)
	lam := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			v := -rho * st.h.At(i, j)
			switch {
			case st.prec != nil:
				v += (1 - rho) * st.prec.At(i, j)
			case i == j:
				v += (1 - rho) / (st.sd[i] * st.sd[i])
			}
			lam.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(lam) {
		return false
	}
	var delta mat.VecDense
	if err := ch.SolveVecTo(&delta, mat.NewVecDense(d, st.g)); err != nil {
		return false
	}
	mu := make([]float64, d)
	for i := range mu {
		mu[i] = st.mu[i] + rho*delta.AtVec(i)
	}
	switch t := o.tmp.(type) {
	case *family.FullRank:
		l, ok := cholOfInverse(lam)
		if !ok {
			return false
		}
		t.SetMeanChol(mu, l)
	case *family.MeanField:
		sd := make([]float64, d)
		for i := range sd {
			p := lam.At(i, i)
			if !(p > 0) {
				return false
			}
			sd[i] = 1 / math.Sqrt(p)
		}
		t.SetMeanSD(mu, sd)
	}
	o.tmp.Params(dst)
	return model.AllFinite(dst)
}

// cholOfInverse returns the lower-triangular L with LLᵀ = Λ⁻¹ without
// forming Λ⁻¹: with P the order-reversing permutation and PΛP = CCᵀ,
// L = P C⁻ᵀ P (a triangular inverse only).
func cholOfInverse(lam *mat.SymDense) (*mat.TriDense, bool) {
	d := lam.SymmetricDim()
	rev := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			rev.SetSym(i, j, lam.At(d-1-i, d-1-j))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(rev) {
		return nil, false
	}
	var c, cinv mat.TriDense
	ch.LTo(&c)
	if err := cinv.InverseTri(&c); err != nil {
		return nil, false
	}
	l := mat.NewTriDense(d, mat.Lower, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			l.SetTri(i, j, cinv.At(d-1-j, d-1-i))
		}
	}
	for i := 0; i < d; i++ {
		if !(l.At(i, i) > 0) {
			return nil, false
		}
	}
	return l, true
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
	res := method.Maximize(ctx, &objective{est: est, q: q}, x0, s.Optim)
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
