package diagnose

import (
	"math"

	"gonum.org/v1/gonum/stat"
)

// LogMeanExp returns lme = log(mean(exp(x))), computed stably by factoring
// out the maximum, and its delta-method standard error
//
//	se = sd(exp(x − max)) / (sqrt(n) · mean(exp(x − max))),
//
// where sd uses the n − 1 denominator. With x the log importance ratios
// log p(θ_s, D) − log q(θ_s), θ_s ~ q, lme is the importance sampling estimate
// of the log evidence log p(D), and se is its approximate standard error
// (the relative standard error of the mean of the ratios).
//
// Elements of −Inf contribute zero. If x is empty or contains NaN, both
// results are NaN; if x contains +Inf, lme is +Inf and se NaN; if all
// elements are −Inf, lme is −Inf and se NaN. se is NaN when len(x) < 2.
func LogMeanExp(x []float64) (lme, se float64) {
	n := len(x)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	maxv := math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), math.NaN()
		}
		maxv = math.Max(maxv, v)
	}
	if math.IsInf(maxv, 0) {
		return maxv, math.NaN()
	}
	// Two passes over exp(x − max) ∈ [0, 1]: the mean, then the sum of
	// squared deviations, avoiding the cancellation of E[y²] − E[y]².
	var sum float64
	for _, v := range x {
		sum += math.Exp(v - maxv)
	}
	mean := sum / float64(n)
	var ss float64
	for _, v := range x {
		d := math.Exp(v-maxv) - mean
		ss += d * d
	}
	lme = maxv + math.Log(mean)
	if n < 2 {
		return lme, math.NaN()
	}
	sd := math.Sqrt(ss / float64(n-1))
	return lme, sd / math.Sqrt(float64(n)) / mean
}

// MeanSE returns the mean of x and its Monte Carlo standard error
// sd(x)/sqrt(n), with sd using the n − 1 denominator; for example the ELBO
// estimated from draws θ_s ~ q as the mean of log p(θ_s, D) − log q(θ_s).
// Both results are NaN for empty x, and se is NaN when len(x) < 2.
func MeanSE(x []float64) (mean, se float64) {
	n := len(x)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	if n < 2 {
		return x[0], math.NaN()
	}
	mean, sd := stat.MeanStdDev(x, nil)
	return mean, sd / math.Sqrt(float64(n))
}
