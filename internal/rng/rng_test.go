package rng

import "testing"

// A stream depends on every part of its key and on nothing else, and
// Reset reproduces NewStream.
func TestStreams(t *testing.T) {
	first := func(s *Stream) [4]uint64 {
		var v [4]uint64
		for i := range v {
			v[i] = s.Uint64()
		}
		return v
	}
	base := first(NewStream(1, ELBO, 2, 3))
	if again := first(NewStream(1, ELBO, 2, 3)); again != base {
		t.Fatal("the same key gave different numbers")
	}
	for _, k := range [][4]uint64{{2, ELBO, 2, 3}, {1, Output, 2, 3}, {1, ELBO, 3, 3}, {1, ELBO, 2, 4}, {0, 0, 0, 0}} {
		if v := first(NewStream(k[0], k[1], k[2], k[3])); v == base {
			t.Errorf("key %v gave the same numbers as (1, ELBO, 2, 3)", k)
		}
	}
	s := NewStream(9, 9, 9, 9)
	s.Reset(1, ELBO, 2, 3)
	if v := first(s); v != base {
		t.Error("Reset does not reproduce NewStream")
	}
	if a := testing.AllocsPerRun(10, func() { s.Reset(1, ELBO, 2, 3); s.NormFloat64() }); a != 0 {
		t.Errorf("%v allocations per Reset", a)
	}
}
