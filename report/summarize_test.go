package report

import (
	"fmt"
	"math"
	"testing"
)

// closeTo reports whether a and b agree to a relative tolerance of 1e-12,
// treating two NaNs and two equal infinities as equal.
func closeTo(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func checkParam(t *testing.T, got, want Param) {
	t.Helper()
	if got.Name != want.Name {
		t.Errorf("name = %q, want %q", got.Name, want.Name)
	}
	for _, c := range []struct {
		field     string
		got, want float64
	}{
		{"mean", got.Mean, want.Mean}, {"sd", got.SD, want.SD},
		{"q5", got.Q5, want.Q5}, {"q50", got.Q50, want.Q50}, {"q95", got.Q95, want.Q95},
	} {
		if !closeTo(c.got, c.want) {
			t.Errorf("%s %s = %.17g, want %.17g", got.Name, c.field, c.got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		x    []float64
		want Param
	}{
		// mean 3, sd √2.5; type 7: q5 at index 1.2 → 1.2, q95 at 4.8 → 4.8.
		{"one to five", []float64{1, 2, 3, 4, 5}, Param{"a", 3, math.Sqrt(2.5), 1.2, 3, 4.8}},
		// sorted −2 3 7 10; Σd² = 81 → sd = √27; q5: 0.85·(−2)+0.15·3;
		// q50: (3+7)/2; q95: 0.15·7 + 0.85·10.
		{"unsorted", []float64{10, -2, 7, 3}, Param{"a", 4.5, math.Sqrt(27), -1.25, 5, 9.55}},
		{"constant", []float64{5, 5, 5}, Param{"a", 5, 0, 5, 5, 5}},
		{"single draw", []float64{2}, Param{"a", 2, nan, 2, 2, 2}},
		{"no draws", nil, Param{"a", nan, nan, nan, nan, nan}},
		{"NaN draw", []float64{1, nan, 3}, Param{"a", nan, nan, nan, nan, nan}},
		// Inf propagates; q5 interpolates between finite values only.
		{"infinite draw", []float64{1, 2, inf}, Param{"a", inf, nan, 1.1, 2, inf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			draws := make([][]float64, len(tt.x))
			for s, v := range tt.x {
				draws[s] = []float64{v}
			}
			got := Summarize([]string{"a"}, draws)
			if len(got) != 1 {
				t.Fatalf("got %d params, want 1", len(got))
			}
			checkParam(t, got[0], tt.want)
		})
	}
}

func TestSummarizeColumns(t *testing.T) {
	draws := [][]float64{{1, 10}, {2, -2}, {3, 7}, {4, 3}, {5, 3}}
	got := Summarize([]string{"x", "y"}, draws)
	checkParam(t, got[0], Param{"x", 3, math.Sqrt(2.5), 1.2, 3, 4.8})
	// y sorted: −2 3 3 7 10, mean 4.2, Σd² = 38.8+1.44+1.44+7.84+33.64 = 82.8
	checkParam(t, got[1], Param{"y", 4.2, math.Sqrt(82.8 / 4), 0.8*-2 + 0.2*3, 3, 0.2*7 + 0.8*10})
	if draws[1][1] != -2 {
		t.Error("Summarize modified its input")
	}
}

func TestSummarizeShortRowPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a short row")
		}
	}()
	Summarize([]string{"a", "b"}, [][]float64{{1}})
}

func TestQuantile7(t *testing.T) {
	sorted := []float64{0, 10}
	for _, tt := range []struct{ p, want float64 }{
		{0, 0}, {0.25, 2.5}, {0.5, 5}, {1, 10},
	} {
		if got := quantile7(sorted, tt.p); !closeTo(got, tt.want) {
			t.Errorf("quantile7(%v, %v) = %v, want %v", sorted, tt.p, got, tt.want)
		}
	}
	if got := quantile7(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("quantile7(nil) = %v, want NaN", got)
	}
}

func ExampleSummarize() {
	draws := [][]float64{{1, 10}, {2, 20}, {3, 30}, {4, 40}, {5, 50}}
	for _, p := range Summarize([]string{"alpha", "beta"}, draws) {
		fmt.Printf("%s mean=%g sd=%.4f q5=%g q50=%g q95=%g\n", p.Name, p.Mean, p.SD, p.Q5, p.Q50, p.Q95)
	}
	// Output:
	// alpha mean=3 sd=1.5811 q5=1.2 q50=3 q95=4.8
	// beta mean=30 sd=15.8114 q5=12 q50=30 q95=48
}
