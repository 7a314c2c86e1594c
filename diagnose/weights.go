package diagnose

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// WeightedMoments returns the weighted mean and standard deviation of each
// column of draws, an S×d matrix with one draw per row, under the weights
// exp(logWeights), for example PSISResult.LogWeights to correct posterior
// summaries computed from a variational approximation. The weights need not
// be normalized; −Inf gives a draw zero weight.
//
// The standard deviation is sqrt(Σ_s w_s (θ_sj − mean_j)²) with normalized
// weights w_s, the plug-in estimate without small-sample correction, so with
// equal weights it divides by S rather than S − 1.
//
// WeightedMoments panics if len(logWeights) differs from the number of rows
// of draws. It returns an error if logWeights is empty, holds NaN or +Inf, or
// is all −Inf.
func WeightedMoments(draws mat.Matrix, logWeights []float64) (mean, sd []float64, err error) {
	r, c := draws.Dims()
	if r != len(logWeights) {
		panic("diagnose: number of draws does not match number of log weights")
	}
	if _, err := checkLogWeights(logWeights, "log weight"); err != nil {
		return nil, nil, err
	}
	lse := logSumExp(logWeights)
	mean = make([]float64, c)
	sd = make([]float64, c)
	for s, lw := range logWeights {
		w := math.Exp(lw - lse)
		if w == 0 {
			continue // also skips non-finite draws of zero weight
		}
		for j := range mean {
			mean[j] += w * draws.At(s, j)
		}
	}
	// Second pass for the variance, avoiding E[θ²] − E[θ]² cancellation.
	for s, lw := range logWeights {
		w := math.Exp(lw - lse)
		if w == 0 {
			continue
		}
		for j := range sd {
			d := draws.At(s, j) - mean[j]
			sd[j] += w * d * d
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
	}
	return mean, sd, nil
}

// ResampleIndex returns n indices into logWeights drawn independently with
// replacement with probabilities proportional to exp(logWeights), that is
// multinomial resampling as rstan's importance resampling for variational
// inference does (R's sample with replace = TRUE). The weights need not be
// normalized; −Inf gives an index zero probability. The indices come in the
// order drawn, not sorted.
//
// Random numbers come from rnd, so a fixed seed gives a reproducible result;
// if rnd is nil the global source of math/rand/v2 is used. ResampleIndex
// panics if n is negative and returns an error if logWeights is empty, holds
// NaN or +Inf, or is all −Inf.
func ResampleIndex(n int, logWeights []float64, rnd *rand.Rand) ([]int, error) {
	if n < 0 {
		panic("diagnose: negative number of draws")
	}
	maxLW, err := checkLogWeights(logWeights, "log weight")
	if err != nil {
		return nil, err
	}
	uniform := rand.Float64
	if rnd != nil {
		uniform = rnd.Float64
	}
	// Inverse-CDF sampling on the cumulative weights by binary search.
	cum := make([]float64, len(logWeights))
	var total float64
	for i, lw := range logWeights {
		total += math.Exp(lw - maxLW)
		cum[i] = total
	}
	idx := make([]int, n)
	for i := range idx {
		u := uniform() * total
		// The first index whose cumulative weight exceeds u; indices of
		// zero weight never qualify since their cumulative weight equals
		// their predecessor's.
		j := sort.Search(len(cum), func(j int) bool { return cum[j] > u })
		if j == len(cum) { // u rounded up to total
			j = len(cum) - 1
			for j > 0 && cum[j] == cum[j-1] {
				j--
			}
		}
		idx[i] = j
	}
	return idx, nil
}
