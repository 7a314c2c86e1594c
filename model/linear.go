package model

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

const halfLog2Pi = 0.91893853320467274178032973640561763986139747363778

// Likelihood is a per-row log likelihood ℓᵢ(η, a) of a scalar linear
// predictor η and a few positive auxiliary parameters a (such as a
// residual sd), fully normalized. Implementations hold their own data.
type Likelihood interface {
	// Len returns the number of rows N.
	Len() int
	// Aux returns the names of the auxiliary parameters, in order.
	Aux() []string
	// LogLik returns ℓᵢ(η, a) and its first two derivatives in η. If daux
	// is not nil it stores ∂ℓ/∂aₖ there.
	LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64)
}

// AuxHessian is implemented by likelihoods that give second derivatives
// involving their auxiliary parameters.
type AuxHessian interface {
	// LogLikAux2 stores ∂²ℓ/∂η∂aₖ in deta and ∂²ℓ/∂aₖ∂aₗ (row-major K×K)
	// in daa.
	LogLikAux2(i int, eta float64, aux, deta, daa []float64)
}

// AuxCached is implemented by likelihoods whose cost is dominated by
// functions of the auxiliary parameters alone (lgamma or digamma of ν, …):
// PrepareAux computes them once per value of aux, for example once per
// quadrature node, and LogLikPrepared evaluates rows with them. The
// results must equal LogLik's.
type AuxCached interface {
	// AuxCacheLen returns the length of the cache.
	AuxCacheLen() int
	// PrepareAux fills cache for aux.
	PrepareAux(cache, aux []float64)
	// LogLikPrepared is LogLik with the cache of PrepareAux(cache, aux).
	LogLikPrepared(i int, eta float64, aux, cache, daux []float64) (l, d1, d2 float64)
}

// RowValues is implemented by likelihoods without auxiliary parameters
// that evaluate one row's ℓᵢ at many linear predictors in one call and
// without derivatives: the diagnostics' passes need log p at every draw,
// where a call per draw through Likelihood pays for derivatives it
// discards and for the dispatch.
type RowValues interface {
	// LogLikValues stores in dst[s] the ℓᵢ(eta[s]) that LogLik returns,
	// bit for bit; dst and eta have the same length.
	LogLikValues(dst []float64, i int, eta []float64)
}

// LogLikValues stores in dst[s] row i's ℓ at eta[s] for a likelihood
// without auxiliary parameters, through its RowValues when it has one.
func LogLikValues(l Likelihood, dst []float64, i int, eta []float64) {
	if rv, ok := l.(RowValues); ok {
		rv.LogLikValues(dst, i, eta)
		return
	}
	for s, e := range eta {
		dst[s], _, _ = l.LogLik(i, e, nil, nil)
	}
}

// Polynomial is implemented by likelihoods that are polynomials of the
// given degree in η (the Gaussian: 2), so quadrature needs few nodes.
type Polynomial interface {
	Degree() int
}

// Prior is a univariate prior density on a parameter's natural scale.
type Prior interface {
	// LogProb returns log p(x) and its first two derivatives; -Inf outside
	// the support.
	LogProb(x float64) (lp, d1, d2 float64)
	// Positive reports whether the support is (0, ∞).
	Positive() bool
	// Proper reports whether the density integrates to one.
	Proper() bool
	// String returns the prior in Stan's spelling, e.g. "normal(0, 2.5)".
	String() string
}

// NormalPrior is implemented by Gaussian priors so that estimators can use
// closed-form expectations.
type NormalPrior interface {
	NormalParams() (mu, sigma float64)
}

// Group is a varying coefficient: for each row i, the term
// Value[i]·r[Index[i]] enters ηᵢ, with group effects r_l ~ N(0, τ²) and a
// prior on the group sd τ > 0.
type Group struct {
	// Name is the grouping factor, e.g. "school".
	Name string
	// Coef names the varying coefficient: "Intercept" or a variable.
	Coef string
	// Levels are the level labels; their number sets the number of effects.
	Levels []string
	// Index holds each row's level in [0, len(Levels)).
	Index []int
	// Value holds each row's multiplier; nil means 1 (varying intercepts).
	Value []float64
	// SD is the prior on τ; nil means flat on (0, ∞).
	SD Prior
	// Centered selects the centered parameterization r_l ~ N(0, τ²). The
	// default (false) is non-centered, r_l = τ z_l with z_l ~ N(0, 1), which
	// avoids the funnel between r and log τ when groups have little data
	// (Betancourt & Girolami 2015).
	Centered bool
}

// Terms declares a Linear model. Zero values are documented per field.
type Terms struct {
	// Lik is the row likelihood. Required.
	Lik Likelihood
	// X is the N×p population-level design; nil means no columns.
	X *mat.Dense
	// Names are the p column names of X; nil means "b[1]", "b[2]", ….
	Names []string
	// Offset is added to every ηᵢ; nil means zero.
	Offset []float64
	// Coef holds a prior per column of X; a nil slice or entry means flat.
	Coef []Prior
	// Aux holds a prior per auxiliary likelihood parameter; a nil slice or
	// entry means flat on (0, ∞).
	Aux []Prior
	// Groups are varying coefficients.
	Groups []Group
	// Correlations make some groups of one grouping factor correlated
	// (brms's (1 + x | g)); groups in none are independent ((1 + x || g)).
	Correlations []Correlation
}

// Linear is a model whose log likelihood is Σᵢ ℓᵢ(ηᵢ, a) with
//
//	ηᵢ = offsetᵢ + xᵢᵀβ + Σ_g valueᵢ_g · r_g[levelᵢ_g],
//
// plus independent priors. Its unconstrained parameter vector is
//
//	θ = (log a, log τ for non-centered groups, log τ for centered groups, β, group coefficients)
//
// with the shared parameters ψ first, so that under a Gaussian q with lower
// triangular scale they depend only on the first components of ε. The
// quadrature estimator relies on that order.
type Linear struct {
	t Terms

	n, p, kl int
	d        int

	auxAt   []int // θ index of likelihood aux k
	sdAt    []int // θ index of group g's log τ
	coefAt  int   // θ index of β[0]
	groupAt []int // θ index of group g's first coefficient
	kRow    int   // leading ψ coordinates that row terms depend on
	proper  bool
	layout  Layout
	blocks  []corBlock
	blockOf []int        // group g's correlation block, −1 for none
	generic *LayoutModel // evaluates m when it has correlations

	scratch sync.Pool
}

var (
	_ Predictors  = (*Linear)(nil)
	_ WarmStarter = (*Linear)(nil)
)

// NewLinear checks t and returns the model.
func NewLinear(t Terms) (*Linear, error) {
	if t.Lik == nil {
		return nil, errors.New("model: Linear needs a likelihood")
	}
	m := &Linear{t: t, n: t.Lik.Len(), kl: len(t.Lik.Aux())}
	if len(t.Correlations) > 0 {
		// Correlated effects are non-centered.
		m.t.Groups = append([]Group(nil), t.Groups...)
		for _, c := range t.Correlations {
			for _, g := range c.Groups {
				if g >= 0 && g < len(t.Groups) {
					m.t.Groups[g].Centered = false
				}
			}
		}
		t = m.t
	}
	if t.X != nil {
		r, c := t.X.Dims()
		if r != m.n {
			return nil, fmt.Errorf("model: X has %d rows, the likelihood %d", r, m.n)
		}
		m.p = c
	}
	if t.Names != nil && len(t.Names) != m.p {
		return nil, fmt.Errorf("model: %d names for %d columns", len(t.Names), m.p)
	}
	if t.Offset != nil && len(t.Offset) != m.n {
		return nil, fmt.Errorf("model: offset has %d rows, the likelihood %d", len(t.Offset), m.n)
	}
	if t.Coef != nil && len(t.Coef) != m.p {
		return nil, fmt.Errorf("model: %d coefficient priors for %d columns", len(t.Coef), m.p)
	}
	if t.Aux != nil && len(t.Aux) != m.kl {
		return nil, fmt.Errorf("model: %d priors for %d auxiliary parameters", len(t.Aux), m.kl)
	}
	m.proper = true
	for j := 0; j < m.p; j++ {
		pr := m.CoefPrior(j)
		if pr == nil {
			m.proper = false
			continue
		}
		if pr.Positive() {
			return nil, fmt.Errorf("model: coefficient %s has prior %s, which needs a positive parameter", m.colName(j), pr)
		}
		m.proper = m.proper && pr.Proper()
	}
	for k := 0; k < m.kl; k++ {
		pr := m.AuxPrior(k)
		if pr == nil {
			m.proper = false
			continue
		}
		if !pr.Positive() {
			return nil, fmt.Errorf("model: %s has prior %s; it needs a prior on (0, ∞)", t.Lik.Aux()[k], pr)
		}
		m.proper = m.proper && pr.Proper()
	}
	for g, gr := range t.Groups {
		if len(gr.Levels) == 0 {
			return nil, fmt.Errorf("model: group %d (%s) has no levels", g, gr.Name)
		}
		if len(gr.Index) != m.n {
			return nil, fmt.Errorf("model: group %s has %d row indices, the likelihood %d", gr.Name, len(gr.Index), m.n)
		}
		if gr.Value != nil && len(gr.Value) != m.n {
			return nil, fmt.Errorf("model: group %s has %d values, the likelihood %d", gr.Name, len(gr.Value), m.n)
		}
		for i, l := range gr.Index {
			if l < 0 || l >= len(gr.Levels) {
				return nil, fmt.Errorf("model: group %s: row %d has level %d outside [0, %d)", gr.Name, i+1, l, len(gr.Levels))
			}
		}
		if gr.SD == nil {
			m.proper = false
		} else {
			if !gr.SD.Positive() {
				return nil, fmt.Errorf("model: group %s: sd prior %s needs a positive support", gr.Name, gr.SD)
			}
			m.proper = m.proper && gr.SD.Proper()
		}
	}
	// Layout: likelihood aux, non-centered sds, centered sds, β, group coefficients.
	at := 0
	m.auxAt = make([]int, m.kl)
	for k := range m.auxAt {
		m.auxAt[k] = at
		at++
	}
	m.sdAt = make([]int, len(t.Groups))
	for pass := 0; pass < 2; pass++ {
		for g, gr := range t.Groups {
			if gr.Centered == (pass == 1) {
				m.sdAt[g] = at
				at++
			}
		}
		if pass == 0 {
			m.kRow = at
		}
	}
	var err error
	if m.blocks, m.blockOf, at, err = corBlocks(t, at); err != nil {
		return nil, err
	}
	m.coefAt = at
	at += m.p
	m.groupAt = make([]int, len(t.Groups))
	for g, gr := range t.Groups {
		m.groupAt[g] = at
		at += len(gr.Levels)
	}
	m.d = at
	m.layout = m.buildLayout()
	if len(m.blocks) > 0 {
		if m.generic, err = NewLayoutModel(m.layout, m.d); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// buildLayout describes m as a Predictors model.
func (m *Linear) buildLayout() Layout {
	l := Layout{Lik: m.t.Lik, AuxAt: m.auxAt, X: m.t.X, DenseAt: m.coefAt, Offset: m.t.Offset}
	if m.p == 0 {
		l.X = nil
	}
	for j := 0; j < m.p; j++ {
		l.Priors = append(l.Priors, CoordPrior{At: m.coefAt + j, Kind: RealPrior, Prior: m.CoefPrior(j)})
	}
	for k := 0; k < m.kl; k++ {
		l.Priors = append(l.Priors, CoordPrior{At: m.auxAt[k], Kind: LogPositive, Prior: m.AuxPrior(k)})
	}
	for g, gr := range m.t.Groups {
		l.Priors = append(l.Priors, CoordPrior{At: m.sdAt[g], Kind: LogPositive, Prior: gr.SD})
		scale := -1
		if gr.Centered {
			scale = m.sdAt[g]
		}
		for lv := range gr.Levels {
			l.Priors = append(l.Priors, CoordPrior{At: m.groupAt[g] + lv, Kind: ScaledNormal, ScaleAt: scale})
		}
		if m.blockOf[g] >= 0 {
			continue // below
		}
		t := Term{At: m.groupAt[g], Index: gr.Index, Value: gr.Value, ScaleAt: -1}
		if !gr.Centered {
			t.ScaleAt = m.sdAt[g]
		}
		l.Terms = append(l.Terms, t)
	}
	// Correlated effects: r_c = τ_c Σ_{m≤c} L_cm z_m, one term per (c, m).
	for bi := range m.blocks {
		b := &m.blocks[bi]
		for c := 1; c < b.k; c++ {
			for j := 0; j < c; j++ {
				l.Priors = append(l.Priors, CoordPrior{At: b.yIndex(c, j), Kind: RealPrior, Prior: newCPCPrior(b.eta + float64(b.k-2-j)/2)})
			}
		}
		for c, g := range b.groups {
			gr := m.t.Groups[g]
			for j := 0; j <= c; j++ {
				l.Terms = append(l.Terms, Term{At: m.groupAt[b.groups[j]], Index: gr.Index, Value: gr.Value, ScaleAt: -1,
					Mult: corMultiplier(m.sdAt[g], b, c, j)})
			}
		}
	}
	return l
}

// Layout describes m (see Predictors).
func (m *Linear) Layout() *Layout { return &m.layout }

// Easier returns, for a model with non-centered groups, the same model with
// every group centered and the map from its θ to m's; the centered form
// has an expected Hessian, so natural-gradient steps fit it fast.
func (m *Linear) Easier() (LogDensity, func(dst, theta []float64), bool) {
	if !m.layout.Scaled() || len(m.blocks) > 0 {
		return nil, nil, false
	}
	c, err := m.Reparameterize(true)
	if err != nil {
		return nil, nil, false
	}
	return c, func(dst, theta []float64) { m.MapFrom(dst, c, theta) }, true
}

func (m *Linear) colName(j int) string {
	if m.t.Names != nil {
		return m.t.Names[j]
	}
	return fmt.Sprintf("b[%d]", j+1)
}

// Dim returns the number of unconstrained parameters.
func (m *Linear) Dim() int { return m.d }

// NumRows returns N.
func (m *Linear) NumRows() int { return m.n }

// NumCoef returns p, the number of columns of X.
func (m *Linear) NumCoef() int { return m.p }

// Proper reports whether every prior is proper, so that the ELBO bounds a
// well-defined log evidence; with a flat prior it is only relative.
func (m *Linear) Proper() bool { return m.proper }

// Terms returns the declaration. Its slices are shared; do not modify them.
func (m *Linear) Terms() Terms { return m.t }

// CoefPrior returns the prior of column j, nil for flat.
func (m *Linear) CoefPrior(j int) Prior {
	if m.t.Coef == nil {
		return nil
	}
	return m.t.Coef[j]
}

// AuxPrior returns the prior of auxiliary parameter k, nil for flat.
func (m *Linear) AuxPrior(k int) Prior {
	if m.t.Aux == nil {
		return nil
	}
	return m.t.Aux[k]
}

// AuxIndex returns the θ index of log aₖ.
func (m *Linear) AuxIndex(k int) int { return m.auxAt[k] }

// SDIndex returns the θ index of group g's log τ.
func (m *Linear) SDIndex(g int) int { return m.sdAt[g] }

// CoefIndex returns the θ index of β[j].
func (m *Linear) CoefIndex(j int) int { return m.coefAt + j }

// GroupIndex returns the θ index of group g's coefficient for level l.
func (m *Linear) GroupIndex(g, l int) int { return m.groupAt[g] + l }

// RowAux returns k such that every row term depends on ψ only through
// θ[0:k] (the likelihood's aux parameters and the non-centered sds).
func (m *Linear) RowAux() int { return m.kRow }

// NumShared returns the number of shared parameters ψ (aux and sds), which
// come first in θ.
func (m *Linear) NumShared() int { return m.coefAt }

type linScratch struct {
	aux, daux []float64
	tau       []float64
}

func (m *Linear) getScratch() *linScratch {
	if s, ok := m.scratch.Get().(*linScratch); ok {
		return s
	}
	return &linScratch{
		aux:  make([]float64, m.kl),
		daux: make([]float64, m.kl),
		tau:  make([]float64, len(m.t.Groups)),
	}
}

// Eta returns ηᵢ at θ.
func (m *Linear) Eta(i int, theta []float64) float64 {
	eta := 0.0
	if m.t.Offset != nil {
		eta = m.t.Offset[i]
	}
	if m.p > 0 {
		eta += floats.Dot(m.t.X.RawRowView(i), theta[m.coefAt:m.coefAt+m.p])
	}
	for g := range m.t.Groups {
		gr := &m.t.Groups[g]
		v := theta[m.groupAt[g]+gr.Index[i]]
		if gr.Value != nil {
			v *= gr.Value[i]
		}
		if !gr.Centered {
			v *= math.Exp(theta[m.sdAt[g]])
		}
		eta += v
	}
	return eta
}

// LogDensity returns log p(θ, D) on the unconstrained scale, Jacobians
// included.
func (m *Linear) LogDensity(theta []float64) float64 {
	return m.LogDensityRows(nil, theta, nil, 1)
}

// LogDensityGrad stores the gradient of log p(θ, D) in grad.
func (m *Linear) LogDensityGrad(grad, theta []float64) float64 {
	return m.LogDensityRows(grad, theta, nil, 1)
}

// LogDensityRows returns the log prior plus scale times the log likelihood
// of the given rows (all rows when rows is nil).
func (m *Linear) LogDensityRows(grad, theta []float64, rows []int, scale float64) float64 {
	if m.generic != nil {
		return m.generic.LogDensityRows(grad, theta, rows, scale)
	}
	s := m.getScratch()
	defer m.scratch.Put(s)
	if grad != nil {
		for i := range grad {
			grad[i] = 0
		}
	}
	lp := m.logPrior(grad, theta, s)
	for k := 0; k < m.kl; k++ {
		s.aux[k] = math.Exp(theta[m.auxAt[k]])
	}
	for g, gr := range m.t.Groups {
		if !gr.Centered {
			s.tau[g] = math.Exp(theta[m.sdAt[g]])
		}
	}
	var daux []float64
	if grad != nil {
		daux = s.daux
	}
	var gbeta []float64
	if grad != nil {
		gbeta = grad[m.coefAt : m.coefAt+m.p]
	}
	ll := 0.0
	nr := m.n
	if rows != nil {
		nr = len(rows)
	}
	for r := 0; r < nr; r++ {
		i := r
		if rows != nil {
			i = rows[r]
		}
		l, d1, _ := m.t.Lik.LogLik(i, m.Eta(i, theta), s.aux, daux)
		ll += l
		if grad == nil {
			continue
		}
		d1 *= scale
		if m.p > 0 {
			floats.AddScaled(gbeta, d1, m.t.X.RawRowView(i))
		}
		for k := 0; k < m.kl; k++ {
			grad[m.auxAt[k]] += scale * daux[k] * s.aux[k]
		}
		for g := range m.t.Groups {
			gr := &m.t.Groups[g]
			v := 1.0
			if gr.Value != nil {
				v = gr.Value[i]
			}
			at := m.groupAt[g] + gr.Index[i]
			if gr.Centered {
				grad[at] += d1 * v
			} else {
				grad[at] += d1 * v * s.tau[g]
				grad[m.sdAt[g]] += d1 * v * s.tau[g] * theta[at]
			}
		}
	}
	return lp + scale*ll
}

// logPrior returns the log prior with Jacobians and adds its gradient.
func (m *Linear) logPrior(grad, theta []float64, s *linScratch) float64 {
	lp := 0.0
	for j := 0; j < m.p; j++ {
		pr := m.CoefPrior(j)
		if pr == nil {
			continue
		}
		l, d1, _ := pr.LogProb(theta[m.coefAt+j])
		lp += l
		if grad != nil {
			grad[m.coefAt+j] += d1
		}
	}
	for k := 0; k < m.kl; k++ {
		l, d1 := logPositive(m.AuxPrior(k), theta[m.auxAt[k]])
		lp += l
		if grad != nil {
			grad[m.auxAt[k]] += d1
		}
	}
	for g, gr := range m.t.Groups {
		psi := theta[m.sdAt[g]]
		l, d1 := logPositive(gr.SD, psi)
		lp += l
		if grad != nil {
			grad[m.sdAt[g]] += d1
		}
		prec := 1.0
		if gr.Centered {
			prec = math.Exp(-2 * psi)
		}
		for lv := range gr.Levels {
			at := m.groupAt[g] + lv
			b := theta[at]
			lp -= halfLog2Pi + 0.5*b*b*prec
			if gr.Centered {
				lp -= psi
			}
			if grad != nil {
				grad[at] -= b * prec
				if gr.Centered {
					grad[m.sdAt[g]] += b*b*prec - 1
				}
			}
		}
	}
	return lp
}

// logPositive returns log p(e^ψ) + ψ, the density of ψ = log x for a prior
// on x > 0 (the log Jacobian of x = e^ψ is ψ), and its derivative in ψ.
func logPositive(pr Prior, psi float64) (l, d1 float64) {
	if pr == nil {
		return psi, 1
	}
	x := math.Exp(psi)
	lp, dlp, _ := pr.LogProb(x)
	return lp + psi, dlp*x + 1
}

// LogPositive2 is logPositive with the second derivative in ψ, for
// estimators that integrate the prior of a shared parameter.
func LogPositive2(pr Prior, psi float64) (l, d1, d2 float64) {
	if pr == nil {
		return psi, 1, 0
	}
	x := math.Exp(psi)
	lp, dlp, d2lp := pr.LogProb(x)
	return lp + psi, dlp*x + 1, d2lp*x*x + dlp*x
}
