package lik

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxListed is how many bad row numbers an error lists.
const maxListed = 10

// rowErrors collects invalid rows of a response so that the constructor can
// report the first problem and how many rows have one.
type rowErrors struct {
	family string
	first  string
	rows   []int // 1-based, at most maxListed
	n      int
}

// add records that row i (0-based) is invalid, with msg saying why.
func (e *rowErrors) add(i int, msg string) {
	if e.n == 0 {
		e.first = fmt.Sprintf("row %d: %s", i+1, msg)
	}
	if len(e.rows) < maxListed {
		e.rows = append(e.rows, i+1)
	}
	e.n++
}

// err returns nil when no row was invalid and otherwise an error like
//
//	lik: bernoulli: row 17: y = 2 is not 0 or 1
//	lik: bernoulli: row 17: y = 2 is not 0 or 1 (3 bad rows: 17, 20, 31)
func (e *rowErrors) err() error {
	if e.n == 0 {
		return nil
	}
	if e.n == 1 {
		return fmt.Errorf("lik: %s: %s", e.family, e.first)
	}
	var b strings.Builder
	for j, r := range e.rows {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(r))
	}
	if e.n > len(e.rows) {
		b.WriteString(", …")
	}
	return fmt.Errorf("lik: %s: %s (%d bad rows: %s)", e.family, e.first, e.n, b.String())
}

// num formats a value for an error message.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// isCount reports whether v is a finite non-negative integer.
func isCount(v float64) bool {
	return v >= 0 && v == math.Trunc(v) && !math.IsInf(v, 1)
}

// checkLen returns an error unless len(a) == len(b).
func checkLen(family, na, nb string, a, b []float64) error {
	if len(a) != len(b) {
		return fmt.Errorf("lik: %s: len(%s) = %d but len(%s) = %d", family, na, len(a), nb, len(b))
	}
	return nil
}

// checkFinite validates a real-valued response.
func checkFinite(family string, y []float64) error {
	e := rowErrors{family: family}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			e.add(i, "y = "+num(v)+" is not finite")
		}
	}
	return e.err()
}

// clone returns a copy of s, so that a likelihood does not see later changes
// to the caller's data.
func clone(s []float64) []float64 { return append([]float64(nil), s...) }

// zero sets every element of s to 0 (derivative outputs when the parameters
// are outside their space).
func zero(s []float64) {
	for k := range s {
		s[k] = 0
	}
}
