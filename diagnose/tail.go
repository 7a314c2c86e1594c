package diagnose

import (
	"math"
	"sort"
)

// TailKhat returns the Pareto shape k-hat of the right tail of x, as
// posterior::pareto_khat does with tail = "right": a generalized Pareto
// distribution is fitted (GPDFit, with the weak prior) to the exceedances
// of the largest M = ceil(min(0.2S, 3√S)) values over the next largest.
// It returns +Inf when the tail cannot be fitted (fewer than 5 tail draws,
// or a flat tail). Non-finite values are not allowed.
//
// Applied to h(θ)r(θ) for a function h of interest and importance ratios
// r, it is the expectation-specific diagnostic of Vehtari, Simpson, Gelman,
// Yao & Gabry (2024, "Pareto smoothed importance sampling", §3.2): it says
// whether the importance-sampling estimate of E[h] is reliable, which can
// differ from the k-hat of r alone.
func TailKhat(x []float64) float64 {
	s := len(x)
	m := tailLength(s)
	if m < minTailLen || s <= m {
		return math.Inf(1)
	}
	v := append([]float64(nil), x...)
	sort.Float64s(v)
	cut := v[s-m-1]
	ex := make([]float64, m)
	for i, t := range v[s-m:] {
		ex[i] = t - cut
	}
	if ex[m-1]-ex[0] < math.SmallestNonzeroFloat64*1e10 || ex[m-1] <= 0 {
		return math.Inf(1)
	}
	k, sigma := GPDFit(ex)
	if math.IsNaN(k) || !(sigma > 0) {
		return math.Inf(1)
	}
	return k
}
