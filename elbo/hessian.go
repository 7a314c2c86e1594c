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
	// ExpectedGradHess returns the ELBO at q's current parameters and stores
	// E_q[∇_θ log p(θ, D)] in grad (len d) and E_q[∇²_θ log p(θ, D)] in
	// hess (d×d). It returns ErrUnsupported for models it cannot handle.
	ExpectedGradHess(grad []float64, hess *mat.SymDense, q family.Family) (float64, error)
}

var _ Curvature = (*Quadrature)(nil)

// SupportsCurvature reports whether Quadrature's ExpectedGradHess works for
// m: a *model.Linear without non-centered groups whose likelihood, if it
// has auxiliary parameters, implements model.AuxHessian.
func SupportsCurvature(m model.LogDensity) bool {
	lin, ok := m.(*model.Linear)
	if !ok {
		return false
	}
	for _, g := range lin.Terms().Groups {
		if !g.Centered {
			return false
		}
	}
	if len(lin.Terms().Lik.Aux()) > 0 {
		_, ok := lin.Terms().Lik.(model.AuxHessian)
		return ok
	}
	return true
}

// ExpectedGradHess implements Curvature for Linear models whose rows depend
// on shared parameters only through the likelihood (no non-centered
// groups); likelihoods with auxiliary parameters must implement
// model.AuxHessian. The value and gradient use the same rules as ELBO, so
// the two agree up to the order of summation.
//
// For other models it uses the tensor-product rule and Stein's identity
// E[∇f εᵀ] = E[∇²f] L, so gradients at the nodes give the expected Hessian.
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
	val   []float64   // per chunk
	gcoef [][]float64 // per chunk, E[∇] over θ (length d)
	haux  [][]float64 // per chunk, (coefficient, aux) block: kl × d, row-major by aux
	hpsi  [][]float64 // per chunk, aux × aux
	hrow  [][]float64 // per chunk, d×d lower triangle of the row terms' Hessian
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
	g.setFamily()
	for j, e := range g.gEps {
		for kk := 0; kk < g.kl; kk++ {
			g.nodeAux[j][kk] = math.Exp(g.psiAt(g.auxAt[kk], e))
		}
	}
	g.prepareNodes()
	cb := g.curv
	if cb == nil {
		cb = &curvBuf{val: make([]float64, g.chunks)}
		for c := 0; c < g.chunks; c++ {
			cb.gcoef = append(cb.gcoef, make([]float64, d))
			cb.haux = append(cb.haux, make([]float64, g.kl*d))
			cb.hpsi = append(cb.hpsi, make([]float64, g.kl*g.kl))
			cb.hrow = append(cb.hrow, make([]float64, d*d))
		}
		g.curv = cb
	}
	g.growScratch(parallel.Workers(g.chunks))
	for _, s := range g.ws {
		if s.hx == nil {
			s.hx = make([]float64, d)
			s.hix = make([]int, d)
			s.deta = make([]float64, g.kl)
			s.daa = make([]float64, g.kl*g.kl)
			s.hgam = make([]float64, g.kl*g.kl)
		}
	}
	g.grp.Run(curvTask{g}, g.chunks)

	// Reduce in chunk order.
	val := 0.0
	for i := range grad {
		grad[i] = 0
	}
	h := g.hsum
	if h == nil {
		h = make([]float64, d*d)
		g.hsum = h
	}
	for i := range h {
		h[i] = 0
	}
	for c := 0; c < g.chunks; c++ {
		val += cb.val[c]
		floats.Add(grad, cb.gcoef[c])
		for kk := 0; kk < g.kl; kk++ {
			pa := g.auxAt[kk]
			for a, v := range cb.haux[c][kk*d : (kk+1)*d] {
				h[a*d+pa] += v
			}
			for k2 := 0; k2 <= kk; k2++ {
				h[pa*d+g.auxAt[k2]] += cb.hpsi[c][kk*g.kl+k2]
			}
		}
		floats.Add(h, cb.hrow[c])
	}

	// Prior terms: their values and μ-gradients come from the same code as
	// ELBO; the L-gradients they also produce are not needed here.
	g.doGrad = true
	for i := range g.gmu {
		g.gmu[i] = 0
	}
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

// setFamily points the evaluator at q's current location and scale.
func (g *glmEval) setFamily() {
	if g.diagonal {
		g.mu, g.sig = g.mf.Loc(), g.mf.SD()
		return
	}
	g.mu = g.fr.Loc()
	g.ld = g.fr.Chol().RawTriangular().Data
}

// curvChunk is the row pass: per row the ELBO term, E[ℓ'] x (into E[∇]),
// E[ℓ”] x xᵀ (lower triangle, by axpy over contiguous dense columns), and
// the auxiliary-parameter blocks.
func (g *glmEval) curvChunk(w, c int) {
	lo, hi := parallel.Range(g.n, g.chunks, c)
	if g.rows != nil {
		lo, hi = parallel.Range(g.nrows, g.chunks, c)
	}
	cb := g.curv
	s := g.ws[w]
	d, k, kl := g.d, g.k, g.kl
	gc, ha, hp := cb.gcoef[c], cb.haux[c], cb.hpsi[c]
	hg := cb.hrow[c]
	for i := range hg {
		hg[i] = 0
	}
	for i := range gc {
		gc[i] = 0
	}
	for i := range ha {
		ha[i] = 0
	}
	for i := range hp {
		hp[i] = 0
	}
	ah, _ := g.lik.(model.AuxHessian)
	key := g.keys[0]
	sc := g.scale
	val := 0.0
	for pos := lo; pos < hi; pos++ {
		i := pos
		if g.rows != nil {
			i = g.rows[pos]
		}
		var xrow []float64
		if key.dense {
			xrow = g.t.X.RawRowView(i)
		}
		// Sparse group entries of the row.
		ns := 0
		for _, gi := range key.groups {
			s.hix[ns], s.hx[ns] = g.groupEntry(gi, i)
			ns++
		}
		m0, S2 := 0.0, 0.0
		var u []float64
		if g.diagonal {
			for j, xa := range xrow {
				a := g.coefAt + j
				m0 += xa * g.mu[a]
				v := xa * g.sig[a]
				S2 += v * v
			}
			for t := 0; t < ns; t++ {
				a, xa := s.hix[t], s.hx[t]
				m0 += xa * g.mu[a]
				v := xa * g.sig[a]
				S2 += v * v
			}
		} else {
			wr := s.w[0]
			for a := range wr {
				wr[a] = 0
			}
			for j, xa := range xrow {
				if xa == 0 {
					continue
				}
				a := g.coefAt + j
				m0 += xa * g.mu[a]
				floats.AddScaled(wr[:a+1], xa, g.ld[a*d:a*d+a+1])
			}
			for t := 0; t < ns; t++ {
				a, xa := s.hix[t], s.hx[t]
				m0 += xa * g.mu[a]
				floats.AddScaled(wr[:a+1], xa, g.ld[a*d:a*d+a+1])
			}
			u = wr[:k]
			v := wr[k:]
			S2 = floats.Dot(v, v)
		}
		S := math.Sqrt(S2)
		if g.t.Offset != nil {
			m0 += g.t.Offset[i]
		}
		var av, cc float64
		for t := range s.eacc {
			s.eacc[t] = 0
		}
		for t := range s.gpsi[:min(len(s.gpsi), kl)] {
			s.gpsi[t] = 0
		}
		for t := range s.hgam {
			s.hgam[t] = 0
		}
		for j, e := range g.gEps {
			wj := g.gW[j] * sc
			aux := g.nodeAux[j]
			M := m0
			if u != nil && k > 0 {
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
		// E[∇] and the Hessian pieces of this row.
		if xrow != nil {
			floats.AddScaled(gc[g.coefAt:g.coefAt+g.p], av, xrow)
		}
		if xrow != nil {
			for j, xa := range xrow {
				if xa != 0 {
					a := g.coefAt + j
					floats.AddScaled(hg[a*d+g.coefAt:a*d+a+1], cc*xa, xrow[:j+1])
				}
			}
		}
		for t := 0; t < ns; t++ {
			a, xa := s.hix[t], s.hx[t]
			gc[a] += av * xa
			// Group × dense and group × group entries (group indices come
			// after the dense coefficients, so these are in the lower
			// triangle).
			row := hg[a*d : a*d+a+1]
			if xrow != nil {
				floats.AddScaled(row[g.coefAt:g.coefAt+g.p], cc*xa, xrow)
			}
			for t2 := 0; t2 <= t; t2++ {
				row[s.hix[t2]] += cc * xa * s.hx[t2]
			}
		}
		for a := 0; a < kl; a++ {
			gc[g.auxAt[a]] += s.gpsi[a]
			hrow := ha[a*d : (a+1)*d]
			if xrow != nil {
				floats.AddScaled(hrow[g.coefAt:g.coefAt+g.p], s.eacc[a], xrow)
			}
			for t := 0; t < ns; t++ {
				hrow[s.hix[t]] += s.eacc[a] * s.hx[t]
			}
			for b := 0; b <= a; b++ {
				hp[a*kl+b] += s.hgam[a*kl+b]
			}
		}
	}
	cb.val[c] = val
}

// priorHessian adds the expected Hessian of the prior terms.
func (g *glmEval) priorHessian(h []float64) {
	d := g.d
	for j := 0; j < g.p; j++ {
		a := g.coefAt + j
		h[a*d+a] += g.coordHess(a, g.m.CoefPrior(j), false)
	}
	for kk := 0; kk < g.kl; kk++ {
		a := g.auxAt[kk]
		h[a*d+a] += g.coordHess(a, g.m.AuxPrior(kk), true)
	}
	for gi, gr := range g.t.Groups {
		sd := g.m.SDIndex(gi)
		h[sd*d+sd] += g.coordHess(sd, gr.SD, true)
		for l := range gr.Levels {
			a := g.groupAt[gi] + l
			if !gr.Centered {
				h[a*d+a]--
				continue
			}
			// f = −ψ − ½ b² e^{−2ψ}: f_bb = −e^{−2ψ}, f_bψ = 2b e^{−2ψ},
			// f_ψψ = −2b² e^{−2ψ}; their expectations use the same tilting
			// as centeredTerm.
			mb, sb := g.marginal(a)
			mp, sp := g.marginal(sd)
			c := 0.0
			if !g.diagonal {
				c = floats.Dot(g.ld[a*d:a*d+sd+1], g.ld[sd*d:sd*d+sd+1])
			}
			e2 := math.Exp(-2*mp + 2*sp*sp)
			u := mb - 2*c
			h[a*d+a] -= e2
			h[sd*d+sd] -= 2 * e2 * (u*u + sb*sb)
			h[a*d+sd] += 2 * e2 * u
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
