package transform

import "math"

// logistic returns 1/(1+exp(−u)) without overflow and with full relative
// accuracy in both tails: for u < 0 it uses exp(u)/(1+exp(u)), so small
// results do not come from 1 minus something close to 1.
func logistic(u float64) float64 {
	if u >= 0 {
		return 1 / (1 + math.Exp(-u))
	}
	e := math.Exp(u)
	return e / (1 + e)
}

// softplus returns log(1+exp(u)) without overflow for large u and without
// losing small values for very negative u.
func softplus(u float64) float64 {
	if u > 0 {
		return u + math.Log1p(math.Exp(-u))
	}
	return math.Log1p(math.Exp(u))
}

// logRatio returns log(p/q) for p, q > 0. When p and q are within a factor of
// two, p−q is exact (Sterbenz) and log1p((p−q)/q) keeps full relative
// accuracy near zero, where log(p)−log(q) would cancel.
func logRatio(p, q float64) float64 {
	if p <= 2*q && q <= 2*p {
		return math.Log1p((p - q) / q)
	}
	return math.Log(p) - math.Log(q)
}

// twoDiff returns s = fl(a − b) and the rounding error e, so that
// s + e = a − b exactly (Knuth's TwoSum applied to a and −b).
func twoDiff(a, b float64) (s, e float64) {
	s = a - b
	bb := s - a
	e = (a - (s - bb)) - (b + bb)
	return s, e
}
