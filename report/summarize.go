package report

import (
	"fmt"
	"math"
	"slices"
)

// Summarize returns one Param per name, computed from column j of draws
// (draws[s][j] is draw s of parameter j): the mean, the standard deviation
// with divisor n−1, and the 5%, 50% and 95% quantiles by R's type 7 rule
// (stats::quantile's default, used by posterior and rstan).
//
// With no draws every statistic is NaN; with one draw the SD is NaN (as R's
// sd gives NA). If a column holds a NaN, all of its statistics are NaN, as
// R returns NA. Infinite values are kept and propagate as IEEE arithmetic
// dictates. Every row must have at least len(names) entries; Summarize
// panics otherwise, since that is a programming error.
func Summarize(names []string, draws [][]float64) []Param {
	for s, row := range draws {
		if len(row) < len(names) {
			panic(fmt.Sprintf("report: Summarize: draw %d has %d values, want %d", s, len(row), len(names)))
		}
	}
	out := make([]Param, len(names))
	col := make([]float64, len(draws))
	for j, name := range names {
		for s, row := range draws {
			col[s] = row[j]
		}
		out[j] = summarizeColumn(name, col)
	}
	return out
}

// summarizeColumn computes the Param of one column. It sorts a copy and
// leaves x unchanged.
func summarizeColumn(name string, x []float64) Param {
	p := Param{Name: name}
	nan := math.NaN()
	if len(x) == 0 || slices.ContainsFunc(x, math.IsNaN) {
		p.Mean, p.SD, p.Q5, p.Q50, p.Q95 = nan, nan, nan, nan, nan
		return p
	}
	p.Mean, p.SD = meanSD(x)
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	p.Q5 = quantile7(sorted, 0.05)
	p.Q50 = quantile7(sorted, 0.50)
	p.Q95 = quantile7(sorted, 0.95)
	return p
}

// meanSD returns the mean and the standard deviation (divisor n−1) of x by
// two passes, the second one summing squared deviations from the mean. The
// SD is NaN when len(x) < 2.
func meanSD(x []float64) (mean, sd float64) {
	n := float64(len(x))
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	var sum float64
	for _, v := range x {
		sum += v
	}
	mean = sum / n
	if len(x) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / (n - 1))
}

// quantile7 returns the p-quantile of sorted (ascending, no NaN) with R's
// type 7 definition: h = (n−1)p, Q = x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]),
// indexing from 0. As in R's code, the interpolation is skipped when the
// fraction is 0 or the two order statistics are equal, so infinite values
// do not turn into NaN. It returns NaN for an empty slice.
func quantile7(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	// Same arithmetic as R: index = 1 + (n−1)p, lo = ⌊index⌋ (1-based).
	index := 1 + float64(n-1)*p
	lo1 := math.Floor(index)
	frac := index - lo1
	lo := int(lo1) - 1
	if lo >= n-1 {
		return sorted[n-1]
	}
	if lo < 0 {
		return sorted[0]
	}
	a, b := sorted[lo], sorted[lo+1]
	if frac == 0 || a == b {
		return a
	}
	return (1-frac)*a + frac*b
}
