package mathx

import (
	"math"
	"testing"
)

func TestSoftplusLogistic(t *testing.T) {
	for _, tc := range []struct{ x, sp, lg float64 }{
		{0, math.Ln2, 0.5},
		{1, 1.3132616875182228, 0.7310585786300049},
		{-1, 0.31326168751822286, 0.2689414213699951},
		{800, 800, 1},
		{-800, 0, 0}, // both underflow: exact to double precision
		{-30, 9.357622968839737e-14, 9.3576229688393e-14}, // log1p(e⁻³⁰), e⁻³⁰/(1+e⁻³⁰)
	} {
		if d := math.Abs(Softplus(tc.x) - tc.sp); d > 1e-15*tc.sp {
			t.Errorf("Softplus(%g) = %.17g, want %.17g", tc.x, Softplus(tc.x), tc.sp)
		}
		if d := math.Abs(Logistic(tc.x) - tc.lg); d > 1e-15*tc.lg {
			t.Errorf("Logistic(%g) = %.17g, want %.17g", tc.x, Logistic(tc.x), tc.lg)
		}
	}
}
