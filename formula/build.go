package formula

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/data"
)

// Design is a formula evaluated on data: the response, the population-level
// design matrix and the group-level (varying) coefficients.
type Design struct {
	// Response is y, one value per row (the successes for binomial
	// responses; 0/1 for a two-level categorical response).
	Response []float64
	// Trials holds binomial trials: n of "y | trials(n)", or s + f for
	// cbind(s, f). It is nil otherwise.
	Trials []float64
	// SE holds the known standard errors of "y | se(s)", or nil.
	SE []float64
	// Offset is the sum of the offset() terms, or nil when there are none.
	Offset []float64
	// Intercept reports whether there is a population-level intercept; it is
	// column 0 of X, named "Intercept".
	Intercept bool
	// X is the N×p population-level design matrix, intercept included. It is
	// nil when p is 0 (e.g. "y ~ 0 + (1 | g)").
	X *mat.Dense
	// Names holds the p column names of X.
	Names []string
	// Correlated lists the correlated blocks of Groups (indices into it):
	// the coefficients of one (… | g) term with two or more of them, whose
	// effects are correlated as brms and lme4 read it; a (… || g) term's
	// coefficients vary independently and form no block.
	Correlated [][]int
	// Groups holds one entry per group-level (varying) coefficient, in
	// formula order: "(1 + x | g)" gives two, with Coef "Intercept" and "x".
	Groups []GroupTerm
	// ResponseName is the canonical text of the response expression.
	ResponseName string

	recipe *Recipe
	rows   int
}

// GroupTerm is one coefficient varying by the levels of a grouping column.
type GroupTerm struct {
	// Group is the grouping column name, e.g. "g".
	Group string
	// Coef is "Intercept" or the name of the varying column, as in
	// Design.Names ("x", "log(x)", "treat[b]").
	Coef string
	// Levels holds the level labels in sorted order.
	Levels []string
	// Index holds, per row, the level index in [0, len(Levels)); -1 marks a
	// level not seen when fitting (only from Recipe.Build).
	Index []int
	// Value holds, per row, the multiplier of the coefficient (the column
	// values); it is nil for intercepts, where it is 1.
	Value []float64
}

// Rows returns the number of rows of the design (data rows), also when the
// response is absent.
func (d *Design) Rows() int { return d.rows }

// Recipe returns what is needed to code new data like the data d was built
// from (see Recipe.Build). For a design from Recipe.Build it returns that
// recipe.
func (d *Design) Recipe() *Recipe { return d.recipe }

// Build evaluates the formula on a frame. The frame must have every column
// of f.Columns() without missing values (the error from
// data.Frame.CheckMissing is returned otherwise; see
// data.Frame.DropMissing).
//
// Warnings, not errors, are returned for columns of X that the data cannot
// identify: a constant non-intercept column (or an all-zero one), or two
// identical columns, e.g.
//
//	column "x3" is constant: its coefficient is not identified by the data; use a proper prior
//
// and for a two-level categorical response coded as 0/1 and for single-level
// categorical variables.
func (f *Formula) Build(fr *data.Frame) (*Design, []string, error) {
	return build(f, fr, nil, false)
}

// BuildPart is Build for one part of data read in parts (a chunk of a
// file), whose recipes MergeRecipes pools into the recipe of the whole: a
// scale() expression constant within the part is not an error there (its
// recipe records sd 0, and the part's column is only centered).
func (f *Formula) BuildPart(fr *data.Frame) (*Design, []string, error) {
	return build(f, fr, nil, true)
}

// value is an evaluated term-level variable.
type value struct {
	cat    bool
	num    []float64 // numeric values
	codes  []int     // categorical: level index per row
	levels []string  // categorical: level labels
}

// builder evaluates a formula on a frame.
type builder struct {
	f      *Formula
	fr     *data.Frame
	n      int
	fixed  *Recipe // nil when fitting
	rec    *Recipe // recipe being recorded
	part   bool    // BuildPart: fr is one part of the data
	warns  []string
	vals   map[int]*value
	groups map[string]*value
}

// EvalError is an error evaluating a formula on data: a column the data
// do not have, a value outside a function's domain (log of 0), a text
// column in arithmetic, a level not seen when fitting. It is about the
// data, where a *SyntaxError is about the formula's text. Its Error method
// shows the formula with a caret under the term concerned:
//
//	formula: log(k) is -Inf in row 3 of d.csv
//	  y ~ log(k)
//	      ^
type EvalError struct {
	// Formula is the formula text.
	Formula string
	// Pos is the 0-based byte offset of the term in Formula, or -1 when
	// the error is not about one term.
	Pos int
	// Msg describes the fault.
	Msg string
}

// Error renders the message, and, when Pos is set, the formula with a
// caret under the term.
func (e *EvalError) Error() string {
	if e.Pos < 0 {
		return "formula: " + e.Msg
	}
	return caret("formula: "+e.Msg, e.Formula, e.Pos, "", false)
}

// errAt returns an error showing the formula with a caret at pos.
func (b *builder) errAt(pos int, format string, args ...any) error {
	return &EvalError{Formula: b.f.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// errorf returns an error about no one term.
func (b *builder) errorf(format string, args ...any) error {
	return &EvalError{Formula: b.f.src, Pos: -1, Msg: fmt.Sprintf(format, args...)}
}

// unknownColumn returns the error for a name that is not a column.
func (b *builder) unknownColumn(id *identNode) error {
	return b.errAt(id.pos, "%s: %s", b.src(), data.UnknownName("column", id.name, b.fr.Names()))
}

// src names the frame in messages.
func (b *builder) src() string {
	if b.fr.Source == "" {
		return "data"
	}
	return b.fr.Source
}

// row describes row i in messages.
func (b *builder) row(i int) string {
	return fmt.Sprintf("row %d of %s", b.fr.RowNumber(i), b.src())
}

// build evaluates f on fr; fixed is nil when fitting, or the recipe to
// follow when coding new data.
func build(f *Formula, fr *data.Frame, fixed *Recipe, part bool) (*Design, []string, error) {
	b := &builder{f: f, fr: fr, n: fr.Rows, fixed: fixed, part: part, vals: map[int]*value{}, groups: map[string]*value{}}
	b.rec = &Recipe{Formula: f.String()}
	if fixed != nil {
		b.rec = fixed
	}

	// Every column must exist, except that new data may lack the response
	// and its trials or standard errors: each part is used when all of its
	// columns are there.
	has := func(ns ...node) bool {
		for _, n := range ns {
			if n == nil {
				continue
			}
			for _, id := range idents(n) {
				if fr.Lookup(id.name) == nil {
					return false
				}
			}
		}
		return true
	}
	if fixed == nil {
		for _, id := range idents(f.lhs) {
			if fr.Lookup(id.name) == nil {
				return nil, nil, b.unknownColumn(id)
			}
		}
	}
	withY := has(f.resp, f.fail)
	withTrials := f.fail != nil && withY || f.trials != nil && has(f.trials)
	withSE := f.se != nil && has(f.se)
	for _, id := range idents(f.rhs) {
		if fr.Lookup(id.name) == nil {
			return nil, nil, b.unknownColumn(id)
		}
	}
	var cols []string
	for _, part := range []struct {
		n  node
		ok bool
	}{{f.resp, withY}, {f.fail, withY}, {f.trials, withTrials}, {f.se, withSE}, {f.rhs, true}} {
		if part.n != nil && part.ok {
			for _, id := range idents(part.n) {
				if !slices.Contains(cols, id.name) {
					cols = append(cols, id.name)
				}
			}
		}
	}
	if err := fr.CheckMissing(cols); err != nil {
		return nil, nil, err
	}
	if b.n == 0 {
		return nil, nil, b.errorf("%s has no rows", b.src())
	}

	d := &Design{Intercept: f.icpt, ResponseName: render(f.resp), rows: b.n}
	if err := b.response(d, withY, withTrials, withSE); err != nil {
		return nil, nil, err
	}
	for _, o := range f.offsets {
		v, err := b.numeric(o)
		if err != nil {
			return nil, nil, err
		}
		if d.Offset == nil {
			d.Offset = v
		} else {
			for i := range v {
				d.Offset[i] += v[i]
			}
		}
	}

	// Population-level columns, evaluated one at a time into X, so that
	// memory holds X and not every column twice.
	names, specs, err := b.columnSpecs(f.terms, f.icpt)
	if err != nil {
		return nil, nil, err
	}
	if f.icpt {
		names = append([]string{"Intercept"}, names...)
		specs = append([]designCol{{}}, specs...)
	}
	d.Names = names
	var id *identifier
	if fixed == nil && !part {
		id = newIdentifier(names, f.icpt)
	}
	if p := len(specs); p > 0 {
		raw := make([]float64, b.n*p)
		for j, c := range specs {
			c.fill(raw[j:], p)
			if id != nil {
				id.add(j, raw, p)
			}
		}
		d.X = mat.NewDense(b.n, p, raw)
	}

	// Group-level coefficients.
	for _, g := range f.groups {
		gv, err := b.group(g)
		if err != nil {
			return nil, nil, err
		}
		gnames, gcols, err := b.columns(g.terms, g.icpt)
		if err != nil {
			return nil, nil, err
		}
		first := len(d.Groups)
		if g.icpt {
			d.Groups = append(d.Groups, GroupTerm{Group: g.group, Coef: "Intercept", Levels: gv.levels, Index: gv.codes})
		}
		for k, name := range gnames {
			d.Groups = append(d.Groups, GroupTerm{Group: g.group, Coef: name, Levels: gv.levels, Index: gv.codes, Value: gcols[k]})
		}
		if n := len(d.Groups) - first; n >= 2 && !g.uncorr {
			block := make([]int, n)
			for k := range block {
				block[k] = first + k
			}
			d.Correlated = append(d.Correlated, block)
		}
	}

	switch {
	case fixed == nil:
		b.rec.Names = slices.Clone(names)
		if id != nil {
			b.warns = append(append(b.warns, id.constant...), id.identical...)
		}
	case fixed.Names == nil:
		// A merged recipe (MergeRecipes): the levels give the names.
		fixed.Names = slices.Clone(names)
	case !slices.Equal(names, fixed.Names):
		return nil, nil, b.errorf("the recipe has columns %s but %s gives %s",
			strings.Join(fixed.Names, ", "), b.src(), strings.Join(names, ", "))
	}
	d.recipe = b.rec
	return d, b.warns, nil
}

// identifier finds the constant and identical columns of X as they are
// evaluated, one at a time.
type identifier struct {
	names               []string
	first               int // the first column checked: 1 after an intercept
	icpt                bool
	seed                maphash.Seed
	byHash              map[uint64][]int
	constant, identical []string // the warnings
}

func newIdentifier(names []string, icpt bool) *identifier {
	id := &identifier{names: names, icpt: icpt, seed: maphash.MakeSeed(), byHash: map[uint64][]int{}}
	if icpt {
		id.first = 1
	}
	return id
}

// add checks column j of the row-major matrix raw with p columns against
// the earlier ones.
func (id *identifier) add(j int, raw []float64, p int) {
	if j < id.first {
		return
	}
	n := len(raw) / p
	at := func(i int) float64 { return raw[i*p+j] }
	same, zero := true, true
	for i := 0; i < n; i++ {
		v := at(i)
		same = same && v == at(0)
		zero = zero && v == 0
	}
	if same && (id.icpt || zero) {
		id.constant = append(id.constant, fmt.Sprintf("column %q is constant: its coefficient is not identified by the data; use a proper prior", id.names[j]))
		return
	}
	var h maphash.Hash
	h.SetSeed(id.seed)
	var buf [8]byte
	for i := 0; i < n; i++ {
		bits := math.Float64bits(at(i) + 0) // +0 folds -0 into 0
		for k := range buf {
			buf[k] = byte(bits >> (8 * k))
		}
		h.Write(buf[:])
	}
	key := h.Sum64()
	for _, k := range id.byHash[key] {
		if equalColumns(raw, p, k, j) {
			id.identical = append(id.identical, fmt.Sprintf("columns %q and %q are identical: their coefficients are not separately identified by the data; use a proper prior", id.names[k], id.names[j]))
			break
		}
	}
	id.byHash[key] = append(id.byHash[key], j)
}

// equalColumns reports whether columns k and j of the row-major matrix raw
// with p columns are equal, as slices.Equal compares.
func equalColumns(raw []float64, p, k, j int) bool {
	for i := 0; i < len(raw); i += p {
		if raw[i+k] != raw[i+j] {
			return false
		}
	}
	return true
}

// finite checks that every value is finite.
func (b *builder) finite(v []float64, n node) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b.errAt(n.position(), "%s is %v in %s", render(n), x, b.row(i))
		}
	}
	return nil
}

// numeric evaluates an arithmetic expression to a new slice of finite
// values.
func (b *builder) numeric(n node) ([]float64, error) {
	v, err := b.eval(n)
	if err != nil {
		return nil, err
	}
	if err := b.finite(v, n); err != nil {
		return nil, err
	}
	return v, nil
}

// eval evaluates an arithmetic expression into a new slice.
func (b *builder) eval(n node) ([]float64, error) {
	switch n := n.(type) {
	case *numNode:
		out := make([]float64, b.n)
		for i := range out {
			out[i] = n.val
		}
		return out, nil
	case *identNode:
		c := b.fr.Lookup(n.name)
		if c.Kind != data.Numeric {
			ex := ""
			if len(c.Str) > 0 {
				ex = fmt.Sprintf(", e.g. %q", c.Str[0])
			}
			return nil, b.errAt(n.pos, "column %q is categorical (text values%s): it cannot be used in arithmetic", n.name, ex)
		}
		return slices.Clone(c.Num), nil
	case *parenNode:
		return b.eval(n.x)
	case *unaryNode:
		v, err := b.eval(n.x)
		if err != nil {
			return nil, err
		}
		if n.op == "-" {
			for i := range v {
				v[i] = -v[i]
			}
		}
		return v, nil
	case *binNode:
		l, err := b.eval(n.l)
		if err != nil {
			return nil, err
		}
		r, err := b.eval(n.r)
		if err != nil {
			return nil, err
		}
		for i := range l {
			switch n.op {
			case "+":
				l[i] += r[i]
			case "-":
				l[i] -= r[i]
			case "*":
				l[i] *= r[i]
			case "/":
				l[i] /= r[i]
			case "^":
				l[i] = math.Pow(l[i], r[i])
			}
		}
		return l, nil
	case *callNode:
		v, err := b.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		var fn func(float64) float64
		switch n.fn {
		case "I":
			return v, nil
		case "scale":
			return b.scale(n, v)
		case "log":
			fn = math.Log
		case "log1p":
			fn = math.Log1p
		case "log2":
			fn = math.Log2
		case "log10":
			fn = math.Log10
		case "exp":
			fn = math.Exp
		case "expm1":
			fn = math.Expm1
		case "sqrt":
			fn = math.Sqrt
		case "abs":
			fn = math.Abs
		}
		for i := range v {
			v[i] = fn(v[i])
		}
		return v, nil
	}
	return nil, b.errAt(n.position(), "cannot evaluate %s", render(n))
}

// scale centers and scales v, recording or reusing the center and sd.
func (b *builder) scale(n *callNode, v []float64) ([]float64, error) {
	key := render(n)
	var center, sd float64
	found := false
	for _, s := range b.rec.Scales {
		if s.Expr == key {
			center, sd, found = s.Center, s.SD, true
		}
	}
	if !found {
		if b.fixed != nil {
			return nil, b.errAt(n.pos, "the recipe has no center and scale for %s", key)
		}
		if err := b.finite(v, n.args[0]); err != nil {
			return nil, err
		}
		for _, x := range v {
			center += x
		}
		center /= float64(len(v))
		for _, x := range v {
			sd += (x - center) * (x - center)
		}
		if len(v) > 1 {
			sd = math.Sqrt(sd / float64(len(v)-1))
		}
		switch {
		case !(sd > 0) && b.part:
			b.rec.Scales = append(b.rec.Scales, RecipeScale{Expr: key, Center: center})
			sd = 1
		case !(sd > 0):
			return nil, b.errAt(n.pos, "%s: %s is constant, so it cannot be scaled", key, render(n.args[0]))
		default:
			b.rec.Scales = append(b.rec.Scales, RecipeScale{Expr: key, Center: center, SD: sd})
		}
	}
	if !(sd > 0) {
		return nil, b.errAt(n.pos, "%s: %s is constant in the data, so it cannot be scaled", key, render(n.args[0]))
	}
	for i := range v {
		v[i] = (v[i] - center) / sd
	}
	return v, nil
}

// response fills in the response, trials and standard errors, each when
// asked for.
func (b *builder) response(d *Design, withY, withTrials, withSE bool) error {
	f := b.f
	if f.fail != nil {
		if !withY {
			return nil
		}
		s, err := b.numeric(f.resp)
		if err != nil {
			return err
		}
		fl, err := b.numeric(f.fail)
		if err != nil {
			return err
		}
		for i := range s {
			if s[i] < 0 || fl[i] < 0 {
				return b.errAt(f.resp.position(), "cbind(successes, failures) needs non-negative counts; got %s and %s in %s",
					formatNum(s[i]), formatNum(fl[i]), b.row(i))
			}
			fl[i] += s[i]
		}
		d.Response, d.Trials = s, fl
		return nil
	}
	var y []float64
	if withY {
		var err error
		if y, err = b.responseValues(); err != nil {
			return err
		}
		d.Response = y
	}
	if f.trials != nil && withTrials {
		n, err := b.numeric(f.trials)
		if err != nil {
			return err
		}
		for i := range n {
			if n[i] < 0 && y == nil {
				return b.errAt(f.trials.position(), "trials(%s) = %s in %s: need trials >= 0", render(f.trials), formatNum(n[i]), b.row(i))
			}
			if y != nil && (n[i] < 0 || y[i] < 0 || y[i] > n[i]) {
				return b.errAt(f.resp.position(), "binomial response %s = %s with trials(%s) = %s in %s: need 0 <= successes <= trials",
					render(f.resp), formatNum(y[i]), render(f.trials), formatNum(n[i]), b.row(i))
			}
		}
		d.Trials = n
	}
	if f.se != nil && withSE {
		s, err := b.numeric(f.se)
		if err != nil {
			return err
		}
		for i := range s {
			if !(s[i] > 0) {
				return b.errAt(f.se.position(), "se(%s) must be positive; it is %s in %s", render(f.se), formatNum(s[i]), b.row(i))
			}
		}
		d.SE = s
	}
	return nil
}

// responseValues evaluates a plain response, coding a two-level
// categorical column as 0/1.
func (b *builder) responseValues() ([]float64, error) {
	id, ok := unparen(b.f.resp).(*identNode)
	if !ok {
		return b.numeric(b.f.resp)
	}
	c := b.fr.Lookup(id.name)
	if c.Kind == data.Numeric {
		// The column itself, not a copy: neither is changed.
		if err := b.finite(c.Num, b.f.resp); err != nil {
			return nil, err
		}
		return c.Num, nil
	}
	levels := b.rec.ResponseLevels
	if b.fixed == nil {
		levels = c.Levels()
		if len(levels) != 2 {
			return nil, b.errAt(id.pos, "categorical response %q must have exactly 2 levels to be coded 0/1; it has %d (%s)",
				id.name, len(levels), quoteList(levels, 6))
		}
		b.rec.ResponseLevels = levels
		b.warns = append(b.warns, fmt.Sprintf("response %q is categorical: coded 0 = %q, 1 = %q", id.name, levels[0], levels[1]))
	}
	if len(levels) != 2 {
		return nil, b.errAt(id.pos, "the recipe does not say how to code categorical response %q", id.name)
	}
	y := make([]float64, len(c.Str))
	for i, s := range c.Str {
		switch s {
		case levels[0]:
		case levels[1]:
			y[i] = 1
		default:
			return nil, b.errAt(id.pos, "response %q has level %q in %s, not one of %q and %q", id.name, s, b.row(i), levels[0], levels[1])
		}
	}
	return y, nil
}

// quoteList renders up to max quoted strings.
func quoteList(s []string, limit int) string {
	var parts []string
	for i, v := range s {
		if i == limit {
			parts = append(parts, fmt.Sprintf("... %d in all", len(s)))
			break
		}
		parts = append(parts, strconv.Quote(v))
	}
	return strings.Join(parts, ", ")
}

// recipeVar returns the recorded variable named key, or nil.
func (r *Recipe) recipeVar(key string) *RecipeVariable {
	for i := range r.Variables {
		if r.Variables[i].Expr == key {
			return &r.Variables[i]
		}
	}
	return nil
}

// variable evaluates term-level variable v.
func (b *builder) variable(v int) (*value, error) {
	if val, ok := b.vals[v]; ok {
		return val, nil
	}
	vr := b.f.vars[v]
	var rv *RecipeVariable
	if b.fixed != nil {
		if rv = b.fixed.recipeVar(vr.key); rv == nil {
			return nil, b.errAt(vr.node.position(), "the recipe has no variable %s", vr.key)
		}
	}
	var val *value
	var err error
	switch n := vr.node.(type) {
	case *identNode:
		c := b.fr.Lookup(n.name)
		switch {
		case c.Kind == data.String:
			if rv != nil && !rv.Categorical {
				return nil, b.errAt(n.pos, "column %q was numeric in the data the model was fitted to, but holds text in %s (e.g. %q)", n.name, b.src(), c.Str[0])
			}
			val, err = b.categorical(vr, c, rv)
		case rv != nil && rv.Categorical:
			val, err = b.categorical(vr, c, rv)
		default:
			val = &value{num: c.Num} // read only: the columns multiply it
		}
	case *callNode:
		if n.fn == "factor" {
			c := b.fr.Lookup(n.args[0].(*identNode).name)
			val, err = b.categorical(vr, c, rv)
			break
		}
		var x []float64
		x, err = b.numeric(n)
		val = &value{num: x}
	default:
		var x []float64
		x, err = b.numeric(n)
		val = &value{num: x}
	}
	if err != nil {
		return nil, err
	}
	if b.fixed == nil {
		var col string
		switch n := vr.node.(type) {
		case *identNode:
			col = n.name
		case *callNode:
			if id, ok := n.args[0].(*identNode); ok && n.fn == "factor" {
				col = id.name
			}
		}
		numeric := val.cat && col != "" && b.fr.Lookup(col).Kind == data.Numeric
		b.rec.Variables = append(b.rec.Variables, RecipeVariable{Expr: vr.key, Categorical: val.cat, Levels: val.levels, Numeric: numeric})
	}
	b.vals[v] = val
	return val, nil
}

// labels returns the level label of every row of c: the string, or the
// shortest decimal form of a number.
func labels(c *data.Column) []string {
	if c.Kind == data.String {
		return c.Str
	}
	out := make([]string, len(c.Num))
	for i, x := range c.Num {
		out[i] = formatNum(x)
	}
	return out
}

// sortedLevels returns the distinct values of c in level order: byte order
// for strings, numeric order for numbers.
func sortedLevels(c *data.Column) []string {
	if c.Kind == data.String {
		return c.Levels()
	}
	u := slices.Clone(c.Num)
	sort.Float64s(u)
	u = slices.Compact(u)
	out := make([]string, len(u))
	for i, x := range u {
		out[i] = formatNum(x)
	}
	return out
}

// categorical codes column c as variable vr, with the levels of rv when
// coding new data.
func (b *builder) categorical(vr *variable, c *data.Column, rv *RecipeVariable) (*value, error) {
	var levels []string
	if rv != nil {
		levels = rv.Levels
	} else {
		levels = sortedLevels(c)
		if len(levels) == 1 {
			b.warns = append(b.warns, fmt.Sprintf("%s has a single level (%q)", vr.key, levels[0]))
		}
	}
	index := make(map[string]int, len(levels))
	for k, l := range levels {
		index[l] = k
	}
	labs := labels(c)
	codes := make([]int, len(labs))
	for i, l := range labs {
		k, ok := index[l]
		if !ok {
			return nil, b.errAt(vr.node.position(), "%s has level %q in %s, which was not in the data the model was fitted to (levels: %s)",
				vr.key, l, b.row(i), quoteList(levels, 10))
		}
		codes[i] = k
	}
	return &value{cat: true, codes: codes, levels: levels}, nil
}

// group returns the level codes of a grouping column.
func (b *builder) group(g *groupSpec) (*value, error) {
	if val, ok := b.groups[g.group]; ok {
		return val, nil
	}
	c := b.fr.Lookup(g.group)
	var levels []string
	if b.fixed == nil {
		if c.Kind == data.Numeric {
			for i, x := range c.Num {
				if x != math.Trunc(x) || math.IsInf(x, 0) {
					return nil, b.errAt(g.pos, "grouping column %q must be categorical or hold integer codes; it has %v in %s", g.group, x, b.row(i))
				}
			}
		}
		levels = sortedLevels(c)
		b.rec.Groups = append(b.rec.Groups, RecipeGroup{Group: g.group, Levels: levels, Numeric: c.Kind == data.Numeric})
	} else {
		for _, rg := range b.fixed.Groups {
			if rg.Group == g.group {
				levels = rg.Levels
			}
		}
		if levels == nil {
			return nil, b.errAt(g.pos, "the recipe has no levels for grouping column %q", g.group)
		}
	}
	index := make(map[string]int, len(levels))
	for k, l := range levels {
		index[l] = k
	}
	labs := labels(c)
	codes := make([]int, len(labs))
	var unseen []string
	rows := 0
	for i, l := range labs {
		k, ok := index[l]
		if !ok {
			k = -1
			rows++
			if !slices.Contains(unseen, l) {
				unseen = append(unseen, l)
			}
		}
		codes[i] = k
	}
	if rows > 0 {
		b.warns = append(b.warns, fmt.Sprintf("grouping column %q: %d rows have levels not seen when fitting (%s); their group-level effects are taken to be 0",
			g.group, rows, quoteList(unseen, 5)))
	}
	val := &value{cat: true, codes: codes, levels: levels}
	b.groups[g.group] = val
	return val, nil
}

// fullCoding decides, as R's model.matrix does, which categorical variables
// of which terms get an indicator column for every level (true) rather than
// treatment contrasts (false).
func fullCoding(terms []term, icpt bool, isCat func(int) bool) [][]bool {
	full := make([][]bool, len(terms))
	for ti, t := range terms {
		full[ti] = make([]bool, len(t))
		for k, v := range t {
			if !isCat(v) {
				continue
			}
			rest := slices.Delete(slices.Clone(t), k, k+1)
			if len(rest) == 0 {
				continue // the intercept is the margin
			}
			full[ti][k] = true
			for _, u := range terms[:ti] {
				if subset(rest, u) {
					full[ti][k] = false
					break
				}
			}
		}
	}
	if !icpt {
	outer:
		for ti, t := range terms {
			for k, v := range t {
				if isCat(v) {
					full[ti][k] = true
					break outer
				}
			}
		}
	}
	return full
}

// subset reports whether every variable of a is in b.
func subset(a, b term) bool {
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}

// designCol is one column of a design: the product of numeric variables
// and level indicators of categorical ones; with no factors it is the
// intercept, all ones.
type designCol []colFactor

// colFactor is a numeric variable (codes nil) or the indicator of one level
// of a categorical variable.
type colFactor struct {
	num   []float64
	codes []int
	level int
}

// fill writes the column into dst, the value of row i at dst[i*stride].
func (c designCol) fill(dst []float64, stride int) {
	for i := 0; i*stride < len(dst); i++ {
		v := 1.0
		for _, f := range c {
			switch {
			case f.codes == nil:
				v *= f.num[i]
			case f.codes[i] != f.level:
				v = 0
			}
		}
		dst[i*stride] = v
	}
}

// columns evaluates the columns of terms (without the intercept).
func (b *builder) columns(terms []term, icpt bool) ([]string, [][]float64, error) {
	names, specs, err := b.columnSpecs(terms, icpt)
	if err != nil {
		return nil, nil, err
	}
	cols := make([][]float64, len(specs))
	for j, c := range specs {
		cols[j] = make([]float64, b.n)
		c.fill(cols[j], 1)
	}
	return names, cols, nil
}

// columnSpecs returns the names of the columns of terms (without the
// intercept) and how to evaluate them.
func (b *builder) columnSpecs(terms []term, icpt bool) ([]string, []designCol, error) {
	for _, t := range terms {
		for _, v := range t {
			if _, err := b.variable(v); err != nil {
				return nil, nil, err
			}
		}
	}
	full := fullCoding(terms, icpt, func(v int) bool { return b.vals[v].cat })
	var names []string
	var cols []designCol
	for ti, t := range terms {
		// For each variable the columns it contributes: numeric one, a
		// categorical one per level used.
		type part struct {
			val    *value
			key    string
			levels []int
		}
		parts := make([]part, len(t))
		count := 1
		for k, v := range t {
			val := b.vals[v]
			p := part{val: val, key: b.f.vars[v].key}
			if val.cat {
				first := 1
				if full[ti][k] {
					first = 0
				}
				for l := first; l < len(val.levels); l++ {
					p.levels = append(p.levels, l)
				}
				count *= len(p.levels)
			}
			parts[k] = p
		}
		digits := make([]int, len(parts))
		for c := 0; c < count; c++ {
			// Mixed-radix counter, first variable fastest.
			rem := c
			for k, p := range parts {
				if p.val.cat {
					digits[k] = rem % len(p.levels)
					rem /= len(p.levels)
				}
			}
			nameParts := make([]string, len(parts))
			var col designCol
			for k, p := range parts {
				if !p.val.cat {
					nameParts[k] = p.key
					col = append(col, colFactor{num: p.val.num})
					continue
				}
				l := p.levels[digits[k]]
				nameParts[k] = p.key + "[" + p.val.levels[l] + "]"
				col = append(col, colFactor{codes: p.val.codes, level: l})
			}
			names = append(names, strings.Join(nameParts, ":"))
			cols = append(cols, col)
		}
	}
	return names, cols, nil
}
