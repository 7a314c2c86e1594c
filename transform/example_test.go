package transform_test

import (
	"fmt"

	"github.com/govi-dev/govi/transform"
)

// A scale parameter σ > 0 is fitted as u = log σ.
func ExampleLower() {
	t := transform.Lower{A: 0}
	u, err := t.Inverse(2.5)
	if err != nil {
		panic(err)
	}
	lj, _, _ := t.LogJac(u)
	fmt.Printf("%v: x=2.5 ↔ u=%.4f, log|dx/du|=%.4f, back to x=%.4f\n", t, u, lj, t.Forward(u))

	_, err = t.Inverse(-1)
	fmt.Println(err)
	// Output:
	// lower=0: x=2.5 ↔ u=0.9163, log|dx/du|=0.9163, back to x=2.5000
	// transform: lower=0: x = -1 is outside the support, want finite x > 0
}

// u = 0 maps to the uniform simplex; Backprop carries ∂f/∂x back to u.
func ExampleSimplex() {
	s := transform.Simplex{K: 3}
	x := make([]float64, s.Len())
	s.Forward(x, []float64{0, 0})
	fmt.Printf("x = %.4f\n", x)

	s.Forward(x, []float64{1, -1})
	fmt.Printf("x = %.4f\n", x)

	u := make([]float64, s.Dim())
	if err := s.Inverse(u, []float64{0.2, 0.3, 0.5}); err != nil {
		panic(err)
	}
	fmt.Printf("u = %.4f, log|det J| = %.4f\n", u, s.LogJacGrad(nil, u))

	// Gradient of f(x) = x[0] with respect to u.
	grad := make([]float64, s.Dim())
	s.Backprop(grad, u, []float64{1, 0, 0})
	fmt.Printf("∂x[0]/∂u = %.4f\n", grad)
	// Output:
	// x = [0.3333 0.3333 0.3333]
	// x = [0.5761 0.1140 0.3099]
	// u = [-0.6931 -0.5108], log|det J| = -3.5066
	// ∂x[0]/∂u = [0.1600 0.0000]
}
