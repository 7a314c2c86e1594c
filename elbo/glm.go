package elbo

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

const halfLog2Pi = 0.91893853320467274178032973640561763986139747363778

// scaleKey groups the parts of a row's design that share a multiplier:
// key 0 holds the dense columns and centered group terms (multiplier 1);
// every other key holds one non-centered group term, multiplied by its sd
// τ = exp(θ[sdAt]).
type scaleKey struct {
	dense  bool
	groups []int
	sdAt   int
}

// glmEval is the structured quadrature for a *model.Linear.
//
// Notation (per row i and per node j of the grid over ε[0:k]): the row's
// design splits by key r into vectors x⁽ʳ⁾ over θ, and
//
//	ηᵢ | ε[0:k] ~ N(M, S²),  M = offᵢ + Σᵣ τᵣ (mᵣ + uᵣ·εʲ),  S² = Σᵣᵣ' τᵣτᵣ' Gᵣᵣ'
//
// with mᵣ = μᵀx⁽ʳ⁾, wᵣ = Lᵀx⁽ʳ⁾, uᵣ = wᵣ[0:k], vᵣ = wᵣ[k:], Gᵣᵣ' = vᵣ·vᵣ'.
type glmEval struct {
	m   *model.Linear
	lik model.Likelihood
	t   model.Terms

	n, p, d  int
	k, kl    int // grid dims, likelihood aux count
	coefAt   int
	auxAt    []int
	groupAt  []int
	keys     []scaleKey
	rows     []int
	scale    float64
	nrows    int
	z, wz    []float64 // rule over η
	zp, wp   []float64 // rule for one-coordinate priors
	gEps     [][]float64
	gW       []float64
	nodeAux  [][]float64
	nodeTau  [][]float64
	cached   model.AuxCached // the likelihood's per-aux cache, if it has one
	nodeC    [][]float64     // its cache at each grid node
	diagonal bool

	// current family
	mu   []float64
	ld   []float64 // L row-major d×d (full-rank), lower triangle used
	sig  []float64 // σ (mean-field)
	fr   *family.FullRank
	mf   *family.MeanField
	lmat mat.TriDense

	doGrad bool
	chunks int
	cval   []float64
	cgmu   [][]float64
	cgs    [][]float64 // per chunk: ∂/∂L (d×d) or ∂/∂σ (d)
	gmu    []float64
	gs     []float64
	gL     *mat.Dense
	ws     []*glmScratch
	grp    parallel.Group
	// curvature pass buffers, allocated on first use
	curv *curvBuf
	hsum []float64
}

type glmScratch struct {
	w     [][]float64 // per key, length d (full-rank)
	mr    []float64
	g     []float64 // Gram (R+1)²
	alpha []float64
	beta  [][]float64 // per key, length k
	gamma []float64   // (R+1)²
	y     []float64   // length d
	gpsi  []float64   // length k
	mrj   []float64
	daux  []float64
	eacc  []float64
	tauGr []float64
	// curvature pass
	hx        []float64
	hix       []int
	deta, daa []float64
	hgam      []float64
}

func newGLMEval(m *model.Linear, q family.Family, opt *Quadrature) (*glmEval, error) {
	if q.Dim() != m.Dim() {
		return nil, family.ErrDim
	}
	t := m.Terms()
	g := &glmEval{
		m: m, lik: t.Lik, t: t,
		n: m.NumRows(), p: m.NumCoef(), d: m.Dim(),
		k: m.RowAux(), kl: len(t.Lik.Aux()),
		coefAt: m.CoefIndex(0), scale: 1,
	}
	g.auxAt = make([]int, g.kl)
	for k := range g.auxAt {
		g.auxAt[k] = m.AuxIndex(k)
	}
	g.groupAt = make([]int, len(t.Groups))
	key0 := scaleKey{dense: g.p > 0, sdAt: -1}
	var others []scaleKey
	for gi, gr := range t.Groups {
		g.groupAt[gi] = m.GroupIndex(gi, 0)
		if gr.Centered {
			key0.groups = append(key0.groups, gi)
		} else {
			others = append(others, scaleKey{groups: []int{gi}, sdAt: m.SDIndex(gi)})
		}
	}
	g.keys = append([]scaleKey{key0}, others...)
	switch f := q.(type) {
	case *family.FullRank:
		g.fr = f
	case *family.MeanField:
		g.mf = f
		g.diagonal = true
	default:
		return nil, ErrUnsupported
	}

	// Rule over η.
	nz := opt.Nodes
	if nz <= 0 {
		nz = 16
		if pl, ok := t.Lik.(model.Polynomial); ok && pl.Degree() <= 3 {
			nz = 2
		}
	}
	g.z, g.wz = GaussHermite(nz)
	np := opt.PriorNodes
	if np <= 0 {
		np = 40
	}
	g.zp, g.wp = GaussHermite(np)

	// Grid over ε[0:k].
	na := opt.AuxNodes
	if na <= 0 {
		na = [...]int{1, 8, 6, 5, 4}[min(g.k, 4)]
	}
	size := 1
	for i := 0; i < g.k; i++ {
		size *= na
	}
	max := opt.MaxPoints
	if max <= 0 {
		max = 100000
	}
	if size > max {
		return nil, &GridError{Dim: g.k, Nodes: na, Points: float64(size), Max: max}
	}
	za, wa := GaussHermite(na)
	g.gEps = make([][]float64, size)
	g.gW = make([]float64, size)
	g.nodeAux = make([][]float64, size)
	g.nodeTau = make([][]float64, size)
	for j := 0; j < size; j++ {
		e := make([]float64, g.k)
		wt := 1.0
		ix := j
		for i := 0; i < g.k; i++ {
			e[i] = za[ix%na]
			wt *= wa[ix%na]
			ix /= na
		}
		g.gEps[j], g.gW[j] = e, wt
		g.nodeAux[j] = make([]float64, g.kl)
		g.nodeTau[j] = make([]float64, len(g.keys))
	}
	if ac, ok := t.Lik.(model.AuxCached); ok && g.kl > 0 {
		g.cached = ac
		g.nodeC = make([][]float64, size)
		for j := range g.nodeC {
			g.nodeC[j] = make([]float64, ac.AuxCacheLen())
		}
	}

	g.setRows(nil)
	d := g.d
	maxC := (1 << 24) / (d*d + 1)
	if g.diagonal {
		maxC = 64
	}
	maxC = max1(min(maxC, 64))
	// Chunks are fixed from the full data so that SetRows does not change them.
	g.chunks = parallel.Chunks(g.n, 128, maxC)
	g.cval = make([]float64, g.chunks)
	g.cgmu = make([][]float64, g.chunks)
	g.cgs = make([][]float64, g.chunks)
	ns := d * d
	if g.diagonal {
		ns = d
	}
	for c := range g.cgmu {
		g.cgmu[c] = make([]float64, d)
		g.cgs[c] = make([]float64, ns)
	}
	g.gmu = make([]float64, d)
	g.gs = make([]float64, ns)
	if !g.diagonal {
		g.gL = mat.NewDense(d, d, g.gs)
		g.lmat = *mat.NewTriDense(d, mat.Lower, nil)
	}
	g.growScratch(parallel.Workers(g.chunks))
	return g, nil
}

func max1(x int) int {
	if x < 1 {
		return 1
	}
	return x
}

func (g *glmEval) setRows(rows []int) {
	g.rows = rows
	if rows == nil {
		g.nrows = g.n
		g.scale = 1
		return
	}
	g.nrows = len(rows)
	g.scale = float64(g.n) / float64(len(rows))
}

func (g *glmEval) growScratch(nw int) {
	R := len(g.keys)
	for len(g.ws) < nw {
		s := &glmScratch{
			w:     make([][]float64, R),
			beta:  make([][]float64, R),
			mr:    make([]float64, R),
			g:     make([]float64, R*R),
			alpha: make([]float64, R),
			gamma: make([]float64, R*R),
			y:     make([]float64, g.d),
			gpsi:  make([]float64, g.k),
			mrj:   make([]float64, R),
			daux:  make([]float64, g.kl),
			eacc:  make([]float64, g.kl),
			tauGr: make([]float64, R),
		}
		for r := range s.w {
			s.w[r] = make([]float64, g.d)
			s.beta[r] = make([]float64, g.k)
		}
		g.ws = append(g.ws, s)
	}
}

// eval returns the ELBO and stores its gradient.
func (g *glmEval) eval(grad []float64, q family.Family) float64 {
	g.doGrad = grad != nil
	d := g.d
	if g.diagonal {
		g.mu, g.sig = g.mf.Loc(), g.mf.SD()
	} else {
		g.mu = g.fr.Loc()
		raw := g.fr.Chol().RawTriangular()
		if raw.Stride != d {
			panic("elbo: unexpected stride")
		}
		g.ld = raw.Data
	}
	// Shared parameters at each grid node: ψʲ = μ[0:k] + L[0:k,0:k]εʲ.
	for j, e := range g.gEps {
		for kk := 0; kk < g.kl; kk++ {
			g.nodeAux[j][kk] = math.Exp(g.psiAt(g.auxAt[kk], e))
		}
		tau := g.nodeTau[j]
		tau[0] = 1
		for r := 1; r < len(g.keys); r++ {
			tau[r] = math.Exp(g.psiAt(g.keys[r].sdAt, e))
		}
	}
	g.prepareNodes()
	g.growScratch(parallel.Workers(g.chunks))
	g.grp.Run(g, g.chunks)

	val := 0.0
	for c := 0; c < g.chunks; c++ {
		val += g.cval[c]
	}
	if g.doGrad {
		copy(g.gmu, g.cgmu[0])
		copy(g.gs, g.cgs[0])
		for c := 1; c < g.chunks; c++ {
			floats.Add(g.gmu, g.cgmu[c])
			floats.Add(g.gs, g.cgs[c])
		}
	}
	val += g.priorTerms()
	if g.doGrad {
		for i := range grad {
			grad[i] = 0
		}
		if g.diagonal {
			g.mf.BackpropDiag(grad, g.gmu, g.gs)
		} else {
			g.fr.BackpropLocScale(grad, g.gmu, g.gL)
		}
	}
	val += q.Entropy(grad)
	return val
}

// psiAt returns θ[a] = μₐ + L[a,0:k]·ε for a < k.
func (g *glmEval) psiAt(a int, e []float64) float64 {
	if g.diagonal {
		return g.mu[a] + g.sig[a]*e[a]
	}
	return g.mu[a] + floats.Dot(g.ld[a*g.d:a*g.d+a+1], e[:a+1])
}

// Do processes chunk c of the rows.
func (g *glmEval) Do(w, c int) {
	lo, hi := parallel.Range(g.n, g.chunks, c)
	// With a row subset, chunk c covers the same fraction of the subset.
	if g.rows != nil {
		lo, hi = parallel.Range(g.nrows, g.chunks, c)
	}
	s := g.ws[w]
	gmu, gs := g.cgmu[c], g.cgs[c]
	if g.doGrad {
		for i := range gmu {
			gmu[i] = 0
		}
		for i := range gs {
			gs[i] = 0
		}
	}
	val := 0.0
	for pos := lo; pos < hi; pos++ {
		i := pos
		if g.rows != nil {
			i = g.rows[pos]
		}
		val += g.row(i, s, gmu, gs)
	}
	g.cval[c] = val
}

// row returns the row's quadrature value and adds its gradient.
func (g *glmEval) row(i int, s *glmScratch, gmu, gs []float64) float64 {
	R := len(g.keys)
	d, k := g.d, g.k
	var xrow []float64
	if g.p > 0 {
		xrow = g.t.X.RawRowView(i)
	}
	// Projections.
	for r, key := range g.keys {
		mr := 0.0
		if g.diagonal {
			gg := 0.0
			if key.dense {
				for j, xa := range xrow {
					if xa == 0 {
						continue
					}
					a := g.coefAt + j
					mr += xa * g.mu[a]
					v := xa * g.sig[a]
					gg += v * v
				}
			}
			for _, gi := range key.groups {
				a, xa := g.groupEntry(gi, i)
				mr += xa * g.mu[a]
				v := xa * g.sig[a]
				gg += v * v
			}
			for r2 := 0; r2 < R; r2++ {
				s.g[r*R+r2] = 0
			}
			s.g[r*R+r] = gg
		} else {
			wr := s.w[r]
			for a := range wr {
				wr[a] = 0
			}
			if key.dense {
				for j, xa := range xrow {
					if xa == 0 {
						continue
					}
					a := g.coefAt + j
					mr += xa * g.mu[a]
					floats.AddScaled(wr[:a+1], xa, g.ld[a*d:a*d+a+1])
				}
			}
			for _, gi := range key.groups {
				a, xa := g.groupEntry(gi, i)
				mr += xa * g.mu[a]
				floats.AddScaled(wr[:a+1], xa, g.ld[a*d:a*d+a+1])
			}
		}
		s.mr[r] = mr
	}
	if !g.diagonal {
		for r := 0; r < R; r++ {
			for r2 := 0; r2 <= r; r2++ {
				v := floats.Dot(s.w[r][k:], s.w[r2][k:])
				s.g[r*R+r2] = v
				s.g[r2*R+r] = v
			}
		}
	}
	off := 0.0
	if g.t.Offset != nil {
		off = g.t.Offset[i]
	}
	if g.doGrad {
		for r := 0; r < R; r++ {
			s.alpha[r] = 0
			for kk := range s.beta[r] {
				s.beta[r][kk] = 0
			}
			for r2 := 0; r2 < R; r2++ {
				s.gamma[r*R+r2] = 0
			}
		}
	}

	val := 0.0
	sc := g.scale
	for j, e := range g.gEps {
		wj := g.gW[j] * sc
		aux := g.nodeAux[j]
		tau := g.nodeTau[j]
		M := off
		for r := 0; r < R; r++ {
			mrj := s.mr[r]
			if !g.diagonal && k > 0 {
				mrj += floats.Dot(s.w[r][:k], e)
			}
			s.mrj[r] = mrj
			M += tau[r] * mrj
		}
		S2 := 0.0
		for r := 0; r < R; r++ {
			gt := 0.0
			for r2 := 0; r2 < R; r2++ {
				gt += tau[r2] * s.g[r*R+r2]
			}
			s.tauGr[r] = gt
			S2 += tau[r] * gt
		}
		S := math.Sqrt(S2)
		var lv, a, b, c float64
		for kk := range s.eacc {
			s.eacc[kk] = 0
		}
		var daux []float64
		if g.doGrad && g.kl > 0 {
			daux = s.daux
		}
		for t, zt := range g.z {
			l, d1, d2 := g.logLik(i, j, M+S*zt, aux, daux)
			wt := g.wz[t]
			lv += wt * l
			if g.doGrad {
				a += wt * d1
				b += wt * zt * d1
				c += wt * d2
				for kk, da := range daux {
					s.eacc[kk] += wt * da
				}
			}
		}
		val += wj * lv
		if !g.doGrad {
			continue
		}
		// ∂/∂S = b. Divide by S to get the coefficient of ∂S²/2; for a
		// degenerate S use the limit Σ w ℓ'' (Price's identity).
		bs := c
		if S > 1e-6*(1+math.Abs(M)) {
			bs = b / S
		}
		for r := 0; r < R; r++ {
			s.alpha[r] += wj * a * tau[r]
			if k > 0 && !g.diagonal {
				floats.AddScaled(s.beta[r], wj*a*tau[r], e)
			}
			for r2 := 0; r2 < R; r2++ {
				s.gamma[r*R+r2] += wj * bs * tau[r] * tau[r2]
			}
		}
		if k == 0 {
			continue
		}
		// Gradient in the shared parameters at this node.
		gp := s.gpsi
		for kk := range gp {
			gp[kk] = 0
		}
		for kk := 0; kk < g.kl; kk++ {
			gp[g.auxAt[kk]] += s.eacc[kk] * aux[kk]
		}
		for r := 1; r < R; r++ {
			gp[g.keys[r].sdAt] += tau[r] * (a*s.mrj[r] + bs*s.tauGr[r])
		}
		for aa := 0; aa < k; aa++ {
			v := wj * gp[aa]
			gmu[aa] += v
			if g.diagonal {
				gs[aa] += v * e[aa]
			} else {
				floats.AddScaled(gs[aa*d:aa*d+aa+1], v, e[:aa+1])
			}
		}
	}
	if !g.doGrad {
		return val
	}
	// Scatter the row's coefficients back onto μ and L: the L-gradient of
	// key r's rows is x⁽ʳ⁾ (βᵣ | Σᵣ' γᵣᵣ' vᵣ')ᵀ.
	for r, key := range g.keys {
		var y []float64
		ycoef := 1.0
		if !g.diagonal {
			if R == 1 {
				y, ycoef = s.w[0][k:], s.gamma[0]
			} else {
				y = s.y[:d-k]
				for t := range y {
					y[t] = 0
				}
				for r2 := 0; r2 < R; r2++ {
					floats.AddScaled(y, s.gamma[r*R+r2], s.w[r2][k:])
				}
			}
		}
		apply := func(a int, xa float64) {
			gmu[a] += xa * s.alpha[r]
			if g.diagonal {
				gs[a] += s.gamma[r*R+r] * xa * xa * g.sig[a]
				return
			}
			row := gs[a*d : a*d+a+1]
			if k > 0 {
				floats.AddScaled(row[:k], xa, s.beta[r])
			}
			floats.AddScaled(row[k:], xa*ycoef, y[:a+1-k])
		}
		if key.dense {
			for j, xa := range xrow {
				if xa != 0 {
					apply(g.coefAt+j, xa)
				}
			}
		}
		for _, gi := range key.groups {
			apply(g.groupEntry(gi, i))
		}
	}
	return val
}

// groupEntry returns the θ index and multiplier of group gi in row i.
func (g *glmEval) groupEntry(gi, i int) (int, float64) {
	gr := &g.t.Groups[gi]
	xa := 1.0
	if gr.Value != nil {
		xa = gr.Value[i]
	}
	return g.groupAt[gi] + gr.Index[i], xa
}

// marginal returns the mean and sd of θ[a] under q.
func (g *glmEval) marginal(a int) (m, s float64) {
	if g.diagonal {
		return g.mu[a], g.sig[a]
	}
	r := g.ld[a*g.d : a*g.d+a+1]
	return g.mu[a], math.Sqrt(floats.Dot(r, r))
}

// addScaleGrad adds ∂f/∂(s²)·∂s²/∂L for coordinate a: 2·ds2·L[a,:].
func (g *glmEval) addScaleGrad(a int, ds2 float64) {
	if g.diagonal {
		g.gs[a] += 2 * ds2 * g.sig[a]
		return
	}
	floats.AddScaled(g.gs[a*g.d:a*g.d+a+1], 2*ds2, g.ld[a*g.d:a*g.d+a+1])
}

// priorTerms adds the expected log prior (with Jacobians) and its gradient.
func (g *glmEval) priorTerms() float64 {
	v := 0.0
	for j := 0; j < g.p; j++ {
		v += g.coordTerm(g.coefAt+j, g.m.CoefPrior(j), false)
	}
	for kk := 0; kk < g.kl; kk++ {
		v += g.coordTerm(g.auxAt[kk], g.m.AuxPrior(kk), true)
	}
	for gi, gr := range g.t.Groups {
		sd := g.m.SDIndex(gi)
		v += g.coordTerm(sd, gr.SD, true)
		for l := range gr.Levels {
			a := g.groupAt[gi] + l
			if gr.Centered {
				v += g.centeredTerm(a, sd)
			} else {
				v += g.normalTerm(a, 0, 1)
			}
		}
	}
	return v
}

// coordTerm returns E_q[log p(θₐ)] for a prior on one coordinate (on the
// log scale with its Jacobian when positive) and adds its gradient.
func (g *glmEval) coordTerm(a int, pr model.Prior, positive bool) float64 {
	if pr == nil && !positive {
		return 0 // flat
	}
	if np, ok := pr.(model.NormalPrior); ok && !positive {
		mu0, s0 := np.NormalParams()
		return g.normalTerm(a, mu0, s0)
	}
	m, s := g.marginal(a)
	var val, dm, ds, d2 float64
	for t, zt := range g.zp {
		x := m + s*zt
		var l, d1, dd float64
		if positive {
			l, d1, dd = model.LogPositive2(pr, x)
		} else {
			l, d1, dd = pr.LogProb(x)
		}
		w := g.wp[t]
		val += w * l
		dm += w * d1
		ds += w * zt * d1
		d2 += w * dd
	}
	if g.doGrad {
		g.gmu[a] += dm
		ds2 := 0.5 * d2 // ∂/∂s² = E[ℓ'']/2 in the limit s → 0
		if s > 1e-12 {
			ds2 = ds / (2 * s)
		}
		g.addScaleGrad(a, ds2)
	}
	return val
}

// normalTerm returns E_q[log N(θₐ | m0, s0²)] = −½log2π − log s0 −
// ((μₐ−m0)² + sₐ²)/(2s0²) and adds its gradient.
func (g *glmEval) normalTerm(a int, m0, s0 float64) float64 {
	m, s := g.marginal(a)
	dm := m - m0
	p := 1 / (s0 * s0)
	if g.doGrad {
		g.gmu[a] -= dm * p
		g.addScaleGrad(a, -0.5*p)
	}
	return -halfLog2Pi - math.Log(s0) - 0.5*(dm*dm+s*s)*p
}

// centeredTerm returns E_q[log N(b | 0, e^{2ψ})] for b = θₐ, ψ = θ_sd:
//
//	−½log2π − μ_ψ − ½ e^{−2μ_ψ+2s_ψ²} ((μ_b − 2c)² + s_b²),
//
// exact for jointly Gaussian (b, ψ) with c = Cov(b, ψ), because tilting by
// e^{−2ψ} shifts b's mean by −2c.
func (g *glmEval) centeredTerm(a, sd int) float64 {
	mb, sb := g.marginal(a)
	mp, sp := g.marginal(sd)
	c := 0.0
	if !g.diagonal {
		c = floats.Dot(g.ld[a*g.d:a*g.d+sd+1], g.ld[sd*g.d:sd*g.d+sd+1])
	}
	e2 := math.Exp(-2*mp + 2*sp*sp)
	u := mb - 2*c
	qq := u*u + sb*sb
	if g.doGrad {
		g.gmu[a] -= e2 * u
		g.gmu[sd] += -1 + e2*qq
		g.addScaleGrad(a, -0.5*e2)
		g.addScaleGrad(sd, -e2*qq)
		if !g.diagonal {
			dc := 2 * e2 * u
			d := g.d
			floats.AddScaled(g.gs[a*d:a*d+sd+1], dc, g.ld[sd*d:sd*d+sd+1])
			floats.AddScaled(g.gs[sd*d:sd*d+sd+1], dc, g.ld[a*d:a*d+sd+1])
		}
	}
	return -halfLog2Pi - mp - 0.5*e2*qq
}

// prepareNodes fills the likelihood's cache at each grid node.
func (g *glmEval) prepareNodes() {
	if g.cached == nil {
		return
	}
	for j, c := range g.nodeC {
		g.cached.PrepareAux(c, g.nodeAux[j])
	}
}

// logLik evaluates row i at grid node j, with the node's cache when the
// likelihood has one.
func (g *glmEval) logLik(i, j int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	if g.cached != nil {
		return g.cached.LogLikPrepared(i, eta, aux, g.nodeC[j], daux)
	}
	return g.lik.LogLik(i, eta, aux, daux)
}
