package report

import (
	"fmt"
	"math"
)

// NonFiniteError says that a fit holds a value that cannot be written
// faithfully (NaN or ±Inf): outputs are checked before they are written.
type NonFiniteError struct {
	// Param names the parameter, What the value ("draw 12", "mean").
	Param, What string
	Value       float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("report: the %s of %s is %g, not a finite number: the fit overflowed; nothing was written (rescale the data or give tighter priors)", e.What, e.Param, e.Value)
}

// CheckFinite returns a *NonFiniteError for the first parameter whose
// summary, mean of q or draw is not finite.
func CheckFinite(f *Fit) error {
	name := func(j int) string {
		if j < len(f.Names) {
			return f.Names[j]
		}
		return fmt.Sprintf("parameter %d", j+1)
	}
	for _, p := range f.Params {
		for _, v := range []float64{p.Mean, p.Q5, p.Q50, p.Q95} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return &NonFiniteError{Param: p.Name, What: "summary", Value: v}
			}
		}
	}
	for j, v := range f.Mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &NonFiniteError{Param: name(j), What: "mean of the approximation", Value: v}
		}
	}
	for s, row := range f.Draws {
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return &NonFiniteError{Param: name(j), What: fmt.Sprintf("draw %d", s+1), Value: v}
			}
		}
	}
	return nil
}
