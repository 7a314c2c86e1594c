package transform

import (
	"fmt"
	"github.com/govi-dev/govi/internal/mathx"
	"math"
)

// Vector is a bijection from R^Dim() onto a constrained set embedded in
// R^Len(). Slices passed to its methods must have the stated lengths;
// mismatches panic.
type Vector interface {
	// Dim returns the unconstrained dimension.
	Dim() int
	// Len returns the constrained length.
	Len() int
	// Forward stores x = T(u) in x (len(x) = Len(), len(u) = Dim()).
	Forward(x, u []float64)
	// Inverse stores u = T⁻¹(x) in u. It returns a *SupportError if x is
	// outside the open support; u is then unspecified.
	Inverse(u, x []float64) error
	// LogJacGrad returns log|det J| at u, where J is the Jacobian of the
	// Dim() free coordinates of x with respect to u, and, if grad is not
	// nil, stores its gradient in u in grad (overwriting it).
	LogJacGrad(grad, u []float64) float64
	// Backprop adds Jᵀg to dst, where g = ∂f/∂x (length Len()) at
	// x = T(u) and J = ∂x/∂u; that is, it accumulates ∂f(T(u))/∂u.
	Backprop(dst, u, g []float64)
}

// Compile-time checks that the concrete types implement Vector.
var (
	_ Vector = Simplex{}
	_ Vector = Elementwise{}
)

func checkLen(what string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("transform: %s has length %d, want %d", what, got, want))
	}
}

// SimplexTolerance is how far sum(x) may differ from 1 in Simplex.Inverse.
// It matches Stan's CONSTRAINT_TOLERANCE.
const SimplexTolerance = 1e-8

// Simplex maps R^{K−1} onto the open unit K-simplex {x : x_k > 0, Σx_k = 1}
// by Stan's centred stick-breaking transform (Stan Reference Manual 2.35 and
// earlier, "Unit simplex"). With 1-based k = 1, …, K−1:
//
//	z_k = logistic(u_k − log(K − k))
//	x_k = (1 − Σ_{j<k} x_j)·z_k
//	x_K = 1 − Σ_{k<K} x_k
//
// The log(K − k) offset makes u = 0 map to the uniform simplex (1/K, …, 1/K).
// The Jacobian of (x_1, …, x_{K−1}) in u is lower triangular, so
//
//	log|det J| = Σ_k [log z_k + log(1 − z_k) + log(1 − Σ_{j<k} x_j)].
//
// Simplex requires K ≥ 2; build it with NewSimplex or call Validate.
//
// The remaining stick is carried as a running product of 1 − z_k rather than
// by subtraction, so small components keep full relative accuracy. For
// extreme u (|u| beyond about 745) components can underflow to 0, which
// Inverse rejects.
type Simplex struct{ K int }

// NewSimplex returns the Simplex of size k after validating it.
func NewSimplex(k int) (Simplex, error) {
	s := Simplex{K: k}
	return s, s.Validate()
}

// Validate reports whether K ≥ 2.
func (s Simplex) Validate() error {
	if s.K < 2 {
		return fmt.Errorf("transform: simplex size %d must be at least 2", s.K)
	}
	return nil
}

// Dim returns K − 1.
func (s Simplex) Dim() int { return s.K - 1 }

// Len returns K.
func (s Simplex) Len() int { return s.K }

// String returns "simplex[K]".
func (s Simplex) String() string { return fmt.Sprintf("simplex[%d]", s.K) }

// offset returns log(K − k) for the 0-based break k, Stan's log(K − k) with
// 1-based k.
func (s Simplex) offset(k int) float64 { return math.Log(float64(s.K - 1 - k)) }

// Forward stores the simplex point for u in x.
func (s Simplex) Forward(x, u []float64) {
	checkLen("simplex u", len(u), s.K-1)
	checkLen("simplex x", len(x), s.K)
	stick := 1.0
	for k, uk := range u {
		v := uk - s.offset(k)
		x[k] = stick * mathx.Logistic(v)
		stick *= mathx.Logistic(-v)
	}
	x[s.K-1] = stick
}

// Inverse stores in u the unconstrained point for the simplex point x. Every
// x_k must be finite and positive and Σx must be within SimplexTolerance of
// 1. It uses u_k = log(x_k / Σ_{j>k} x_j) + log(K − k), the logit of the
// break ratio written with tail sums, so no 1 − Σ cancellation occurs; the
// result depends only on ratios, and Forward(Inverse(x)) is x/Σx.
func (s Simplex) Inverse(u, x []float64) error {
	checkLen("simplex u", len(u), s.K-1)
	checkLen("simplex x", len(x), s.K)
	sum := 0.0
	for i, xi := range x {
		if !(xi > 0) || math.IsInf(xi, 1) {
			return &SupportError{Transform: s.String(), Name: fmt.Sprintf("x[%d]", i), Index: i,
				Value: xi, Want: fmt.Sprintf("finite x[%d] > 0", i)}
		}
		sum += xi
	}
	if !(math.Abs(sum-1) <= SimplexTolerance) {
		return &SupportError{Transform: s.String(), Name: "sum(x)", Index: -1,
			Value: sum, Want: fmt.Sprintf("sum(x) = 1 within %g", SimplexTolerance)}
	}
	tail := x[s.K-1]
	for k := s.K - 2; k >= 0; k-- {
		u[k] = logRatio(x[k], tail) + s.offset(k)
		tail += x[k]
	}
	return nil
}

// LogJacGrad returns log|det J| of u ↦ (x_1, …, x_{K−1}). Since
// log z = −softplus(−v), log(1 − z) = −softplus(v) and the stick before
// break k is Π_{j<k}(1 − z_j), it equals
//
//	Σ_k [−softplus(−v_k) − (K−1−k)·softplus(v_k)]   (0-based k, v_k = u_k − log(K−1−k))
//
// with gradient (1 − z_k) − (K−1−k)·z_k.
func (s Simplex) LogJacGrad(grad, u []float64) float64 {
	checkLen("simplex u", len(u), s.K-1)
	if grad != nil {
		checkLen("simplex grad", len(grad), s.K-1)
	}
	lj := 0.0
	for k, uk := range u {
		v := uk - s.offset(k)
		// Break k's log(1 − z_k) appears in its own term and in the stick
		// of every later break: K−1−k times in all.
		m := float64(s.K - 1 - k)
		lj += -mathx.Softplus(-v) - m*mathx.Softplus(v)
		if grad != nil {
			grad[k] = mathx.Logistic(-v) - m*mathx.Logistic(v)
		}
	}
	return lj
}

// Backprop adds Jᵀg to dst, where g has length K and J = ∂x/∂u is K×(K−1).
// With x_k = stick_k·z_k and every later component carrying the factor
// 1 − z_k,
//
//	∂f/∂u_k = z_k·stick_{k+1}·(g_k − R_k),  R_k = Σ_{j>k} g_j·x_j / stick_{k+1},
//
// where R obeys R_{K−2} = g_{K−1}, R_{k−1} = z_k·g_k + (1 − z_k)·R_k. The
// normalised tail R avoids dividing by a stick that may have underflowed.
func (s Simplex) Backprop(dst, u, g []float64) {
	checkLen("simplex u", len(u), s.K-1)
	checkLen("simplex dst", len(dst), s.K-1)
	checkLen("simplex g", len(g), s.K)
	// stick[k] is the stick remaining after break k (stick_{k+1}).
	var buf [32]float64
	var stick []float64
	if s.K-1 <= len(buf) {
		stick = buf[:s.K-1]
	} else {
		stick = make([]float64, s.K-1)
	}
	rem := 1.0
	for k, uk := range u {
		rem *= mathx.Logistic(-(uk - s.offset(k)))
		stick[k] = rem
	}
	r := g[s.K-1]
	for k := s.K - 2; k >= 0; k-- {
		v := u[k] - s.offset(k)
		z := mathx.Logistic(v)
		dst[k] += z * stick[k] * (g[k] - r)
		r = z*g[k] + mathx.Logistic(-v)*r
	}
}

// Elementwise applies the scalar transform S to each of N coordinates, as
// Stan does for vector<lower=…, upper=…>[N]. Dim and Len are both N and the
// log-Jacobian is the sum of the scalar ones.
type Elementwise struct {
	S Scalar
	N int
}

// Dim returns N.
func (e Elementwise) Dim() int { return e.N }

// Len returns N.
func (e Elementwise) Len() int { return e.N }

// String returns S's description followed by "[N]", e.g. "lower=0[3]".
func (e Elementwise) String() string { return fmt.Sprintf("%v[%d]", e.S, e.N) }

// Forward stores S.Forward(u[i]) in x[i].
func (e Elementwise) Forward(x, u []float64) {
	checkLen("elementwise u", len(u), e.N)
	checkLen("elementwise x", len(x), e.N)
	for i, ui := range u {
		x[i] = e.S.Forward(ui)
	}
}

// Inverse stores S.Inverse(x[i]) in u[i], reporting the first element
// outside the support.
func (e Elementwise) Inverse(u, x []float64) error {
	checkLen("elementwise u", len(u), e.N)
	checkLen("elementwise x", len(x), e.N)
	for i, xi := range x {
		ui, err := e.S.Inverse(xi)
		if err != nil {
			if se, ok := asSupportError(err); ok {
				c := *se
				c.Transform = e.String()
				c.Name = fmt.Sprintf("x[%d]", i)
				c.Index = i
				return &c
			}
			return fmt.Errorf("transform: %v: x[%d]: %w", e, i, err)
		}
		u[i] = ui
	}
	return nil
}

// LogJacGrad returns Σ S.LogJac(u[i]) and stores the first derivatives in
// grad if it is not nil.
func (e Elementwise) LogJacGrad(grad, u []float64) float64 {
	checkLen("elementwise u", len(u), e.N)
	if grad != nil {
		checkLen("elementwise grad", len(grad), e.N)
	}
	lj := 0.0
	for i, ui := range u {
		l, d, _ := e.S.LogJac(ui)
		lj += l
		if grad != nil {
			grad[i] = d
		}
	}
	return lj
}

// Backprop adds g[i]·dx_i/du_i to dst[i].
func (e Elementwise) Backprop(dst, u, g []float64) {
	checkLen("elementwise u", len(u), e.N)
	checkLen("elementwise dst", len(dst), e.N)
	checkLen("elementwise g", len(g), e.N)
	for i, ui := range u {
		d, _ := e.S.Deriv(ui)
		dst[i] += g[i] * d
	}
}
