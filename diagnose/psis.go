package diagnose

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// PSISResult holds the outcome of Pareto smoothing a set of log importance
// ratios.
type PSISResult struct {
	// LogWeights are the smoothed and truncated log weights, normalized so
	// that their log-sum-exp is 0 (the weights sum to 1). Element s belongs
	// to draw s of the input.
	LogWeights []float64

	// K is the Pareto shape estimate k̂ after the weakly informative prior
	// adjustment. It is +Inf when no tail could be fitted: fewer than 5 tail
	// draws (fewer than 21 draws in all), all tail ratios equal, or a
	// degenerate fit. The log weights are then the raw ratios, truncated and
	// normalized, as in loo. K is never NaN.
	K float64

	// ESS is the PSIS effective sample size 1/Σ w_s² of the normalized
	// smoothed weights w_s (loo's n_eff with r_eff = 1).
	ESS float64

	// TailLen is M, the number of largest ratios in the tail,
	// ceil(min(0.2 S, 3 sqrt(S))). It is reported even when M < 5 and no
	// fit was made.
	TailLen int
}

// minTailLen is the smallest tail loo fits a generalized Pareto
// distribution to.
const minTailLen = 5

// PSIS Pareto-smooths the log importance ratios
// log p(θ_s, D) − log q(θ_s), s = 1..S, as R's loo::psis (version 2.5.1) does
// with r_eff = 1 (Vehtari et al. 2024, Sec. 3):
//
//   - the tail is the M = ceil(min(0.2 S, 3 sqrt(S))) largest ratios, and the
//     cutoff the (M+1)-th largest; ties are ordered by draw index as in R's
//     stable sort;
//   - a generalized Pareto distribution (GPDFit) is fitted to the tail
//     exceedances exp(r) − exp(cutoff), on the weight scale relative to the
//     largest ratio;
//   - the tail ratios are replaced, keeping their order, by the logs of the
//     fitted quantiles at p = (z − 0.5)/M, z = 1..M, plus exp(cutoff);
//   - smoothed log weights above the largest raw ratio are truncated to it,
//     and the result is normalized.
//
// A ratio of −Inf is allowed and means a draw of zero weight (for example
// outside the support of p). PSIS returns an error, prefixed "diagnose: ", if
// logRatios is empty, contains NaN or +Inf, or is entirely −Inf. logRatios is
// not modified. Besides the returned LogWeights, PSIS allocates O(M) scratch.
func PSIS(logRatios []float64) (PSISResult, error) {
	maxLR, err := checkLogWeights(logRatios, "log ratio")
	if err != nil {
		return PSISResult{}, err
	}
	s := len(logRatios)
	m := tailLength(s)
	lw := make([]float64, s)
	for i, r := range logRatios {
		lw[i] = r - maxLR // so that exp does not overflow; the largest is 0
	}

	k := math.Inf(1)
	if m >= minTailLen {
		k = smoothTail(lw, m)
	}

	// Truncate at the largest raw ratio (0 after the shift), then normalize.
	for i, v := range lw {
		if v > 0 {
			lw[i] = 0
		}
	}
	lse := logSumExp(lw)
	var sumSq float64
	for i := range lw {
		lw[i] -= lse
		sumSq += math.Exp(2 * lw[i])
	}
	return PSISResult{LogWeights: lw, K: k, ESS: 1 / sumSq, TailLen: m}, nil
}

// tailLength returns loo's n_pareto(r_eff = 1, S), written with the same
// floating-point operations so that the rounding agrees.
func tailLength(s int) int {
	sf := float64(s)
	return int(math.Ceil(math.Min(0.2*sf, 3*math.Sqrt(sf/1))))
}

// smoothTail replaces the m largest entries of lw (shifted log ratios) by
// their Pareto-smoothed values and returns k̂, or +Inf when it leaves lw
// unchanged. It requires m < len(lw).
func smoothTail(lw []float64, m int) float64 {
	// R orders the draws with a stable sort, so equal ratios are ordered by
	// index. cmp is that total order; the m+1 largest draws under it are
	// selected with a min-heap to avoid sorting all S draws.
	cmp := func(i, j int) int {
		switch {
		case lw[i] < lw[j]:
			return -1
		case lw[i] > lw[j]:
			return 1
		default:
			return i - j
		}
	}
	idx := make([]int, 0, m+1)
	for i := range lw {
		if len(idx) < m+1 {
			idx = append(idx, i)
			heapUp(idx, len(idx)-1, cmp)
			continue
		}
		if cmp(i, idx[0]) > 0 {
			idx[0] = i
			heapDown(idx, 0, cmp)
		}
	}
	slices.SortFunc(idx, cmp)
	cutoff := lw[idx[0]]
	tail := idx[1:]

	// loo 2.5.1 skips the fit when the tail is flat to within eps/100.
	const eps = 0x1p-52
	if math.Abs(lw[tail[m-1]]-lw[tail[0]]) < eps/100 {
		return math.Inf(1)
	}

	expCutoff := math.Exp(cutoff)
	x := make([]float64, m)
	for z, i := range tail {
		x[z] = math.Exp(lw[i]) - expCutoff
	}
	k, sigma := gpdFitSorted(x)
	if math.IsInf(k, 0) {
		return math.Inf(1)
	}
	for z, i := range tail {
		p := (float64(z+1) - 0.5) / float64(m)
		lw[i] = math.Log(gpdQuantile(p, k, sigma) + expCutoff)
	}
	return k
}

func heapUp(h []int, i int, cmp func(i, j int) int) {
	for i > 0 {
		p := (i - 1) / 2
		if cmp(h[i], h[p]) >= 0 {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func heapDown(h []int, i int, cmp func(i, j int) int) {
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && cmp(h[c+1], h[c]) < 0 {
			c++
		}
		if cmp(h[c], h[i]) >= 0 {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// checkLogWeights returns the maximum of lw, or an error naming what if lw is
// empty, holds NaN or +Inf, or is all −Inf.
func checkLogWeights(lw []float64, what string) (float64, error) {
	if len(lw) == 0 {
		return 0, errors.New("diagnose: no " + what + "s")
	}
	maxv := math.Inf(-1)
	for i, v := range lw {
		switch {
		case math.IsNaN(v):
			return 0, fmt.Errorf("diagnose: %s %d is NaN", what, i)
		case math.IsInf(v, 1):
			return 0, fmt.Errorf("diagnose: %s %d is +Inf", what, i)
		case v > maxv:
			maxv = v
		}
	}
	if math.IsInf(maxv, -1) {
		return 0, fmt.Errorf("diagnose: all %ss are -Inf", what)
	}
	return maxv, nil
}

// logSumExp returns log Σ exp(x_i) for x with a finite maximum.
func logSumExp(x []float64) float64 {
	maxv := math.Inf(-1)
	for _, v := range x {
		maxv = math.Max(maxv, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - maxv)
	}
	return maxv + math.Log(s)
}
