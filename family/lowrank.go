package family

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

var (
	_ Gaussian = (*LowRank)(nil)
	_ Matcher  = (*LowRank)(nil)
)

// LowRank is the Gaussian family with covariance Σ = D² + BBᵀ, D diagonal
// and B a d×k factor (Ong, Nott & Smith 2018; NumPyro's
// AutoLowRankMultivariateNormal). Draws are θ = μ + D⊙ε₁ + Bε₂ with ε₁ of
// length d and ε₂ of length k. Its parameters are φ = (μ, ω, B) with B
// row-major and Dₐ² = e^{2ωₐ} + (10⁻⁶|Bₐ|)², d(k+2) in all against
// d(d+3)/2 for FullRank, and every φ is valid. The floor keeps every
// coordinate's own sd at least 10⁻⁶ of its factor sd: where the factor
// alone explains a coordinate the ELBO is flat as Dₐ → 0, and without the
// floor an optimizer drifts there until q is degenerate at double
// precision (draws whose log density cannot be computed). Log densities,
// the entropy and its gradient use the matrix determinant lemma and
// Woodbury's identity through the k×k capacitance M = I + WᵀW, W = D⁻¹B,
// at O(dk²), computed from a QR factorization that stays accurate when
// some Dₐ is small next to |Bₐ|.
//
// It has no natural-gradient step (the step's dense d×d precision is what
// the family exists to avoid): fit it with L-BFGS or a stochastic method.
type LowRank struct {
	d, k   int
	mu     []float64
	omega  []float64 // ω: the free part of D, D² = e^{2ω} + floor²|B|²
	dsd    []float64 // D
	b      []float64 // d×k
	w      []float64 // W = D⁻¹B, d×k
	r      []float64 // R of M = RᵀR, k×k upper, row-major
	logDet float64   // log|Σ|
	pool   sync.Pool
}

// NewLowRank returns the rank-k family on R^d with μ = 0 and unit
// marginal variances: B has small fixed pseudo-random entries (|Bᵢ|² ≤ 0.09,
// from a ChaCha8 stream with a constant seed) and Dᵢ² = 1 − |Bᵢ|². B must
// not start at zero, where the ELBO's gradient in B vanishes (Σ depends on
// B through BBᵀ). k must be at least 1.
func NewLowRank(d, k int) *LowRank {
	if k < 1 {
		panic("family: LowRank needs rank k ≥ 1")
	}
	f := &LowRank{
		d: d, k: k,
		mu: make([]float64, d), omega: make([]float64, d), dsd: make([]float64, d),
		b: make([]float64, d*k), w: make([]float64, d*k), r: make([]float64, k*k),
	}
	rng := rand.New(rand.NewChaCha8([32]byte{'g', 'o', 'v', 'i', 'l', 'o', 'w', 'r', 'a', 'n', 'k'}))
	s := 0.1 / math.Sqrt(float64(k))
	for a := 0; a < d; a++ {
		row := f.b[a*k : (a+1)*k]
		for j := range row {
			row[j] = s * math.Max(-3, math.Min(3, rng.NormFloat64()))
		}
		f.setD(a, math.Sqrt(1-floats.Dot(row, row)))
	}
	f.update()
	return f
}

// lowRankFloor is the smallest share of a coordinate's factor sd |Bₐ|
// that D keeps: D² = e^{2ω} + floor²|Bₐ|². Without it D can drift to zero
// where the factor alone explains a coordinate (the ELBO is flat there),
// and q becomes degenerate at double precision.
const lowRankFloor = 1e-6

// setD sets Dₐ = v, or as close as the floor allows.
func (f *LowRank) setD(a int, v float64) {
	row := f.b[a*f.k : (a+1)*f.k]
	fl := lowRankFloor * lowRankFloor * floats.Dot(row, row)
	e := math.Max(v*v-fl, 1e-300)
	f.omega[a] = 0.5 * math.Log(e)
	f.dsd[a] = math.Sqrt(e + fl)
}

// dOmega and dB return ∂Dₐ/∂ωₐ and the factor of Bₐ in ∂Dₐ/∂Bₐ.
func (f *LowRank) dOmega(a int) float64 { return math.Exp(2*f.omega[a]) / f.dsd[a] }
func (f *LowRank) dB(a int) float64     { return lowRankFloor * lowRankFloor / f.dsd[a] }

// Rank returns k.
func (f *LowRank) Rank() int { return f.k }

// Dim returns d.
func (f *LowRank) Dim() int { return f.d }

// Len returns d(k+2).
func (f *LowRank) Len() int { return f.d * (f.k + 2) }

// NoiseDim returns d + k.
func (f *LowRank) NoiseDim() int { return f.d + f.k }

// Params stores (μ, log D, B) in dst.
func (f *LowRank) Params(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.Len())
	}
	d := f.d
	copy(dst[:d], f.mu)
	copy(dst[d:2*d], f.omega)
	copy(dst[2*d:], f.b)
	return dst
}

// SetParams sets (μ, log D, B) from phi.
func (f *LowRank) SetParams(phi []float64) {
	if len(phi) != f.Len() {
		panic(ErrDim)
	}
	d := f.d
	copy(f.mu, phi[:d])
	copy(f.omega, phi[d:2*d])
	copy(f.b, phi[2*d:])
	f.setDs()
	f.update()
}

// update recomputes W and the capacitance M = I + WᵀW = RᵀR, with R from
// the Householder QR of the stacked (d+k)×k matrix [W; I] whose rows are
// sorted by decreasing norm. Forming WᵀW would lose M's small eigenvalues
// next to its large ones when some Dₐ is tiny next to |Bₐ| (a coordinate
// the factor explains almost alone, as in a near-collinear regression);
// row-sorted Householder QR keeps them (Cox & Higham 1998), so log|Σ| and
// the solves stay accurate there.
func (f *LowRank) update() {
	d, k := f.d, f.k
	for a := 0; a < d; a++ {
		for j := 0; j < k; j++ {
			f.w[a*k+j] = f.b[a*k+j] / f.dsd[a]
		}
	}
	type row struct {
		norm float64
		a    int // < d: row of W; ≥ d: row a−d of I
	}
	rows := make([]row, d+k)
	for a := 0; a < d; a++ {
		wa := f.w[a*k : (a+1)*k]
		rows[a] = row{floats.Dot(wa, wa), a}
	}
	for j := 0; j < k; j++ {
		rows[d+j] = row{1, d + j}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].norm > rows[j].norm })
	st := mat.NewDense(d+k, k, nil)
	for i, r := range rows {
		if r.a < d {
			st.SetRow(i, f.w[r.a*k:(r.a+1)*k])
		} else {
			st.Set(i, r.a-d, 1)
		}
	}
	var qr mat.QR
	qr.Factorize(st)
	var rt mat.Dense
	qr.RTo(&rt)
	logDetM := 0.0
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			f.r[i*k+j] = 0
			if j >= i {
				f.r[i*k+j] = rt.At(i, j)
			}
		}
		logDetM += 2 * math.Log(math.Abs(f.r[i*k+i]))
	}
	f.logDet = logDetM
	for _, v := range f.dsd {
		f.logDet += 2 * math.Log(v)
	}
}

// solveRt stores R⁻ᵀx in x (forward substitution with Rᵀ lower).
func (f *LowRank) solveRt(x []float64) {
	k := f.k
	for i := 0; i < k; i++ {
		v := x[i]
		for j := 0; j < i; j++ {
			v -= f.r[j*k+i] * x[j]
		}
		x[i] = v / f.r[i*k+i]
	}
}

// solveR stores R⁻¹x in x (back substitution).
func (f *LowRank) solveR(x []float64) {
	k := f.k
	for i := k - 1; i >= 0; i-- {
		v := x[i]
		for j := i + 1; j < k; j++ {
			v -= f.r[i*k+j] * x[j]
		}
		x[i] = v / f.r[i*k+i]
	}
}

// matchIter bounds the principal-axis iterations of MatchMoments, and
// uniqueFloor is the smallest share of a coordinate's variance left to D.
const (
	matchIter   = 50
	uniqueFloor = 0.05
)

// MatchMoments sets μ = mean and fits D and B to cov by principal-axis
// factor analysis on the correlation matrix R = V^{-½} cov V^{-½},
// V = diag(cov): starting from uniquenesses u = 1 − (the squared loadings
// of the top k eigenvectors), it repeats W = U_k Λ_k^½ from the
// eigendecomposition of R − diag(u) and u = 1 − diag(WWᵀ) until u settles
// (at most 50 times), which recovers a covariance that is exactly diagonal
// plus rank k. Then B = V^½W and D² = diag(cov) − diag(BBᵀ), so the
// marginal variances are matched exactly; rows whose loadings would leave
// less than 10⁻⁶ of the variance to D are shrunk, and loadings that come
// out zero (a diagonal cov) are replaced by NewLowRank's small ones, so
// that the fit does not start at a saddle.
func (f *LowRank) MatchMoments(mean []float64, cov mat.Symmetric) error {
	d, k := f.d, f.k
	if len(mean) != d || cov.SymmetricDim() != d {
		return ErrDim
	}
	sd := make([]float64, d)
	for a := range sd {
		v := cov.At(a, a)
		if !(v > 0) || math.IsInf(v, 0) {
			return errNotPD
		}
		sd[a] = math.Sqrt(v)
	}
	r := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			r.SetSym(i, j, cov.At(i, j)/(sd[i]*sd[j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(r, false) {
		return errNotPD
	}
	if eig.Values(nil)[0] <= 0 {
		return errNotPD
	}
	kk := min(k, d)
	w := mat.NewDense(d, kk, nil)
	u := make([]float64, d)
	red := mat.NewSymDense(d, nil)
	var vecs mat.Dense
	for it := 0; it < matchIter; it++ {
		red.CopySym(r)
		if it > 0 {
			for i := 0; i < d; i++ {
				red.SetSym(i, i, 1-u[i])
			}
		}
		if !eig.Factorize(red, true) {
			return errNotPD
		}
		vals := eig.Values(nil) // ascending
		eig.VectorsTo(&vecs)
		// The first pass is probabilistic PCA: the loadings take what the
		// top eigenvalues hold beyond the mean s² of the others.
		s2 := 0.0
		if it == 0 && d > kk {
			s2 = floats.Sum(vals[:d-kk]) / float64(d-kk)
		}
		for j := 0; j < kk; j++ {
			c := d - 1 - j
			sc := math.Sqrt(math.Max(vals[c]-s2, 0))
			for a := 0; a < d; a++ {
				w.Set(a, j, vecs.At(a, c)*sc)
			}
		}
		change := 0.0
		for a := 0; a < d; a++ {
			row := w.RawRowView(a)
			// Uniquenesses below 5% (Heywood cases) are held there.
			nu := math.Max(1-floats.Dot(row, row), uniqueFloor)
			change = math.Max(change, math.Abs(nu-u[a]))
			u[a] = nu
		}
		if change < 1e-12 {
			break
		}
	}
	// A column of W that is (nearly) zero would leave B at a saddle of the
	// ELBO (its gradient in B vanishes there, as at B = 0): such columns
	// get the small fixed pseudo-random loadings of NewLowRank instead.
	start := NewLowRank(d, k)
	for j := 0; j < kk; j++ {
		norm := 0.0
		for a := 0; a < d; a++ {
			norm += w.At(a, j) * w.At(a, j)
		}
		if norm < 1e-4 {
			for a := 0; a < d; a++ {
				w.Set(a, j, start.b[a*k+j])
			}
		}
	}
	copy(f.mu, mean)
	for a := 0; a < d; a++ {
		row := f.b[a*k : (a+1)*k]
		clear(row)
		wa := w.RawRowView(a)
		ll := floats.Dot(wa, wa)
		shrink := 1.0
		if ll > 1-1e-6 {
			shrink = math.Sqrt((1 - 1e-6) / ll)
		}
		for j := 0; j < kk; j++ {
			row[j] = sd[a] * wa[j] * shrink
		}
		f.setD(a, math.Sqrt(cov.At(a, a)-floats.Dot(row, row)))
	}
	f.update()
	return nil
}

// setDs recomputes D from ω and B.
func (f *LowRank) setDs() {
	for a := range f.dsd {
		row := f.b[a*f.k : (a+1)*f.k]
		f.dsd[a] = math.Sqrt(math.Exp(2*f.omega[a]) + lowRankFloor*lowRankFloor*floats.Dot(row, row))
	}
}

// ScaleBy multiplies D and B by c (W and M are unchanged).
func (f *LowRank) ScaleBy(c float64) {
	lc := math.Log(c)
	for i := range f.omega {
		f.omega[i] += lc
	}
	floats.Scale(c, f.b)
	f.setDs()
	f.update()
}

// Factor returns μ, D and B.
func (f *LowRank) Factor() Factor { return Factor{Mu: f.mu, D: f.dsd, B: f.b, K: f.k} }

// Transform stores θ = μ + D⊙ε[:d] + Bε[d:] in theta.
func (f *LowRank) Transform(theta, eps []float64) {
	d, k := f.d, f.k
	e2 := eps[d : d+k]
	for a := 0; a < d; a++ {
		theta[a] = f.mu[a] + f.dsd[a]*eps[a] + floats.Dot(f.b[a*k:(a+1)*k], e2)
	}
}

// Backprop adds w·(∂θ/∂φ)ᵀg to dphi: ∂/∂μ = g, ∂/∂log Dₐ = gₐεₐDₐ,
// ∂/∂Bₐⱼ = gₐε_{d+j}.
func (f *LowRank) Backprop(dphi []float64, w float64, g, eps []float64) {
	d, k := f.d, f.k
	e2 := eps[d : d+k]
	gb := dphi[2*d:]
	for a := 0; a < d; a++ {
		wg := w * g[a]
		dphi[a] += wg
		gd := wg * eps[a] // ∂/∂Dₐ
		dphi[d+a] += gd * f.dOmega(a)
		if wg != 0 {
			row := gb[a*k : (a+1)*k]
			floats.AddScaled(row, wg, e2)
			floats.AddScaled(row, gd*f.dB(a), f.b[a*k:(a+1)*k])
		}
	}
}

// BackpropFactor adds the φ-gradient given ∂/∂μ, ∂/∂D and ∂/∂B.
func (f *LowRank) BackpropFactor(dphi, gmu, gD, gB []float64) {
	d := f.d
	floats.Add(dphi[:d], gmu)
	if gB != nil {
		floats.Add(dphi[2*d:], gB)
	}
	if gD != nil {
		gb := dphi[2*d:]
		for a := 0; a < d; a++ {
			dphi[d+a] += gD[a] * f.dOmega(a)
			floats.AddScaled(gb[a*f.k:(a+1)*f.k], gD[a]*f.dB(a), f.b[a*f.k:(a+1)*f.k])
		}
	}
}

// Entropy returns ½d(1 + log 2π) + ½log|Σ|, log|Σ| = 2Σlog Dₐ + log|M|,
// and adds its gradient: ∂H/∂Σ = ½Σ⁻¹, so with qₐ = WₐR⁻¹ (WₐM⁻¹Wₐᵀ =
// |qₐ|²), ∂H/∂log Dₐ = 1 − |qₐ|² and ∂H/∂Bₐ = (Σ⁻¹B)ₐ = Dₐ⁻¹qₐR⁻ᵀ.
func (f *LowRank) Entropy(grad []float64) float64 {
	d, k := f.d, f.k
	h := 0.5*float64(d)*(1+log2Pi) + 0.5*f.logDet
	if grad == nil {
		return h
	}
	gb := grad[2*d:]
	t := f.scratch()
	defer f.pool.Put(t)
	t = t[:k]
	for a := 0; a < d; a++ {
		// qₐ = WₐR⁻¹, i.e. R⁻ᵀWₐᵀ.
		copy(t, f.w[a*k:(a+1)*k])
		f.solveRt(t)
		gd := (1 - floats.Dot(t, t)) / f.dsd[a] // ∂H/∂Dₐ
		f.solveR(t)
		row := gb[a*k : (a+1)*k]
		floats.AddScaled(row, 1/f.dsd[a], t)
		grad[d+a] += gd * f.dOmega(a)
		floats.AddScaled(row, gd*f.dB(a), f.b[a*k:(a+1)*k])
	}
	return h
}

func (f *LowRank) scratch() []float64 {
	if s, ok := f.pool.Get().([]float64); ok && len(s) >= f.k {
		return s
	}
	return make([]float64, f.k)
}

// LogProb returns log q(θ) = −½(d log 2π + log|Σ| + zᵀΣ⁻¹z) with
// z = θ − μ and zᵀΣ⁻¹z = min_u |y − Wu|² + |u|², y = D⁻¹z (θ = μ + Bu +
// Dv): the least-squares problem [W; I]u ≈ [y; 0], solved by the
// corrected seminormal equations (u = M⁻¹Aᵀb with M = RᵀR from the QR
// factorization, then one step of refinement on the residual; Björck 1987),
// which match Householder least squares in accuracy where the plain
// normal equations lose the residual, and only read the factorization, so
// LogProb is safe for concurrent use. The quadratic is summed as
// residuals.
func (f *LowRank) LogProb(theta []float64) float64 {
	d, k := f.d, f.k
	u := f.scratch()
	defer f.pool.Put(u)
	du := f.scratch()
	defer f.pool.Put(du)
	u, du = u[:k], du[:k]
	// u₀ = M⁻¹Wᵀy.
	clear(u)
	for a := 0; a < d; a++ {
		floats.AddScaled(u, (theta[a]-f.mu[a])/f.dsd[a], f.w[a*k:(a+1)*k])
	}
	f.solveRt(u)
	f.solveR(u)
	// δ = M⁻¹Aᵀr₀ with r₀ = [y − Wu₀; −u₀].
	for refine := 0; refine < 2; refine++ {
		for j := range du {
			du[j] = -u[j]
		}
		for a := 0; a < d; a++ {
			wa := f.w[a*k : (a+1)*k]
			r := (theta[a]-f.mu[a])/f.dsd[a] - floats.Dot(wa, u)
			floats.AddScaled(du, r, wa)
		}
		f.solveRt(du)
		f.solveR(du)
		floats.Add(u, du)
	}
	quad := floats.Dot(u, u)
	for a := 0; a < d; a++ {
		r := (theta[a]-f.mu[a])/f.dsd[a] - floats.Dot(f.w[a*k:(a+1)*k], u)
		quad += r * r
	}
	return -0.5 * (float64(d)*log2Pi + f.logDet + quad)
}

// Mean stores μ in dst.
func (f *LowRank) Mean(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.d)
	}
	copy(dst, f.mu)
	return dst
}

// Cov stores D² + BBᵀ in dst.
func (f *LowRank) Cov(dst *mat.SymDense) {
	d, k := f.d, f.k
	if dst.IsEmpty() {
		dst.ReuseAsSym(d)
	}
	blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: d, Cols: k, Stride: k, Data: f.b}, 0, dst.RawSymmetric())
	for a := 0; a < d; a++ {
		dst.SetSym(a, a, dst.At(a, a)+f.dsd[a]*f.dsd[a])
	}
}
