package lik_test

import (
	"fmt"
	"math"

	"github.com/govi-dev/govi/lik"
)

func ExampleNewPoissonLog() {
	p, err := lik.NewPoissonLog([]float64{3, 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	// ℓ = 3η − e^η − log 3! at η = log 2.
	l, d1, d2 := p.LogLik(0, math.Log(2), nil, nil)
	fmt.Printf("ℓ = %.4f, ∂ℓ/∂η = %g, ∂²ℓ/∂η² = %g\n", l, d1, d2)

	_, err = lik.NewPoissonLog([]float64{3, -1, 2.5})
	fmt.Println(err)
	// Output:
	// ℓ = -1.7123, ∂ℓ/∂η = 1, ∂²ℓ/∂η² = -2
	// lik: poisson: row 2: y = -1 is not a non-negative integer (2 bad rows: 2, 3)
}

func ExampleNewBernoulliProbit() {
	b, _ := lik.NewBernoulliProbit([]float64{1})
	// Far in the lower tail log Φ(η) stays finite and its derivatives accurate.
	l, d1, d2 := b.LogLik(0, -40, nil, nil)
	fmt.Printf("ℓ = %.3f, ∂ℓ/∂η = %.4f, ∂²ℓ/∂η² = %.5f\n", l, d1, d2)
	// Output:
	// ℓ = -804.608, ∂ℓ/∂η = 40.0250, ∂²ℓ/∂η² = -0.99938
}
