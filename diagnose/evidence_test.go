package diagnose

import (
	"math"
	"testing"
)

// naiveLogMeanExp computes LogMeanExp's results directly, for inputs small
// enough that exp does not overflow.
func naiveLogMeanExp(x []float64) (lme, se float64) {
	n := float64(len(x))
	var sum float64
	for _, v := range x {
		sum += math.Exp(v)
	}
	mean := sum / n
	var ss float64
	for _, v := range x {
		d := math.Exp(v) - mean
		ss += d * d
	}
	return math.Log(mean), math.Sqrt(ss/(n-1)) / math.Sqrt(n) / mean
}

func checkClose(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want NaN", what, got)
		}
		return
	}
	if math.IsInf(want, 0) {
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
		return
	}
	if !(math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))) {
		t.Errorf("%s = %.17g, want %.17g (tolerance %g)", what, got, want, tol)
	}
}

func TestLogMeanExp(t *testing.T) {
	small := []float64{-1.3, 0.2, 0.7, -0.4, 1.1, -2.5, 0}
	wantLME, wantSE := naiveLogMeanExp(small)
	shift := func(x []float64, c float64) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = v + c
		}
		return y
	}
	inf := math.Inf(1)
	for _, tc := range []struct {
		name    string
		x       []float64
		lme, se float64
	}{
		{"small values, as naive", small, wantLME, wantSE},
		// exp(1000) overflows; the result is the shifted naive one.
		{"x ~ 1000", shift(small, 1000), wantLME + 1000, wantSE},
		{"x ~ -1000", shift(small, -1000), wantLME - 1000, wantSE},
		{"constant", []float64{3, 3, 3}, 3, 0},
		// exp: {1, 0}; sd sqrt(0.5), se sqrt(0.5)/sqrt(2)/0.5 = 1.
		{"-Inf contributes zero", []float64{0, math.Inf(-1)}, math.Log(0.5), 1},
		{"single", []float64{2}, 2, math.NaN()},
		{"empty", nil, math.NaN(), math.NaN()},
		{"NaN", []float64{1, math.NaN()}, math.NaN(), math.NaN()},
		{"+Inf", []float64{1, inf}, inf, math.NaN()},
		{"all -Inf", []float64{-inf, -inf}, -inf, math.NaN()},
	} {
		lme, se := LogMeanExp(tc.x)
		checkClose(t, tc.name+": lme", lme, tc.lme, 1e-14)
		checkClose(t, tc.name+": se", se, tc.se, 1e-12)
	}
}

func TestMeanSE(t *testing.T) {
	for _, tc := range []struct {
		name     string
		x        []float64
		mean, se float64
	}{
		// sd of {1,2,3,4} with n−1 denominator is sqrt(5/3).
		{"1..4", []float64{1, 2, 3, 4}, 2.5, math.Sqrt(5.0/3) / 2},
		{"constant", []float64{-7, -7, -7}, -7, 0},
		{"single", []float64{4}, 4, math.NaN()},
		{"empty", nil, math.NaN(), math.NaN()},
	} {
		mean, se := MeanSE(tc.x)
		checkClose(t, tc.name+": mean", mean, tc.mean, 1e-15)
		checkClose(t, tc.name+": se", se, tc.se, 1e-15)
	}
}
