package model_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// Eight schools (Rubin 1981) as a Linear model: known standard errors, an
// intercept and a non-centered varying intercept by school.
func ExampleNewLinear() {
	y := []float64{28, 8, -3, 7, -1, 1, 18, 12}
	se := []float64{15, 10, 16, 11, 9, 11, 10, 18}
	l, err := lik.NewGaussianSE(y, se)
	if err != nil {
		panic(err)
	}
	m, err := model.NewLinear(model.Terms{
		Lik:   l,
		X:     mat.NewDense(8, 1, []float64{1, 1, 1, 1, 1, 1, 1, 1}),
		Names: []string{"mu"},
		Coef:  []model.Prior{prior.Normal{Mu: 0, Sigma: 5}},
		Groups: []model.Group{{
			Name: "school", Coef: "Intercept",
			Levels: []string{"A", "B", "C", "D", "E", "F", "G", "H"},
			Index:  []int{0, 1, 2, 3, 4, 5, 6, 7},
			SD:     prior.HalfCauchy{Sigma: 5},
		}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Dim(), "parameters:", m.Names()[:3])
	fmt.Println("reported:", m.ConstrainedNames()[:3])
	// Output:
	// 10 parameters: [log_sd_school__Intercept mu z_school[A,Intercept]]
	// reported: [mu sd_school__Intercept r_school[A,Intercept]]
}

// CheckGrad compares a hand-written gradient with central differences.
func ExampleCheckGrad() {
	rosen := model.Func{N: 2,
		F: func(x []float64) float64 { return -(math.Pow(1-x[0], 2) + 100*math.Pow(x[1]-x[0]*x[0], 2)) },
		Grad: func(g, x []float64) float64 {
			g[0] = 2*(1-x[0]) + 400*x[0]*(x[1]-x[0]*x[0])
			g[1] = -200 * (x[1] - x[0]*x[0]) * 2 // wrong: a factor 2 too many
			return -(math.Pow(1-x[0], 2) + 100*math.Pow(x[1]-x[0]*x[0], 2))
		},
	}
	fmt.Println(model.CheckGrad(rosen, []float64{0.5, 0.5}, 1e-6))
	// Output:
	// model: gradient check failed at coordinate 1: analytic -100, finite difference -50 (relative error 1 > 1e-06)
}
