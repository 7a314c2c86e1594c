package optim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// funcObj adapts a function to Objective.
type funcObj func(grad, x []float64) float64

func (f funcObj) Eval(grad, x []float64) float64 { return f(grad, x) }

// fgh is a twice-differentiable function: it returns f(x) and, when grad
// (hess) is not nil, stores ∇f(x) (∇²f(x)) there.
type fgh func(grad []float64, hess *mat.SymDense, x []float64) float64

// smooth is an Objective with a Hessian. It counts the evaluations that
// returned a non-finite value.
type smooth struct {
	n         int
	f         fgh
	nonfinite *int
}

func newSmooth(n int, f fgh) smooth { return smooth{n, f, new(int)} }

func (s smooth) eval(grad []float64, hess *mat.SymDense, x []float64) float64 {
	f := s.f(grad, hess, x)
	if !finite(f) {
		*s.nonfinite++
	}
	return f
}

func (s smooth) Eval(grad, x []float64) float64 { return s.eval(grad, nil, x) }

// newton makes a smooth objective Curved: Propose(dst, ρ) is the damped
// Newton step x + ρΔ from the current point, Δ = (−∇²f)⁻¹∇f, and reports
// false where −∇²f is not positive definite.
type newton struct {
	smooth
	cur, pend point
}

type point struct {
	x, g []float64
	h    *mat.SymDense
}

func newNewton(s smooth) *newton {
	mk := func() point {
		return point{x: make([]float64, s.n), g: make([]float64, s.n), h: mat.NewSymDense(s.n, nil)}
	}
	return &newton{smooth: s, cur: mk(), pend: mk()}
}

func (c *newton) Curvature(x []float64) (f, gnorm float64, err error) {
	copy(c.pend.x, x)
	f = c.eval(c.pend.g, c.pend.h, x)
	return f, floats.Norm(c.pend.g, math.Inf(1)), nil
}

func (c *newton) Accept() { c.cur, c.pend = c.pend, c.cur }

func (c *newton) Propose(dst []float64, rho float64) bool {
	neg := mat.NewSymDense(c.n, nil)
	neg.ScaleSym(-1, c.cur.h)
	var ch mat.Cholesky
	if !ch.Factorize(neg) {
		return false
	}
	var d mat.VecDense
	if err := ch.SolveVecTo(&d, mat.NewVecDense(c.n, clone(c.cur.g))); err != nil {
		return false
	}
	for i := range dst {
		dst[i] = c.cur.x[i] + rho*d.AtVec(i)
	}
	return true
}

// quadratic returns f(x) = −½ (x − m)ᵀA(x − m) with A = BBᵀ + I for a fixed
// pseudo-random B, maximized at m.
func quadratic(m []float64) smooth {
	n := len(m)
	rng := rand.New(rand.NewChaCha8(seed("quadratic")))
	b := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			b.Set(i, j, rng.NormFloat64())
		}
	}
	a := mat.NewSymDense(n, nil)
	a.SymOuterK(1, b)
	for i := 0; i < n; i++ {
		a.SetSym(i, i, a.At(i, i)+1)
	}
	d := make([]float64, n)
	return newSmooth(n, func(grad []float64, hess *mat.SymDense, x []float64) float64 {
		floats.SubTo(d, x, m)
		f := 0.0
		for i := 0; i < n; i++ {
			ad := 0.0
			for j := 0; j < n; j++ {
				ad += a.At(i, j) * d[j]
			}
			f -= 0.5 * d[i] * ad
			if grad != nil {
				grad[i] = -ad
			}
		}
		if hess != nil {
			hess.ScaleSym(-1, a)
		}
		return f
	})
}

// rosenbrock returns the negated n-dimensional Rosenbrock function,
// −Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², maximized at (1, …, 1) where it is 0.
func rosenbrock(n int) smooth {
	return newSmooth(n, func(grad []float64, hess *mat.SymDense, x []float64) float64 {
		if grad != nil {
			for i := range grad {
				grad[i] = 0
			}
		}
		if hess != nil {
			hess.Zero()
		}
		f := 0.0
		for i := 0; i+1 < n; i++ {
			a, b := x[i+1]-x[i]*x[i], 1-x[i]
			f -= 100*a*a + b*b
			if grad != nil {
				grad[i] += 400*a*x[i] + 2*b
				grad[i+1] -= 200 * a
			}
			if hess != nil {
				hess.SetSym(i, i, hess.At(i, i)-(1200*x[i]*x[i]-400*x[i+1]+2))
				hess.SetSym(i, i+1, hess.At(i, i+1)+400*x[i])
				hess.SetSym(i+1, i+1, hess.At(i+1, i+1)-200)
			}
		}
		return f
	})
}

// cliff returns −Σᵢ (xᵢ − 2.5)²/(2·0.1²), maximized at 2.5 in every
// coordinate, but NaN where any coordinate exceeds 3.
func cliff(n int) smooth {
	return newSmooth(n, func(grad []float64, hess *mat.SymDense, x []float64) float64 {
		f := 0.0
		for i, v := range x {
			if v > 3 {
				return math.NaN()
			}
			z := (v - 2.5) / 0.1
			f -= 0.5 * z * z
			if grad != nil {
				grad[i] = -z / 0.1
			}
			if hess != nil {
				hess.SetSym(i, i, -100)
			}
		}
		return f
	})
}

// huber returns the pseudo-Huber function −√(1 + x²), maximized at 0, NaN
// below −3. Its curvature falls off away from 0, so a full Newton step
// from x = 2 (to −8) overshoots into the NaN region.
func huber() smooth {
	return newSmooth(1, func(grad []float64, hess *mat.SymDense, x []float64) float64 {
		if x[0] < -3 {
			return math.NaN()
		}
		r := math.Sqrt(1 + x[0]*x[0])
		if grad != nil {
			grad[0] = -x[0] / r
		}
		if hess != nil {
			hess.SetSym(0, 0, -1/(r*r*r))
		}
		return -r
	})
}

// linear returns f(x) = Σᵢ xᵢ, which has no maximum: every method runs
// until its iteration limit.
func linear(n int) smooth {
	return newSmooth(n, func(grad []float64, hess *mat.SymDense, x []float64) float64 {
		for i := range grad {
			grad[i] = 1
		}
		return floats.Sum(x)
	})
}

// illConditioned returns −½ Σᵢ hᵢxᵢ² with hᵢ from 1 down to 1e-8, log-spaced,
// maximized at 0. From xᵢ = 1e6, L-BFGS with fewer pairs than parameters
// needs of the order of √(1/1e-8) = 1e4 iterations: it reaches any
// iteration limit up to a few thousand with a gradient far above GradTol.
func illConditioned(n int) (smooth, []float64) {
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = 1e6
	}
	return newSmooth(n, func(grad []float64, hess *mat.SymDense, x []float64) float64 {
		f := 0.0
		for i, v := range x {
			h := math.Pow(10, -8*float64(i)/float64(n-1))
			f -= 0.5 * h * v * v
			if grad != nil {
				grad[i] = -h * v
			}
		}
		return f
	}), x0
}

// linearCurved is linear(n) made Curved: Propose steps by ρ in every
// coordinate, and every step improves f by nρ.
type linearCurved struct {
	smooth
	cur, pend []float64
}

func newLinearCurved(n int) *linearCurved {
	return &linearCurved{linear(n), make([]float64, n), make([]float64, n)}
}

func (c *linearCurved) Curvature(x []float64) (f, gnorm float64, err error) {
	copy(c.pend, x)
	return floats.Sum(x), 1, nil
}

func (c *linearCurved) Accept() { c.cur, c.pend = c.pend, c.cur }

func (c *linearCurved) Propose(dst []float64, rho float64) bool {
	for i, v := range c.cur {
		dst[i] = v + rho
	}
	return true
}

// noisyQuadratic is f(x) = −½ Σᵢ hᵢ(xᵢ − mᵢ)² observed with noise: Eval
// adds independent N(0, σ²) noise to f and to every coordinate of ∇f.
type noisyQuadratic struct {
	h, m  []float64
	sigma float64
	rng   *rand.Rand
}

func (q *noisyQuadratic) Eval(grad, x []float64) float64 {
	f := 0.0
	for i, v := range x {
		d := v - q.m[i]
		f -= 0.5 * q.h[i] * d * d
		if grad != nil {
			grad[i] = -q.h[i]*d + q.sigma*q.rng.NormFloat64()
		}
	}
	return f + q.sigma*q.rng.NormFloat64()
}

// seed returns a ChaCha8 seed made from a name.
func seed(name string, args ...any) [32]byte {
	var s [32]byte
	copy(s[:], fmt.Sprintf(name, args...))
	return s
}
