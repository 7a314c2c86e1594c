package elbo

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/linalg"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

const halfLog2Pi = 0.91893853320467274178032973640561763986139747363778

// glmKey groups the parts of a row's linear predictor that share a
// multiplier: key 0 holds the dense columns and the unscaled terms
// (multiplier 1); every other key holds the terms scaled by one shared
// coordinate τ = exp(θ[scaleAt]).
type glmKey struct {
	dense  bool
	terms  []int // indices into Layout.Terms
	scale  int   // the terms' ScaleAt, or −1
	mult   *model.Multiplier
	coords []int // positions in the shared list of the multiplier's coordinates
}

// glmEval is the structured quadrature for a model.Predictors model and a
// family.Gaussian q, written for any factor θ = μ + [diag(D) | B]ε.
//
// Notation. ψ = θ[S] are the k shared coordinates the rows depend on (the
// likelihood's log aux parameters and the log scales of scaled terms),
// K_ψ = Cov(ψ) = CCᵀ, and ψ at grid node j is μ_ψ + C eʲ. For row i, key r
// has design x⁽ʳ⁾ over the non-shared coordinates, and with
//
//	m_r = μᵀx⁽ʳ⁾,  b_r = Bᵀx⁽ʳ⁾,  s_r = Cov(ψ, x⁽ʳ⁾ᵀθ) = B_ψ b_r,  u_r = C⁻¹s_r,
//	G_rr' = Cov(x⁽ʳ⁾ᵀθ, x⁽ʳ'⁾ᵀθ | ψ) = b_r·b_r' + δ_rr' Σ_a D_a²x_a² − u_r·u_r',
//
// the linear predictor given node j is ηᵢ ~ N(M, S²) with
// M = offᵢ + Σ_r τ_r (m_r + u_r·eʲ) and S² = Σ_rr' τ_rτ_r' G_rr'. The
// gradient goes back through u = C⁻¹s and C = chol(K_ψ) to ∂/∂μ, ∂/∂D and
// ∂/∂B, which the family maps to its own parameters. For the full-rank
// family with ψ first this reduces to u_r = (Lᵀx)[0:k], S² = |(Lᵀx)[k:]|²;
// for the mean-field family u = 0.
type glmEval struct {
	lay    *model.Layout // the model's: priors and structure
	rowLay *model.Layout // the rows evaluated: lay, or a block (SetBlock)
	lik    model.Likelihood
	chunkN int // rows the chunk count is computed from (the model's)

	n, p, d int
	k, kl   int   // shared coordinates, likelihood aux count
	shared  []int // θ index of each shared coordinate
	auxSh   []int // position in shared of each aux coordinate
	keys    []glmKey
	rows    []int
	scale   float64
	nrows   int
	z, wz   []float64 // rule over η
	zp, wp  []float64 // rule for one-coordinate priors
	gEps    [][]float64
	gW      []float64
	nodePsi [][]float64 // ψ at each node (length k)
	nodeAux [][]float64
	nodeTau [][]float64
	nodeDT  [][][]float64   // per node and key, ∂τ/∂ψ over the key's coordinates
	cached  model.AuxCached // the likelihood's per-aux cache, if it has one
	nodeC   [][]float64     // its cache at each grid node

	// current factor and its shared block
	fac      family.Factor
	hasD     bool
	kf       int       // columns of B
	chol     []float64 // C, k×k lower, row-major
	cinv     []float64 // C⁻¹, k×k lower
	lower    bool
	shapeSet bool

	doGrad bool
	chunks int
	cval   []float64
	cgmu   [][]float64 // per chunk ∂/∂μ (d)
	cgD    [][]float64 // per chunk ∂/∂D (d) when hasD
	cgB    [][]float64 // per chunk ∂/∂B (d×K) when K > 0
	cgC    [][]float64 // per chunk ∂/∂C from the rows (k×k)
	cgN    [][]float64 // per chunk ∂/∂ψ at each node (nodes×k)
	gmu    []float64
	gD     []float64
	gB     []float64
	gC     []float64
	ws     []*glmScratch
	grp    parallel.Group
	// curvature pass buffers, allocated on first use
	curv *curvBuf
	hsum []float64
}

type glmScratch struct {
	_     [64]byte    // a cache line between workers' scratch (parallel.Local)
	b     [][]float64 // per key, Bᵀx (K)
	u     [][]float64 // per key, s then u (k)
	beta  [][]float64 // per key, ∂/∂u (k)
	y     []float64   // ∂/∂b of one key (K)
	gk    []float64   // C⁻ᵀβ̃ (k)
	mr    []float64
	dsq   []float64
	g     []float64 // G, R×R
	alpha []float64
	gamma []float64 // R×R
	gpsi  []float64 // length k
	mrj   []float64
	daux  []float64
	eacc  []float64
	tauGr []float64
	sx    []float64 // sparse entries of the row: values
	si    []int     // and θ indices
	sk    []int     // and keys
	// curvature pass
	deta, daa []float64
	hgam      []float64
	low       linalg.Lower // the dense block of the Hessian
	_         [64]byte
}

func newGLMEval(pm model.Predictors, opt *Quadrature) (*glmEval, error) {
	lay := pm.Layout()
	d := pm.Dim()
	if err := lay.Check(d); err != nil {
		return nil, err
	}
	g := &glmEval{
		lay: lay, rowLay: lay, lik: lay.Lik, chunkN: lay.Lik.Len(),
		n: lay.Lik.Len(), d: d,
		kl: len(lay.Lik.Aux()), scale: 1,
	}
	if lay.X != nil {
		_, g.p = lay.X.Dims()
	}
	g.shared = lay.Shared()
	g.k = len(g.shared)
	g.auxSh = make([]int, g.kl)
	for kk := range g.auxSh {
		g.auxSh[kk] = kk // Shared lists the aux coordinates first
	}
	key0 := glmKey{dense: g.p > 0, scale: -1}
	var others []glmKey
	for t, term := range lay.Terms {
		if term.ScaleAt < 0 && term.Mult == nil {
			key0.terms = append(key0.terms, t)
			continue
		}
		found := false
		for r := range others {
			if others[r].mult == term.Mult && (term.Mult != nil || others[r].scale == term.ScaleAt) {
				others[r].terms = append(others[r].terms, t)
				found = true
			}
		}
		if !found {
			k := glmKey{terms: []int{t}, scale: term.ScaleAt, mult: term.Mult}
			for _, a := range term.ScaleCoords() {
				k.coords = append(k.coords, indexOf(g.shared, a))
			}
			others = append(others, k)
		}
	}
	g.keys = append([]glmKey{key0}, others...)

	// Rule over η.
	nz := opt.Nodes
	if nz <= 0 {
		nz = 16
		if pl, ok := lay.Lik.(model.Polynomial); ok && pl.Degree() <= 3 {
			nz = 2
		}
	}
	g.z, g.wz = GaussHermite(nz)
	np := opt.PriorNodes
	if np <= 0 {
		np = 40
	}
	g.zp, g.wp = GaussHermite(np)

	// Grid over the standardized shared coordinates e.
	na := opt.AuxNodes
	if na <= 0 {
		na = [...]int{1, 8, 6, 5, 4}[min(g.k, 4)]
	}
	size := 1
	for i := 0; i < g.k; i++ {
		size *= na
		if size > 1<<30 {
			break
		}
	}
	max := opt.MaxPoints
	if max <= 0 {
		max = 100000
	}
	if size > max {
		return nil, &GridError{Dim: g.k, Nodes: na, Points: math.Pow(float64(na), float64(g.k)), Max: max}
	}
	za, wa := GaussHermite(na)
	g.gEps = make([][]float64, size)
	g.gW = make([]float64, size)
	g.nodePsi = make([][]float64, size)
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
		g.nodePsi[j] = make([]float64, g.k)
		g.nodeAux[j] = make([]float64, g.kl)
		g.nodeTau[j] = make([]float64, len(g.keys))
		g.nodeDT = append(g.nodeDT, make([][]float64, len(g.keys)))
		for r, key := range g.keys {
			g.nodeDT[j][r] = make([]float64, len(key.coords))
		}
	}
	if ac, ok := lay.Lik.(model.AuxCached); ok && g.kl > 0 {
		g.cached = ac
		g.nodeC = make([][]float64, size)
		for j := range g.nodeC {
			g.nodeC[j] = make([]float64, ac.AuxCacheLen())
		}
	}
	g.chol = make([]float64, g.k*g.k)
	g.cinv = make([]float64, g.k*g.k)
	g.gC = make([]float64, g.k*g.k)
	g.gmu = make([]float64, d)
	g.setRows(nil)
	return g, nil
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func max1(x int) int {
	if x < 1 {
		return 1
	}
	return x
}

// setBlock points the row terms at rows of lay (all of them when rows is
// nil), a layout with the structure of the model's, scaled by scale.
func (g *glmEval) setBlock(lay *model.Layout, rows []int, scale float64) error {
	if err := sameStructure(g.lay, lay); err != nil {
		return err
	}
	_, cached := lay.Lik.(model.AuxCached)
	if cached != (g.cached != nil) {
		return fmt.Errorf("%w: the block's likelihood differs from the model's", model.ErrLayout)
	}
	n := lay.Lik.Len()
	for _, i := range rows {
		if i < 0 || i >= n {
			return fmt.Errorf("%w: row %d outside the block's %d rows", model.ErrLayout, i, n)
		}
	}
	g.rowLay, g.lik, g.n = lay, lay.Lik, n
	if cached {
		g.cached = lay.Lik.(model.AuxCached)
	}
	g.rows = rows
	g.nrows = n
	if rows != nil {
		g.nrows = len(rows)
	}
	g.scale = scale
	return nil
}

// sameStructure checks that the rows of b can be evaluated with the
// parameter layout of a: the same dense block, auxiliary parameters and
// terms.
func sameStructure(a, b *model.Layout) error {
	bad := func(what string) error {
		return fmt.Errorf("%w: the block's %s differ from the model's", model.ErrLayout, what)
	}
	if b.Lik == nil || len(b.Lik.Aux()) != len(a.Lik.Aux()) || !slices.Equal(a.AuxAt, b.AuxAt) {
		return bad("auxiliary parameters")
	}
	n := b.Lik.Len()
	pa, pb := 0, 0
	if a.X != nil {
		_, pa = a.X.Dims()
	}
	if b.X != nil {
		var r int
		r, pb = b.X.Dims()
		if r != n {
			return bad("rows")
		}
	}
	if pa != pb || (pa > 0 && a.DenseAt != b.DenseAt) {
		return bad("dense columns")
	}
	if (a.Offset == nil) != (b.Offset == nil) || (b.Offset != nil && len(b.Offset) != n) {
		return bad("offsets")
	}
	if len(a.Terms) != len(b.Terms) {
		return bad("terms")
	}
	for t := range a.Terms {
		ta, tb := &a.Terms[t], &b.Terms[t]
		if ta.At != tb.At || ta.ScaleAt != tb.ScaleAt || (ta.Value == nil) != (tb.Value == nil) || len(tb.Index) != n || (tb.Value != nil && len(tb.Value) != n) {
			return bad("terms")
		}
	}
	return nil
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

// setFamily points the evaluator at q's factor, reallocating the
// accumulators when its shape differs from the last family's, and
// factorizes the shared block K_ψ = CCᵀ. It reports false when K_ψ is not
// positive definite (non-finite parameters).
func (g *glmEval) setFamily(q family.Family) (bool, error) {
	qg, ok := q.(family.Gaussian)
	if !ok {
		return false, ErrUnsupported
	}
	if q.Dim() != g.d {
		return false, family.ErrDim
	}
	g.fac = qg.Factor()
	hasD, kf := g.fac.D != nil, g.fac.K
	if !g.shapeSet || hasD != g.hasD || kf != g.kf || g.fac.Lower != g.lower {
		g.hasD, g.kf, g.lower, g.shapeSet = hasD, kf, g.fac.Lower, true
		g.allocChunks()
	}
	return g.factorShared(), nil
}

// allocChunks sizes the per-chunk accumulators for the current shape.
func (g *glmEval) allocChunks() {
	d, kf, k := g.d, g.kf, g.k
	per := d*kf + 2*d
	maxC := max1(min((1<<24)/(per+1), 64))
	// Chunks come from the full data so that SetRows does not change them.
	g.chunks = parallel.Chunks(g.chunkN, 128, maxC)
	g.cval = make([]float64, g.chunks)
	g.cgmu = make([][]float64, g.chunks)
	g.cgD = make([][]float64, g.chunks)
	g.cgB = make([][]float64, g.chunks)
	g.cgC = make([][]float64, g.chunks)
	g.cgN = make([][]float64, g.chunks)
	for c := 0; c < g.chunks; c++ {
		g.cgmu[c] = parallel.Local(d)
		if g.hasD {
			g.cgD[c] = parallel.Local(d)
		}
		g.cgB[c] = parallel.Local(d * kf)
		g.cgC[c] = parallel.Local(k * k)
		g.cgN[c] = parallel.Local(len(g.gEps) * k)
	}
	g.gD = nil
	if g.hasD {
		g.gD = make([]float64, d)
	}
	g.gB = make([]float64, d*kf)
	g.ws = nil
	g.curv = nil
}

// factorShared computes C = chol(K_ψ) and C⁻¹.
func (g *glmEval) factorShared() bool {
	k := g.k
	c := g.chol
	for i := 0; i < k; i++ {
		for j := 0; j <= i; j++ {
			v := g.fac.Cov(g.shared[i], g.shared[j])
			for t := 0; t < j; t++ {
				v -= c[i*k+t] * c[j*k+t]
			}
			if i == j {
				if !(v > 0) {
					return false
				}
				c[i*k+i] = math.Sqrt(v)
			} else {
				c[i*k+j] = v / c[j*k+j]
			}
		}
	}
	ci := g.cinv
	clear(ci)
	for col := 0; col < k; col++ {
		for i := col; i < k; i++ {
			v := 0.0
			if i == col {
				v = 1
			}
			for t := col; t < i; t++ {
				v -= c[i*k+t] * ci[t*k+col]
			}
			ci[i*k+col] = v / c[i*k+i]
		}
	}
	return true
}

func (g *glmEval) growScratch(nw int) {
	R, k, kf := len(g.keys), g.k, g.kf
	for len(g.ws) < nw {
		s := &glmScratch{
			b:     make([][]float64, R),
			u:     make([][]float64, R),
			beta:  make([][]float64, R),
			y:     parallel.Local(kf),
			gk:    parallel.Local(k),
			mr:    parallel.Local(R),
			dsq:   parallel.Local(R),
			g:     parallel.Local(R * R),
			alpha: parallel.Local(R),
			gamma: parallel.Local(R * R),
			gpsi:  parallel.Local(k),
			mrj:   parallel.Local(R),
			daux:  parallel.Local(g.kl),
			eacc:  parallel.Local(g.kl),
			tauGr: parallel.Local(R),
			deta:  parallel.Local(g.kl),
			daa:   parallel.Local(g.kl * g.kl),
			hgam:  parallel.Local(g.kl * g.kl),
		}
		for r := 0; r < R; r++ {
			s.b[r] = parallel.Local(kf)
			s.u[r] = parallel.Local(k)
			s.beta[r] = parallel.Local(k)
		}
		g.ws = append(g.ws, s)
	}
}

// setNodes computes ψ, the aux parameters and the scales at every node.
func (g *glmEval) setNodes() {
	k := g.k
	for j, e := range g.gEps {
		psi := g.nodePsi[j]
		for c := 0; c < k; c++ {
			psi[c] = g.fac.Mu[g.shared[c]] + floats.Dot(g.chol[c*k:c*k+c+1], e[:c+1])
		}
		for kk := 0; kk < g.kl; kk++ {
			g.nodeAux[j][kk] = math.Exp(psi[g.auxSh[kk]])
		}
		tau := g.nodeTau[j]
		tau[0] = 1
		for r := 1; r < len(g.keys); r++ {
			key := &g.keys[r]
			dt := g.nodeDT[j][r]
			if key.mult == nil {
				tau[r] = math.Exp(psi[key.coords[0]])
				dt[0] = tau[r]
				continue
			}
			x := make([]float64, len(key.coords))
			for c, pos := range key.coords {
				x[c] = psi[pos]
			}
			tau[r] = key.mult.F(dt, x)
		}
	}
	if g.cached != nil {
		for j, c := range g.nodeC {
			g.cached.PrepareAux(c, g.nodeAux[j])
		}
	}
}

// eval returns the ELBO and stores its gradient.
func (g *glmEval) eval(grad []float64, q family.Family) float64 {
	ok, err := g.setFamily(q)
	if err != nil {
		panic(err)
	}
	if !ok {
		if grad != nil {
			for i := range grad {
				grad[i] = math.NaN()
			}
		}
		return math.NaN()
	}
	g.doGrad = grad != nil
	g.setNodes()
	g.growScratch(parallel.Workers(g.chunks))
	g.grp.Run(g, g.chunks)

	val := 0.0
	for c := 0; c < g.chunks; c++ {
		val += g.cval[c]
	}
	if g.doGrad {
		g.reduce()
	}
	val += g.priorTerms()
	if !g.doGrad {
		return val + q.Entropy(nil)
	}
	g.sharedGrad()
	clear(grad)
	q.(family.Gaussian).BackpropFactor(grad, g.gmu, g.gD, g.gB)
	return val + q.Entropy(grad)
}

// reduce sums the chunk accumulators in chunk order.
func (g *glmEval) reduce() {
	copy(g.gmu, g.cgmu[0])
	copy(g.gB, g.cgB[0])
	copy(g.gC, g.cgC[0])
	if g.hasD {
		copy(g.gD, g.cgD[0])
	}
	for c := 1; c < g.chunks; c++ {
		floats.Add(g.gmu, g.cgmu[c])
		floats.Add(g.gB, g.cgB[c])
		floats.Add(g.gC, g.cgC[c])
		if g.hasD {
			floats.Add(g.gD, g.cgD[c])
		}
	}
	// The nodes' ψ-gradients: ∂/∂μ_ψ = Σⱼ ∂/∂ψʲ and ∂/∂C = Σⱼ ∂/∂ψʲ eʲᵀ.
	k := g.k
	for j, e := range g.gEps {
		for c := 0; c < k; c++ {
			v := 0.0
			for ch := 0; ch < g.chunks; ch++ {
				v += g.cgN[ch][j*k+c]
			}
			g.gmu[g.shared[c]] += v
			floats.AddScaled(g.gC[c*k:c*k+c+1], v, e[:c+1])
		}
	}
}

// sharedGrad maps ∂/∂C to ∂/∂D and ∂/∂B of the shared rows through
// K_ψ = CCᵀ = D_ψ² + B_ψB_ψᵀ. With P = Cᵀ·∂C and Φ its lower triangle
// with half the diagonal, ∂/∂K = ½(C⁻ᵀΦC⁻¹ + (C⁻ᵀΦC⁻¹)ᵀ) (Murray 2016,
// "Differentiation of the Cholesky decomposition"), then
// ∂/∂B_ψ = 2(∂/∂K)B_ψ and ∂/∂D_c = 2(∂/∂K)_cc D_c.
func (g *glmEval) sharedGrad() {
	k := g.k
	if k == 0 {
		return
	}
	c, ci, gc := g.chol, g.cinv, g.gC
	phi := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j <= i; j++ {
			v := 0.0
			for t := i; t < k; t++ {
				v += c[t*k+i] * gc[t*k+j] // (Cᵀ ∂C)_ij, C lower
			}
			if i == j {
				v *= 0.5
			}
			phi[i*k+j] = v
		}
	}
	// T = C⁻ᵀ Φ C⁻¹.
	tmp := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := 0.0
			for t := 0; t <= i; t++ { // (ΦC⁻¹)_ij = Σ_t Φ_it C⁻¹_tj, Φ lower
				v += phi[i*k+t] * ci[t*k+j]
			}
			tmp[i*k+j] = v
		}
	}
	gk := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := 0.0
			for t := i; t < k; t++ { // (C⁻ᵀ)_it = C⁻¹_ti, nonzero for t ≥ i
				v += ci[t*k+i] * tmp[t*k+j]
			}
			gk[i*k+j] = v
		}
	}
	for i := 0; i < k; i++ {
		for j := 0; j < i; j++ {
			v := 0.5 * (gk[i*k+j] + gk[j*k+i])
			gk[i*k+j], gk[j*k+i] = v, v
		}
	}
	for a := 0; a < k; a++ {
		sa := g.shared[a]
		if g.hasD {
			g.gD[sa] += 2 * gk[a*k+a] * g.fac.D[sa]
		}
		if g.kf == 0 {
			continue
		}
		dst := g.gB[sa*g.kf : sa*g.kf+g.fac.RowLen(sa)]
		for b := 0; b < k; b++ {
			rb := g.fac.Row(g.shared[b])
			n := min(len(dst), len(rb))
			floats.AddScaled(dst[:n], 2*gk[a*k+b], rb[:n])
		}
	}
}

// Do processes chunk c of the rows.
func (g *glmEval) Do(w, c int) {
	lo, hi := parallel.Range(g.n, g.chunks, c)
	// With a row subset, chunk c covers the same fraction of the subset.
	if g.rows != nil {
		lo, hi = parallel.Range(g.nrows, g.chunks, c)
	}
	s := g.ws[w]
	if g.doGrad {
		clear(g.cgmu[c])
		clear(g.cgB[c])
		clear(g.cgC[c])
		clear(g.cgN[c])
		if g.hasD {
			clear(g.cgD[c])
		}
	}
	val := 0.0
	for pos := lo; pos < hi; pos++ {
		i := pos
		if g.rows != nil {
			i = g.rows[pos]
		}
		val += g.row(i, c, s)
	}
	g.cval[c] = val
}

// sparse collects the sparse entries of row i with their keys.
func (g *glmEval) sparse(i int, s *glmScratch) {
	s.sx, s.si, s.sk = s.sx[:0], s.si[:0], s.sk[:0]
	for r, key := range g.keys {
		for _, t := range key.terms {
			term := &g.rowLay.Terms[t]
			v := 1.0
			if term.Value != nil {
				v = term.Value[i]
			}
			s.sx = append(s.sx, v)
			s.si = append(s.si, term.At+term.Index[i])
			s.sk = append(s.sk, r)
		}
	}
}

// project computes m_r, b_r, Σ D²x², and u_r = C⁻¹B_ψb_r for every key
// of row i (the dense columns belong to key 0).
func (g *glmEval) project(xrow []float64, s *glmScratch) {
	R, k, kf := len(g.keys), g.k, g.kf
	fac := &g.fac
	mu, dd, bb := fac.Mu, fac.D, fac.B
	for r := 0; r < R; r++ {
		s.mr[r], s.dsq[r] = 0, 0
		clear(s.b[r])
	}
	// Dense columns, the hot loop: row a of B has RowLen(a) entries.
	da := g.lay.DenseAt
	m0, q0, b0 := 0.0, 0.0, s.b[0]
	for j, xa := range xrow {
		if xa == 0 {
			continue
		}
		a := da + j
		m0 += xa * mu[a]
		if dd != nil {
			v := xa * dd[a]
			q0 += v * v
		}
		if kf > 0 {
			n := fac.RowLen(a)
			floats.AddScaled(b0[:n], xa, bb[a*kf:a*kf+n])
		}
	}
	s.mr[0], s.dsq[0] = m0, q0
	for t, a := range s.si {
		r, xa := s.sk[t], s.sx[t]
		s.mr[r] += xa * mu[a]
		if dd != nil {
			v := xa * dd[a]
			s.dsq[r] += v * v
		}
		if kf > 0 {
			n := fac.RowLen(a)
			floats.AddScaled(s.b[r][:n], xa, bb[a*kf:a*kf+n])
		}
	}
	for r := 0; r < R; r++ {
		u := s.u[r]
		if kf == 0 {
			clear(u)
			continue
		}
		for c := 0; c < k; c++ {
			rc := fac.Row(g.shared[c])
			u[c] = floats.Dot(rc, s.b[r][:len(rc)])
		}
		// u = C⁻¹s, forward substitution.
		for c := 0; c < k; c++ {
			v := u[c]
			for t := 0; t < c; t++ {
				v -= g.chol[c*k+t] * u[t]
			}
			u[c] = v / g.chol[c*k+c]
		}
	}
	for r := 0; r < R; r++ {
		for r2 := 0; r2 <= r; r2++ {
			v := floats.Dot(s.b[r], s.b[r2])
			if k > 0 {
				v -= floats.Dot(s.u[r], s.u[r2])
			}
			if r == r2 {
				v += s.dsq[r]
			}
			s.g[r*R+r2], s.g[r2*R+r] = v, v
		}
	}
}

// row returns row i's quadrature value and adds its gradient to chunk c.
func (g *glmEval) row(i, c int, s *glmScratch) float64 {
	R, k := len(g.keys), g.k
	var xrow []float64
	if g.p > 0 {
		xrow = g.rowLay.X.RawRowView(i)
	}
	g.sparse(i, s)
	g.project(xrow, s)
	off := 0.0
	if g.rowLay.Offset != nil {
		off = g.rowLay.Offset[i]
	}
	if g.doGrad {
		for r := 0; r < R; r++ {
			s.alpha[r] = 0
			clear(s.beta[r])
		}
		clear(s.gamma)
	}
	var gN []float64
	if g.doGrad {
		gN = g.cgN[c]
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
			if k > 0 {
				mrj += floats.Dot(s.u[r], e)
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
		S := math.Sqrt(math.Max(S2, 0))
		var lv, a, b, cc float64
		clear(s.eacc)
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
				cc += wt * d2
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
		bs := cc
		if S > 1e-6*(1+math.Abs(M)) {
			bs = b / S
		}
		for r := 0; r < R; r++ {
			s.alpha[r] += wj * a * tau[r]
			if k > 0 {
				floats.AddScaled(s.beta[r], wj*a*tau[r], e)
			}
			for r2 := 0; r2 < R; r2++ {
				s.gamma[r*R+r2] += wj * bs * tau[r] * tau[r2]
			}
		}
		if k == 0 {
			continue
		}
		// ∂/∂ψ at this node, from the aux parameters and the scales.
		gp := gN[j*k : (j+1)*k]
		for kk := 0; kk < g.kl; kk++ {
			gp[g.auxSh[kk]] += wj * s.eacc[kk] * aux[kk]
		}
		for r := 1; r < R; r++ {
			v := wj * (a*s.mrj[r] + bs*s.tauGr[r]) // ∂/∂τ_r
			for c, pos := range g.keys[r].coords {
				gp[pos] += v * g.nodeDT[j][r][c]
			}
		}
	}
	if g.doGrad {
		g.scatter(xrow, c, s)
	}
	return val
}

// scatter adds the row's gradient in μ, D and B (see glmEval): with
// γ = ∂F/∂G·2, β̃_r = β_r − Σ_r' γ_rr' u_r' and g_r = C⁻ᵀβ̃_r, row a of key
// r's design receives x_a(Σ_r' γ_rr' b_r' + B_ψᵀg_r) in B, γ_rr D_a x_a² in
// D and x_a α_r in μ, the shared rows receive g_r b_rᵀ, and ∂/∂C receives
// −g_r u_rᵀ.
func (g *glmEval) scatter(xrow []float64, c int, s *glmScratch) {
	R, k, kf := len(g.keys), g.k, g.kf
	fac := &g.fac
	gmu, gB, gC := g.cgmu[c], g.cgB[c], g.cgC[c]
	gD := g.cgD[c]
	for r := 0; r < R; r++ {
		// y = ∂F/∂b_r, or, in the common case of one key and no shared
		// block in B, the coefficient ycoef of y = ycoef·b_0.
		y, ycoef := s.b[0], s.gamma[0]
		if kf > 0 && (R > 1 || k > 0) {
			y, ycoef = s.y, 1
			clear(y)
			for r2 := 0; r2 < R; r2++ {
				floats.AddScaled(y, s.gamma[r*R+r2], s.b[r2])
			}
			if k > 0 {
				gk := s.gk
				// β̃ = β − Σ γ u', then g = C⁻ᵀβ̃ (back substitution).
				copy(gk, s.beta[r])
				for r2 := 0; r2 < R; r2++ {
					floats.AddScaled(gk, -s.gamma[r*R+r2], s.u[r2])
				}
				for c1 := k - 1; c1 >= 0; c1-- {
					v := gk[c1]
					for t := c1 + 1; t < k; t++ {
						v -= g.chol[t*k+c1] * gk[t]
					}
					gk[c1] = v / g.chol[c1*k+c1]
				}
				for c1 := 0; c1 < k; c1++ {
					sa := g.shared[c1]
					rc := fac.Row(sa)
					floats.AddScaled(y[:len(rc)], gk[c1], rc)
					floats.AddScaled(gB[sa*kf:sa*kf+len(rc)], gk[c1], s.b[r][:len(rc)])
					floats.AddScaled(gC[c1*k:(c1+1)*k], -gk[c1], s.u[r])
				}
			}
		}
		grr, ar := s.gamma[r*R+r], s.alpha[r]
		if r == 0 {
			da := g.lay.DenseAt
			for j, xa := range xrow {
				if xa == 0 {
					continue
				}
				a := da + j
				gmu[a] += xa * ar
				if gD != nil {
					gD[a] += grr * xa * xa * fac.D[a]
				}
				if kf > 0 {
					n := fac.RowLen(a)
					floats.AddScaled(gB[a*kf:a*kf+n], xa*ycoef, y[:n])
				}
			}
		}
		for t, a := range s.si {
			if s.sk[t] != r {
				continue
			}
			xa := s.sx[t]
			gmu[a] += xa * ar
			if gD != nil {
				gD[a] += grr * xa * xa * fac.D[a]
			}
			if kf > 0 {
				n := fac.RowLen(a)
				floats.AddScaled(gB[a*kf:a*kf+n], xa*ycoef, y[:n])
			}
		}
	}
}

// marginal returns the mean and sd of θ[a] under q.
func (g *glmEval) marginal(a int) (m, s float64) {
	return g.fac.Mu[a], math.Sqrt(g.fac.Var(a))
}

// addScaleGrad adds ds2·∂Var(θₐ): 2·ds2·Dₐ to D and 2·ds2·Bₐ to B.
func (g *glmEval) addScaleGrad(a int, ds2 float64) {
	if g.hasD {
		g.gD[a] += 2 * ds2 * g.fac.D[a]
	}
	if g.kf > 0 {
		row := g.fac.Row(a)
		floats.AddScaled(g.gB[a*g.kf:a*g.kf+len(row)], 2*ds2, row)
	}
}

// addCovGrad adds dc·∂Cov(θₐ, θ_b) for a ≠ b: dc·B_b to row a and
// dc·B_a to row b.
func (g *glmEval) addCovGrad(a, b int, dc float64) {
	if g.kf == 0 {
		return
	}
	ra, rb := g.fac.Row(a), g.fac.Row(b)
	n := min(len(ra), len(rb))
	floats.AddScaled(g.gB[a*g.kf:a*g.kf+n], dc, rb[:n])
	floats.AddScaled(g.gB[b*g.kf:b*g.kf+n], dc, ra[:n])
}

// priorTerms adds the expected log prior (with Jacobians) and its gradient.
func (g *glmEval) priorTerms() float64 {
	v := g.lay.Const
	for _, p := range g.lay.Priors {
		switch p.Kind {
		case model.RealPrior:
			v += g.coordTerm(p.At, p.Prior, false)
		case model.LogPositive:
			v += g.coordTerm(p.At, p.Prior, true)
		case model.ScaledNormal:
			if p.ScaleAt >= 0 {
				v += g.centeredTerm(p.At, p.ScaleAt)
			} else {
				v += g.normalTerm(p.At, 0, 1)
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
	c := g.fac.Cov(a, sd)
	e2 := math.Exp(-2*mp + 2*sp*sp)
	u := mb - 2*c
	qq := u*u + sb*sb
	if g.doGrad {
		g.gmu[a] -= e2 * u
		g.gmu[sd] += -1 + e2*qq
		g.addScaleGrad(a, -0.5*e2)
		g.addScaleGrad(sd, -e2*qq)
		g.addCovGrad(a, sd, 2*e2*u)
	}
	return -halfLog2Pi - mp - 0.5*e2*qq
}

// logLik evaluates row i at grid node j, with the node's cache when the
// likelihood has one.
func (g *glmEval) logLik(i, j int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	if g.cached != nil {
		return g.cached.LogLikPrepared(i, eta, aux, g.nodeC[j], daux)
	}
	return g.lik.LogLik(i, eta, aux, daux)
}
