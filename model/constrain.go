package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/govi-dev/govi/transform"
)

// Constrainer is implemented by models that map their unconstrained
// parameters θ to named quantities on the natural scale, for summaries
// and draws (σ instead of log σ, group effects τ·z instead of z, …).
type Constrainer interface {
	// ConstrainedNames returns the names of the constrained quantities.
	ConstrainedNames() []string
	// Constrain stores the constrained quantities at θ in dst.
	Constrain(dst, theta []float64)
}

// Names returns the names of the unconstrained parameters θ: log_sigma,
// log_sd_g__Intercept, the column names, z_g[level,coef] (non-centered)
// or r_g[level,coef] (centered), and atanh_cpc_g[c,m], the atanh of the
// canonical partial correlations of correlated effects.
func (m *Linear) Names() []string {
	names := make([]string, m.d)
	for k, a := range m.t.Lik.Aux() {
		names[m.auxAt[k]] = "log_" + a
	}
	for g, gr := range m.t.Groups {
		names[m.sdAt[g]] = "log_" + sdName(gr)
		for l, lv := range gr.Levels {
			p := "r_"
			if !gr.Centered {
				p = "z_"
			}
			names[m.groupAt[g]+l] = fmt.Sprintf("%s%s[%s,%s]", p, gr.Name, lv, gr.Coef)
		}
	}
	for j := 0; j < m.p; j++ {
		names[m.coefAt+j] = m.colName(j)
	}
	for _, b := range m.blocks {
		g := m.t.Groups[b.groups[0]].Name
		for c := 1; c < b.k; c++ {
			for j := 0; j < c; j++ {
				names[b.yIndex(c, j)] = fmt.Sprintf("atanh_cpc_%s[%d,%d]", g, c+1, j+1)
			}
		}
	}
	return names
}

func sdName(gr Group) string { return "sd_" + gr.Name + "__" + gr.Coef }

// ParamName names one constrained quantity of a model. It has two
// spellings: String, brms's (b_x, sigma, sd_g__Intercept,
// r_g[A,Intercept]), for summaries, and Stan, CmdStan's spelling of array
// elements by 1-based index (r_g[1,1]), from which the columns of a Stan
// CSV file are named (r_g.1.1; see report.CSVNames). Scalars are spelt the
// same both ways.
type ParamName struct {
	// Base is the name of a scalar, or of the array holding an element.
	Base string
	// Labels label an array element, e.g. its level and coefficient
	// {"A", "Intercept"}; nil for a scalar.
	Labels []string
	// Index holds the element's 1-based position along each dimension of
	// the array, one entry per label; nil for a scalar.
	Index []int
}

// String returns Base, or Base[label,label,…] for an array element.
func (n ParamName) String() string {
	if len(n.Labels) == 0 {
		return n.Base
	}
	return n.Base + "[" + strings.Join(n.Labels, ",") + "]"
}

// Stan returns Base, or Base[i,j,…] for an array element.
func (n ParamName) Stan() string {
	if len(n.Index) == 0 {
		return n.Base
	}
	idx := make([]string, len(n.Index))
	for k, i := range n.Index {
		idx[k] = strconv.Itoa(i)
	}
	return n.Base + "[" + strings.Join(idx, ",") + "]"
}

// Strings returns the String spelling of every name.
func Strings(names []ParamName) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.String()
	}
	return out
}

// StanStrings returns the Stan spelling of every name.
func StanStrings(names []ParamName) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.Stan()
	}
	return out
}

// Positions gives the positions of the constrained quantities of a Linear
// model in ParamNames' order, which is Linear.Constrain's: coefficient j
// is at Coef+j, auxiliary parameter k at Aux+k, the sd of group g at SD[g]
// and its effect for level l at Effect[g]+l; Len is their number.
type Positions struct {
	Coef, Aux  int
	SD, Effect []int
	// Cor holds the position of each correlation's first entry: the
	// correlations of its K groups' coefficients a < b follow in the order
	// (0,1), (0,2), (1,2), (0,3), … (b outer, a inner).
	Cor []int
	Len int
}

// Positions returns the positions of the quantities ParamNames names.
func (t Terms) Positions() Positions {
	p := len(t.Names)
	if t.X != nil {
		_, p = t.X.Dims()
	}
	k := 0
	if t.Lik != nil {
		k = len(t.Lik.Aux())
	}
	lay := Positions{Coef: 0, Aux: p, SD: make([]int, len(t.Groups)), Effect: make([]int, len(t.Groups))}
	i := p + k
	forGroups(t.Groups, func(g, _ int) { lay.SD[g] = i; i++ })
	for _, c := range t.Correlations {
		lay.Cor = append(lay.Cor, i)
		i += len(c.Groups) * (len(c.Groups) - 1) / 2
	}
	forGroups(t.Groups, func(g, _ int) { lay.Effect[g] = i; i += len(t.Groups[g].Levels) })
	lay.Len = i
	return lay
}

// ParamNames returns the names of the constrained quantities of the Linear
// model t declares, in the order Linear.Constrain stores them (see
// Positions):
//
//   - the coefficients, named by Names (b[1], b[2], … when Names is nil);
//   - the auxiliary parameters of the likelihood (sigma, phi, nu);
//   - the group-level sds, sd_g__coef;
//   - the correlations of correlated effects, cor_g__a__b;
//   - the group-level effects, the array r_g[level,coef] of each grouping
//     factor g, with Index {level, coefficient} counted from 1 over the
//     levels and over the varying coefficients of g in formula order.
//
// Groups are reported factor by factor, in order of first appearance, so
// that the elements of each array r_g are contiguous and in CmdStan's
// column-major order (level fastest). It needs only Lik (for its Aux
// names, none when nil), X (or Names) and the groups' Name, Coef and
// Levels, so it names the parameters of draws for new data too.
func (t Terms) ParamNames() []ParamName {
	lay := t.Positions()
	names := make([]ParamName, lay.Len)
	for j := 0; j < lay.Aux; j++ {
		if t.Names != nil {
			names[j] = ParamName{Base: t.Names[j]}
		} else {
			names[j] = ParamName{Base: "b", Labels: []string{strconv.Itoa(j + 1)}, Index: []int{j + 1}}
		}
	}
	if t.Lik != nil {
		for k, a := range t.Lik.Aux() {
			names[lay.Aux+k] = ParamName{Base: a}
		}
	}
	for ci, c := range t.Correlations {
		i := lay.Cor[ci]
		forCorPairs(len(c.Groups), func(a, b int) {
			g := t.Groups[c.Groups[0]].Name
			names[i] = ParamName{Base: corName(g, t.Groups[c.Groups[a]].Coef, t.Groups[c.Groups[b]].Coef)}
			i++
		})
	}
	forGroups(t.Groups, func(g, coef int) {
		gr := t.Groups[g]
		names[lay.SD[g]] = ParamName{Base: sdName(gr)}
		for l, lv := range gr.Levels {
			names[lay.Effect[g]+l] = ParamName{Base: "r_" + gr.Name, Labels: []string{lv, gr.Coef}, Index: []int{l + 1, coef + 1}}
		}
	})
	return names
}

// forGroups calls fn(g, k) for the groups in reporting order: factor by
// factor in order of first appearance, and within a factor in order, k
// counting the groups of the factor from 0.
func forGroups(groups []Group, fn func(g, k int)) {
	for g := range groups {
		first := true
		for h := 0; h < g; h++ {
			if groups[h].Name == groups[g].Name {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		k := 0
		for h := g; h < len(groups); h++ {
			if groups[h].Name == groups[g].Name {
				fn(h, k)
				k++
			}
		}
	}
}

// forCorPairs calls fn(a, b) for the pairs a < b of k coefficients, b
// outer: (0,1), (0,2), (1,2), (0,3), …, as brms lists correlations.
func forCorPairs(k int, fn func(a, b int)) {
	for b := 1; b < k; b++ {
		for a := 0; a < b; a++ {
			fn(a, b)
		}
	}
}

// ParamNames returns the names of the constrained quantities; see
// Terms.ParamNames.
func (m *Linear) ParamNames() []ParamName { return m.t.ParamNames() }

// ConstrainedNames returns the String spelling of ParamNames: the column
// names, the auxiliary parameters (sigma, phi, nu), the group sds
// sd_g__coef, and the group effects r_g[level,coef], as brms names them.
func (m *Linear) ConstrainedNames() []string { return Strings(m.ParamNames()) }

// Constrain stores the quantities named by ConstrainedNames at θ in dst.
func (m *Linear) Constrain(dst, theta []float64) {
	i := copy(dst, theta[m.coefAt:m.coefAt+m.p])
	for k := 0; k < m.kl; k++ {
		dst[i] = math.Exp(theta[m.auxAt[k]])
		i++
	}
	groups := m.t.Groups
	forGroups(groups, func(g, _ int) {
		dst[i] = math.Exp(theta[m.sdAt[g]])
		i++
	})
	// Correlations Ω = LLᵀ, and the correlated effects r_l = diag(τ)Lz_l.
	ls := make([][]float64, len(m.blocks))
	for bi := range m.blocks {
		b := &m.blocks[bi]
		ls[bi] = make([]float64, b.k*b.k)
		corCholesky(ls[bi], theta[b.yAt:b.yAt+b.k*(b.k-1)/2], b.k)
		l := ls[bi]
		forCorPairs(b.k, func(a, c int) {
			v := 0.0
			for j := 0; j <= a; j++ {
				v += l[a*b.k+j] * l[c*b.k+j]
			}
			dst[i] = v
			i++
		})
	}
	forGroups(groups, func(g, _ int) {
		if bi := m.blockOf[g]; bi >= 0 {
			b := &m.blocks[bi]
			c := slices.Index(b.groups, g)
			tau := math.Exp(theta[m.sdAt[g]])
			for lv := range groups[g].Levels {
				v := 0.0
				for j := 0; j <= c; j++ {
					v += ls[bi][c*b.k+j] * theta[m.groupAt[b.groups[j]]+lv]
				}
				dst[i] = tau * v
				i++
			}
			return
		}
		tau := 1.0
		if !groups[g].Centered {
			tau = math.Exp(theta[m.sdAt[g]])
		}
		for l := range groups[g].Levels {
			dst[i] = tau * theta[m.groupAt[g]+l]
			i++
		}
	})
}

var _ Constrainer = (*Linear)(nil)

// Param declares a block of parameters on their natural scale.
type Param struct {
	// Name names the block; scalars of a block with Size > 1 are named
	// Name[1], Name[2], … as Stan does.
	Name string
	// Size is the number of scalars; zero means 1. Ignored with Vector.
	Size int
	// Transform maps each unconstrained scalar to the natural scale; nil
	// means the real line (no transform).
	Transform transform.Scalar
	// Vector, if set, maps the block jointly (e.g. transform.Simplex).
	Vector transform.Vector
}

func (p Param) size() (unc, con int) {
	if p.Vector != nil {
		return p.Vector.Dim(), p.Vector.Len()
	}
	if p.Size <= 0 {
		return 1, 1
	}
	return p.Size, p.Size
}

// Constrained is a model written, as in Stan, on the natural scale of its
// declared parameters: it maps the unconstrained θ through each block's
// transform, adds the log-Jacobians, and chains the gradient back to θ.
type Constrained struct {
	params []Param
	f      func(grad, x []float64) float64
	d, n   int
}

var (
	_ Differentiable = (*Constrained)(nil)
	_ Constrainer    = (*Constrained)(nil)
)

// NewConstrained returns a model with parameters params and log density f
// on their natural scale: f(grad, x) returns log p(x, D) and, when grad is
// not nil, stores ∂/∂x in it. f must be safe for concurrent use.
func NewConstrained(params []Param, f func(grad, x []float64) float64) (*Constrained, error) {
	if f == nil {
		return nil, errors.New("model: Constrained needs a log density")
	}
	c := &Constrained{params: params, f: f}
	for _, p := range params {
		if p.Name == "" {
			return nil, errors.New("model: a parameter has no name")
		}
		u, n := p.size()
		c.d += u
		c.n += n
	}
	return c, nil
}

// Dim returns the number of unconstrained parameters.
func (c *Constrained) Dim() int { return c.d }

// ParamNames returns the names of the natural-scale parameters: Name for
// a scalar, and the elements Name[1], Name[2], … of a block.
func (c *Constrained) ParamNames() []ParamName {
	var names []ParamName
	for _, p := range c.params {
		_, n := p.size()
		if n == 1 && p.Vector == nil {
			names = append(names, ParamName{Base: p.Name})
			continue
		}
		for i := 1; i <= n; i++ {
			names = append(names, ParamName{Base: p.Name, Labels: []string{strconv.Itoa(i)}, Index: []int{i}})
		}
	}
	return names
}

// ConstrainedNames returns the String spelling of ParamNames.
func (c *Constrained) ConstrainedNames() []string { return Strings(c.ParamNames()) }

// Constrain maps θ to the natural scale.
func (c *Constrained) Constrain(dst, theta []float64) {
	c.forward(dst, theta, nil, nil)
}

// forward maps θ to x, and with jac non-nil also returns Σ log-Jacobians
// and stores their θ-gradient in jac.
func (c *Constrained) forward(x, theta, jac []float64, lj *float64) {
	ui, xi := 0, 0
	for _, p := range c.params {
		u, n := p.size()
		switch {
		case p.Vector != nil:
			p.Vector.Forward(x[xi:xi+n], theta[ui:ui+u])
			if jac != nil {
				*lj += p.Vector.LogJacGrad(jac[ui:ui+u], theta[ui:ui+u])
			}
		case p.Transform == nil:
			copy(x[xi:xi+n], theta[ui:ui+u])
		default:
			for k := 0; k < n; k++ {
				t := theta[ui+k]
				x[xi+k] = p.Transform.Forward(t)
				if jac != nil {
					l, d1, _ := p.Transform.LogJac(t)
					*lj += l
					jac[ui+k] = d1
				}
			}
		}
		ui += u
		xi += n
	}
}

// LogDensity returns log p(T(θ), D) + log|J(θ)|.
func (c *Constrained) LogDensity(theta []float64) float64 {
	x := make([]float64, c.n)
	jac := make([]float64, c.d)
	var lj float64
	c.forward(x, theta, jac, &lj)
	return c.f(nil, x) + lj
}

// LogDensityGrad stores the θ-gradient of LogDensity in grad.
func (c *Constrained) LogDensityGrad(grad, theta []float64) float64 {
	x := make([]float64, c.n)
	gx := make([]float64, c.n)
	for i := range grad {
		grad[i] = 0
	}
	var lj float64
	c.forward(x, theta, grad, &lj)
	lp := c.f(gx, x)
	ui, xi := 0, 0
	for _, p := range c.params {
		u, n := p.size()
		switch {
		case p.Vector != nil:
			p.Vector.Backprop(grad[ui:ui+u], theta[ui:ui+u], gx[xi:xi+n])
		case p.Transform == nil:
			for k := 0; k < n; k++ {
				grad[ui+k] += gx[xi+k]
			}
		default:
			for k := 0; k < n; k++ {
				d1, _ := p.Transform.Deriv(theta[ui+k])
				grad[ui+k] += gx[xi+k] * d1
			}
		}
		ui += u
		xi += n
	}
	return lp + lj
}

// Reparameterize returns the same model with every group in the centered
// (centered = true) or non-centered parameterization. The two describe the
// same posterior over the group effects r_l; only the coordinates of q
// differ.
func (m *Linear) Reparameterize(centered bool) (*Linear, error) {
	t := m.t
	t.Groups = append([]Group(nil), m.t.Groups...)
	for g := range t.Groups {
		t.Groups[g].Centered = centered
	}
	return NewLinear(t)
}

// MapFrom stores in dst the θ of m that corresponds to theta of from, a
// reparameterization of m (see Reparameterize): shared parameters and
// coefficients are copied, and group effects are converted between
// r = τz (centered) and z = r/τ (non-centered).
func (m *Linear) MapFrom(dst []float64, from *Linear, theta []float64) {
	for k := 0; k < m.kl; k++ {
		dst[m.auxAt[k]] = theta[from.auxAt[k]]
	}
	copy(dst[m.coefAt:m.coefAt+m.p], theta[from.coefAt:from.coefAt+from.p])
	for bi, b := range m.blocks {
		fb := from.blocks[bi]
		copy(dst[b.yAt:b.yAt+b.k*(b.k-1)/2], theta[fb.yAt:fb.yAt+fb.k*(fb.k-1)/2])
	}
	for g, gr := range m.t.Groups {
		psi := theta[from.sdAt[g]]
		dst[m.sdAt[g]] = psi
		scale := 1.0
		switch fc := from.t.Groups[g].Centered; {
		case fc && !gr.Centered:
			scale = math.Exp(-psi)
		case !fc && gr.Centered:
			scale = math.Exp(psi)
		}
		for l := range gr.Levels {
			dst[m.groupAt[g]+l] = scale * theta[from.groupAt[g]+l]
		}
	}
}
