package transform

import "math"

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
