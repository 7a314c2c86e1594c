package diagnose

import (
	"math"
	"slices"
)

// Constants of loo's gpdfit (loo 2.5.1, R/gpdfit.R).
const (
	gpdMinGridPts = 30  // grid points are gpdMinGridPts + floor(sqrt(n))
	gpdPrior      = 3   // scale of the grid around 1/x_(n) (Zhang & Stephens 2009, Sec. 4)
	gpdPriorN     = 10  // pseudo sample size of the weakly informative prior on k
	gpdPriorK     = 0.5 // prior location of k
)

// GPDFit fits a generalized Pareto distribution with location 0 to the sample
// x and returns its shape k and scale sigma, where the distribution function
// is F(x) = 1 − (1 + k x/σ)^(−1/k).
//
// The fit is the empirical-Bayes estimator of Zhang and Stephens, "A new and
// efficient estimation method for the generalized Pareto distribution",
// Technometrics 51 (2009) 316–325, Sec. 4, with loo's settings: a grid of
// 30 + floor(sqrt(n)) points for θ = −k/σ, prior parameter 3, and afterwards
// the weakly informative prior of Vehtari et al. (2024) that shrinks k toward
// 0.5 as k ← (n k + 0.5·10)/(n + 10). Note that k here is the negative of the
// k in Zhang and Stephens.
//
// The values of x should be non-negative exceedances over a threshold and
// are expected sorted in ascending order; if they are not, GPDFit sorts a
// copy. x is not modified. If the fit is undefined (fewer than two values,
// all values zero, or non-finite input) GPDFit returns k = +Inf, as loo
// does when its estimate is NaN, and sigma = NaN.
func GPDFit(x []float64) (k, sigma float64) {
	if !slices.IsSorted(x) {
		x = slices.Clone(x)
		slices.Sort(x)
	}
	return gpdFitSorted(x)
}

// gpdFitSorted is GPDFit for x already sorted in ascending order. It does not
// allocate.
func gpdFitSorted(x []float64) (k, sigma float64) {
	n := len(x)
	if n < 2 {
		return math.Inf(1), math.NaN()
	}
	nf := float64(n)
	m := gpdMinGridPts + int(math.Floor(math.Sqrt(nf)))
	mf := float64(m)
	xmax := x[n-1]
	xstar := x[int(math.Floor(nf/4+0.5))-1] // first quartile, 1-based as in loo

	// Posterior mean of θ over the grid, weights ∝ exp(profile log-likelihood).
	// The normalizing log-sum-exp is accumulated in one pass with a running
	// maximum, so the grid need not be stored.
	lmax := math.Inf(-1)
	var sumW, sumTW float64
	for j := 1; j <= m; j++ {
		theta := 1/xmax + (1-math.Sqrt(mf/(float64(j)-0.5)))/gpdPrior/xstar
		l := nf * gpdProfileLogLik(theta, x)
		switch {
		case math.IsNaN(l) || math.IsInf(l, 1):
			return math.Inf(1), math.NaN()
		case math.IsInf(l, -1):
			continue // zero weight
		case l > lmax:
			scale := math.Exp(lmax - l)
			sumW *= scale
			sumTW *= scale
			lmax = l
		}
		w := math.Exp(l - lmax)
		sumW += w
		sumTW += theta * w
	}
	thetaHat := sumTW / sumW

	k = meanLog1p(-thetaHat, x)
	sigma = -k / thetaHat
	k = k*nf/(nf+gpdPriorN) + gpdPriorN*gpdPriorK/(nf+gpdPriorN)
	if math.IsNaN(k) || math.IsNaN(sigma) || !(sigma > 0) || math.IsInf(sigma, 0) {
		return math.Inf(1), math.NaN()
	}
	return k, sigma
}

// gpdProfileLogLik returns the generalized Pareto profile log-likelihood per
// observation at θ = −k/σ, log(−θ/k) − k − 1 with k = mean(log(1 − θx))
// (Zhang & Stephens 2009, Sec. 4, with the sign of k flipped).
func gpdProfileLogLik(theta float64, x []float64) float64 {
	a := -theta
	kk := meanLog1p(a, x)
	return math.Log(a/kk) - kk - 1
}

// meanLog1p returns mean(log1p(a·x)).
func meanLog1p(a float64, x []float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Log1p(a * v)
	}
	return s / float64(len(x))
}

// gpdQuantile returns the p-quantile of the generalized Pareto distribution
// with location 0, shape k and scale sigma: σ((1−p)^(−k) − 1)/k, computed as
// loo's qgpd with expm1 and log1p for accuracy at small p.
func gpdQuantile(p, k, sigma float64) float64 {
	if k == 0 {
		return -sigma * math.Log1p(-p) // exponential limit
	}
	return sigma * math.Expm1(-k*math.Log1p(-p)) / k
}
