package diagnose

import "math"

// Reliability classifies a Pareto shape estimate k̂ the way the PSIS
// literature and R's loo package do.
type Reliability int

// Reliability classes for k̂. The intervals are closed on the right as in
// loo 2.5.1 (its k_cut and pareto_k_table): (−∞, 0.5], (0.5, 0.7], (0.7, 1]
// and (1, ∞).
const (
	// Good means k̂ ≤ 0.5: the importance weights have finite variance and
	// estimates converge quickly.
	Good Reliability = iota
	// Ok means 0.5 < k̂ ≤ 0.7: the variance is infinite but PSIS estimates
	// are still usable (Vehtari et al. 2024).
	Ok
	// Bad means 0.7 < k̂ ≤ 1: PSIS estimates converge too slowly to be
	// trusted at practical sample sizes.
	Bad
	// VeryBad means k̂ > 1, or that k̂ is NaN: the mean of the weights does
	// not exist and importance sampling estimates are meaningless.
	VeryBad
)

// Assess returns the reliability class of the Pareto shape estimate k.
// NaN is classed as VeryBad, like +Inf, since nothing can be trusted then.
func Assess(k float64) Reliability {
	switch {
	case math.IsNaN(k):
		return VeryBad
	case k <= 0.5:
		return Good
	case k <= 0.7:
		return Ok
	case k <= 1:
		return Bad
	default:
		return VeryBad
	}
}

// String returns the words loo prints for the class: "good", "ok", "bad" or
// "very bad".
func (r Reliability) String() string {
	switch r {
	case Good:
		return "good"
	case Ok:
		return "ok"
	case Bad:
		return "bad"
	case VeryBad:
		return "very bad"
	default:
		return "unknown reliability"
	}
}
