package elbo

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/internal/rng"
	"github.com/govi-dev/govi/model"
)

// MonteCarlo estimates the ELBO with S reparameterized draws θₛ = μ + Lεₛ:
//
//	ELBO ≈ (1/S) Σₛ log p(θₛ, D) + H(q),
//
// with the entropy in closed form, or, for a model.GaussianPrior,
// (1/S) Σₛ log p(D | θₛ) − KL(q ‖ p) with the KL in closed form. Draw s of
// call t uses its own ChaCha8 stream keyed by (Seed, t, s), and draws are
// reduced in a fixed order, so results do not depend on GOMAXPROCS.
type MonteCarlo struct {
	// Draws is S; zero means 16. With Antithetic it is rounded up to even.
	Draws int
	// Antithetic uses pairs (ε, −ε), which cancels the odd part of the
	// integrand and lowers the variance for near-symmetric posteriors.
	Antithetic bool
	// Fixed reuses the same draws at every call, which turns the objective
	// into a deterministic sample-average approximation that L-BFGS can
	// optimize (Giordano, Ingram & Broderick 2024, "Black box variational
	// inference with a deterministic objective").
	Fixed bool
	// Seed keys the random streams.
	Seed uint64
	// MaxDropped is the number of draws per evaluation whose log density or
	// gradient is not finite that may be dropped (the rest are reweighted),
	// as Stan's ADVI does; with more, the evaluation is non-finite and the
	// optimizer rejects the step. Zero means S/4 for random draws and none
	// for Fixed draws (dropping would make the objective discontinuous);
	// negative means none.
	MaxDropped int
	// NoClosedForm disables the closed-form KL for GaussianPrior models
	// (used to test that both routes agree).
	NoClosedForm bool

	ev    pointEval
	calls uint64
}

var _ Curvature = (*MonteCarlo)(nil)

// Init implements Estimator.
func (mc *MonteCarlo) Init(m model.LogDensity, q family.Family) error {
	s := mc.Draws
	if s <= 0 {
		s = 16
	}
	if mc.Antithetic && s%2 == 1 {
		s++
	}
	mc.calls = 0
	if err := mc.ev.init(m, q, s, (*mcSource)(mc), !mc.NoClosedForm); err != nil {
		return err
	}
	switch {
	case mc.MaxDropped < 0 || (mc.MaxDropped == 0 && mc.Fixed):
		mc.ev.maxDrop = 0
	case mc.MaxDropped == 0:
		mc.ev.maxDrop = s / 4
	default:
		mc.ev.maxDrop = mc.MaxDropped
	}
	return nil
}

// Deterministic reports whether draws are fixed.
func (mc *MonteCarlo) Deterministic() bool { return mc.Fixed }

// ELBO implements Estimator.
func (mc *MonteCarlo) ELBO(grad []float64, q family.Family) float64 {
	if mc.ev.m == nil {
		panic(ErrNotInit)
	}
	v := mc.ev.eval(grad, q)
	if !mc.Fixed {
		mc.calls++
	}
	return v
}

// SetRows restricts the likelihood to the given rows of a model.Rows,
// scaled by N/len(rows) so the estimate stays unbiased for the full ELBO
// over random subsets (minibatches); nil restores all rows. It returns
// ErrUnsupported for models that are not model.Rows.
func (mc *MonteCarlo) SetRows(rows []int) error {
	rm, ok := mc.ev.m.(model.Rows)
	if !ok || mc.ev.gp != nil {
		return ErrUnsupported
	}
	mc.ev.rm, mc.ev.rows = rm, rows
	mc.ev.rowScale = 1
	if rows != nil {
		mc.ev.rowScale = float64(rm.NumRows()) / float64(len(rows))
	}
	return nil
}

// Dropped returns the number of draws dropped in all evaluations so far.
func (mc *MonteCarlo) Dropped() int { return mc.ev.totalDropped }

// StdErr returns the Monte Carlo standard error of the last ELBO estimate
// (the sd of the per-draw terms over √S; for antithetic pairs, of the pair
// means over √(S/2)).
func (mc *MonteCarlo) StdErr() float64 {
	v := mc.ev.vals
	if mc.ev.lastDropped > 0 {
		var kept []float64
		for _, x := range v {
			if !math.IsNaN(x) {
				kept = append(kept, x)
			}
		}
		v = kept
	}
	if mc.Antithetic && mc.ev.lastDropped == 0 {
		var s, s2 float64
		n := len(v) / 2
		for i := 0; i < n; i++ {
			x := 0.5 * (v[2*i] + v[2*i+1])
			s += x
			s2 += x * x
		}
		return sdOverRootN(s, s2, n)
	}
	var s, s2 float64
	for _, x := range v {
		s += x
		s2 += x * x
	}
	return sdOverRootN(s, s2, len(v))
}

func sdOverRootN(s, s2 float64, n int) float64 {
	if n < 2 {
		return math.NaN()
	}
	m := s / float64(n)
	v := (s2 - float64(n)*m*m) / float64(n-1)
	if v < 0 {
		v = 0
	}
	return math.Sqrt(v / float64(n))
}

type mcSource MonteCarlo

func (s *mcSource) point(st *rng.Stream, eps []float64, i int) float64 {
	w := 1 / float64(s.ev.n)
	call := s.calls
	if s.Antithetic {
		st.Reset(s.Seed, rng.ELBO, call, uint64(i/2))
		for j := range eps {
			eps[j] = st.NormFloat64()
		}
		if i%2 == 1 {
			for j := range eps {
				eps[j] = -eps[j]
			}
		}
		return w
	}
	st.Reset(s.Seed, rng.ELBO, call, uint64(i))
	for j := range eps {
		eps[j] = st.NormFloat64()
	}
	return w
}

// source produces the points εᵢ and weights of an estimator.
type source interface {
	// point stores εᵢ in eps and returns its weight; st is the calling
	// worker's stream.
	point(st *rng.Stream, eps []float64, i int) float64
}

// pointEval evaluates Σᵢ wᵢ f(θ(εᵢ)) and its φ-gradient in parallel over
// fixed chunks of points.
type pointEval struct {
	m     model.Differentiable
	gp    model.GaussianPrior // non-nil when the prior is handled in closed form
	prior *family.Normal
	src   source
	n     int
	useKL bool // this evaluation uses the closed-form KL (gp set and q Gaussian)

	q      family.Family
	doGrad bool

	chunks int
	// per worker
	theta, eps, g [][]float64
	st            []*rng.Stream
	// per chunk
	cval  []float64
	cw    []float64 // weight of the kept points
	cdrop []int
	cgrad [][]float64
	// dropping of non-finite points
	maxDrop, lastDropped, totalDropped int
	// row subset (model.Rows), nil for all rows
	rm       model.Rows
	rows     []int
	rowScale float64
	// curvature mode: per chunk Σ w∇f and Σ w∇f εᵀ (d×d)
	curv    bool
	cgv, cG [][]float64
	// per point
	vals []float64
	glen int // len(φ) the gradient accumulators are sized for

	grp parallel.Group
}

func (p *pointEval) init(m model.LogDensity, q family.Family, n int, src source, closedForm bool) error {
	dm, ok := m.(model.Differentiable)
	if !ok {
		return ErrUnsupported
	}
	d := m.Dim()
	if q.Dim() != d {
		return family.ErrDim
	}
	*p = pointEval{m: dm, src: src, n: n, glen: q.Len()}
	if gp, ok := m.(model.GaussianPrior); ok && closedForm {
		mean, cov := gp.Prior()
		pr, err := family.NewNormal(mean, cov)
		if err != nil {
			return err
		}
		p.gp, p.prior = gp, pr
	}
	p.chunks = parallel.Chunks(n, 1, 64)
	nw := parallel.Workers(p.chunks)
	if nw < 1 {
		nw = 1
	}
	// Workers are bounded by GOMAXPROCS at Run time; allocate for the
	// current value and grow lazily if it rises.
	p.grow(nw, d, q.NoiseDim())
	p.cval = make([]float64, p.chunks)
	p.cw = make([]float64, p.chunks)
	p.cdrop = make([]int, p.chunks)
	p.cgrad = make([][]float64, p.chunks)
	for c := range p.cgrad {
		p.cgrad[c] = make([]float64, q.Len())
	}
	p.vals = make([]float64, n)
	return nil
}

// grow makes per-worker scratch for nw workers and noise of length r.
func (p *pointEval) grow(nw, d, r int) {
	if len(p.eps) > 0 && len(p.eps[0]) != r {
		for w := range p.eps {
			p.eps[w] = make([]float64, r)
		}
	}
	for len(p.theta) < nw {
		p.theta = append(p.theta, make([]float64, d))
		p.eps = append(p.eps, make([]float64, r))
		p.g = append(p.g, make([]float64, d))
		p.st = append(p.st, rng.NewStream(0, 0, 0, 0))
	}
}

// setFamily checks q and sizes the gradient accumulators for it.
func (p *pointEval) setFamily(q family.Family) {
	if q.Dim() != p.m.Dim() {
		panic(family.ErrDim)
	}
	p.q = q
	_, gauss := q.(family.Gaussian)
	p.useKL = p.gp != nil && gauss
	if q.Len() != p.glen {
		p.glen = q.Len()
		for c := range p.cgrad {
			p.cgrad[c] = make([]float64, p.glen)
		}
	}
	p.grow(parallel.Workers(p.chunks), p.m.Dim(), q.NoiseDim())
}

func (p *pointEval) eval(grad []float64, q family.Family) float64 {
	p.setFamily(q)
	p.doGrad = grad != nil
	p.grp.Run(p, p.chunks)
	v, wsum, drop := 0.0, 0.0, 0
	for c := 0; c < p.chunks; c++ {
		v += p.cval[c]
		wsum += p.cw[c]
		drop += p.cdrop[c]
	}
	p.lastDropped = drop
	p.totalDropped += drop
	if drop > p.maxDrop || wsum <= 0 {
		if grad != nil {
			for i := range grad {
				grad[i] = math.NaN()
			}
		}
		return math.NaN()
	}
	// Reweight the kept points; the weights sum to one when none was dropped.
	v /= wsum
	if grad != nil {
		for i := range grad {
			grad[i] = 0
		}
		for c := 0; c < p.chunks; c++ {
			for i, x := range p.cgrad[c] {
				grad[i] += x
			}
		}
		for i := range grad {
			grad[i] /= wsum
		}
	}
	if p.useKL {
		v -= p.prior.KL(grad, -1, q.(family.Gaussian))
	} else {
		v += q.Entropy(grad)
	}
	return v
}

// Do evaluates the points of chunk c.
func (p *pointEval) Do(w, c int) {
	lo, hi := parallel.Range(p.n, p.chunks, c)
	theta, eps, g, st := p.theta[w], p.eps[w], p.g[w], p.st[w]
	acc := p.cgrad[c]
	if p.doGrad {
		for i := range acc {
			acc[i] = 0
		}
	}
	var cg, cG []float64
	if p.curv {
		cg, cG = p.cgv[c], p.cG[c]
		clear(cg)
		clear(cG)
	}
	sum, wsum, drop := 0.0, 0.0, 0
	for i := lo; i < hi; i++ {
		wt := p.src.point(st, eps, i)
		p.q.Transform(theta, eps)
		var f float64
		switch {
		case p.curv:
			// The full log density: E[∇ log p] and E[∇² log p] include the
			// prior, so the closed-form KL route does not apply here.
			f = p.m.LogDensityGrad(g, theta)
		case p.rows != nil && p.doGrad:
			f = p.rm.LogDensityRows(g, theta, p.rows, p.rowScale)
		case p.rows != nil:
			f = p.rm.LogDensityRows(nil, theta, p.rows, p.rowScale)
		case p.useKL && p.doGrad:
			f = p.gp.LogLikGrad(g, theta)
		case p.useKL:
			f = p.gp.LogLikGrad(nil, theta)
		case p.doGrad:
			f = p.m.LogDensityGrad(g, theta)
		default:
			f = p.m.LogDensity(theta)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || (p.doGrad && !model.AllFinite(g)) {
			p.vals[i] = math.NaN()
			drop++
			continue
		}
		p.vals[i] = f
		sum += wt * f
		wsum += wt
		switch {
		case p.curv:
			// Stein's identity E[∇f εᵀ] = E[∇²f] L turns gradients at the
			// points into the expected Hessian.
			d := len(g)
			for a, ga := range g {
				cg[a] += wt * ga
				floats.AddScaled(cG[a*d:(a+1)*d], wt*ga, eps)
			}
		case p.doGrad:
			p.q.Backprop(acc, wt, g, eps)
		}
	}
	p.cval[c], p.cw[c], p.cdrop[c] = sum, wsum, drop
}

// curvature returns the ELBO and stores E_q[∇ log p] and E_q[∇² log p],
// the latter from E[∇f εᵀ] = E[∇²f] A (Stein's identity), solved for a
// square lower-triangular A (the mean-field and full-rank factors),
// symmetrized.
func (p *pointEval) curvature(grad []float64, hess *mat.SymDense, q family.Family) (float64, error) {
	a, ok := squareFactor(q)
	if !ok {
		return 0, ErrUnsupported
	}
	d := p.m.Dim()
	if len(grad) != d || hess.SymmetricDim() != d {
		return 0, family.ErrDim
	}
	if p.cgv == nil {
		p.cgv = make([][]float64, p.chunks)
		p.cG = make([][]float64, p.chunks)
		for c := range p.cgv {
			p.cgv[c] = make([]float64, d)
			p.cG[c] = make([]float64, d*d)
		}
	}
	p.setFamily(q)
	p.doGrad, p.curv = true, true
	p.grp.Run(p, p.chunks)
	p.curv = false
	v, wsum, drop := 0.0, 0.0, 0
	clear(grad)
	gsum := mat.NewDense(d, d, nil)
	raw := gsum.RawMatrix().Data
	for c := 0; c < p.chunks; c++ {
		v += p.cval[c]
		wsum += p.cw[c]
		drop += p.cdrop[c]
		floats.Add(grad, p.cgv[c])
		floats.Add(raw, p.cG[c])
	}
	if drop > p.maxDrop || wsum <= 0 {
		return math.NaN(), nil
	}
	v /= wsum
	floats.Scale(1/wsum, grad)
	floats.Scale(1/wsum, raw)
	// H = G A⁻¹: solve H A = G, with A lower triangular.
	blas64.Trsm(blas.Right, blas.NoTrans, 1, a.RawTriangular(), gsum.RawMatrix())
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			hess.SetSym(i, j, 0.5*(raw[i*d+j]+raw[j*d+i]))
		}
	}
	return v + q.Entropy(nil), nil
}

// squareFactor returns A of θ = μ + Aε when it is square and lower
// triangular (NoiseDim = Dim), from the family's factor view.
func squareFactor(q family.Family) (*mat.TriDense, bool) {
	qg, ok := q.(family.Gaussian)
	if !ok {
		return nil, false
	}
	f := qg.Factor()
	d := q.Dim()
	a := mat.NewTriDense(d, mat.Lower, nil)
	switch {
	case f.D != nil && f.K == 0:
		for i, v := range f.D {
			a.SetTri(i, i, v)
		}
	case f.D == nil && f.K == d && f.Lower:
		for i := 0; i < d; i++ {
			for j, v := range f.Row(i) {
				a.SetTri(i, j, v)
			}
		}
	default:
		return nil, false
	}
	return a, true
}

// ExpectedGradHess implements Curvature for Fixed draws, from gradients at
// the draws by Stein's identity (so any differentiable model works). The
// identity holds in expectation, so the Hessian has Monte Carlo error of
// order 1/√S; natural-gradient steps use it as a preconditioner, and
// optim.Fallback with L-BFGS finishes at the exact optimum of the fixed
// draws. It returns ErrUnsupported for random draws, whose objective is
// not deterministic.
func (mc *MonteCarlo) ExpectedGradHess(grad []float64, hess *mat.SymDense, q family.Family) (float64, error) {
	if !mc.Fixed || mc.ev.m == nil || mc.ev.rows != nil {
		return 0, ErrUnsupported
	}
	return mc.ev.curvature(grad, hess, q)
}
