package formula

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// checkStrings compares string slices, treating nil and empty as equal.
func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, canon string
		terms     []string
		noIcpt    bool
		groups    []string
		offsets   []string
		columns   []string
		response  string
	}{
		{in: "switch ~ dist100 + arsenic", canon: "switch ~ dist100 + arsenic",
			terms: []string{"dist100", "arsenic"}, columns: []string{"switch", "dist100", "arsenic"}},
		{in: "y~x1*x2", canon: "y ~ x1 * x2", terms: []string{"x1", "x2", "x1:x2"}},
		{in: "y ~ x1:x2", canon: "y ~ x1:x2", terms: []string{"x1:x2"}},
		{in: "y ~ x1 + x2 + x1:x2", canon: "y ~ x1 + x2 + x1:x2", terms: []string{"x1", "x2", "x1:x2"}},
		{in: "y ~ x1:x2 + x1", canon: "y ~ x1:x2 + x1", terms: []string{"x1", "x1:x2"}}, // ordered by degree
		{in: "y ~ b:a + a", canon: "y ~ b:a + a", terms: []string{"a", "b:a"}},
		{in: "y ~ a + b:a", canon: "y ~ a + b:a", terms: []string{"a", "a:b"}},
		{in: "y ~ a*b*c", canon: "y ~ a * b * c", terms: []string{"a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"}},
		{in: "y ~ (a + b):c", canon: "y ~ (a + b):c", terms: []string{"a:c", "b:c"}},
		{in: "y ~ (a+b)*(c+d)", canon: "y ~ (a + b) * (c + d)", terms: []string{"a", "b", "c", "d", "a:c", "b:c", "a:d", "b:d"}},
		{in: "y ~ x + x + x:x", canon: "y ~ x + x + x:x", terms: []string{"x"}},
		{in: "y ~ a*b - a:b", canon: "y ~ a * b - a:b", terms: []string{"a", "b"}},
		{in: "y ~ a + b - a", canon: "y ~ a + b - a", terms: []string{"b"}},
		{in: "y ~ 0 + x", canon: "y ~ 0 + x", terms: []string{"x"}, noIcpt: true},
		{in: "y ~ x + 0", canon: "y ~ x + 0", terms: []string{"x"}, noIcpt: true},
		{in: "y ~ x - 1", canon: "y ~ x - 1", terms: []string{"x"}, noIcpt: true},
		{in: "y ~ -1 + x", canon: "y ~ -1 + x", terms: []string{"x"}, noIcpt: true},
		{in: "y ~ - 1 + x", canon: "y ~ -1 + x", terms: []string{"x"}, noIcpt: true},
		{in: "y ~ 1 + x", canon: "y ~ 1 + x", terms: []string{"x"}},
		{in: "y ~ 0 + x + 1", canon: "y ~ 0 + x + 1", terms: []string{"x"}},
		{in: "y ~ 1", canon: "y ~ 1"},
		{in: "y~log(x)+log1p(x)+exp(x)+sqrt(x)+abs(x)+scale(x)+log2(x)+log10(x)+expm1(x)",
			canon: "y ~ log(x) + log1p(x) + exp(x) + sqrt(x) + abs(x) + scale(x) + log2(x) + log10(x) + expm1(x)",
			terms: []string{"log(x)", "log1p(x)", "exp(x)", "sqrt(x)", "abs(x)", "scale(x)", "log2(x)", "log10(x)", "expm1(x)"}},
		{in: "log(weight) ~ log(diam1) + log(canopy_height) + group", canon: "log(weight) ~ log(diam1) + log(canopy_height) + group",
			terms: []string{"log(diam1)", "log(canopy_height)", "group"}, response: "log(weight)",
			columns: []string{"weight", "diam1", "canopy_height", "group"}},
		{in: "y ~ I(x^2) + I(x/100) + I(x-3) + I(a*b) + log(I(x+1))",
			canon: "y ~ I(x^2) + I(x/100) + I(x - 3) + I(a * b) + log(I(x + 1))",
			terms: []string{"I(x^2)", "I(x/100)", "I(x - 3)", "I(a * b)", "log(I(x + 1))"}},
		{in: "y ~ I( (x + 1) ^ 2 ) + I(-x^2) + I((-x)^2) + I(2^-1 * x) + I(x / (a * b)) + I(1e-3 * x) + I(100.0*x)",
			canon: "y ~ I((x + 1)^2) + I(-x^2) + I((-x)^2) + I(2^(-1) * x) + I(x/(a * b)) + I(0.001 * x) + I(100 * x)"},
		{in: "y ~ I(a - (b - c)) + I((a - b) - c) + I(a^b^c) + I((a^b)^c) + I(a / b / c) + I(a / (b / c))",
			canon: "y ~ I(a - (b - c)) + I(a - b - c) + I(a^b^c) + I((a^b)^c) + I(a/b/c) + I(a/(b/c))"},
		{in: "y ~ factor(cyl) + factor( (gear) )", canon: "y ~ factor(cyl) + factor(gear)", terms: []string{"factor(cyl)", "factor(gear)"}},
		{in: "y ~ (1|g)", canon: "y ~ (1 | g)", groups: []string{"(1 | g)"}, columns: []string{"y", "g"}},
		{in: "y ~ x + (x | g)", canon: "y ~ x + (x | g)", terms: []string{"x"}, groups: []string{"(x | g)"}},
		{in: "y ~ x + (1 + x | g) + (0 + z | h) + ((1 | k))", canon: "y ~ x + (1 + x | g) + (0 + z | h) + (1 | k)",
			terms: []string{"x"}, groups: []string{"(1 + x | g)", "(0 + z | h)", "(1 | k)"},
			columns: []string{"y", "x", "g", "z", "h", "k"}},
		{in: "y ~ 0 + (1 | g) + (0 + x | g)", canon: "y ~ 0 + (1 | g) + (0 + x | g)", noIcpt: true, groups: []string{"(1 | g)", "(0 + x | g)"}},
		{in: "cbind(s, f) ~ dose", canon: "cbind(s, f) ~ dose", terms: []string{"dose"}, response: "s", columns: []string{"s", "f", "dose"}},
		{in: "deaths | trials(n) ~ dose + offset(log(exposure))", canon: "deaths | trials(n) ~ dose + offset(log(exposure))",
			terms: []string{"dose"}, offsets: []string{"log(exposure)"}, response: "deaths",
			columns: []string{"deaths", "n", "dose", "exposure"}},
		{in: "y | se(s) ~ 1 + (1|study)", canon: "y | se(s) ~ 1 + (1 | study)", groups: []string{"(1 | study)"}},
		{in: "y ~ offset(a) + offset(I(b * 2)) + x", canon: "y ~ offset(a) + offset(I(b * 2)) + x", terms: []string{"x"}, offsets: []string{"a", "I(b * 2)"}},
		{in: "y ~ 0 + offset(e)", canon: "y ~ 0 + offset(e)", noIcpt: true, offsets: []string{"e"}},
		{in: "y/100 ~ x", canon: "y/100 ~ x", terms: []string{"x"}, response: "y/100"},
		{in: "`body mass` ~ `leg length` + log(`arm span`)", canon: "`body mass` ~ `leg length` + log(`arm span`)",
			terms: []string{"`leg length`", "log(`arm span`)"}, columns: []string{"body mass", "leg length", "arm span"}},
		{in: "y ~ `x`", canon: "y ~ x", terms: []string{"x"}},
		{in: "y.1 ~ x_2 + .x + épaisseur", canon: "y.1 ~ x_2 + .x + épaisseur", terms: []string{"x_2", ".x", "épaisseur"}},
		{in: "y ~\n  x1 +\tx2", canon: "y ~ x1 + x2", terms: []string{"x1", "x2"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.String(); got != tc.canon {
				t.Errorf("String() = %q, want %q", got, tc.canon)
			}
			g, err := Parse(f.String())
			if err != nil {
				t.Fatalf("reparsing %q: %v", f.String(), err)
			}
			if g.String() != f.String() {
				t.Errorf("round trip: %q became %q", f.String(), g.String())
			}
			checkStrings(t, "Terms()", g.Terms(), f.Terms())
			if tc.terms != nil {
				checkStrings(t, "Terms()", f.Terms(), tc.terms)
			}
			if f.Intercept() == tc.noIcpt {
				t.Errorf("Intercept() = %v", f.Intercept())
			}
			checkStrings(t, "GroupTerms()", f.GroupTerms(), tc.groups)
			checkStrings(t, "Offsets()", f.Offsets(), tc.offsets)
			if tc.columns != nil {
				checkStrings(t, "Columns()", f.Columns(), tc.columns)
			}
			if tc.response == "" {
				tc.response = "y"
				if strings.HasPrefix(tc.in, "switch") {
					tc.response = "switch"
				}
				if strings.HasPrefix(tc.in, "`body") {
					tc.response = "`body mass`"
				}
				if strings.HasPrefix(tc.in, "y.1") {
					tc.response = "y.1"
				}
			}
			if got := f.Response(); got != tc.response {
				t.Errorf("Response() = %q, want %q", got, tc.response)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"y ~ x1 + x2)", `formula: unexpected ")" at column 12
  y ~ x1 + x2)
             ^`},
		{"y ~ (x1 + x2", `formula: unclosed "(": missing ")" at column 5
  y ~ (x1 + x2
      ^`},
		{"y ~ log(x", `formula: unclosed "(": missing ")" at column 8
  y ~ log(x
         ^`},
		{"y ~ x +", `formula: unexpected end of formula at column 8
  y ~ x +
         ^`},
		{"y ~", `formula: missing predictors after "~" (use 1 for an intercept-only model) at column 4
  y ~
     ^`},
		{"~ x", `formula: missing response before "~" at column 1
  ~ x
  ^`},
		{"y x", `formula: unexpected "x" at column 3
  y x
    ^`},
		{"y", `formula: missing "~" between response and predictors at column 2
  y
   ^`},
		{"", `formula: empty formula at column 1
  
  ^`},
		{"y ~ x ~ z", `formula: unexpected "~" at column 7
  y ~ x ~ z
        ^`},
		{"y ~ x $ z", `formula: unexpected character '$' at column 7
  y ~ x $ z
        ^`},
		{"y ~ lg(x)", `formula: unknown function "lg" at column 5
  y ~ lg(x)
      ^
did you mean "log"? Supported functions: I, abs, cbind, exp, expm1, factor, log, log10, log1p, log2, offset, scale, se, sqrt, trials`},
		{"y ~ poly(x, 2)", `formula: unknown function "poly" at column 5
  y ~ poly(x, 2)
      ^
Supported functions: I, abs, cbind, exp, expm1, factor, log, log10, log1p, log2, offset, scale, se, sqrt, trials`},
		{"y ~ log(lgo(x))", `formula: unknown function "lgo" at column 9
  y ~ log(lgo(x))
          ^
did you mean "log"? Supported functions: I, abs, cbind, exp, expm1, factor, log, log10, log1p, log2, offset, scale, se, sqrt, trials`},
		{"y ~ log(x, 2)", `formula: log() takes 1 argument, got 2 at column 5
  y ~ log(x, 2)
      ^`},
		{"y ~ log()", `formula: log() takes 1 argument, got 0 at column 5
  y ~ log()
      ^`},
		{"cbind(s) ~ x", `formula: cbind() takes 2 arguments, got 1 at column 1
  cbind(s) ~ x
  ^`},
		{"y ~ x^2", `formula: "^" is not a power in a formula at column 6
  y ~ x^2
       ^
use I() for arithmetic, e.g. I(x^2); write a*b for interactions`},
		{"y ~ x/100", `formula: "/" is not division in a formula at column 6
  y ~ x/100
       ^
use I() for arithmetic, e.g. I(x/100)`},
		{"y ~ 2 + x", `formula: unexpected number 2 among the terms at column 5
  y ~ 2 + x
      ^
only 1 (intercept) and 0 (no intercept) can be terms; use I() for arithmetic, e.g. I(2*x)`},
		{"y ~ .", `formula: "." (all other columns) needs the data's columns at column 5
  y ~ .
      ^
expand it with formula.ExpandDot first (spec.Model.Build and govi fit do)`},
		{"y ~ x + 1 | g", `formula: group term needs parentheses at column 11
  y ~ x + 1 | g
            ^
write group-level terms as (1 | g) or (1 + x | g)`},
		{"y ~ (1 | log(g))", `formula: the grouping factor after "|" must be a column name at column 10
  y ~ (1 | log(g))
           ^`},
		{"y ~ (1 + (1 | h) | g)", `formula: group terms cannot be nested at column 10
  y ~ (1 + (1 | h) | g)
           ^`},
		{"y ~ x:(1 | g)", `formula: a group term must be a term of its own (it cannot be crossed or removed) at column 7
  y ~ x:(1 | g)
        ^`},
		{"y ~ (0 | g)", `formula: group term (0 | g) has no coefficients at column 6
  y ~ (0 | g)
       ^`},
		{"y ~ (1 | g) + (1 + x | g)", `formula: the intercept varies by "g" twice (also in (1 | g)) at column 15
  y ~ (1 | g) + (1 + x | g)
                ^`},
		{"y ~ (x | g) + (0 + x | g)", `formula: x varies by "g" twice (also in (x | g)) at column 15
  y ~ (x | g) + (0 + x | g)
                ^`},
		{"y ~ x:offset(e)", `formula: offset() must be a term of its own on the right of ~ at column 7
  y ~ x:offset(e)
        ^`},
		{"y ~ log(offset(e))", `formula: offset() must be a term of its own on the right of ~ at column 9
  y ~ log(offset(e))
          ^`},
		{"y ~ x + trials(n)", `formula: trials() is only allowed in the response, on the left of ~ at column 9
  y ~ x + trials(n)
          ^`},
		{"y ~ cbind(a, b)", `formula: cbind() is only allowed in the response, on the left of ~ at column 5
  y ~ cbind(a, b)
      ^`},
		{"y | weights(w) ~ x", `formula: expected trials() or se() after "|" in the response at column 5
  y | weights(w) ~ x
      ^
supported: y | trials(n) (binomial), y | se(s) (known standard errors)`},
		{"y | trials(n) + trials(m) ~ x", `formula: trials() given twice at column 17
  y | trials(n) + trials(m) ~ x
                  ^`},
		{"y | trials(n) + se(s) ~ x", `formula: trials() and se() cannot be combined at column 17
  y | trials(n) + se(s) ~ x
                  ^`},
		{"cbind(a, b) | trials(n) ~ x", `formula: cbind() cannot be combined with trials() or se(): cbind(s, f) already gives the trials s + f at column 1
  cbind(a, b) | trials(n) ~ x
  ^`},
		{"y:z ~ x", `formula: ":" (interaction) cannot be used in the response at column 2
  y:z ~ x
   ^`},
		{"y ~ log(a:b)", `formula: ":" (interaction) cannot be used inside log() at column 10
  y ~ log(a:b)
           ^`},
		{"y ~ log(factor(g))", `formula: factor() is categorical and cannot be used inside log() at column 9
  y ~ log(factor(g))
          ^`},
		{"y ~ factor(log(g))", `formula: factor() takes a column name at column 12
  y ~ factor(log(g))
             ^`},
		{"y ~ x*1", `formula: cannot use "*" with 0 or 1 at column 6
  y ~ x*1
       ^`},
		{"y ~ 0", `formula: the model has no predictors at column 5
  y ~ 0
      ^`},
		{"y ~ log(x, base = 2)", `formula: unexpected "=": named arguments are not supported at column 17
  y ~ log(x, base = 2)
                  ^`},
		{"y ~ `x", "formula: unterminated `quoted name` at column 5\n  y ~ `x\n      ^"},
		{"y ~ ``", "formula: empty `quoted name` at column 5\n  y ~ ``\n      ^"},
		{"y ~ log(x) + é$", `formula: unexpected character '$' at column 15
  y ~ log(x) + é$
                ^`},
		{"y ~\tx $", "formula: unexpected character '$' at column 7\n  y ~\tx $\n     \t  ^"},
		{"y ~ 1.2.3", `formula: malformed number "1.2.3" at column 5
  y ~ 1.2.3
      ^`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("no error, want\n%s", tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T, want *SyntaxError", err)
			}
			if se.Formula != tc.in {
				t.Errorf("SyntaxError.Formula = %q", se.Formula)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestMustParse(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic")
		}
	}()
	MustParse("y ~")
}

// "." stands for every column the left-hand side does not use, as in R.
func TestExpandDot(t *testing.T) {
	cols := []string{"y", "x", "n", "g", "odd name"}
	for _, c := range []struct{ in, want string }{
		{"y ~ .", "y ~ (x + n + g + `odd name`)"},
		{"y ~ . - g", "y ~ (x + n + g + `odd name`) - g"},
		{"y | trials(n) ~ . + (1 | g)", "y | trials(n) ~ (x + g + `odd name`) + (1 | g)"},
		{"y ~ x", "y ~ x"},
	} {
		got, err := ExpandDot(c.in, cols)
		if err != nil || got != c.want {
			t.Errorf("ExpandDot(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := ExpandDot("y ~ .", []string{"y"}); err == nil {
		t.Error("a dot with no other columns was accepted")
	}
	// The expansion parses, and "- g" removes g.
	got, _ := ExpandDot("y ~ . - g", cols)
	f, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if cs := f.Columns(); slices.Contains(cs[1:], "g") && !strings.Contains(got, "- g") {
		t.Errorf("columns %v", cs)
	}
}
