package elbo

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

// Curvature is implemented by estimators that also compute the expected
// gradient and Hessian of the log joint, which second-order updates use:
// the fixed point Σ⁻¹ = −E_q[∇² log p(θ, D)], μ = μ + Σ E_q[∇ log p] of
// Gaussian variational inference (Opper & Archambeau 2009) and the damped
// natural-gradient steps that approach it.
type Curvature interface {
	Estimator
	// ExpectedGradHess returns the ELBO at q and stores
	// E_q[∇_θ log p(θ, D)] in grad (len d) and E_q[∇²_θ log p(θ, D)] in
	// hess (d×d). It returns ErrUnsupported for models or families it
	// cannot handle.
	ExpectedGradHess(grad []float64, hess *mat.SymDense, q family.Family) (float64, error)
}

var _ Curvature = (*Quadrature)(nil)

// SupportsCurvature reports whether Quadrature's ExpectedGradHess works for
// m: a model.Predictors whose terms are unscaled (no non-centered groups)
// and whose likelihood, if it has auxiliary parameters, implements
// model.AuxHessian.
func SupportsCurvature(m model.LogDensity) bool {
	pm, ok := m.(model.Predictors)
	if !ok {
		return false
	}
	l := pm.Layout()
	if l.Scaled() {
		return false
	}
	if len(l.Lik.Aux()) > 0 {
		_, ok := l.Lik.(model.AuxHessian)
		return ok
	}
	return true
}

// ExpectedGradHess implements Curvature for model.Predictors models that
// SupportsCurvature accepts. The value and gradient use the same rules as
// ELBO, so the two agree up to the order of summation.
//
// For other models it uses the tensor-product rule and Stein's identity
// E[∇f εᵀ] = E[∇²f] A, so gradients at the nodes give the expected Hessian.
func (qe *Quadrature) ExpectedGradHess(grad []float64, hess *mat.SymDense, q family.Family) (float64, error) {
	if qe.glm != nil {
		return qe.glm.curvature(grad, hess, q)
	}
	if qe.grid.m == nil {
		return 0, ErrUnsupported
	}
	return qe.grid.curvature(grad, hess, q)
}

// curvTask runs the row pass of ExpectedGradHess.
type curvTask struct{ g *glmEval }

func (c curvTask) Do(w, ch int) { c.g.curvChunk(w, ch) }

// curvBuf holds the per-chunk accumulators of the curvature pass.
type curvBuf struct {
	val  []float64   // per chunk
	grad [][]float64 // per chunk, E[∇] over θ (length d)
	hess [][]float64 // per chunk, d×d lower triangle
}

// lowerAdd adds v to the lower-triangle entry (a, b) of the d×d row-major h.
func lowerAdd(h []float64, d, a, b int, v float64) {
	if a < b {
		a, b = b, a
	}
	h[a*d+b] += v
}

func (g *glmEval) curvature(grad []float64, hess *mat.SymDense, q family.Family) (float64, error) {
	if len(g.keys) > 1 {
		return 0, ErrUnsupported
	}
	if _, ok := g.lik.(model.AuxHessian); g.kl > 0 && !ok {
		return 0, ErrUnsupported
	}
	d := g.d
	if hess.SymmetricDim() != d || len(grad) != d {
		return 0, family.ErrDim
	}
	ok, err := g.setFamily(q)
	if err != nil {
		return 0, err
	}
	if !ok {
		return math.NaN(), nil
	}
	g.setNodes()
	cb := g.curv
	if cb == nil {
		cb = &curvBuf{val: make([]float64, g.chunks)}
		for c := 0; c < g.chunks; c++ {
			cb.grad = append(cb.grad, parallel.Local(d))
			cb.hess = append(cb.hess, parallel.Local(d*d))
		}
		g.curv = cb
	}
	g.growScratch(parallel.Workers(g.chunks))
	g.grp.Run(curvTask{g}, g.chunks)

	// Reduce in chunk order.
	val := 0.0
	clear(grad)
	h := g.hsum
	if h == nil {
		h = make([]float64, d*d)
		g.hsum = h
	}
	clear(h)
	for c := 0; c < g.chunks; c++ {
		val += cb.val[c]
		floats.Add(grad, cb.grad[c])
		floats.Add(h, cb.hess[c])
	}

	// Prior terms: their values and μ-gradients come from the same code as
	// ELBO; the scale gradients they also produce are not needed here.
	g.doGrad = true
	clear(g.gmu)
	if g.gD != nil {
		clear(g.gD)
	}
	clear(g.gB)
	val += g.priorTerms()
	floats.Add(grad, g.gmu)
	g.priorHessian(h)
	val += q.Entropy(nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			hess.SetSym(i, j, h[i*d+j])
		}
	}
	return val, nil
}

// curvChunk is the row pass: per row the ELBO term, E[ℓ'] x (into E[∇]),
// E[ℓ”] x xᵀ (lower triangle; the dense columns' block through
// linalg.Lower), and the auxiliary-parameter blocks.
func (g *glmEval) curvChunk(w, c int) {
	lo, hi := parallel.Range(g.n, g.chunks, c)
	if g.rows != nil {
		lo, hi = parallel.Range(g.nrows, g.chunks, c)
	}
	cb := g.curv
	s := g.ws[w]
	d, k, kl := g.d, g.k, g.kl
	gc, hg := cb.grad[c], cb.hess[c]
	clear(gc)
	clear(hg)
	ah, _ := g.lik.(model.AuxHessian)
	sc := g.scale
	val := 0.0
	da := g.lay.DenseAt
	if g.p > 0 {
		s.low.Reset(hg[da*d+da:], d, g.p)
	}
	for pos := lo; pos < hi; pos++ {
		i := pos
		if g.rows != nil {
			i = g.rows[pos]
		}
		var xrow []float64
		if g.p > 0 {
			xrow = g.rowLay.X.RawRowView(i)
		}
		g.sparse(i, s)
		g.project(xrow, s)
		m0 := s.mr[0]
		S := math.Sqrt(math.Max(s.g[0], 0))
		if g.rowLay.Offset != nil {
			m0 += g.rowLay.Offset[i]
		}
		var av, cc float64
		clear(s.eacc)
		clear(s.gpsi[:kl])
		clear(s.hgam)
		u := s.u[0]
		for j, e := range g.gEps {
			wj := g.gW[j] * sc
			aux := g.nodeAux[j]
			M := m0
			if k > 0 {
				M += floats.Dot(u, e)
			}
			for t, zt := range g.z {
				eta := M + S*zt
				var daux []float64
				if kl > 0 {
					daux = s.daux
				}
				l, d1, d2 := g.logLik(i, j, eta, aux, daux)
				wt := wj * g.wz[t]
				val += wt * l
				av += wt * d1
				cc += wt * d2
				if kl == 0 {
					continue
				}
				ah.LogLikAux2(i, eta, aux, s.deta, s.daa)
				for a := 0; a < kl; a++ {
					// Chain rule to ψ = log aux: ∂/∂ψ = aux·∂/∂aux and
					// ∂²/∂ψ² = aux²·∂²/∂aux² + aux·∂/∂aux.
					s.gpsi[a] += wt * daux[a] * aux[a]
					s.eacc[a] += wt * s.deta[a] * aux[a]
					for b := 0; b <= a; b++ {
						v := s.daa[a*kl+b] * aux[a] * aux[b]
						if a == b {
							v += daux[a] * aux[a]
						}
						s.hgam[a*kl+b] += wt * v
					}
				}
			}
		}
		// E[∇] and the Hessian pieces of this row: dense × dense in
		// blocks of rows, then the sparse entries against everything
		// before them.
		if xrow != nil {
			floats.AddScaled(gc[da:da+g.p], av, xrow)
			s.low.Add(cc, xrow)
		}
		for t, a := range s.si {
			xa := s.sx[t]
			gc[a] += av * xa
			for j, xb := range xrow {
				if xb != 0 {
					lowerAdd(hg, d, a, da+j, cc*xa*xb)
				}
			}
			for t2 := 0; t2 <= t; t2++ {
				v := cc * xa * s.sx[t2]
				if t2 < t && s.si[t2] == a {
					v *= 2 // the same coordinate twice in one row
				}
				lowerAdd(hg, d, a, s.si[t2], v)
			}
		}
		for a := 0; a < kl; a++ {
			pa := g.lay.AuxAt[a]
			gc[pa] += s.gpsi[a]
			for j, xb := range xrow {
				if xb != 0 {
					lowerAdd(hg, d, pa, da+j, s.eacc[a]*xb)
				}
			}
			for t, b := range s.si {
				lowerAdd(hg, d, pa, b, s.eacc[a]*s.sx[t])
			}
			for b := 0; b <= a; b++ {
				lowerAdd(hg, d, pa, g.lay.AuxAt[b], s.hgam[a*kl+b])
			}
		}
	}
	s.low.Flush()
	cb.val[c] = val
}

// priorHessian adds the expected Hessian of the prior terms.
func (g *glmEval) priorHessian(h []float64) {
	d := g.d
	for _, p := range g.lay.Priors {
		a := p.At
		switch p.Kind {
		case model.RealPrior:
			h[a*d+a] += g.coordHess(a, p.Prior, false)
		case model.LogPositive:
			h[a*d+a] += g.coordHess(a, p.Prior, true)
		case model.ScaledNormal:
			if p.ScaleAt < 0 {
				h[a*d+a]--
				continue
			}
			// f = −ψ − ½ b² e^{−2ψ}: f_bb = −e^{−2ψ}, f_bψ = 2b e^{−2ψ},
			// f_ψψ = −2b² e^{−2ψ}; their expectations use the same tilting
			// as centeredTerm.
			sd := p.ScaleAt
			mb, sb := g.marginal(a)
			mp, sp := g.marginal(sd)
			c := g.fac.Cov(a, sd)
			e2 := math.Exp(-2*mp + 2*sp*sp)
			u := mb - 2*c
			h[a*d+a] -= e2
			h[sd*d+sd] -= 2 * e2 * (u*u + sb*sb)
			lowerAdd(h, d, a, sd, 2*e2*u)
		}
	}
}

// coordHess returns E_q[∂² log p(θₐ)] for a prior on one coordinate.
func (g *glmEval) coordHess(a int, pr model.Prior, positive bool) float64 {
	if pr == nil && !positive {
		return 0
	}
	if np, ok := pr.(model.NormalPrior); ok && !positive {
		_, s0 := np.NormalParams()
		return -1 / (s0 * s0)
	}
	m, s := g.marginal(a)
	v := 0.0
	for t, zt := range g.zp {
		var d2 float64
		if positive {
			_, _, d2 = model.LogPositive2(pr, m+s*zt)
		} else {
			_, _, d2 = pr.LogProb(m + s*zt)
		}
		v += g.wp[t] * d2
	}
	return v
}
