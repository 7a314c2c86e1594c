package govi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/optim"
)

// MixtureOptions controls FitMixture. The zero value is usable.
type MixtureOptions struct {
	// Step is the grid's spacing in standardized units of ψ (the
	// curvature at the mode). If Step is 0, it will be defaulted to 0.5
	// for one or two hyperparameters, 0.7 for three and 0.9 for more: a
	// Gaussian's sd is then overstated by 1%, 2% and 3.3% (Sheppard's
	// correction, √(1 + Step²/12)), its mean is exact, and the grid has
	// about 17, 230, 900 and 2300 cells.
	Step float64
	// Drop bounds the grid: a cell whose log density is more than Drop
	// below the mode's is left out, and the grid grows no further past
	// it. If Drop is 0, it will be defaulted to 9 (4.2 sd of a Gaussian,
	// leaving out 10⁻⁴ of its mass in one dimension).
	Drop float64
	// MaxHyper is the largest number of hyperparameters fitted this way.
	// If MaxHyper is 0, it will be defaulted to 3; at most 8. Four
	// hyperparameters (a varying slope and intercept with σ) need some
	// 3000 to 6000 conditional fits, longer than the Gaussian fit.
	MaxHyper int
	// MaxCells bounds the grid. If MaxCells is 0, it will be defaulted to
	// 3000.
	MaxCells int
	// Seed keys the Gaussian fit that starts the search for the mode.
	Seed uint64
}

func (o MixtureOptions) step(k int) float64 {
	switch {
	case o.Step > 0:
		return o.Step
	case k <= 2:
		return 0.5
	case k == 3:
		return 0.7
	}
	return 0.9
}

func (o MixtureOptions) drop() float64 {
	if !(o.Drop > 0) {
		return 9
	}
	return o.Drop
}

// MixtureError reports why a model cannot be fitted by the quadrature
// mixture; callers fall back to a Gaussian family.
type MixtureError struct {
	Hyper, MaxHyper int // the model's number of hyperparameters, and the limit
	Cells, MaxCells int // cells needed (when the grid outgrew the limit), and the limit
	Err             error
}

func (e *MixtureError) Error() string {
	switch {
	case e.Hyper == 0:
		return "govi: the model has no hyperparameters to integrate over"
	case e.Hyper > e.MaxHyper:
		return fmt.Sprintf("govi: the quadrature mixture integrates at most %d hyperparameters; the model has %d", e.MaxHyper, e.Hyper)
	case e.Cells > e.MaxCells:
		return fmt.Sprintf("govi: the quadrature mixture needs more than %d cells over the %d hyperparameters", e.MaxCells, e.Hyper)
	}
	return "govi: quadrature mixture: " + e.Err.Error()
}

func (e *MixtureError) Unwrap() error { return e.Err }

// ErrMixture is wrapped by the errors of fits that fail inside FitMixture.
var ErrMixture = errors.New("govi: the quadrature mixture could not be fitted")

// MixtureFit is the result of FitMixture.
type MixtureFit struct {
	// Mixture is the fitted approximation.
	Mixture *Mixture
	// LogEvidence is the grid's estimate of log p(D): the log of the
	// cells' masses summed (each exp(F_k) integrated over its cell with its
	// tilt) less log|L|, with F_k the conditional fits' ELBOs (exact
	// log p(ψ_k, D) for a gaussian likelihood).
	LogEvidence float64
	// Fits counts the conditional fits (mode search and grid), Evals their
	// ELBO evaluations, and Cells the grid's cells with their weights.
	Fits, Evals, Cells int
	// Trace is F at each step of the search for the mode.
	Trace []float64
	// Elapsed is the wall time.
	Elapsed time.Duration
}

// Mixture is the quadrature mixture over a model's hyperparameters ψ (its
// auxiliary parameters and group-level scales, model.Layout.Hyper):
//
//	q(ψ, β) = Σ_k w_k h_k(ψ) q_k(β | ψ_k),
//
// where the cells k tile a grid over ψ in standardized coordinates
// z = Lᵀ(ψ − ψ*), ψ* the mode of log p(ψ | D) and LLᵀ its negative
// Hessian there, h_k is uniform on cell k, q_k is the full-rank Gaussian
// fitted to the model with ψ fixed at the cell's centre ψ_k (exact for a
// gaussian likelihood, where that conditional is Gaussian), and w_k ∝
// exp(F_k) with F_k that fit's ELBO, so the weights are the grid's
// quadrature of p(ψ | D) (as INLA's, Rue, Martino & Chopin 2009). It is a
// family.Sampler: draws, log densities, and so the same diagnostics as
// any other fit.
type Mixture struct {
	d          int
	hyper      []int // θ index of each hyperparameter
	free       []int // θ index of each coordinate of β
	mode       []float64
	l          []float64 // L, k×k lower, row-major
	linvt      []float64 // L⁻ᵀ, k×k upper, row-major
	step       []float64 // per axis of z
	logDetL    float64   // log|L|, the Jacobian of z = Lᵀ(ψ − ψ*)
	cells      []mixCell
	cum        []float64 // cumulative weights
	index      map[latticeKey]int
	betaDim    int
	betaLength int
}

type latticeKey [8]int32

type mixCell struct {
	j   latticeKey
	psi []float64
	w   float64   // weight
	g   []float64 // the slope of log p(ψ | D) along each axis of z in the cell
	q   *family.FullRank
}

var _ family.Sampler = (*Mixture)(nil)

// Dim returns the dimension of θ.
func (m *Mixture) Dim() int { return m.d }

// NoiseDim returns 1 + dim(ψ) + dim(β): one normal for the cell, one per
// hyperparameter for the position in the cell, and the Gaussian's.
func (m *Mixture) NoiseDim() int { return 1 + len(m.hyper) + m.betaDim }

// Hyper returns the θ indices of the hyperparameters.
func (m *Mixture) Hyper() []int { return m.hyper }

// Weights returns the cells' weights, in the order the grid was explored.
func (m *Mixture) Weights() []float64 {
	w := make([]float64, len(m.cells))
	for k, c := range m.cells {
		w[k] = c.w
	}
	return w
}

// stdNormalCDF returns Φ(x).
func stdNormalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// Transform stores in theta the draw eps maps to: Φ(ε₀) picks the cell by
// its cumulative weight, Φ(ε₁…ε_k) the position in the cell, and the rest
// the Gaussian draw of β.
func (m *Mixture) Transform(theta, eps []float64) {
	k := len(m.hyper)
	u := stdNormalCDF(eps[0])
	c := sort.SearchFloat64s(m.cum, u)
	if c >= len(m.cells) {
		c = len(m.cells) - 1
	}
	cell := &m.cells[c]
	var zbuf [8]float64
	z := zbuf[:k]
	for i := 0; i < k; i++ {
		z[i] = m.step[i]*float64(cell.j[i]) + tiltDraw(cell.g[i], 0.5*m.step[i], stdNormalCDF(eps[1+i]))
	}
	for i := 0; i < k; i++ {
		v := m.mode[i]
		for j := i; j < k; j++ {
			v += m.linvt[i*k+j] * z[j]
		}
		theta[m.hyper[i]] = v
	}
	var bbuf []float64
	if m.betaDim <= 64 {
		var arr [64]float64
		bbuf = arr[:m.betaDim]
	} else {
		bbuf = make([]float64, m.betaDim)
	}
	cell.q.Transform(bbuf, eps[1+k:])
	for i, a := range m.free {
		theta[a] = bbuf[i]
	}
}

// cellOf returns the cell containing ψ (from θ), or −1.
func (m *Mixture) cellOf(theta []float64) int {
	k := len(m.hyper)
	var key latticeKey
	for i := 0; i < k; i++ {
		// z = Lᵀ(ψ − ψ*): row i of Lᵀ is column i of L.
		z := 0.0
		for j := i; j < k; j++ {
			z += m.l[j*k+i] * (theta[m.hyper[j]] - m.mode[j])
		}
		r := math.Round(z / m.step[i])
		if math.Abs(r) > 1e9 || math.IsNaN(r) {
			return -1
		}
		key[i] = int32(r)
	}
	c, ok := m.index[key]
	if !ok {
		return -1
	}
	return c
}

// LogProb returns log q(θ) for the cell k that contains ψ: log w_k, the
// log of the tilted densities of z's offsets in the cell, log|L| (from z
// to ψ), and log q_k(β); −Inf outside the grid.
func (m *Mixture) LogProb(theta []float64) float64 {
	c := m.cellOf(theta)
	if c < 0 {
		return math.Inf(-1)
	}
	cell := &m.cells[c]
	k := len(m.hyper)
	lp := math.Log(cell.w) + m.logDetL
	for i := 0; i < k; i++ {
		z := 0.0
		for j := i; j < k; j++ {
			z += m.l[j*k+i] * (theta[m.hyper[j]] - m.mode[j])
		}
		lp += tiltLogDensity(cell.g[i], 0.5*m.step[i], z-m.step[i]*float64(cell.j[i]))
	}
	beta := make([]float64, m.betaDim)
	for i, a := range m.free {
		beta[i] = theta[a]
	}
	return lp + cell.q.LogProb(beta)
}

// The position in a cell along one axis has the tilted density
// p(t) ∝ e^{g t} on [−h, h], the log-linear interpolation of log p(ψ | D)
// through the cell, which makes the grid second-order accurate where
// uniform cells would add Step²/12 to the variance.

// tiltLogMass returns log ∫_{−h}^{h} e^{g t} dt = log(2 sinh(g h)/g).
func tiltLogMass(g, h float64) float64 {
	x := math.Abs(g * h)
	if x < 1e-6 {
		return math.Log(2*h) + x*x/6
	}
	// 2 sinh(x)/|g| = e^x(1 − e^{−2x})/|g|.
	return x + math.Log(-math.Expm1(-2*x)) - math.Log(math.Abs(g))
}

// tiltLogDensity returns log p(t) for the tilted density.
func tiltLogDensity(g, h, t float64) float64 {
	if t < -h-1e-9*h || t > h+1e-9*h {
		return math.Inf(-1)
	}
	return g*t - tiltLogMass(g, h)
}

// tiltDraw returns the point of the tilted density at quantile u.
func tiltDraw(g, h, u float64) float64 {
	x := g * h
	if math.Abs(x) < 1e-6 {
		return (2*u - 1) * h
	}
	// F(t) = (e^{g(t+h)} − 1)/(e^{2gh} − 1) = u  ⇒  t = log1p(u·expm1(2gh))/g − h.
	return math.Log1p(u*math.Expm1(2*x))/g - h
}

// tiltMean returns E[t] = h·coth(g h) − 1/g.
func tiltMean(g, h float64) float64 {
	x := g * h
	if math.Abs(x) < 1e-4 {
		return h * x / 3
	}
	return h/math.Tanh(x) - 1/g
}

// Mean stores E_q[θ] in dst: the weighted means of the cells' ψ (their
// centres shifted by the tilt) and conditional means.
func (m *Mixture) Mean(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, m.d)
	}
	clear(dst)
	beta := make([]float64, m.betaDim)
	k := len(m.hyper)
	for _, c := range m.cells {
		var z [8]float64
		for i := 0; i < k; i++ {
			z[i] = m.step[i]*float64(c.j[i]) + tiltMean(c.g[i], 0.5*m.step[i])
		}
		psi := m.psiAtZ(z[:k])
		for i, a := range m.hyper {
			dst[a] += c.w * psi[i]
		}
		c.q.Mean(beta)
		for i, a := range m.free {
			dst[a] += c.w * beta[i]
		}
	}
	return dst
}

// conditional fits the Gaussian q(β | ψ) of m's conditional model at ψ,
// starting from init when it is not nil, and returns its ELBO.
type conditional struct {
	ctx    context.Context
	m      model.Predictors
	hyper  []int
	fits   atomic.Int64
	evals  atomic.Int64 // ELBO evaluations of the fits
	lastOK []float64    // the last converged fit's φ, for the mode search's warm starts
}

func (c *conditional) fit(psi, init []float64) (float64, *family.FullRank, error) {
	cm, _, err := model.Condition(c.m, c.hyper, psi)
	if err != nil {
		return 0, nil, err
	}
	q := family.NewFullRank(cm.Dim())
	ch := Auto(cm, 0)
	switch {
	case init != nil:
		q.SetParams(init)
	default:
		if err := ch.Apply(c.ctx, q); err != nil {
			return 0, nil, err
		}
	}
	c.fits.Add(1)
	res, err := Fit(c.ctx, cm, q, ch.Estimator, ch.Method, nil)
	if err != nil {
		return 0, nil, err
	}
	c.evals.Add(int64(res.Evals))
	if res.Status != optim.Converged {
		return math.Inf(-1), q, fmt.Errorf("%w: the fit at ψ = %.4g: %s", ErrMixture, psi, res.Message)
	}
	return res.ELBO, q, nil
}

// FitMixture fits the quadrature mixture over m's hyperparameters (see
// Mixture):
//
//  1. a full-rank Gaussian fit of m (Auto) gives a first ψ and its spread;
//  2. Newton's method with finite-difference derivatives finds the mode ψ*
//     of F(ψ), the ELBO of the Gaussian fit of m with ψ fixed, which is
//     log p(ψ, D) for a gaussian likelihood and a lower bound otherwise,
//     and the curvature LLᵀ = −∇²F(ψ*);
//  3. the grid grows cell by cell from ψ* (each fit started from its
//     neighbour's) while F stays within Drop of F(ψ*), so skewed and
//     heavy-tailed p(ψ | D), such as that of a group sd with few groups,
//     are followed wherever they go.
//
// Its cost is one conditional fit per cell, about the volume of a ball of
// radius 4.2/Step in dim(ψ) dimensions for a Gaussian-shaped p(ψ | D)
// (17, 230 and 900 cells for one to three hyperparameters at the default
// steps; skewed posteriors need more, up to 80, 40 and 22 cells along an
// axis); beyond MaxHyper hyperparameters or MaxCells cells it returns a
// *MixtureError, and callers fall back to a Gaussian family.
func FitMixture(ctx context.Context, m model.Predictors, opt MixtureOptions) (*MixtureFit, error) {
	start := time.Now()
	d := m.Dim()
	lay := m.Layout()
	hyper := lay.Hyper(d)
	k := len(hyper)
	maxHyper := opt.MaxHyper
	if maxHyper <= 0 {
		maxHyper = 3
	}
	maxHyper = min(maxHyper, 8)
	maxCells := opt.MaxCells
	if maxCells <= 0 {
		maxCells = 3000
	}
	if k == 0 || k > maxHyper {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper}
	}
	// 1. A Gaussian fit's ψ and its spread: of m, or of its easier form
	// (a centered version of a non-centered model has the same ψ and fits
	// by natural-gradient steps) mapped to m's coordinates.
	psi, sd, err := startingHyper(ctx, m, hyper, opt.Seed)
	if err != nil {
		return nil, err
	}
	c := &conditional{ctx: ctx, m: m, hyper: hyper}
	// 2. The mode and the curvature there.
	mode, fmode, h, trace, err := c.newton(psi, sd)
	if err != nil {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Err: err}
	}
	var chol mat.Cholesky
	hn := mat.NewSymDense(k, nil)
	hn.ScaleSym(-1, h)
	if !chol.Factorize(hn) {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Err: fmt.Errorf("%w: log p(ψ | D) is not concave at its mode", ErrMixture)}
	}
	var lt mat.TriDense
	chol.LTo(&lt)
	mix := &Mixture{d: d, hyper: hyper, mode: mode, index: map[latticeKey]int{},
		l: make([]float64, k*k), linvt: make([]float64, k*k)}
	var linv mat.TriDense
	if err := linv.InverseTri(&lt); err != nil {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Err: err}
	}
	logDetL := 0.0
	for i := 0; i < k; i++ {
		logDetL += math.Log(lt.At(i, i))
		for j := 0; j < k; j++ {
			mix.l[i*k+j] = lt.At(i, j)
			mix.linvt[i*k+j] = linv.At(j, i)
		}
	}
	// Each axis's step: the default, or coarser where p(ψ | D) reaches
	// far along the axis (a weakly identified group sd, whose log has a
	// long tail toward zero), so that no axis needs more than axisCells
	// cells. The extents come from walks out from the mode along each axis.
	mix.step = make([]float64, k)
	base := opt.step(k)
	for i := 0; i < k; i++ {
		mix.step[i] = base
	}
	ext, err := mix.extents(c, fmode, opt.drop(), base, qmodeParams(c))
	if err != nil {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Err: err}
	}
	estimate := ballFraction(k)
	for i := 0; i < k; i++ {
		mix.step[i] = math.Max(base, ext[i]/float64(axisCells[min(k, len(axisCells))-1]))
		estimate *= ext[i]/mix.step[i] + 1
	}
	mix.logDetL = logDetL
	// The grid tiles about a ball (roughly: p(ψ | D) may be skewed): give
	// up before fitting it when it would clearly outgrow the limit.
	if estimate > 2*float64(maxCells) {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Cells: int(estimate), MaxCells: maxCells}
	}
	// 3. The grid, breadth first from the mode, one level at a time: the
	// fits of a level run in parallel, each started from the cell that
	// first reached it, so the result does not depend on GOMAXPROCS.
	type node struct {
		j      latticeKey
		parent []float64
	}
	level := []node{{}}
	seen := map[latticeKey]bool{{}: true}
	fAt := map[latticeKey]float64{} // F at every point fitted, kept or not
	var fs []float64
	drop := opt.drop()
	type result struct {
		f   float64
		q   *family.FullRank
		err error
	}
	for len(level) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(mix.cells)+len(level) > maxCells+2*k*len(level) {
			return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Cells: len(mix.cells) + len(level), MaxCells: maxCells}
		}
		out := make([]result, len(level))
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < min(runtime.GOMAXPROCS(0), len(level)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					f, q, err := c.fit(mix.psiAt(level[i].j), level[i].parent)
					out[i] = result{f, q, err}
				}
			}()
		}
		for i := range level {
			next <- i
		}
		close(next)
		wg.Wait()
		var nextLevel []node
		for i, nd := range level {
			r := out[i]
			if r.err != nil && !errors.Is(r.err, ErrMixture) {
				return nil, r.err
			}
			if r.err == nil {
				fAt[nd.j] = r.f
			}
			if r.err != nil || r.f < fmode-drop {
				continue
			}
			if len(mix.cells) >= maxCells {
				return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Cells: len(mix.cells) + 1, MaxCells: maxCells}
			}
			mix.index[nd.j] = len(mix.cells)
			mix.cells = append(mix.cells, mixCell{j: nd.j, psi: mix.psiAt(nd.j), q: r.q})
			fs = append(fs, r.f)
			phi := r.q.Params(nil)
			for a := 0; a < k; a++ {
				for _, s := range []int32{-1, 1} {
					nj := nd.j
					nj[a] += s
					if !seen[nj] {
						seen[nj] = true
						nextLevel = append(nextLevel, node{j: nj, parent: phi})
					}
				}
			}
		}
		level = nextLevel
	}
	if len(mix.cells) == 0 {
		return nil, &MixtureError{Hyper: k, MaxHyper: maxHyper, Err: fmt.Errorf("%w: no conditional fit converged", ErrMixture)}
	}
	// Each cell's slopes along the axes, from its neighbours' F (central
	// differences, one-sided at the edge), and its mass
	// exp(F_k)·Π_i ∫ e^{g_i t} dt over the cell, corrected to second order
	// for the curvature.
	logMass := make([]float64, len(fs))
	for ci := range mix.cells {
		cell := &mix.cells[ci]
		cell.g = make([]float64, k)
		logMass[ci] = fs[ci]
		for i := 0; i < k; i++ {
			lo, hi := cell.j, cell.j
			lo[i]--
			hi[i]++
			flo, okLo := fAt[lo]
			fhi, okHi := fAt[hi]
			h := 0.5 * mix.step[i]
			switch {
			case okLo && okHi:
				cell.g[i] = (fhi - flo) / (2 * mix.step[i])
				// The curvature's share of the mass: ∫e^{gt + ct²/2} ≈
				// ∫e^{gt}·(1 + ch²/6) to second order.
				c := (fhi - 2*fs[ci] + flo) / (mix.step[i] * mix.step[i])
				logMass[ci] += math.Log1p(math.Max(c*h*h/6, -0.5))
			case okHi:
				cell.g[i] = (fhi - fs[ci]) / mix.step[i]
			case okLo:
				cell.g[i] = (fs[ci] - flo) / mix.step[i]
			}
			logMass[ci] += tiltLogMass(cell.g[i], h)
		}
	}
	// Weights ∝ the masses, normalized by log-sum-exp.
	fmax := floats.Max(logMass)
	total := 0.0
	for _, f := range logMass {
		total += math.Exp(f - fmax)
	}
	mix.cum = make([]float64, len(fs))
	acc := 0.0
	for i, f := range logMass {
		mix.cells[i].w = math.Exp(f-fmax) / total
		acc += mix.cells[i].w
		mix.cum[i] = acc
	}
	mix.cum[len(fs)-1] = 1
	mix.free = make([]int, 0, d-k)
	isHyper := make([]bool, d)
	for _, a := range hyper {
		isHyper[a] = true
	}
	for a := 0; a < d; a++ {
		if !isHyper[a] {
			mix.free = append(mix.free, a)
		}
	}
	mix.betaDim = len(mix.free)
	return &MixtureFit{
		Mixture:     mix,
		LogEvidence: fmax + math.Log(total) - logDetL,
		Fits:        int(c.fits.Load()),
		Evals:       int(c.evals.Load()),
		Trace:       trace,
		Cells:       len(mix.cells),
		Elapsed:     time.Since(start),
	}, nil
}

// startingHyper returns the mean and sd of the hyperparameters under a
// full-rank Gaussian fit of m (or of its easier form, mapped), with sd 1
// where the fit gives none.
func startingHyper(ctx context.Context, m model.Predictors, hyper []int, seed uint64) (psi, sd []float64, err error) {
	var fm model.LogDensity = m
	to := func(dst, theta []float64) { copy(dst, theta) }
	easier := false
	if ws, ok := m.(model.WarmStarter); ok {
		if e, t, ok := ws.Easier(); ok {
			fm, to, easier = e, t, true
		}
	}
	q := family.NewFullRank(fm.Dim())
	ch := Auto(fm, seed)
	if err := ch.Apply(ctx, q); err != nil {
		return nil, nil, err
	}
	res, err := Fit(ctx, fm, q, ch.Estimator, ch.Method, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	mu := make([]float64, m.Dim())
	to(mu, q.Mean(nil))
	var cov mat.SymDense
	q.Cov(&cov)
	psi, sd = make([]float64, len(hyper)), make([]float64, len(hyper))
	for i, a := range hyper {
		psi[i] = mu[a]
		sd[i] = 1 // the easier model's layout may differ: Newton finds the scale
		if !easier && res.Status != optim.Failed {
			if v := cov.At(a, a); v > 0 && !math.IsInf(v, 0) {
				sd[i] = math.Sqrt(v)
			}
		}
	}
	return psi, sd, nil
}

// ballFraction returns the volume of the unit ball over that of the cube
// around it in k dimensions, π^{k/2}/(Γ(k/2+1)·2^k).
func ballFraction(k int) float64 {
	lg, _ := math.Lgamma(float64(k)/2 + 1)
	return math.Exp(float64(k)/2*math.Log(math.Pi) - lg - float64(k)*math.Ln2)
}

// axisCells is the most cells along one axis, by number of
// hyperparameters.
var axisCells = []int{80, 40, 22, 11}

// qmodeParams returns the φ of the fit at the mode, for warm starts.
func qmodeParams(c *conditional) []float64 { return c.lastOK }

// extents returns, for each axis of z, the width over which F stays within
// drop of fmode: walks from the mode in steps of size step along ±e_i,
// each fit started from the previous one, up to 200 steps each way.
func (m *Mixture) extents(c *conditional, fmode, drop, step float64, start []float64) ([]float64, error) {
	k := len(m.hyper)
	ext := make([]float64, k)
	for i := 0; i < k; i++ {
		for _, sgn := range []float64{-1, 1} {
			prev := start
			j := 0
			for j < 200 {
				var z [8]float64
				z[i] = sgn * step * float64(j+1)
				p := m.psiAtZ(z[:k])
				f, q, err := c.fit(p, prev)
				if err != nil && !errors.Is(err, ErrMixture) {
					return nil, err
				}
				if err != nil || f < fmode-drop {
					break
				}
				prev = q.Params(nil)
				j++
			}
			ext[i] += step * float64(j+1)
		}
	}
	return ext, nil
}

// psiAtZ returns ψ* + L⁻ᵀz.
func (m *Mixture) psiAtZ(z []float64) []float64 {
	k := len(m.hyper)
	p := make([]float64, k)
	for i := 0; i < k; i++ {
		v := m.mode[i]
		for jj := i; jj < k; jj++ {
			v += m.linvt[i*k+jj] * z[jj]
		}
		p[i] = v
	}
	return p
}

// psiAt returns ψ at lattice point j: ψ* + L⁻ᵀ(Step·j).
func (m *Mixture) psiAt(j latticeKey) []float64 {
	var z [8]float64
	for i := range m.hyper {
		z[i] = m.step[i] * float64(j[i])
	}
	return m.psiAtZ(z[:len(m.hyper)])
}

// newton maximizes F from psi with finite-difference gradients and
// Hessians (steps of 10⁻³ of each coordinate's scale sd), with a
// backtracking line search; it returns the mode, F there and the Hessian.
func (c *conditional) newton(psi, sd []float64) (mode []float64, fmode float64, hess *mat.SymDense, trace []float64, err error) {
	k := len(psi)
	f0, q0, err := c.fit(psi, nil)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	trace = append(trace, f0)
	c.lastOK = q0.Params(nil)
	h := mat.NewSymDense(k, nil)
	g := make([]float64, k)
	for it := 0; it < 50; it++ {
		if err := c.derivatives(psi, sd, f0, g, h); err != nil {
			return nil, 0, nil, nil, err
		}
		// Newton direction on −F, or the gradient scaled by sd² where −H
		// is not positive definite.
		step := make([]float64, k)
		hn := mat.NewSymDense(k, nil)
		hn.ScaleSym(-1, h)
		var chol mat.Cholesky
		if chol.Factorize(hn) {
			var dv mat.VecDense
			if chol.SolveVecTo(&dv, mat.NewVecDense(k, g)) != nil {
				return nil, 0, nil, nil, fmt.Errorf("%w: singular curvature", ErrMixture)
			}
			copy(step, dv.RawVector().Data)
		} else {
			for i := range step {
				step[i] = g[i] * sd[i] * sd[i]
			}
		}
		// Stop when the predicted gain is negligible.
		if floats.Dot(g, step) < 1e-8 {
			return psi, f0, h, trace, nil
		}
		t := 1.0
		improved := false
		for try := 0; try < 30; try++ {
			cand := make([]float64, k)
			for i := range cand {
				cand[i] = psi[i] + t*step[i]
			}
			f, q, err := c.fit(cand, c.lastOK)
			if err == nil && f > f0 {
				psi, f0, improved = cand, f, true
				c.lastOK = q.Params(nil)
				trace = append(trace, f)
				break
			}
			t *= 0.5
		}
		if !improved {
			return psi, f0, h, trace, nil
		}
	}
	return psi, f0, h, trace, nil
}

// derivatives stores central-difference estimates of ∇F and ∇²F at psi in
// g and h.
func (c *conditional) derivatives(psi, sd []float64, f0 float64, g []float64, h *mat.SymDense) error {
	k := len(psi)
	at := func(di, dj int, si, sj float64) (float64, error) {
		p := append([]float64(nil), psi...)
		p[di] += si
		if dj >= 0 {
			p[dj] += sj
		}
		f, _, err := c.fit(p, c.lastOK)
		return f, err
	}
	step := make([]float64, k)
	for i := range step {
		step[i] = 1e-3 * sd[i]
	}
	fp := make([]float64, k)
	fm := make([]float64, k)
	for i := 0; i < k; i++ {
		var err error
		if fp[i], err = at(i, -1, step[i], 0); err != nil {
			return err
		}
		if fm[i], err = at(i, -1, -step[i], 0); err != nil {
			return err
		}
		g[i] = (fp[i] - fm[i]) / (2 * step[i])
		h.SetSym(i, i, (fp[i]-2*f0+fm[i])/(step[i]*step[i]))
	}
	for i := 0; i < k; i++ {
		for j := 0; j < i; j++ {
			fpp, err := at(i, j, step[i], step[j])
			if err != nil {
				return err
			}
			fmm, err := at(i, j, -step[i], -step[j])
			if err != nil {
				return err
			}
			// f(+,+) + f(−,−) − f(+i) − f(−i) − f(+j) − f(−j) + 2f₀ = 2hᵢⱼsᵢsⱼ.
			v := (fpp + fmm - fp[i] - fm[i] - fp[j] - fm[j] + 2*f0) / (2 * step[i] * step[j])
			h.SetSym(i, j, v)
		}
	}
	return nil
}
