package model

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
)

// LayoutModel is the Predictors model a Layout describes, evaluated
// directly from it. Condition returns one; a user may build one to get a
// Predictors model without writing its log density.
type LayoutModel struct {
	l       Layout
	d, p, n int
	scratch sync.Pool
}

var _ Predictors = (*LayoutModel)(nil)

// NewLayoutModel returns the model of l over R^d after checking l.
func NewLayoutModel(l Layout, d int) (*LayoutModel, error) {
	if err := l.Check(d); err != nil {
		return nil, err
	}
	m := &LayoutModel{l: l, d: d, n: l.Lik.Len()}
	if l.X != nil {
		_, m.p = l.X.Dims()
	}
	return m, nil
}

// Dim returns d.
func (m *LayoutModel) Dim() int { return m.d }

// NumRows returns N.
func (m *LayoutModel) NumRows() int { return m.n }

// Layout returns the layout.
func (m *LayoutModel) Layout() *Layout { return &m.l }

// LogDensity returns log p(θ, D).
func (m *LayoutModel) LogDensity(theta []float64) float64 {
	return m.LogDensityRows(nil, theta, nil, 1)
}

// LogDensityGrad stores the gradient of log p(θ, D) in grad.
func (m *LayoutModel) LogDensityGrad(grad, theta []float64) float64 {
	return m.LogDensityRows(grad, theta, nil, 1)
}

type layoutScratch struct {
	aux, daux []float64
	tau       []float64   // each term's multiplier at θ
	dm        [][]float64 // and its gradient in the term's ScaleCoords
	coords    [][]int     // the terms' ScaleCoords
}

// LogDensityRows returns the log prior plus scale times the log likelihood
// of the given rows (all rows when rows is nil).
func (m *LayoutModel) LogDensityRows(grad, theta []float64, rows []int, scale float64) float64 {
	l := &m.l
	s, ok := m.scratch.Get().(*layoutScratch)
	if !ok {
		s = &layoutScratch{aux: make([]float64, len(l.AuxAt)), daux: make([]float64, len(l.AuxAt)), tau: make([]float64, len(l.Terms))}
		for t := range l.Terms {
			sc := l.Terms[t].ScaleCoords()
			s.coords = append(s.coords, sc)
			s.dm = append(s.dm, make([]float64, len(sc)))
		}
	}
	// The terms' multipliers depend on θ only: once per call.
	for t := range l.Terms {
		s.tau[t] = l.Terms[t].Scale(s.dm[t], theta)
	}
	defer m.scratch.Put(s)
	if grad != nil {
		clear(grad)
	}
	lp := l.Const + priorDensity(l.Priors, grad, theta)
	for k, a := range l.AuxAt {
		s.aux[k] = math.Exp(theta[a])
	}
	var daux []float64
	if grad != nil {
		daux = s.daux
	}
	nr := m.n
	if rows != nil {
		nr = len(rows)
	}
	ll := 0.0
	for r := 0; r < nr; r++ {
		i := r
		if rows != nil {
			i = rows[r]
		}
		eta := 0.0
		if l.Offset != nil {
			eta = l.Offset[i]
		}
		if m.p > 0 {
			eta += floats.Dot(l.X.RawRowView(i), theta[l.DenseAt:l.DenseAt+m.p])
		}
		for t := range l.Terms {
			term := &l.Terms[t]
			v := theta[term.At+term.Index[i]] * s.tau[t]
			if term.Value != nil {
				v *= term.Value[i]
			}
			eta += v
		}
		v, d1, _ := l.Lik.LogLik(i, eta, s.aux, daux)
		ll += v
		if grad == nil {
			continue
		}
		d1 *= scale
		if m.p > 0 {
			floats.AddScaled(grad[l.DenseAt:l.DenseAt+m.p], d1, l.X.RawRowView(i))
		}
		for k, a := range l.AuxAt {
			grad[a] += scale * daux[k] * s.aux[k]
		}
		for t := range l.Terms {
			term := &l.Terms[t]
			v := 1.0
			if term.Value != nil {
				v = term.Value[i]
			}
			at := term.At + term.Index[i]
			grad[at] += d1 * v * s.tau[t]
			for k, a := range s.coords[t] {
				grad[a] += d1 * v * s.dm[t][k] * theta[at]
			}
		}
	}
	return lp + scale*ll
}

// priorDensity returns the log density of the coordinate priors and adds
// its gradient to grad when grad is not nil.
func priorDensity(priors []CoordPrior, grad, theta []float64) float64 {
	lp := 0.0
	for _, p := range priors {
		x := theta[p.At]
		var v, d1 float64
		switch p.Kind {
		case RealPrior:
			if p.Prior == nil {
				continue
			}
			v, d1, _ = p.Prior.LogProb(x)
		case LogPositive:
			v, d1, _ = LogPositive2(p.Prior, x)
		case ScaledNormal:
			prec, lsd := 1.0, 0.0
			if p.ScaleAt >= 0 {
				lsd = theta[p.ScaleAt]
				prec = math.Exp(-2 * lsd)
			}
			v = -halfLog2Pi - lsd - 0.5*x*x*prec
			d1 = -x * prec
			if grad != nil && p.ScaleAt >= 0 {
				grad[p.ScaleAt] += x*x*prec - 1
			}
		}
		lp += v
		if grad != nil {
			grad[p.At] += d1
		}
	}
	return lp
}

// Condition returns m with the coordinates fixed set to values: a model
// over the other coordinates (kept in their order; free lists them) whose
// log density at x is m's at the θ that has values at fixed and x
// elsewhere, so its ELBO bounds log p(θ_fixed, D). The fixed coordinates
// must be shared ones (auxiliary parameters of the likelihood, scales of
// terms or of centered effects), not coefficients: given them, the model
// has no shared coordinates left when all are fixed, and its expected
// Hessian exists. Their prior terms go into Const, terms scaled by them
// have the scale folded into their values, and centered effects whose
// scale is fixed get a normal prior.
func Condition(m Predictors, fixed []int, values []float64) (cm *LayoutModel, free []int, err error) {
	if len(fixed) != len(values) {
		return nil, nil, fmt.Errorf("model: Condition: %d coordinates, %d values", len(fixed), len(values))
	}
	d := m.Dim()
	l := m.Layout()
	fixedVal := map[int]float64{}
	for k, a := range fixed {
		if a < 0 || a >= d {
			return nil, nil, fmt.Errorf("model: Condition: coordinate %d outside [0, %d)", a, d)
		}
		if math.IsNaN(values[k]) || math.IsInf(values[k], 0) {
			return nil, nil, fmt.Errorf("model: Condition: coordinate %d fixed at %g", a, values[k])
		}
		fixedVal[a] = values[k]
	}
	newAt := make([]int, d)
	for a := 0; a < d; a++ {
		if _, ok := fixedVal[a]; ok {
			newAt[a] = -1
			continue
		}
		newAt[a] = len(free)
		free = append(free, a)
	}
	coef := func(a int) error {
		if newAt[a] < 0 {
			return fmt.Errorf("model: Condition: coordinate %d is a coefficient; only shared coordinates can be fixed", a)
		}
		return nil
	}
	out := Layout{Offset: l.Offset, Const: l.Const}
	if l.X != nil {
		_, p := l.X.Dims()
		if p > 0 {
			for j := 0; j < p; j++ {
				if err := coef(l.DenseAt + j); err != nil {
					return nil, nil, err
				}
			}
			out.X, out.DenseAt = l.X, newAt[l.DenseAt]
		}
	}
	// The likelihood with its fixed auxiliary parameters.
	fa := &fixedAux{inner: l.Lik, free: nil, vals: make([]float64, len(l.AuxAt))}
	for k, a := range l.AuxAt {
		if v, ok := fixedVal[a]; ok {
			fa.vals[k] = math.Exp(v)
			continue
		}
		fa.free = append(fa.free, k)
		out.AuxAt = append(out.AuxAt, newAt[a])
	}
	out.Lik = l.Lik
	if len(fa.free) < len(l.AuxAt) {
		out.Lik = fa.wrap()
	}
	for _, t := range l.Terms {
		nt := Term{Index: t.Index, Value: t.Value, ScaleAt: -1}
		if len(t.Index) > 0 {
			lo, hi := slices.Min(t.Index), slices.Max(t.Index)
			for a := t.At + lo; a <= t.At+hi; a++ {
				if err := coef(a); err != nil {
					return nil, nil, err
				}
			}
			nt.At = newAt[t.At+lo] - lo
		}
		if sc := t.ScaleCoords(); len(sc) > 0 {
			nfixed := 0
			for _, a := range sc {
				if _, ok := fixedVal[a]; ok {
					nfixed++
				}
			}
			switch nfixed {
			case len(sc):
				theta := make([]float64, d)
				for _, a := range sc {
					theta[a] = fixedVal[a]
				}
				tau := t.Scale(nil, theta)
				nt.Value = make([]float64, len(t.Index))
				for i := range nt.Value {
					nt.Value[i] = tau
					if t.Value != nil {
						nt.Value[i] *= t.Value[i]
					}
				}
			case 0:
				nt.ScaleAt = -1
				if t.ScaleAt >= 0 {
					nt.ScaleAt = newAt[t.ScaleAt]
				}
				if t.Mult != nil {
					at := make([]int, len(t.Mult.At))
					for k, a := range t.Mult.At {
						at[k] = newAt[a]
					}
					nt.Mult = &Multiplier{At: at, F: t.Mult.F}
				}
			default:
				return nil, nil, fmt.Errorf("model: Condition: a term's multiplier depends on fixed and free coordinates")
			}
		}
		out.Terms = append(out.Terms, nt)
	}
	theta := make([]float64, d)
	for a, v := range fixedVal {
		theta[a] = v
	}
	for _, p := range l.Priors {
		if _, ok := fixedVal[p.At]; ok {
			out.Const += priorDensity([]CoordPrior{p}, nil, theta)
			continue
		}
		np := p
		np.At = newAt[p.At]
		if p.Kind == ScaledNormal && p.ScaleAt >= 0 {
			if v, ok := fixedVal[p.ScaleAt]; ok {
				np = CoordPrior{At: newAt[p.At], Kind: RealPrior, Prior: normalPrior{sigma: math.Exp(v)}}
			} else {
				np.ScaleAt = newAt[p.ScaleAt]
			}
		}
		out.Priors = append(out.Priors, np)
	}
	cm, err = NewLayoutModel(out, len(free))
	return cm, free, err
}

// normalPrior is N(0, sigma²), the prior of a centered effect whose scale
// is fixed.
type normalPrior struct{ sigma float64 }

func (n normalPrior) LogProb(x float64) (lp, d1, d2 float64) {
	p := 1 / (n.sigma * n.sigma)
	return -halfLog2Pi - math.Log(n.sigma) - 0.5*x*x*p, -x * p, -p
}
func (normalPrior) Positive() bool                      { return false }
func (normalPrior) Proper() bool                        { return true }
func (n normalPrior) String() string                    { return fmt.Sprintf("normal(0, %g)", n.sigma) }
func (n normalPrior) NormalParams() (mu, sigma float64) { return 0, n.sigma }

// fixedAux is a likelihood with some of its auxiliary parameters fixed.
type fixedAux struct {
	inner Likelihood
	free  []int     // positions in inner's aux of the free parameters
	vals  []float64 // inner's aux, the fixed ones set
	cache []float64 // inner's AuxCached cache when all are fixed
	pool  sync.Pool
}

// wrap returns fa as a Likelihood that keeps the inner's Polynomial and,
// when every aux is fixed, prepares an AuxCached inner's cache once.
func (fa *fixedAux) wrap() Likelihood {
	if ac, ok := fa.inner.(AuxCached); ok && len(fa.free) == 0 {
		fa.cache = make([]float64, ac.AuxCacheLen())
		ac.PrepareAux(fa.cache, fa.vals)
	}
	if p, ok := fa.inner.(Polynomial); ok {
		return fixedAuxPoly{fa, p.Degree()}
	}
	return fa
}

type fixedAuxPoly struct {
	*fixedAux
	degree int
}

func (f fixedAuxPoly) Degree() int { return f.degree }

func (fa *fixedAux) Len() int { return fa.inner.Len() }

func (fa *fixedAux) Aux() []string {
	names := fa.inner.Aux()
	var out []string
	for _, k := range fa.free {
		out = append(out, names[k])
	}
	return out
}

type fixedAuxScratch struct{ aux, daux []float64 }

func (fa *fixedAux) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	if len(fa.free) == 0 {
		if fa.cache != nil {
			return fa.inner.(AuxCached).LogLikPrepared(i, eta, fa.vals, fa.cache, nil)
		}
		return fa.inner.LogLik(i, eta, fa.vals, nil)
	}
	s, ok := fa.pool.Get().(*fixedAuxScratch)
	if !ok {
		s = &fixedAuxScratch{aux: make([]float64, len(fa.vals)), daux: make([]float64, len(fa.vals))}
	}
	defer fa.pool.Put(s)
	copy(s.aux, fa.vals)
	for k, j := range fa.free {
		s.aux[j] = aux[k]
	}
	var inner []float64
	if daux != nil {
		inner = s.daux
	}
	l, d1, d2 = fa.inner.LogLik(i, eta, s.aux, inner)
	if daux != nil {
		for k, j := range fa.free {
			daux[k] = s.daux[j]
		}
	}
	return l, d1, d2
}
