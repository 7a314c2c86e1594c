package model

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Predictors is implemented by models whose likelihood depends on θ only
// through one linear predictor per row, given a few shared coordinates:
//
//	log p(θ, D) = Σ_c log p_c(θ) + Σᵢ ℓᵢ(ηᵢ, a),
//	ηᵢ = offsetᵢ + xᵢᵀθ[DenseAt : DenseAt+p] + Σ_t τ_t vᵢₜ θ[At_t + jᵢₜ],
//
// with a = exp(θ[AuxAt]) the likelihood's auxiliary parameters, τ_t either
// 1 or exp(θ[ScaleAt_t]), and priors on single coordinates. Given the
// shared coordinates (AuxAt and the ScaleAt of the terms) each ηᵢ is
// Gaussian under a Gaussian q, which is what lets the quadrature ELBO
// integrate every row in one dimension and what the expected Hessian of
// natural-gradient steps is computed from. model.Linear implements it; a
// user's model of this shape implements it by describing itself, and the
// conformance package checks that the description and the log density
// agree.
type Predictors interface {
	Rows
	// Layout describes the model. The result and its slices are shared and
	// must not be modified.
	Layout() *Layout
}

// Layout is the description a Predictors model gives of itself.
type Layout struct {
	// Lik is the row likelihood. Required.
	Lik Likelihood
	// AuxAt holds the θ index of log aₖ for each of Lik's auxiliary
	// parameters.
	AuxAt []int
	// X is the N×p dense part of the design, nil for none; its coefficients
	// are θ[DenseAt : DenseAt+p].
	X       *mat.Dense
	DenseAt int
	// Offset is added to every ηᵢ; nil means zero.
	Offset []float64
	// Terms are the sparse parts of ηᵢ (group-level effects).
	Terms []Term
	// Priors are the priors of single coordinates; a coordinate with no
	// entry has a flat prior on the real line.
	Priors []CoordPrior
	// Const is added to the log density (the terms of coordinates fixed by
	// Condition, say).
	Const float64
}

// Term is a sparse part of the linear predictor: row i adds
// Value[i]·θ[At+Index[i]], multiplied by exp(θ[ScaleAt]) when ScaleAt ≥ 0
// (a non-centered group effect z scaled by its sd τ), or by Mult's value
// when Mult is not nil (ScaleAt must then be −1): for correlated effects
// r = diag(τ)Lz, the coefficient of z_c' in r_c is τ_c L_cc'(ρ).
type Term struct {
	At      int
	Index   []int
	Value   []float64 // nil means 1 for every row
	ScaleAt int       // −1 for none
	Mult    *Multiplier
}

// Multiplier is a term's multiplier as a function of shared coordinates:
// F(grad, x) returns it at x = θ[At] and, when grad is not nil, stores its
// gradient in x there. F must be safe for concurrent use.
type Multiplier struct {
	At []int
	F  func(grad, x []float64) float64
}

// ScaleCoords returns the coordinates the term's multiplier depends on:
// none, ScaleAt, or Mult.At.
func (t *Term) ScaleCoords() []int {
	switch {
	case t.Mult != nil:
		return t.Mult.At
	case t.ScaleAt >= 0:
		return []int{t.ScaleAt}
	}
	return nil
}

// Scale returns the term's multiplier at θ (1 for an unscaled term) and,
// when grad is not nil, stores its gradient in the coordinates of
// ScaleCoords there. It allocates for a Mult.
func (t *Term) Scale(grad, theta []float64) float64 {
	switch {
	case t.Mult != nil:
		x := make([]float64, len(t.Mult.At))
		for k, a := range t.Mult.At {
			x[k] = theta[a]
		}
		return t.Mult.F(grad, x)
	case t.ScaleAt >= 0:
		v := math.Exp(theta[t.ScaleAt])
		if grad != nil {
			grad[0] = v
		}
		return v
	}
	return 1
}

// PriorKind says how a CoordPrior's density is formed.
type PriorKind int

const (
	// RealPrior: θ_At ~ Prior on the real line (nil Prior: flat).
	RealPrior PriorKind = iota
	// LogPositive: exp(θ_At) ~ Prior on (0, ∞), with the log-Jacobian
	// θ_At of x = exp(θ_At) (nil Prior: flat on (0, ∞)).
	LogPositive
	// ScaledNormal: θ_At ~ N(0, exp(θ_ScaleAt)²), a centered group effect,
	// or N(0, 1) when ScaleAt < 0 (a non-centered one).
	ScaledNormal
)

// CoordPrior is the prior of one coordinate.
type CoordPrior struct {
	At      int
	Kind    PriorKind
	Prior   Prior
	ScaleAt int
}

// Shared returns the shared coordinates the rows depend on: the
// likelihood's aux coordinates, then the distinct ScaleAt of the terms, in
// order of first appearance.
func (l *Layout) Shared() []int {
	s := append([]int(nil), l.AuxAt...)
	for _, t := range l.Terms {
		for _, a := range t.ScaleCoords() {
			if !containsInt(s, a) {
				s = append(s, a)
			}
		}
	}
	return s
}

// Hyper returns the coordinates of a model of dimension d that are not
// coefficients of the linear predictors: the likelihood's auxiliary
// parameters and the scales of terms and effects (and any coordinate that
// only has a prior), in increasing order. Given them, the rows' linear
// predictors are linear in the rest.
func (l *Layout) Hyper(d int) []int {
	coef := make([]bool, d)
	if l.X != nil {
		_, p := l.X.Dims()
		for j := 0; j < p; j++ {
			coef[l.DenseAt+j] = true
		}
	}
	for _, t := range l.Terms {
		for _, j := range t.Index {
			coef[t.At+j] = true
		}
	}
	for _, p := range l.Priors {
		if p.Kind == ScaledNormal {
			coef[p.At] = true // a group effect, with or without rows
		}
	}
	var h []int
	for a, c := range coef {
		if !c {
			h = append(h, a)
		}
	}
	return h
}

// Scaled reports whether any term has a multiplier.
func (l *Layout) Scaled() bool {
	for _, t := range l.Terms {
		if t.ScaleAt >= 0 || t.Mult != nil {
			return true
		}
	}
	return false
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ErrLayout is wrapped by the errors Check returns.
var ErrLayout = errors.New("model: invalid layout")

// Check validates l for a model of dimension d: indices in range, slice
// lengths equal to the likelihood's rows, at most one prior per coordinate,
// and shared coordinates that the rows do not also use linearly.
func (l *Layout) Check(d int) error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrLayout, fmt.Sprintf(f, a...))
	}
	if l.Lik == nil {
		return bad("no likelihood")
	}
	n := l.Lik.Len()
	in := func(i int) bool { return i >= 0 && i < d }
	if len(l.AuxAt) != len(l.Lik.Aux()) {
		return bad("%d aux indices for %d auxiliary parameters", len(l.AuxAt), len(l.Lik.Aux()))
	}
	for _, a := range l.AuxAt {
		if !in(a) {
			return bad("aux index %d outside [0, %d)", a, d)
		}
	}
	// Coefficient ranges [lo, hi] that enter ηᵢ linearly.
	type span struct{ lo, hi int }
	var linear []span
	p := 0
	if l.X != nil {
		var r int
		r, p = l.X.Dims()
		if r != n {
			return bad("X has %d rows, the likelihood %d", r, n)
		}
		if p > 0 {
			if !in(l.DenseAt) || !in(l.DenseAt+p-1) {
				return bad("dense block [%d, %d) outside [0, %d)", l.DenseAt, l.DenseAt+p, d)
			}
			linear = append(linear, span{l.DenseAt, l.DenseAt + p - 1})
		}
	}
	if l.Offset != nil && len(l.Offset) != n {
		return bad("offset has %d rows, the likelihood %d", len(l.Offset), n)
	}
	for k, t := range l.Terms {
		if len(t.Index) != n || (t.Value != nil && len(t.Value) != n) {
			return bad("term %d: index or value length differs from the likelihood's %d rows", k, n)
		}
		if t.Mult != nil && t.ScaleAt >= 0 {
			return bad("term %d has both ScaleAt and Mult", k)
		}
		for _, a := range t.ScaleCoords() {
			if !in(a) {
				return bad("term %d: scale coordinate %d outside [0, %d)", k, a, d)
			}
		}
		if n == 0 {
			continue
		}
		lo, hi := t.Index[0], t.Index[0]
		for _, j := range t.Index {
			lo, hi = min(lo, j), max(hi, j)
		}
		if !in(t.At+lo) || !in(t.At+hi) {
			return bad("term %d: coefficients [%d, %d] outside [0, %d)", k, t.At+lo, t.At+hi, d)
		}
		if p > 0 && t.At+lo < l.DenseAt+p && t.At+hi >= l.DenseAt {
			return bad("term %d: coefficients overlap the dense block", k)
		}
		linear = append(linear, span{t.At + lo, t.At + hi})
	}
	for _, s := range l.Shared() {
		for _, sp := range linear {
			if s >= sp.lo && s <= sp.hi {
				return bad("coordinate %d is both shared and a coefficient", s)
			}
		}
	}
	seen := map[int]bool{}
	for _, p := range l.Priors {
		if !in(p.At) || (p.Kind == ScaledNormal && p.ScaleAt >= d) {
			return bad("prior on coordinate %d outside [0, %d)", p.At, d)
		}
		if seen[p.At] {
			return bad("two priors on coordinate %d", p.At)
		}
		seen[p.At] = true
	}
	return nil
}

// LayoutDensity evaluates the log density a layout describes, with its
// gradient when grad is not nil. It is the reference the conformance
// checks compare a Predictors model's LogDensity with, and it is slow
// (it allocates); models evaluate themselves.
func LayoutDensity(l *Layout, grad, theta []float64) float64 {
	d := len(theta)
	g := make([]float64, d)
	lp := l.Const
	for _, p := range l.Priors {
		x := theta[p.At]
		switch p.Kind {
		case RealPrior:
			if p.Prior == nil {
				continue
			}
			v, d1, _ := p.Prior.LogProb(x)
			lp += v
			g[p.At] += d1
		case LogPositive:
			v, d1, _ := LogPositive2(p.Prior, x)
			lp += v
			g[p.At] += d1
		case ScaledNormal:
			prec, lsd := 1.0, 0.0
			if p.ScaleAt >= 0 {
				lsd = theta[p.ScaleAt]
				prec = math.Exp(-2 * lsd)
			}
			lp -= halfLog2Pi + lsd + 0.5*x*x*prec
			g[p.At] -= x * prec
			if p.ScaleAt >= 0 {
				g[p.ScaleAt] += x*x*prec - 1
			}
		}
	}
	aux := make([]float64, len(l.AuxAt))
	for k, a := range l.AuxAt {
		aux[k] = math.Exp(theta[a])
	}
	daux := make([]float64, len(aux))
	var p int
	if l.X != nil {
		_, p = l.X.Dims()
	}
	for i := 0; i < l.Lik.Len(); i++ {
		eta := 0.0
		if l.Offset != nil {
			eta = l.Offset[i]
		}
		if p > 0 {
			eta += floats.Dot(l.X.RawRowView(i), theta[l.DenseAt:l.DenseAt+p])
		}
		for _, t := range l.Terms {
			eta += termValue(&t, i, theta)
		}
		v, d1, _ := l.Lik.LogLik(i, eta, aux, daux)
		lp += v
		if p > 0 {
			floats.AddScaled(g[l.DenseAt:l.DenseAt+p], d1, l.X.RawRowView(i))
		}
		for k, a := range l.AuxAt {
			g[a] += daux[k] * aux[k]
		}
		for _, t := range l.Terms {
			v := 1.0
			if t.Value != nil {
				v = t.Value[i]
			}
			at := t.At + t.Index[i]
			sc := t.ScaleCoords()
			dm := make([]float64, len(sc))
			tau := t.Scale(dm, theta)
			g[at] += d1 * v * tau
			for k, a := range sc {
				g[a] += d1 * v * dm[k] * theta[at]
			}
		}
	}
	if grad != nil {
		copy(grad, g)
	}
	return lp
}

func termValue(t *Term, i int, theta []float64) float64 {
	v := theta[t.At+t.Index[i]]
	if t.Value != nil {
		v *= t.Value[i]
	}
	if t.ScaleAt >= 0 || t.Mult != nil {
		v *= t.Scale(nil, theta)
	}
	return v
}

// WarmStarter is implemented by models with an equivalent
// parameterization that is easier to fit, such as a non-centered
// hierarchical model whose centered form has an expected Hessian: a fit of
// Easier, mapped to this model's coordinates, starts q.
type WarmStarter interface {
	LogDensity
	// Easier returns the easier model and the map from its θ to this
	// model's θ (dst first); ok is false when there is none.
	Easier() (easier LogDensity, to func(dst, theta []float64), ok bool)
}
