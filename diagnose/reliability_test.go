package diagnose

import (
	"math"
	"testing"
)

func TestAssess(t *testing.T) {
	for _, tc := range []struct {
		k    float64
		want Reliability
		word string
	}{
		{math.Inf(-1), Good, "good"},
		{-1.8, Good, "good"},
		{0.3, Good, "good"},
		{0.5, Good, "good"}, // loo's intervals are closed on the right
		{0.5000001, Ok, "ok"},
		{0.7, Ok, "ok"},
		{0.71, Bad, "bad"},
		{1, Bad, "bad"},
		{1.01, VeryBad, "very bad"},
		{math.Inf(1), VeryBad, "very bad"},
		{math.NaN(), VeryBad, "very bad"},
	} {
		got := Assess(tc.k)
		if got != tc.want {
			t.Errorf("Assess(%v) = %v, want %v", tc.k, got, tc.want)
		}
		if got.String() != tc.word {
			t.Errorf("Assess(%v).String() = %q, want %q", tc.k, got.String(), tc.word)
		}
	}
	if s := Reliability(-1).String(); s != "unknown reliability" {
		t.Errorf("invalid Reliability prints %q", s)
	}
}
