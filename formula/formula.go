// Package formula parses R/brms-style model formulas and evaluates them on
// a data frame into design matrices.
//
// # Syntax
//
// A formula is "response ~ predictors":
//
//	switch ~ dist100 + arsenic
//	log(weight) ~ log(diam1) + log(canopy_height) + group
//	y ~ x1 * x2 + (1 + x1 | school)
//	cbind(deaths, survivors) ~ dose
//	deaths | trials(n) ~ dose + offset(log(exposure))
//	effect | se(stderr) ~ 1 + (1 | study)
//
// Predictors (the "terms" of R) are combined with
//
//	a + b      both terms
//	a:b        interaction (product of the columns of a and b)
//	a * b      a + b + a:b; (a + b):c, (a + b)*(c + d) and so on expand as in R
//	a - b      removes term b
//	1 + ...    explicit intercept (the default)
//	0 + ...    no intercept; so do "- 1" and "-1 +"
//	(lhs | g)  group-level (varying) coefficients of the terms in lhs by
//	           the levels of column g: (1 | g), (x | g) = (1 + x | g),
//	           (0 + x | g). Several group terms may be given.
//	offset(e)  adds expression e to the linear predictor with coefficient 1
//
// Inside function calls expressions are arithmetic, as in R: + - * / ^ and
// unary minus on numbers, columns and the functions I (identity, to protect
// arithmetic: I(x^2), I(x/100)), log, log1p, log2, log10, exp, expm1, sqrt,
// abs and scale (center on the mean and divide by the standard deviation,
// with denominator n-1 as in R). factor(x) makes a term of column x treated
// as categorical even when it holds numbers. Outside function calls / and ^
// are errors (R would silently read x^2 as x); write I(x^2).
//
// The response may be any arithmetic expression of numeric columns, a
// categorical column with exactly two levels (coded 0 for the first level
// and 1 for the second, with a warning), cbind(successes, failures)
// (trials are their sum), "successes | trials(n)" or "y | se(s)" (known
// standard errors). Names that are not syntactic may be written in
// backquotes: `body mass`.
//
// # Design matrices
//
// Columns of a term follow R's model.matrix: terms are ordered by degree
// (main effects first, then two-way interactions, ...), keeping formula
// order otherwise; variables within a term follow their first appearance in
// the formula, so "a + b:a" has the terms a and a:b while "b:a + a" has
// the terms a and b:a (as in R). A categorical variable
// (a column of strings, or factor(x)) has its levels sorted in byte order
// (R's sort() in the C locale: "10" < "9" < "A" < "B" < "a"; numbers in
// factor() and integer-coded grouping columns sort numerically) and is coded
// by treatment contrasts: the first level is the reference and gets no
// column. Full indicator coding is used instead where R uses it: for the
// first categorical variable of the first term holding one when there is no
// intercept (so "0 + group" has a column for every level), and in an
// interaction whose margin is absent (in "x:group" without "group"; more
// precisely, variable v of term T is fully coded when T without v is
// neither empty nor contained in an earlier term). Products of several
// columns vary the first variable fastest.
//
// Column names are "Intercept", the canonical text of numeric terms
// ("dist100", "log(x)", "I(x^2)", "scale(x)"), "group[b]" for level b of
// group, and names joined by ":" for interactions ("x1:x2", "x1:group[b]",
// "g[a]:h[y]").
//
// Levels of a grouping column are its sorted distinct values; a numeric
// grouping column must hold integers, which sort numerically and are
// labelled like "1", "2", "10".
package formula

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/govi-dev/govi/data"
)

// Formula is a parsed model formula. Build evaluates it on data.
type Formula struct {
	src      string
	lhs, rhs node

	resp    node // response (successes for cbind)
	fail    node // failures of cbind(successes, failures), or nil
	trials  node // n of trials(n), or nil
	se      node // s of se(s), or nil
	icpt    bool
	vars    []*variable
	terms   []term
	offsets []node
	groups  []*groupSpec
}

// variable is one distinct term-level expression: a column, a function of
// columns or factor(column).
type variable struct {
	key  string // canonical text
	node node
}

// term is an interaction of variables: indices into Formula.vars, sorted.
type term []int

// groupSpec is one group term (lhs | group).
type groupSpec struct {
	text   string // canonical "(1 + x | g)"
	icpt   bool
	terms  []term
	group  string
	pos    int  // of the grouping column in the formula
	uncorr bool // (… || g): the coefficients vary independently
}

// functions lists the supported functions.
var functions = map[string]struct {
	arity int
	doc   string
}{
	"I":      {1, "identity, for arithmetic"},
	"log":    {1, "natural logarithm"},
	"log1p":  {1, "log(1 + x)"},
	"log2":   {1, "base-2 logarithm"},
	"log10":  {1, "base-10 logarithm"},
	"exp":    {1, "exponential"},
	"expm1":  {1, "exp(x) - 1"},
	"sqrt":   {1, "square root"},
	"abs":    {1, "absolute value"},
	"scale":  {1, "center and divide by the standard deviation"},
	"factor": {1, "treat a column as categorical"},
	"offset": {1, "term with coefficient fixed to 1"},
	"cbind":  {2, "binomial response cbind(successes, failures)"},
	"trials": {1, "binomial trials: y | trials(n)"},
	"se":     {1, "known standard errors: y | se(s)"},
}

// functionNames returns the supported function names, sorted.
func functionNames() []string {
	out := make([]string, 0, len(functions))
	for k := range functions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Parse parses a formula. Errors are *SyntaxError values pointing at the
// fault.
func Parse(s string) (*Formula, error) {
	if len(s) > MaxLength {
		return nil, &SyntaxError{Formula: s, Pos: MaxLength, Msg: fmt.Sprintf("the formula is %d bytes long, more than the limit of %d", len(s), MaxLength)}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	lhs, rhs, err := p.parseFormula()
	if err != nil {
		return nil, err
	}
	f := &Formula{src: s, lhs: lhs, rhs: rhs}
	a := &analyzer{p: p, f: f, index: map[string]int{}}
	if err := a.response(lhs); err != nil {
		return nil, err
	}
	set, err := a.expand(rhs, ctxTop)
	if err != nil {
		return nil, err
	}
	resp := map[string]bool{}
	for _, n := range []node{f.resp, f.fail} {
		if n != nil {
			walk(n, func(id *identNode) { resp[id.name] = true })
		}
	}
	var dup *identNode
	walk(rhs, func(id *identNode) {
		if resp[id.name] && dup == nil {
			dup = id
		}
	})
	if dup != nil {
		e := p.errAt(dup.pos, "the response column %q also appears on the right of ~", clip(dup.name))
		e.Hint = "a column cannot predict itself; remove it from the predictors"
		return nil, e
	}
	f.icpt = set.icpt >= 0
	f.terms = sortByDegree(set.terms)
	if len(f.terms) == 0 && !f.icpt && len(f.groups) == 0 && len(f.offsets) == 0 {
		return nil, p.errAt(rhs.position(), "the model has no predictors")
	}
	return f, nil
}

// MustParse is like Parse but panics on error. It is meant for formulas
// fixed in programs and tests.
func MustParse(s string) *Formula {
	f, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return f
}

// String renders the formula canonically: single spaces around ~ | + - *,
// none around / ^ :, numbers in shortest form, no redundant parentheses.
// Parse(f.String()) gives a formula with the same String.
func (f *Formula) String() string {
	return render(f.lhs) + " ~ " + render(f.rhs)
}

// Intercept reports whether the formula has a population-level intercept.
func (f *Formula) Intercept() bool { return f.icpt }

// Response returns the canonical text of the response (the successes for
// binomial responses).
func (f *Formula) Response() string { return render(f.resp) }

// Trials returns the canonical text of the binomial trials, n for
// "y | trials(n)" and "s + f" for cbind(s, f), or "" when the formula has
// none.
func (f *Formula) Trials() string {
	switch {
	case f.trials != nil:
		return render(f.trials)
	case f.fail != nil:
		return render(f.resp) + " + " + render(f.fail)
	}
	return ""
}

// SE returns the canonical text of the known standard errors, s for
// "y | se(s)", or "" when the formula has none.
func (f *Formula) SE() string {
	if f.se == nil {
		return ""
	}
	return render(f.se)
}

// Terms returns the population-level terms after expansion (without the
// intercept and offsets), ordered as their columns are: e.g. "x1", "x2",
// "x1:x2" for "y ~ x1*x2".
func (f *Formula) Terms() []string {
	out := make([]string, len(f.terms))
	for i, t := range f.terms {
		out[i] = f.termName(t)
	}
	return out
}

// GroupTerms returns the group terms in canonical form, e.g. "(1 + x | g)".
func (f *Formula) GroupTerms() []string {
	out := make([]string, len(f.groups))
	for i, g := range f.groups {
		out[i] = g.text
	}
	return out
}

// Offsets returns the canonical text of the offset expressions.
func (f *Formula) Offsets() []string {
	out := make([]string, len(f.offsets))
	for i, o := range f.offsets {
		out[i] = render(o)
	}
	return out
}

// termName joins the variable names of t with ":".
func (f *Formula) termName(t term) string {
	parts := make([]string, len(t))
	for i, v := range t {
		parts[i] = f.vars[v].key
	}
	return strings.Join(parts, ":")
}

// Columns returns the data columns the formula uses, in order of first
// appearance: response, trials or standard errors, predictors, offsets and
// grouping columns. These are the columns to check for missing values.
func (f *Formula) Columns() []string {
	var out []string
	seen := map[string]bool{}
	walk(f.lhs, func(id *identNode) {
		if !seen[id.name] {
			seen[id.name] = true
			out = append(out, id.name)
		}
	})
	walk(f.rhs, func(id *identNode) {
		if !seen[id.name] {
			seen[id.name] = true
			out = append(out, id.name)
		}
	})
	return out
}

// PredictColumns splits Columns for coding new data with a Recipe. need
// are the columns every new row must have: predictors, offsets, grouping
// columns, the n of trials(n), the s of se(s), and both columns of
// cbind(s, f), which give the trials. response are the columns of the
// response alone, which new data may lack (Recipe.Build then leaves
// Design.Response nil); given, they let a prediction be scored against the
// observed y.
func (f *Formula) PredictColumns() (need, response []string) {
	only := map[string]bool{}
	if f.fail == nil {
		walk(f.resp, func(id *identNode) { only[id.name] = true })
		for _, n := range []node{f.trials, f.se, f.rhs} {
			if n != nil {
				walk(n, func(id *identNode) { delete(only, id.name) })
			}
		}
	}
	for _, c := range f.Columns() {
		if only[c] {
			response = append(response, c)
		} else {
			need = append(need, c)
		}
	}
	return need, response
}

// walk calls fn for every name in n, left to right.
func walk(n node, fn func(*identNode)) {
	switch n := n.(type) {
	case *identNode:
		fn(n)
	case *callNode:
		for _, a := range n.args {
			walk(a, fn)
		}
	case *unaryNode:
		walk(n.x, fn)
	case *binNode:
		walk(n.l, fn)
		walk(n.r, fn)
	case *parenNode:
		walk(n.x, fn)
	}
}

// idents returns the names in n in order, with duplicates.
func idents(n node) []*identNode {
	var out []*identNode
	walk(n, func(id *identNode) { out = append(out, id) })
	return out
}

// termSet is the result of expanding a term expression.
type termSet struct {
	terms []term
	icpt  int // +1 intercept requested, -1 removed, 0 not said
}

// expansion contexts.
const (
	ctxTop   = iota // a summand of the right-hand side: group terms and offsets allowed
	ctxInner        // inside an interaction or a removal
	ctxGroup        // the left-hand side of a group term
)

// analyzer checks the syntax tree and expands terms.
type analyzer struct {
	p     *parser
	f     *Formula
	index map[string]int // variable key -> index
}

// unknownFunc returns the error for an unsupported function.
func (a *analyzer) unknownFunc(c *callNode) error {
	e := a.p.errAt(c.pos, "unknown function %q", clip(c.fn))
	names := functionNames()
	if s, ok := data.Suggest(c.fn, names); ok {
		e.Hint = fmt.Sprintf("did you mean %q? ", s)
	}
	e.Hint += "Supported functions: " + strings.Join(names, ", ")
	return e
}

// checkCall checks the function name and the number of arguments.
func (a *analyzer) checkCall(c *callNode) error {
	fn, ok := functions[c.fn]
	if !ok {
		return a.unknownFunc(c)
	}
	if len(c.args) != fn.arity {
		s := "s"
		if fn.arity == 1 {
			s = ""
		}
		return a.p.errAt(c.pos, "%s() takes %d argument%s, got %d", c.fn, fn.arity, s, len(c.args))
	}
	return nil
}

// arith checks that n is an arithmetic expression of numbers and columns;
// where names the context for messages.
func (a *analyzer) arith(n node, where string) error {
	switch n := n.(type) {
	case *numNode, *identNode:
		return nil
	case *parenNode:
		return a.arith(n.x, where)
	case *unaryNode:
		return a.arith(n.x, where)
	case *binNode:
		switch n.op {
		case "+", "-", "*", "/", "^":
		case ":":
			return a.p.errAt(n.pos, `":" (interaction) cannot be used %s`, where)
		default:
			return a.p.errAt(n.pos, "unexpected %q %s", n.op, where)
		}
		if err := a.arith(n.l, where); err != nil {
			return err
		}
		return a.arith(n.r, where)
	case *callNode:
		if err := a.checkCall(n); err != nil {
			return err
		}
		switch n.fn {
		case "factor":
			return a.p.errAt(n.pos, "factor() is categorical and cannot be used %s", where)
		case "offset":
			return a.p.errAt(n.pos, "offset() must be a term of its own on the right of ~")
		case "cbind", "trials", "se":
			return a.p.errAt(n.pos, "%s() is only allowed in the response, on the left of ~", n.fn)
		}
		return a.arith(n.args[0], "inside "+n.fn+"()")
	}
	return a.p.errAt(n.position(), "unexpected expression")
}

// response analyzes the left-hand side.
func (a *analyzer) response(lhs node) error {
	f := a.f
	resp := lhs
	if b, ok := lhs.(*binNode); ok && b.op == "|" {
		resp = b.l
		var adds []node
		var flatten func(n node) error
		flatten = func(n node) error {
			if b, ok := unparen(n).(*binNode); ok && b.op == "+" {
				if err := flatten(b.l); err != nil {
					return err
				}
				return flatten(b.r)
			}
			adds = append(adds, unparen(n))
			return nil
		}
		if err := flatten(b.r); err != nil {
			return err
		}
		for _, add := range adds {
			c, ok := add.(*callNode)
			if !ok || (c.fn != "trials" && c.fn != "se") {
				e := a.p.errAt(add.position(), "expected trials() or se() after \"|\" in the response")
				e.Hint = "supported: y | trials(n) (binomial), y | se(s) (known standard errors)"
				return e
			}
			if err := a.checkCall(c); err != nil {
				return err
			}
			if err := a.arith(c.args[0], "inside "+c.fn+"()"); err != nil {
				return err
			}
			switch {
			case c.fn == "trials" && f.trials != nil, c.fn == "se" && f.se != nil:
				return a.p.errAt(c.pos, "%s() given twice", c.fn)
			case c.fn == "trials" && f.se != nil, c.fn == "se" && f.trials != nil:
				return a.p.errAt(c.pos, "trials() and se() cannot be combined")
			}
			if c.fn == "trials" {
				f.trials = c.args[0]
			} else {
				f.se = c.args[0]
			}
		}
	} else if ok && b.op == "||" {
		return a.p.errAt(b.pos, `unexpected "||" in the response`)
	}
	if c, ok := unparen(resp).(*callNode); ok && c.fn == "cbind" {
		if err := a.checkCall(c); err != nil {
			return err
		}
		if f.trials != nil || f.se != nil {
			return a.p.errAt(c.pos, "cbind() cannot be combined with trials() or se(): cbind(s, f) already gives the trials s + f")
		}
		for _, arg := range c.args {
			if err := a.arith(arg, "inside cbind()"); err != nil {
				return err
			}
		}
		f.resp, f.fail = c.args[0], c.args[1]
		return nil
	}
	if err := a.arith(resp, "in the response"); err != nil {
		return err
	}
	f.resp = resp
	return nil
}

// variable registers n as a term-level variable and returns its index.
func (a *analyzer) variable(n node) int {
	key := render(n)
	if i, ok := a.index[key]; ok {
		return i
	}
	a.index[key] = len(a.f.vars)
	a.f.vars = append(a.f.vars, &variable{key: key, node: n})
	return len(a.f.vars) - 1
}

// termKey identifies a term.
func termKey(t term) string {
	var b strings.Builder
	for i, v := range t {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, v)
	}
	return b.String()
}

// union appends to ts the terms of add not already in ts.
func union(ts, add []term) []term {
	if len(add) == 1 {
		if !containsTerm(ts, add[0]) {
			ts = append(ts, add[0])
		}
		return ts
	}
	seen := make(map[string]bool, len(ts)+len(add))
	for _, t := range ts {
		seen[termKey(t)] = true
	}
	for _, t := range add {
		if k := termKey(t); !seen[k] {
			seen[k] = true
			ts = append(ts, t)
		}
	}
	return ts
}

func containsTerm(ts []term, t term) bool {
	for _, u := range ts {
		if slices.Equal(u, t) {
			return true
		}
	}
	return false
}

// cross returns the interactions of every term of l with every term of r,
// the left one varying fastest.
func cross(l, r []term) []term {
	var out []term
	seen := map[string]bool{}
	for _, tr := range r {
		for _, tl := range l {
			t := append(append(term{}, tl...), tr...)
			slices.Sort(t)
			t = slices.Compact(t)
			if k := termKey(t); !seen[k] {
				seen[k] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// sortByDegree orders terms by their number of variables, stably.
func sortByDegree(ts []term) []term {
	out := slices.Clone(ts)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) < len(out[j]) })
	return out
}

// expand turns a term expression into a set of terms.
func (a *analyzer) expand(n node, ctx int) (termSet, error) {
	switch n := n.(type) {
	case *parenNode:
		if isBar(n.x) {
			return termSet{}, a.groupTerm(n, ctx)
		}
		return a.expand(n.x, ctx)
	case *numNode:
		switch n.val {
		case 1:
			return termSet{icpt: 1}, nil
		case 0:
			return termSet{icpt: -1}, nil
		}
		e := a.p.errAt(n.pos, "unexpected number %s among the terms", formatNum(n.val))
		e.Hint = "only 1 (intercept) and 0 (no intercept) can be terms; use I() for arithmetic, e.g. I(2*x)"
		return termSet{}, e
	case *identNode:
		return termSet{terms: []term{{a.variable(n)}}}, nil
	case *callNode:
		if err := a.checkCall(n); err != nil {
			return termSet{}, err
		}
		switch n.fn {
		case "offset":
			if ctx != ctxTop {
				return termSet{}, a.p.errAt(n.pos, "offset() must be a term of its own on the right of ~")
			}
			if err := a.arith(n.args[0], "inside offset()"); err != nil {
				return termSet{}, err
			}
			a.f.offsets = append(a.f.offsets, n.args[0])
			return termSet{}, nil
		case "factor":
			if _, ok := unparen(n.args[0]).(*identNode); !ok {
				return termSet{}, a.p.errAt(n.args[0].position(), "factor() takes a column name")
			}
			n.args[0] = unparen(n.args[0])
		case "cbind", "trials", "se":
			return termSet{}, a.p.errAt(n.pos, "%s() is only allowed in the response, on the left of ~", n.fn)
		default:
			if err := a.arith(n.args[0], "inside "+n.fn+"()"); err != nil {
				return termSet{}, err
			}
		}
		return termSet{terms: []term{{a.variable(n)}}}, nil
	case *unaryNode:
		x, err := a.expand(n.x, ctxInner)
		if err != nil {
			return termSet{}, err
		}
		if n.op == "+" {
			return x, nil
		}
		return termSet{icpt: -x.icpt}, nil
	case *binNode:
		switch n.op {
		case "+":
			l, err := a.expand(n.l, ctx)
			if err != nil {
				return termSet{}, err
			}
			r, err := a.expand(n.r, ctx)
			if err != nil {
				return termSet{}, err
			}
			if len(l.terms)+len(r.terms) > MaxTerms {
				return termSet{}, a.p.errAt(n.pos, "the formula has more than %d terms", MaxTerms)
			}
			out := termSet{terms: union(l.terms, r.terms), icpt: l.icpt}
			if r.icpt != 0 {
				out.icpt = r.icpt
			}
			return out, nil
		case "-":
			l, err := a.expand(n.l, ctx)
			if err != nil {
				return termSet{}, err
			}
			r, err := a.expand(n.r, ctxInner)
			if err != nil {
				return termSet{}, err
			}
			out := termSet{icpt: l.icpt}
			for _, t := range l.terms {
				if !containsTerm(r.terms, t) {
					out.terms = append(out.terms, t)
				}
			}
			if r.icpt != 0 {
				out.icpt = -r.icpt
			}
			return out, nil
		case "*", ":":
			l, err := a.expand(n.l, ctxInner)
			if err != nil {
				return termSet{}, err
			}
			r, err := a.expand(n.r, ctxInner)
			if err != nil {
				return termSet{}, err
			}
			if l.icpt != 0 || r.icpt != 0 {
				return termSet{}, a.p.errAt(n.pos, "cannot use %q with 0 or 1", n.op)
			}
			if nt := len(l.terms)*len(r.terms) + len(l.terms) + len(r.terms); nt > MaxTerms {
				return termSet{}, a.p.errAt(n.pos, "the interaction expands to up to %d terms, more than the limit of %d", nt, MaxTerms)
			}
			x := cross(l.terms, r.terms)
			if n.op == ":" {
				return termSet{terms: x}, nil
			}
			return termSet{terms: union(union(slices.Clone(l.terms), r.terms), x)}, nil
		case "/":
			e := a.p.errAt(n.pos, `"/" is not division in a formula`)
			e.Hint = "use I() for arithmetic, e.g. I(x/100)"
			return termSet{}, e
		case "^":
			e := a.p.errAt(n.pos, `"^" is not a power in a formula`)
			e.Hint = "use I() for arithmetic, e.g. I(x^2); write a*b for interactions"
			return termSet{}, e
		case "|", "||":
			e := a.p.errAt(n.pos, `group term needs parentheses`)
			e.Hint = "write group-level terms as (1 | g) or (1 + x | g)"
			return termSet{}, e
		}
	}
	return termSet{}, a.p.errAt(n.position(), "unexpected expression")
}

// groupTerm analyzes a parenthesized (lhs | g).
func (a *analyzer) groupTerm(pn *parenNode, ctx int) error {
	b := pn.x.(*binNode)
	switch {
	case ctx == ctxGroup:
		return a.p.errAt(pn.pos, "group terms cannot be nested")
	case ctx != ctxTop:
		return a.p.errAt(pn.pos, "a group term must be a term of its own (it cannot be crossed or removed)")
	}
	id, ok := unparen(b.r).(*identNode)
	if !ok {
		return a.p.errAt(b.r.position(), "the grouping factor after \"|\" must be a column name")
	}
	set, err := a.expand(b.l, ctxGroup)
	if err != nil {
		return err
	}
	g := &groupSpec{text: render(pn), icpt: set.icpt >= 0, terms: sortByDegree(set.terms), group: id.name, pos: id.pos, uncorr: b.op == "||"}
	if !g.icpt && len(g.terms) == 0 {
		return a.p.errAt(b.l.position(), "group term %s has no coefficients", g.text)
	}
	// The same coefficient may not vary twice by the same group.
	for _, h := range a.f.groups {
		if h.group != g.group {
			continue
		}
		if g.icpt && h.icpt {
			return a.p.errAt(pn.pos, "the intercept varies by %q twice (also in %s)", clip(g.group), clip(h.text))
		}
		for _, t := range g.terms {
			if containsTerm(h.terms, t) {
				return a.p.errAt(pn.pos, "%s varies by %q twice (also in %s)", a.f.termName(t), clip(g.group), clip(h.text))
			}
		}
	}
	a.f.groups = append(a.f.groups, g)
	return nil
}
