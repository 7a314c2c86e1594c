package model

import (
	"errors"
	"fmt"
	"math"

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
// log_sd_g__Intercept, the column names, and z_g[level,coef] (non-centered)
// or r_g[level,coef] (centered).
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
	return names
}

func sdName(gr Group) string { return "sd_" + gr.Name + "__" + gr.Coef }

// ConstrainedNames returns, in order, the column names, the auxiliary
// parameters (sigma, phi, nu), the group sds sd_g__coef, and the group
// effects r_g[level,coef], as brms names them.
func (m *Linear) ConstrainedNames() []string {
	var names []string
	for j := 0; j < m.p; j++ {
		names = append(names, m.colName(j))
	}
	names = append(names, m.t.Lik.Aux()...)
	for _, gr := range m.t.Groups {
		names = append(names, sdName(gr))
	}
	for _, gr := range m.t.Groups {
		for _, lv := range gr.Levels {
			names = append(names, fmt.Sprintf("r_%s[%s,%s]", gr.Name, lv, gr.Coef))
		}
	}
	return names
}

// Constrain stores the quantities named by ConstrainedNames at θ in dst.
func (m *Linear) Constrain(dst, theta []float64) {
	i := copy(dst, theta[m.coefAt:m.coefAt+m.p])
	for k := 0; k < m.kl; k++ {
		dst[i] = math.Exp(theta[m.auxAt[k]])
		i++
	}
	for g := range m.t.Groups {
		dst[i] = math.Exp(theta[m.sdAt[g]])
		i++
	}
	for g, gr := range m.t.Groups {
		tau := 1.0
		if !gr.Centered {
			tau = math.Exp(theta[m.sdAt[g]])
		}
		for l := range gr.Levels {
			dst[i] = tau * theta[m.groupAt[g]+l]
			i++
		}
	}
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

// ConstrainedNames returns the names of the natural-scale parameters.
func (c *Constrained) ConstrainedNames() []string {
	var names []string
	for _, p := range c.params {
		_, n := p.size()
		if n == 1 && p.Vector == nil {
			names = append(names, p.Name)
			continue
		}
		for i := 1; i <= n; i++ {
			names = append(names, fmt.Sprintf("%s[%d]", p.Name, i))
		}
	}
	return names
}

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
