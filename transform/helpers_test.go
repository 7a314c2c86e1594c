package transform

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

const eps = 0x1p-52 // float64 machine epsilon

// checkClose fails unless |got − want| ≤ abs + rel·|want|. NaN never passes;
// equal infinities do.
func checkClose(t *testing.T, what string, got, want, rel, abs float64) {
	t.Helper()
	if got == want {
		return
	}
	if math.IsNaN(got) || math.IsNaN(want) || !(math.Abs(got-want) <= abs+rel*math.Abs(want)) {
		t.Errorf("%s = %.17g, want %.17g (|diff| %.3g, tolerance abs %.3g + rel %.3g)",
			what, got, want, math.Abs(got-want), abs, rel)
	}
}

// checkSupportError fails unless err is a *SupportError whose message starts
// with "transform: " and contains every string in wants.
func checkSupportError(t *testing.T, what string, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got nil error, want a support error", what)
		return
	}
	var se *SupportError
	if !errors.As(err, &se) {
		t.Errorf("%s: error %q is %T, want *SupportError", what, err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "transform: ") {
		t.Errorf("%s: error %q lacks the \"transform: \" prefix", what, msg)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error %q does not mention %q", what, msg, w)
		}
	}
}

// checkPanics fails unless f panics with a message starting "transform: ".
func checkPanics(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: did not panic", what)
			return
		}
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "transform: ") {
			t.Errorf("%s: panic value %v lacks the \"transform: \" prefix", what, r)
		}
	}()
	f()
}

// Finite-difference settings: central differences for first derivatives and
// the second-order central stencil for second derivatives.
var (
	central    = &fd.Settings{Formula: fd.Central, Step: 1e-5}
	central2nd = &fd.Settings{Formula: fd.Central2nd, Step: 1e-4}
)
