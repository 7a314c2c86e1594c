package elbo_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// The quadrature ELBO is deterministic; Monte Carlo estimates the same
// quantity with an error that shrinks as 1/√S.
func Example() {
	y := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	l, _ := lik.NewPoissonLog(y)
	x := mat.NewDense(len(y), 1, []float64{1, 1, 1, 1, 1, 1, 1, 1})
	m, _ := model.NewLinear(model.Terms{Lik: l, X: x, Coef: []model.Prior{prior.Normal{Mu: 0, Sigma: 2}}})

	q := family.NewMeanField(1)
	q.SetMeanSD([]float64{1.3}, []float64{0.15})
	quad := &elbo.Quadrature{}
	if err := quad.Init(m, q); err != nil {
		panic(err)
	}
	fmt.Printf("quadrature:      %.4f\n", quad.ELBO(nil, q))
	for _, s := range []int{10, 1000, 100000} {
		mc := &elbo.MonteCarlo{Draws: s, Seed: 1}
		if err := mc.Init(m, q); err != nil {
			panic(err)
		}
		v := mc.ELBO(nil, q)
		fmt.Printf("MC, S = %-6d  %.4f ± %.4f\n", s, v, mc.StdErr())
	}
	// The closed form Σᵢ(yᵢμ − e^{μ+σ²/2} − log yᵢ!) + E[log p(η)] + H(q)
	// is −21.522335.

	// Output:
	// quadrature:      -21.5223
	// MC, S = 10      -21.5182 ± 0.1677
	// MC, S = 1000    -21.5350 ± 0.0165
	// MC, S = 100000  -21.5220 ± 0.0016
}

// The Gauss-Hermite rule integrates polynomials of degree up to 2n−1
// exactly under the standard normal.
func ExampleGaussHermite() {
	z, w := elbo.GaussHermite(3)
	var m2, m4 float64
	for i := range z {
		m2 += w[i] * z[i] * z[i]
		m4 += w[i] * z[i] * z[i] * z[i] * z[i]
	}
	fmt.Printf("E[Z²] = %.12f, E[Z⁴] = %.12f\n", m2, m4)
	// Output:
	// E[Z²] = 1.000000000000, E[Z⁴] = 3.000000000000
}
