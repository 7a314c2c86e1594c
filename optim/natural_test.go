package optim

import (
	"context"
	"testing"
)

// contracting is f(x) = −½‖x − m‖² − 1000 whose proposed full step moves x
// only a fraction 1 − r toward m, so full steps contract the error in f by
// r² each: the linear convergence of Gaussian VI's fixed point.
type contracting struct {
	m, cur, pend []float64
	r            float64
}

func (c *contracting) Curvature(x []float64) (f, gnorm float64, err error) {
	copy(c.pend, x)
	for i, v := range x {
		d := v - c.m[i]
		f -= 0.5 * d * d
		gnorm = max(gnorm, abs(d))
	}
	return f - 1000, gnorm, nil
}

func (c *contracting) Accept() { c.cur, c.pend = c.pend, c.cur }

func (c *contracting) Propose(dst []float64, rho float64) bool {
	for i, v := range c.cur {
		dst[i] = v + rho*(1-c.r)*(c.m[i]-v)
	}
	return true
}

func (c *contracting) Eval(grad, x []float64) float64 {
	f, _, _ := c.Curvature(x)
	return f
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Extrapolate stops one full step earlier on a linearly contracting
// iteration, with f still within FuncTol·|f| of the optimum.
func TestNaturalGradientExtrapolate(t *testing.T) {
	for _, r := range []float64{0.3, 0.03, 0.001} {
		run := func(extra bool) Result {
			c := &contracting{m: []float64{1, -2, 3}, cur: make([]float64, 3), pend: make([]float64, 3), r: r}
			return (&NaturalGradient{Extrapolate: extra}).Maximize(context.Background(), c, make([]float64, 3), Settings{})
		}
		base, fast := run(false), run(true)
		if base.Status != Converged || fast.Status != Converged {
			t.Fatalf("r=%g: status %v / %v: %s / %s", r, base.Status, fast.Status, base.Message, fast.Message)
		}
		if fast.Iterations != base.Iterations-1 {
			t.Errorf("r=%g: %d iterations with Extrapolate, %d without; want one fewer", r, fast.Iterations, base.Iterations)
		}
		if tol := 1e-12 * 1000; fast.F < -1000-tol {
			t.Errorf("r=%g: f = %.15g, more than %g below the optimum -1000", r, fast.F, tol)
		}
	}
}
