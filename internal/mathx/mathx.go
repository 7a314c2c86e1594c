// Package mathx holds the numerically stable elementary functions shared by
// govi's likelihoods and transforms.
package mathx

import "math"

// Softplus returns log(1 + eˣ) without overflow for large x and without
// losing small values for very negative x.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Logistic returns 1/(1 + e⁻ˣ), evaluating the exponential only at
// non-positive arguments so it never overflows and keeps full relative
// accuracy in both tails.
func Logistic(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
