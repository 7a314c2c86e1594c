package diagnose

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

func TestWeightedMoments(t *testing.T) {
	draws := mat.NewDense(4, 2, []float64{
		1, 10,
		2, 20,
		3, 30,
		4, math.NaN(), // zero weight in the second case
	})
	ninf := math.Inf(-1)
	for _, tc := range []struct {
		name     string
		lw       []float64
		mean, sd []float64
	}{
		// Equal weights: plain means and plug-in (divide by S) sds.
		{"equal", []float64{0, 0, 0, 0}, []float64{2.5, math.NaN()}, []float64{math.Sqrt(1.25), math.NaN()}},
		// Weights 1/6, 2/6, 3/6, 0 on the log scale, unnormalized.
		{"weighted, -Inf drops a row", []float64{5, 5 + math.Log(2), 5 + math.Log(3), ninf},
			[]float64{14.0 / 6, 140.0 / 6}, []float64{math.Sqrt(5.0 / 9), math.Sqrt(500.0 / 9)}},
	} {
		mean, sd, err := WeightedMoments(draws, tc.lw)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for j := range tc.mean {
			checkClose(t, tc.name+": mean", mean[j], tc.mean[j], 1e-14)
			checkClose(t, tc.name+": sd", sd[j], tc.sd[j], 1e-14)
		}
	}

	if _, _, err := WeightedMoments(draws, []float64{0, math.NaN(), 0, 0}); err == nil || !strings.HasPrefix(err.Error(), "diagnose: ") {
		t.Errorf("NaN log weight: error %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic for mismatched lengths")
			}
		}()
		WeightedMoments(draws, []float64{0, 0})
	}()
}

func TestResampleIndexReproducible(t *testing.T) {
	lw := []float64{-1, 0, 0.5, math.Inf(-1), -3}
	a, err := ResampleIndex(1000, lw, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ResampleIndex(1000, lw, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Error("same seed gave different indices")
	}
	c, _ := ResampleIndex(1000, lw, rand.New(rand.NewPCG(3, 4)))
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same indices")
	}
	if slices.Contains(a, 3) {
		t.Error("index of zero weight was drawn")
	}
	if len(a) != 1000 {
		t.Errorf("got %d indices, want 1000", len(a))
	}
}

func TestResampleIndexFrequencies(t *testing.T) {
	// Unnormalized weights; index 2 has zero weight.
	p := []float64{0.1, 0.25, 0, 0.05, 0.4, 0.2}
	lw := make([]float64, len(p))
	for i, v := range p {
		lw[i] = math.Log(v) + 100
	}
	const n = 200000
	idx, err := ResampleIndex(n, lw, rand.New(rand.NewPCG(42, 42)))
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, len(p))
	for _, i := range idx {
		counts[i]++
	}
	// Pearson chi-square over the indices of positive weight; with df = 4
	// it exceeds the 1−1e-6 quantile (about 33) only by a one-in-a-million
	// accident for a correct sampler.
	var chi2 float64
	df := -1
	for i, v := range p {
		if v == 0 {
			if counts[i] != 0 {
				t.Errorf("index %d of zero weight drawn %v times", i, counts[i])
			}
			continue
		}
		e := n * v
		chi2 += (counts[i] - e) * (counts[i] - e) / e
		df++
	}
	limit := distuv.ChiSquared{K: float64(df)}.Quantile(1 - 1e-6)
	if chi2 > limit {
		t.Errorf("chi-square = %.3g with %d df exceeds %.3g; counts %v", chi2, df, limit, counts)
	}
}

func TestResampleIndexErrors(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		lw   []float64
	}{
		{"empty", nil},
		{"NaN", []float64{0, math.NaN()}},
		{"+Inf", []float64{math.Inf(1), 0}},
		{"all -Inf", []float64{math.Inf(-1)}},
	} {
		if _, err := ResampleIndex(10, tc.lw, rnd); err == nil || !strings.HasPrefix(err.Error(), "diagnose: ") {
			t.Errorf("%s: error %v, want one prefixed \"diagnose: \"", tc.name, err)
		}
	}
	// A single draw of positive weight is always chosen, also when the
	// uniform rounds up to the total.
	idx, err := ResampleIndex(100, []float64{math.Inf(-1), 0, math.Inf(-1)}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		if i != 1 {
			t.Fatalf("drew index %d, want only 1", i)
		}
	}
}
