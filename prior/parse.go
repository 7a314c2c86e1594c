package prior

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// family describes one Stan spelling for Parse.
type family struct {
	name string
	// params are the argument names in Stan's order; "0" marks a location
	// that must be 0 (the half-* priors).
	params []string
	make   func(a []float64) validator
}

// validator is a Prior with its Validate method; every type here is one.
type validator interface {
	Prior
	Validate() error
}

// families lists the spellings Parse accepts, in the order Names reports.
var families = []family{
	{"normal", []string{"mu", "sigma"}, func(a []float64) validator { return Normal{Mu: a[0], Sigma: a[1]} }},
	{"student_t", []string{"nu", "mu", "sigma"}, func(a []float64) validator { return StudentT{Nu: a[0], Mu: a[1], Sigma: a[2]} }},
	{"cauchy", []string{"mu", "sigma"}, func(a []float64) validator { return Cauchy{Mu: a[0], Sigma: a[1]} }},
	{"double_exponential", []string{"mu", "sigma"}, func(a []float64) validator { return DoubleExponential{Mu: a[0], Sigma: a[1]} }},
	{"logistic", []string{"mu", "sigma"}, func(a []float64) validator { return Logistic{Mu: a[0], Sigma: a[1]} }},
	{"half_normal", []string{"0", "sigma"}, func(a []float64) validator { return HalfNormal{Sigma: a[1]} }},
	{"half_cauchy", []string{"0", "sigma"}, func(a []float64) validator { return HalfCauchy{Sigma: a[1]} }},
	{"half_student_t", []string{"nu", "0", "sigma"}, func(a []float64) validator { return HalfStudentT{Nu: a[0], Sigma: a[2]} }},
	{"exponential", []string{"rate"}, func(a []float64) validator { return Exponential{Rate: a[0]} }},
	{"gamma", []string{"shape", "rate"}, func(a []float64) validator { return Gamma{Shape: a[0], Rate: a[1]} }},
	{"inv_gamma", []string{"shape", "scale"}, func(a []float64) validator { return InvGamma{Shape: a[0], Scale: a[1]} }},
	{"lognormal", []string{"mu", "sigma"}, func(a []float64) validator { return LogNormal{Mu: a[0], Sigma: a[1]} }},
	{"flat", nil, func([]float64) validator { return Flat{} }},
}

// aliases are common non-Stan names, used only to suggest the Stan spelling.
var aliases = map[string]string{
	"laplace":       "double_exponential",
	"t":             "student_t",
	"half_t":        "half_student_t",
	"inverse_gamma": "inv_gamma",
	"uniform":       "flat",
	"improper":      "flat",
}

// Names returns the prior names Parse accepts, in a fixed order.
func Names() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.name
	}
	return names
}

// signature returns e.g. "student_t(nu, mu, sigma)".
func (f family) signature() string {
	return f.name + "(" + strings.Join(f.params, ", ") + ")"
}

// Parse parses a prior in Stan's spelling: normal(0, 2.5),
// student_t(3, 0, 10), cauchy(0, 5), double_exponential(0, 1),
// logistic(0, 1), half_normal(0, 1), half_cauchy(0, 5),
// half_student_t(3, 0, 10), exponential(1), gamma(2, 0.1), inv_gamma(1, 1),
// lognormal(0, 1) or flat. Space around names, parentheses and commas is
// ignored and numbers may use scientific notation. The half-* priors require
// location 0. The result has passed its Validate method.
//
// Parse("flat") returns Flat{}; a caller assigning it to a positive parameter
// sets OnPositive.
//
// Errors are prefixed "prior: " and name the problem: an unknown name (with
// the closest known name), a wrong number of arguments (with the expected
// signature), an argument that is not a finite number, or a parameter out of
// range, e.g. "prior: normal(0, -1): sigma must be positive".
func Parse(s string) (Prior, error) {
	if len(s) > MaxLength {
		return nil, fmt.Errorf("prior: %.40s…: the prior is %d bytes long, more than the limit of %d", s, len(s), MaxLength)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("prior: empty prior specification")
	}
	name, args, hasParens, err := split(s)
	if err != nil {
		return nil, err
	}
	var fam *family
	for i := range families {
		if families[i].name == name {
			fam = &families[i]
			break
		}
	}
	if fam == nil {
		return nil, unknown(name)
	}
	if len(fam.params) == 0 {
		if len(args) > 0 {
			return nil, fmt.Errorf("prior: %s: %s takes no arguments", excerpt(s), fam.name)
		}
		return fam.make(nil), nil
	}
	if !hasParens || len(args) != len(fam.params) {
		plural := "s"
		if len(fam.params) == 1 {
			plural = ""
		}
		return nil, fmt.Errorf("prior: %s: %s takes %d argument%s: %s", excerpt(s), fam.name, len(fam.params), plural, fam.signature())
	}
	vals := make([]float64, len(args))
	for i, a := range args {
		param := fam.params[i]
		if param == "0" {
			param = "location"
		}
		if a == "" {
			return nil, fmt.Errorf("prior: %s: %s (argument %d) is empty", excerpt(s), param, i+1)
		}
		v, err := strconv.ParseFloat(a, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("prior: %s: %s = %q is not a number", excerpt(s), param, excerpt(a))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("prior: %s: %s must be finite", excerpt(s), param)
		}
		if a := math.Abs(v); a != 0 && (a < MinArg || a > MaxArg) {
			return nil, fmt.Errorf("prior: %s: %s = %g is outside the range of magnitudes a prior's arguments may take, %g to %g (or 0); rescale the data instead", excerpt(s), param, v, MinArg, MaxArg)
		}
		if fam.params[i] == "0" && v != 0 {
			return nil, fmt.Errorf("prior: %s: location must be 0, as in %s", excerpt(s), fam.signature())
		}
		vals[i] = v
	}
	p := fam.make(vals)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Limits of Parse: the length of the text, and the magnitudes of the
// arguments (a prior whose scale is 1e-300 or 1e300 cannot be computed
// with in double precision; rescale the data instead).
const (
	MaxLength = 1000
	MinArg    = 1e-100
	MaxArg    = 1e100
)

// split splits "name(a, b)" into the name and trimmed arguments. A bare name
// has hasParens false; "name()" has no arguments.
func split(s string) (name string, args []string, hasParens bool, err error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if !isName(s) {
			return "", nil, false, fmt.Errorf("prior: %q: want name(arguments), e.g. normal(0, 1)", excerpt(s))
		}
		if strings.IndexByte(s, ')') >= 0 {
			return "", nil, false, fmt.Errorf("prior: %q: unexpected \")\"", excerpt(s))
		}
		return s, nil, false, nil
	}
	name = strings.TrimSpace(s[:open])
	if !isName(name) {
		return "", nil, false, fmt.Errorf("prior: %q: want name(arguments), e.g. normal(0, 1)", excerpt(s))
	}
	rest := s[open+1:]
	if strings.IndexByte(rest, '(') >= 0 {
		return "", nil, false, fmt.Errorf("prior: %q: unexpected \"(\"", excerpt(s))
	}
	closing := strings.IndexByte(rest, ')')
	if closing < 0 {
		return "", nil, false, fmt.Errorf("prior: %q: missing \")\"", excerpt(s))
	}
	if tail := strings.TrimSpace(rest[closing+1:]); tail != "" {
		return "", nil, false, fmt.Errorf("prior: %q: unexpected %q after \")\"", excerpt(s), excerpt(tail))
	}
	inner := rest[:closing]
	if strings.TrimSpace(inner) == "" {
		return name, nil, true, nil
	}
	args = strings.Split(inner, ",")
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	return name, args, true, nil
}

// isName reports whether s is a non-empty identifier-like word: letters,
// digits, '_' and '-' (the last so that "half-normal" gets a suggestion
// rather than a syntax error).
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// unknown returns the error for an unknown prior name, suggesting the known
// name at the smallest edit distance when it is close enough to be a likely
// typo, and listing the known names otherwise.
func unknown(name string) error {
	key := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if alias, ok := aliases[key]; ok {
		return fmt.Errorf("prior: unknown prior %q; did you mean %q?", excerpt(name), alias)
	}
	best, bestD := "", math.MaxInt
	for _, f := range families {
		if d := editDistance(key, f.name); d < bestD {
			best, bestD = f.name, d
		}
	}
	if bestD <= max(2, len(key)/3) {
		return fmt.Errorf("prior: unknown prior %q; did you mean %q?", excerpt(name), best)
	}
	return fmt.Errorf("prior: unknown prior %q; known priors are %s", excerpt(name), strings.Join(Names(), ", "))
}

// editDistance returns the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// excerpt returns s, or its first 60 bytes and "…" when it is longer, so
// that an error message never echoes more than a short piece of input.
func excerpt(s string) string {
	if len(s) <= 60 {
		return s
	}
	return strings.ToValidUTF8(s[:60], "") + "…"
}
