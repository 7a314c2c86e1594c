package optim_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/govi-dev/govi/optim"
)

// quadratic is f(x, y) = −(x − 1)² − 2(y + ½)², maximized at (1, −½).
type quadratic struct{}

func (quadratic) Eval(grad, x []float64) float64 {
	dx, dy := x[0]-1, x[1]+0.5
	if grad != nil {
		grad[0], grad[1] = -2*dx, -4*dy
	}
	return -dx*dx - 2*dy*dy
}

func ExampleLBFGS() {
	res := (&optim.LBFGS{}).Maximize(context.Background(), quadratic{}, []float64{0, 0}, optim.Settings{})
	fmt.Println(res.Status)
	fmt.Printf("x = %.6f\n", res.X)
	// Output:
	// converged
	// x = [1.000000 -0.500000]
}

// newtonQuadratic is f(x) = −½xᵀAx + bᵀx with A = [2 1; 1 3] and
// b = (1, 1), maximized at A⁻¹b = (0.4, 0.2). As a Curved objective it
// proposes damped Newton steps x + ρA⁻¹∇f(x) from the last accepted point.
type newtonQuadratic struct {
	cur, pending []float64
}

func (q *newtonQuadratic) Eval(grad, x []float64) float64 {
	ax0, ax1 := 2*x[0]+x[1], x[0]+3*x[1]
	if grad != nil {
		grad[0], grad[1] = 1-ax0, 1-ax1
	}
	return -0.5*(x[0]*ax0+x[1]*ax1) + x[0] + x[1]
}

func (q *newtonQuadratic) Curvature(x []float64) (f, gnorm float64, err error) {
	q.pending = append(q.pending[:0], x...)
	var g [2]float64
	f = q.Eval(g[:], x)
	return f, max(abs(g[0]), abs(g[1])), nil
}

func (q *newtonQuadratic) Accept() { q.cur, q.pending = q.pending, q.cur }

func (q *newtonQuadratic) Propose(dst []float64, rho float64) bool {
	var g [2]float64
	q.Eval(g[:], q.cur)
	// A⁻¹ = [3 −1; −1 2]/5.
	dst[0] = q.cur[0] + rho*(3*g[0]-g[1])/5
	dst[1] = q.cur[1] + rho*(-g[0]+2*g[1])/5
	return true
}

func abs(x float64) float64 { return max(x, -x) }

func ExampleNaturalGradient() {
	res := (&optim.NaturalGradient{}).Maximize(context.Background(), &newtonQuadratic{}, []float64{0, 0}, optim.Settings{})
	// The first full step reaches the maximum; the second confirms it.
	fmt.Printf("%v after %d iterations: x = %.6f\n", res.Status, res.Iterations, res.X)
	// Output:
	// converged after 2 iterations: x = [0.400000 0.200000]
}

func ExampleFallback() {
	// quadratic is not Curved, so the natural gradient cannot run and
	// L-BFGS takes over from the same starting point.
	fb := &optim.Fallback{Methods: []optim.Method{&optim.NaturalGradient{}, &optim.LBFGS{}}}
	res := fb.Maximize(context.Background(), quadratic{}, []float64{0, 0}, optim.Settings{})
	fmt.Printf("%v: %v, x = %.6f\n", fb, res.Status, res.X)

	// A Fallback without methods fails, at the starting point.
	res = (&optim.Fallback{}).Maximize(context.Background(), quadratic{}, []float64{0, 0}, optim.Settings{})
	fmt.Println(res.Status, res.X, errors.Is(res.Err, optim.ErrNoMethods))
	// Output:
	// natural gradient, then L-BFGS: converged, x = [1.000000 -0.500000]
	// failed [0 0] true
}

// noisy is f(x) = −½(x − 3)² as a Monte Carlo estimate would give it: f and
// its gradient are observed with N(0, 0.1²) noise.
type noisy struct{ rng *rand.Rand }

func (n noisy) Eval(grad, x []float64) float64 {
	d := x[0] - 3
	if grad != nil {
		grad[0] = -d + 0.1*n.rng.NormFloat64()
	}
	return -0.5*d*d + 0.1*n.rng.NormFloat64()
}

func ExampleAdam() {
	obj := noisy{rand.New(rand.NewChaCha8([32]byte{}))}
	res := (&optim.Adam{}).Maximize(context.Background(), obj, []float64{0}, optim.Settings{})
	// The result averages the last 100 iterates, so the noise leaves an
	// error of about 0.1/√100 = 0.01.
	fmt.Printf("%v: x = %.1f\n", res.Status, res.X[0])
	// Output:
	// converged: x = 3.0
}

func ExampleGradientAscent() {
	obj := noisy{rand.New(rand.NewChaCha8([32]byte{}))}
	// A constant step of 0.5 instead of the default decaying 1e-3.
	ga := &optim.GradientAscent{Rate: 0.5, Schedule: optim.Constant{}}
	res := ga.Maximize(context.Background(), obj, []float64{0}, optim.Settings{})
	fmt.Printf("%v: x = %.1f\n", res.Status, res.X[0])
	// Output:
	// converged: x = 3.0
}
