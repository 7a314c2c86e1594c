package formula

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any text gives a *Formula or a *SyntaxError, never a panic or
// a hang; the message shows at most a window of the formula; a parsed
// formula prints to text that parses to the same formula.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"y ~ x", "switch ~ dist100 + arsenic", "y ~ x1*x2 + I(x^2) + log(z)", "cbind(s, f) ~ x + (1 + x | g)",
		"y | trials(n) ~ 0 + x", "y | se(s) ~ 1 + (1 | school)", "y ~ offset(log(e)) + scale(x) + factor(g)",
		"y ~ (x1 + x2)^2", "y ~ x - 1", "log(y) ~ sqrt(x):z", "y ~ ((((x))))", "y ~ -x", "~ x", "y ~", "y ~ x +",
		"y ~ x / 2", "y ~ 1 | g", "y ~ x + y", "y ~ \"x\"", "y ~ `a b`",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error of type %T: %v", s, err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if len(line) > 600 {
					t.Fatalf("Parse(%q): a message line of %d bytes", s, len(line))
				}
			}
			return
		}
		again, err := Parse(fm.String())
		if err != nil {
			t.Fatalf("Parse(%q) printed as %q, which does not parse: %v", s, fm.String(), err)
		}
		if again.String() != fm.String() {
			t.Fatalf("Parse(%q): %q reparses as %q", s, fm.String(), again.String())
		}
	})
}
