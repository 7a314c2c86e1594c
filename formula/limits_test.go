package formula

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Huge or deep formulas get a *SyntaxError, quickly and without a stack
// overflow, whose message shows at most a line of the formula.
func TestLimits(t *testing.T) {
	var terms []string
	for i := 0; i < 1000000; i++ {
		terms = append(terms, fmt.Sprintf("x%d", i))
	}
	million := "y ~ " + strings.Join(terms, " + ")
	var ten []string
	for i := 0; i < 14; i++ {
		ten = append(ten, fmt.Sprintf("x%d", i))
	}
	for _, tc := range []struct{ name, f, want string }{
		{"a million terms", million, "more than the limit"},
		{"6000 terms", "y ~ " + strings.Join(terms[:6000], "+"), "more than 5000 terms"},
		{"deep parentheses", "y ~ " + strings.Repeat("(", 10000) + "x" + strings.Repeat(")", 10000), "nests more than"},
		{"deep unary", "y ~ " + strings.Repeat("-", 5000) + "x", "nests more than"},
		{"deep calls", "y ~ " + strings.Repeat("log(", 1000) + "x" + strings.Repeat(")", 1000), "nests more than"},
		{"interaction explosion", "y ~ " + strings.Join(ten, "*"), "more than the limit of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.f)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SyntaxError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			for _, line := range strings.Split(msg, "\n") {
				if len(line) > 400 {
					t.Errorf("message line of %d bytes: %.100s…", len(line), line)
				}
			}
		})
	}
	// Within the limits: 2000 terms parse.
	if _, err := Parse("y ~ " + strings.Join(terms[:2000], " + ")); err != nil {
		t.Errorf("2000 terms: %v", err)
	}
}

// A response that also appears on the right of ~ is a *SyntaxError
// pointing at it.
func TestResponseOnTheRight(t *testing.T) {
	for _, f := range []string{"y ~ x + y", "y ~ log(y)", "cbind(s, f) ~ x + f", "y ~ x + (1 | y)", "y ~ x:y", "log(y) ~ I(y^2)"} {
		_, err := Parse(f)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "also appears on the right") {
			t.Errorf("%s: error %v, want the response on the right", f, err)
		}
	}
	for _, f := range []string{"s | trials(n) ~ n", "y | se(s) ~ s", "y ~ x"} {
		if _, err := Parse(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
