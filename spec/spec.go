// Package spec is govi's declarative model description: a formula, a
// family and link, priors by class or coefficient, and the parameterization
// of group-level effects, as brms and rstanarm take them. A Model
// round-trips through JSON (the CLI saves it as spec.json); Build evaluates
// it on a data frame into a model.Linear; Built.Fit runs govi's pipeline
// (govi.Run) on it and returns the report of the fit; Predict and
// Predictor give the posterior predictive distribution of new rows from
// the draws of a fit (Built.Predict from a fit in memory). A Stream is a
// Model evaluated on a file read a chunk at a time, for data larger than
// memory.
//
// # Families
//
// The response families are registered in one place (family.go): each
// Family entry gives its links, its auxiliary parameters and their default
// priors, what the formula must or may give it, and how to build its
// likelihood from the evaluated formula. Check, Build, Predict and the
// govi command all use the registry; FamilyNames lists it.
//
// # Names
//
// Parameters are named as brms names them (model.ParamName): the
// population-level coefficients b_Intercept, b_x, b_g[b] (CoefName), the
// auxiliary parameters sigma, phi, nu, the group-level sds
// sd_g__Intercept and the group-level effects r_g[level,coef], which the
// report's draws.csv spells r_g.i.j, CmdStan's array of levels by
// coefficients. Priors name coefficients by column: b[x], sd[g,x].
//
// # Errors
//
// Errors are typed: *Error and *PriorError (and *formula.SyntaxError) are
// mistakes in the description; *DataError (and *data.Error and
// *formula.EvalError) say that the data do not suit it.
//
// # Priors
//
// Priors are given by class, as in brms: "b" (population-level
// coefficients, or one of them with Coef), "Intercept", "sigma"
// (gaussian, student), "phi" (negbinomial), "nu" (student), "sd"
// (group-level sds; Group and Coef select one) and "cor" (the correlation
// matrix of correlated group-level effects, lkj(eta), default lkj(1);
// Group selects one). Their spelling is Stan's
// (package prior). "flat" on a positive parameter means p ∝ 1 on (0, ∞).
//
// Defaults are weakly informative and scaled to the data, following
// rstanarm (Gabry & Goodrich, "Prior distributions for rstanarm models"),
// with s_y = sd(y) for gaussian and student families and 1 otherwise:
//
//	Intercept  normal(mean(y), 2.5·sd(y)) for gaussian and student, normal(0, 2.5) otherwise
//	b[x]       normal(0, 2.5·s_y/sd(x))
//	sigma      exponential(1/sd(y))
//	phi        exponential(1)
//	nu         gamma(2, 0.1)
//	sd         half_student_t(3, 0, 2.5·s_y)
//
// Scales are rounded to three significant digits so the printed prior is
// exactly the one used. The intercept prior applies to the intercept of
// centered predictors (as in rstanarm and brms); the reported Intercept is
// on the scale of the data.
package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// Model is a model description. Zero values select documented defaults.
type Model struct {
	// Formula is an R/brms formula (package formula). Required.
	Formula string `json:"formula"`
	// Family is a registered family (FamilyNames): gaussian, bernoulli,
	// binomial, poisson, negbinomial or student. Required.
	Family string `json:"family"`
	// Link is the link function; empty means the family's default
	// (identity, logit, logit, log, log, identity; bernoulli also takes
	// probit).
	Link string `json:"link,omitempty"`
	// Priors override the defaults; later entries override earlier ones.
	Priors []Prior `json:"priors,omitempty"`
	// Parameterization of group-level effects: "auto" (the default: Fit
	// fits both and keeps the one with the higher ELBO), "noncentered" or
	// "centered".
	Parameterization string `json:"parameterization,omitempty"`
	// NoCenter fits the population-level predictors uncentered, so the
	// Intercept prior applies to the intercept as written.
	NoCenter bool `json:"no_center,omitempty"`
	// Nu fixes the Student-t degrees of freedom; zero means ν is a
	// parameter with a prior.
	Nu float64 `json:"nu,omitempty"`
	// Network makes the model a Bayesian neural network on the formula's
	// columns (BuildNetwork); the categorical family is a network model
	// even without it (no hidden layers: multinomial logistic
	// regression).
	Network *Network `json:"network,omitempty"`

	// Recipe and Centers record how the data were coded when the model was
	// fitted, so new data can be coded identically (govi predict). Build
	// fills them in its result; they are ignored as inputs of Build.
	Recipe  *formula.Recipe `json:"recipe,omitempty"`
	Centers []float64       `json:"centers,omitempty"`
}

// Prior assigns a prior to a class of parameters, or to one of them.
type Prior struct {
	// Class is b, Intercept, sigma, phi, nu or sd.
	Class string `json:"class"`
	// Coef selects one coefficient of class b (a column name such as
	// "dist100") or of class sd (the varying coefficient, "Intercept" or
	// a variable).
	Coef string `json:"coef,omitempty"`
	// Group selects the grouping factor of class sd.
	Group string `json:"group,omitempty"`
	// Prior is the Stan spelling, e.g. "normal(0, 2.5)".
	Prior string `json:"prior"`
}

// String renders the prior as the CLI takes it: "b[dist100] ~ normal(0, 1)".
func (p Prior) String() string {
	lhs := p.Class
	switch {
	case p.Group != "" && p.Coef != "":
		lhs = fmt.Sprintf("%s[%s,%s]", p.Class, p.Group, p.Coef)
	case p.Group != "":
		lhs = fmt.Sprintf("%s[%s]", p.Class, p.Group)
	case p.Coef != "":
		lhs = fmt.Sprintf("%s[%s]", p.Class, p.Coef)
	}
	return lhs + " ~ " + p.Prior
}

// ParsePrior parses the CLI form "class ~ prior" or "class[coef] ~ prior"
// ("sd[g] ~ …", "sd[g,x] ~ …" for group sds).
func ParsePrior(s string) (Prior, error) {
	lhs, rhs, ok := strings.Cut(s, "~")
	if !ok {
		return Prior{}, priorErrorf(s, "prior %q: want \"class ~ distribution\", e.g. \"b ~ normal(0, 2.5)\"", s)
	}
	lhs, rhs = strings.TrimSpace(lhs), strings.TrimSpace(rhs)
	p := Prior{Class: lhs, Prior: rhs}
	if i := strings.IndexByte(lhs, '['); i >= 0 {
		if !strings.HasSuffix(lhs, "]") {
			return Prior{}, priorErrorf(s, "prior %q: unbalanced brackets in %q", s, lhs)
		}
		p.Class = strings.TrimSpace(lhs[:i])
		inner := lhs[i+1 : len(lhs)-1]
		switch p.Class {
		case "sd":
			g, c, _ := strings.Cut(inner, ",")
			p.Group, p.Coef = strings.TrimSpace(g), strings.TrimSpace(c)
		case "cor":
			p.Group = strings.TrimSpace(inner)
		default:
			p.Coef = strings.TrimSpace(inner)
		}
	}
	if err := p.check(); err != nil {
		return Prior{}, err
	}
	return p, nil
}

// check validates the prior without a model: its class, its distribution
// and that the distribution's support suits the class.
func (p Prior) check() error {
	_, err := p.parse()
	return err
}

// parse parses p's distribution and checks it suits its class; "flat" on
// a positive class is flat on (0, ∞).
func (p Prior) parse() (model.Prior, error) {
	classes := Classes()
	if !slices.Contains(classes, p.Class) {
		return nil, priorErrorf(p.String(), "unknown prior class %q%s; classes are %s", p.Class, suggest(p.Class, classes), strings.Join(classes, ", "))
	}
	if p.Class == "cor" {
		return parseLKJ(p)
	}
	pr, err := prior.Parse(p.Prior)
	if err != nil {
		return nil, &PriorError{Prior: p.String(), Err: err}
	}
	positive := PositiveClass(p.Class)
	if f, ok := pr.(prior.Flat); ok {
		f.OnPositive = positive
		return f, nil
	}
	if positive && !pr.Positive() {
		return nil, priorErrorf(p.String(), "prior %s: %s is a positive parameter; use a prior on (0, ∞), e.g. exponential(1), half_normal(0, 1), half_student_t(3, 0, 2.5) or flat", p, p.Class)
	}
	if !positive && pr.Positive() {
		return nil, priorErrorf(p.String(), "prior %s: %s takes values on the whole real line; %s is only for positive parameters (%s)", p, p.Class, pr, strings.Join(positiveClasses(), ", "))
	}
	return pr, nil
}

// lkjPrior is the LKJ prior of a correlation matrix, the only prior of
// class cor; it is not a density of one parameter (model.Correlation
// applies it), so LogProb is not used.
type lkjPrior struct{ eta float64 }

func (l lkjPrior) LogProb(float64) (lp, d1, d2 float64) { return math.NaN(), 0, 0 }
func (lkjPrior) Positive() bool                         { return false }
func (lkjPrior) Proper() bool                           { return true }
func (l lkjPrior) String() string                       { return fmt.Sprintf("lkj(%g)", l.eta) }

// parseLKJ parses "lkj(eta)", eta > 0.
func parseLKJ(p Prior) (model.Prior, error) {
	s := strings.ReplaceAll(p.Prior, " ", "")
	if !strings.HasPrefix(s, "lkj(") || !strings.HasSuffix(s, ")") {
		return nil, priorErrorf(p.String(), "prior %s: correlations take lkj(eta), e.g. lkj(1) (uniform) or lkj(2) (shrinks them toward 0)", p)
	}
	eta, err := strconv.ParseFloat(s[4:len(s)-1], 64)
	if err != nil || !(eta > 0) || math.IsInf(eta, 0) {
		return nil, priorErrorf(p.String(), "prior %s: lkj's shape eta must be a positive number", p)
	}
	return lkjPrior{eta}, nil
}

func positiveClasses() []string {
	var out []string
	for _, c := range Classes() {
		if PositiveClass(c) {
			out = append(out, c)
		}
	}
	return out
}

func suggest(name string, options []string) string {
	if s, ok := data.Suggest(name, options); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// JSON returns the indented JSON of m.
func (m *Model) JSON() ([]byte, error) { return json.MarshalIndent(m, "", "  ") }

// Parse reads a Model from JSON, rejecting unknown fields. Its errors are
// *Error values.
func Parse(b []byte) (*Model, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return &m, nil
}

// Check validates the description without data, priors included, and
// returns its family. Its errors are *Error and *PriorError values.
func (m *Model) Check() error {
	if m.IsNetwork() {
		return m.checkNetwork()
	}
	_, err := m.check()
	return err
}

func (m *Model) check() (*Family, error) {
	if m.IsNetwork() {
		return nil, errorf("a network model is built by BuildNetwork, not Build")
	}
	if strings.TrimSpace(m.Formula) == "" {
		return nil, errorf("no formula")
	}
	fam, err := LookupFamily(m.Family)
	if err != nil {
		return nil, err
	}
	if m.Link != "" && !slices.Contains(fam.Links, m.Link) {
		return nil, errorf("family %s has no link %q; it takes %s", m.Family, m.Link, strings.Join(fam.Links, ", "))
	}
	switch m.Parameterization {
	case "", "auto", "noncentered", "centered":
	default:
		return nil, errorf("unknown parameterization %q; use auto, noncentered or centered", m.Parameterization)
	}
	if m.Nu < 0 || math.IsNaN(m.Nu) || math.IsInf(m.Nu, 0) {
		return nil, errorf("nu must be positive (or 0 to estimate it)")
	}
	if m.Nu != 0 && !fam.Nu {
		return nil, errorf("nu fixes the degrees of freedom of the %s family, not %s", familiesWith(func(f *Family) bool { return f.Nu }), m.Family)
	}
	for _, p := range m.Priors {
		if err := p.check(); err != nil {
			return nil, err
		}
	}
	return fam, nil
}

// link returns the link in use.
func (m *Model) link(fam *Family) string {
	if m.Link != "" {
		return m.Link
	}
	return fam.Links[0]
}

// Columns returns the data columns the formula uses (see
// formula.Formula.Columns), or nil, all of them, for a formula with "."
// (R's all other columns; Build expands it). Its error is a
// *formula.SyntaxError.
func (m *Model) Columns() ([]string, error) {
	if formula.HasDot(m.Formula) {
		return nil, nil
	}
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, err
	}
	return f.Columns(), nil
}

// PredictColumns returns the columns new data need for Predict, and those
// of the response, which they may lack (see
// formula.Formula.PredictColumns). Its error is a *formula.SyntaxError.
func (m *Model) PredictColumns() (need, response []string, err error) {
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, nil, err
	}
	need, response = f.PredictColumns()
	return need, response, nil
}

// Built is a Model evaluated on data.
type Built struct {
	// Linear is the model to fit.
	Linear *model.Linear
	// Design is the evaluated formula. When Spec.Centers is set (an
	// intercept, predictors centered), the columns of Design.X after the
	// intercept hold x − center: they are centered in place, which saves a
	// copy of the design matrix. Design.Response is the likelihood's copy
	// of y. Neither is to be changed.
	Design *formula.Design
	// Spec is the description used: the input with every prior made
	// explicit (defaults resolved) and the recipe and centers filled in.
	Spec *Model
	// Priors are the priors in use, defaults included, in a fixed order.
	Priors []Prior
	// Warnings from evaluating the formula (constant or duplicate columns).
	Warnings []string
	// Params names the reported quantities in Constrain's order (see
	// model.Terms.ParamNames); Names holds their String spelling
	// (b_Intercept, b_x, sigma, sd_g__Intercept, r_g[A,Intercept]).
	Params []model.ParamName
	Names  []string
	// Family is the registry entry of the model's family.
	Family *Family
	// Source names the data (data.Frame.Source).
	Source string

	centers []float64 // column means subtracted from X (nil: none)
}

// CoefName is the parameter name of the population-level coefficient of
// design column col, as brms names it: "b_" + col (b_Intercept, b_x,
// b_g[b]). The prefix keeps a column called sigma from colliding with the
// parameter sigma.
func CoefName(col string) string { return "b_" + col }

func coefNames(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = CoefName(c)
	}
	return out
}

// Constrain maps unconstrained θ to the reported quantities: the
// population-level coefficients (with the Intercept moved back to the
// uncentered predictors), auxiliary parameters, group sds and group
// effects.
func (b *Built) Constrain(dst, theta []float64) {
	b.Linear.Constrain(dst, theta)
	if b.centers != nil {
		// Intercept_raw = Intercept_c − Σⱼ x̄ⱼ bⱼ.
		for j, c := range b.centers {
			dst[0] -= c * dst[j]
		}
	}
}

// ConstrainedNames returns Names.
func (b *Built) ConstrainedNames() []string { return b.Names }

var _ model.Constrainer = (*Built)(nil)

// Build evaluates m on fr. Its errors are those of Check, a
// *formula.SyntaxError, the *data.Error and *formula.EvalError of
// evaluating the formula, an *Error when the formula does not suit the
// family (or two parameters would have the same name), a *DataError when
// the response is outside the family's support, and a *PriorError for a
// prior aimed at something the model does not have.
func (m *Model) Build(fr *data.Frame) (*Built, error) {
	return m.build(fr, nil)
}

// designStats are the statistics of the data that the default priors and
// the centering take: the mean and sd of y and the mean and sd of every
// column of X (sds with n − 1).
type designStats struct {
	meanY, sdY   float64
	meanX, sdX   []float64
	haveX, haveY bool
	// recipe, when set, codes the data (the whole data's levels and
	// scale() statistics, formula.MergeRecipes).
	recipe *formula.Recipe
}

// parse returns m with "." expanded to the columns (every one the
// left-hand side does not use; the saved description keeps the expansion,
// so new data are coded alike) and its parsed formula.
func (m *Model) parse(columns []string) (*Model, *formula.Formula, error) {
	if formula.HasDot(m.Formula) {
		expanded, err := formula.ExpandDot(m.Formula, columns)
		if err != nil {
			return nil, nil, err
		}
		mm := *m
		mm.Formula = expanded
		m = &mm
	}
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, nil, err
	}
	return m, f, nil
}

// build is Build with the statistics of the whole data when st is not nil
// (fr is then one chunk of it, Model.Stream).
func (m *Model) build(fr *data.Frame, st *designStats) (*Built, error) {
	fam, err := m.check()
	if err != nil {
		return nil, err
	}
	m, f, err := m.parse(fr.Names())
	if err != nil {
		return nil, err
	}
	if err := fr.CheckMissing(f.Columns()); err != nil {
		return nil, err
	}
	var des *formula.Design
	var warns []string
	if st != nil && st.recipe != nil {
		des, warns, err = st.recipe.BuildWarn(fr)
	} else {
		des, warns, err = f.Build(fr)
	}
	if err != nil {
		return nil, err
	}
	// From here on only the rows' line numbers are needed: the frame's
	// columns, in X now, are let go (when the caller lets go of the frame)
	// rather than held next to X through the checks, which copy it.
	fr = &data.Frame{Rows: fr.Rows, Source: fr.Source, Lines: fr.Lines}
	if err := fam.suits(des); err != nil {
		return nil, err
	}
	if err := checkValues(des, fr, fam, true); err != nil {
		return nil, err
	}
	if des.Trials != nil {
		col := f.Trials()
		if err := supportError(fr.Source, fam.Name, "the trials to be whole numbers of at least 0", col, len(des.Trials),
			func(i int) float64 { return des.Trials[i] }, fr.RowNumber, func(i int) bool { return des.Trials[i] >= 0 && isWhole(des.Trials[i]) }); err != nil {
			return nil, err
		}
	}
	l, err := fam.likelihood(m, des, fr)
	if err != nil {
		return nil, err
	}
	if ly, ok := l.(interface{ Y() []float64 }); ok && des.Response != nil {
		des.Response = ly.Y() // the likelihood's copy, so that y is held once
	}
	out := &Built{Design: des, Warnings: warns, Family: fam, Source: fr.Source}
	terms := model.Terms{Lik: l, X: des.X, Names: coefNames(des.Names), Offset: des.Offset}
	for _, gt := range des.Groups {
		terms.Groups = append(terms.Groups, model.Group{
			Name: gt.Group, Coef: gt.Coef, Levels: gt.Levels, Index: gt.Index, Value: gt.Value,
			Centered: m.Parameterization == "centered",
		})
	}
	for _, block := range des.Correlated {
		terms.Correlations = append(terms.Correlations, model.Correlation{Groups: block})
	}
	out.Params = terms.ParamNames()
	if err := uniqueNames(out.Params, des); err != nil {
		return nil, err
	}
	if st == nil {
		st = statsOf(des)
	}
	pr, err := m.resolvePriors(fam, des, l, st)
	if err != nil {
		return nil, err
	}
	p := len(terms.Names)
	terms.Coef = make([]model.Prior, p)
	for j, name := range des.Names {
		cls, coef := "b", name
		if j == 0 && des.Intercept {
			cls, coef = "Intercept", ""
		}
		terms.Coef[j] = pr.get(cls, "", coef)
	}
	for _, a := range l.Aux() {
		terms.Aux = append(terms.Aux, pr.get(a, "", ""))
	}
	for g, gt := range des.Groups {
		terms.Groups[g].SD = pr.get("sd", gt.Group, gt.Coef)
	}
	for c := range terms.Correlations {
		g := des.Groups[terms.Correlations[c].Groups[0]].Group
		if lkj, ok := pr.get("cor", g, "").(lkjPrior); ok {
			terms.Correlations[c].Eta = lkj.eta
		}
	}
	// The checks read the data's own columns, before they are centered.
	warns, err = out.identify(terms.Coef)
	if err != nil {
		return nil, err
	}
	out.Warnings = append(out.Warnings, warns...)
	if des.Intercept && !m.NoCenter && des.X != nil {
		out.centers = centerColumns(des.X, st.meanX)
	}
	lin, err := model.NewLinear(terms)
	if err != nil {
		return nil, err
	}
	out.Linear = lin
	out.Names = model.Strings(out.Params)
	out.Priors = pr.used
	sp := *m
	sp.Priors = pr.used
	sp.Recipe = des.Recipe()
	sp.Centers = out.centers
	out.Spec = &sp
	return out, nil
}

// suits checks that the evaluated formula gives the family what it needs
// (trials) and nothing it cannot take (trials, se()).
func (fam *Family) suits(des *formula.Design) error {
	switch {
	case des.SE != nil && !fam.SE:
		return errorf("se() in the formula is only for the %s family, not %s", familiesWith(func(f *Family) bool { return f.SE }), fam.Name)
	case des.Trials != nil && !fam.Trials:
		return errorf("trials() and cbind() in the formula are only for the %s family, not %s", familiesWith(func(f *Family) bool { return f.Trials }), fam.Name)
	case des.Trials == nil && fam.Trials:
		return errorf("the %s family needs the number of trials: write \"successes | trials(n) ~ ...\" or \"cbind(successes, failures) ~ ...\" (for 0/1 outcomes use the bernoulli family)", fam.Name)
	}
	return nil
}

// likelihood builds the family's likelihood of the design's response,
// zeros when it has none (prediction without a response), naming the rows
// of fr in support errors.
func (fam *Family) likelihood(m *Model, des *formula.Design, fr *data.Frame) (Likelihood, error) {
	y := des.Response
	if y == nil {
		y = make([]float64, des.Rows())
	}
	r := Response{Y: y, Trials: des.Trials, SE: des.SE, Link: m.link(fam), Nu: m.Nu}
	r.Check = func(what string, ok func(i int) bool) error {
		return supportError(fr.Source, fam.Name, what, des.ResponseName, len(y),
			func(i int) float64 { return y[i] }, fr.RowNumber, ok)
	}
	l, err := fam.New(r)
	if err != nil {
		var de *DataError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, &DataError{File: fr.Source, Column: des.ResponseName, Msg: err.Error(), Err: err}
	}
	return l, nil
}

// uniqueNames reports two parameters with the same name: a data column
// called Intercept next to the intercept, say.
func uniqueNames(names []model.ParamName, des *formula.Design) error {
	seen := map[string]bool{}
	for _, n := range names {
		s := n.String()
		if !seen[s] {
			seen[s] = true
			continue
		}
		if s == CoefName("Intercept") && des.Intercept {
			return errorf("the formula uses a column called \"Intercept\" and has an intercept: both would be the parameter %s; rename the column, or drop the intercept (0 + Intercept)", s)
		}
		return errorf("two parameters would be called %s; rename a column", s)
	}
	return nil
}

// statsOf returns the statistics of an evaluated formula: one pass over
// the rows of X for the column means, one for the sds.
func statsOf(des *formula.Design) *designStats {
	st := &designStats{}
	if y := des.Response; y != nil {
		st.meanY, st.sdY, st.haveY = stat.Mean(y, nil), stat.StdDev(y, nil), true
	}
	x := des.X
	if x == nil {
		return st
	}
	n, p := x.Dims()
	st.haveX = true
	st.meanX = make([]float64, p)
	for i := 0; i < n; i++ {
		floats.Add(st.meanX, x.RawRowView(i))
	}
	floats.Scale(1/float64(n), st.meanX)
	ss := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			d := v - st.meanX[j]
			ss[j] += d * d
		}
	}
	st.sdX = make([]float64, p)
	for j := range ss {
		st.sdX[j] = math.Sqrt(ss[j] / float64(n-1))
	}
	return st
}

// centerColumns subtracts from every column of x but the first (the
// intercept) its mean, in place, and returns the centers (0 for the
// first). One pass over the rows, so the design is not copied.
func centerColumns(x *mat.Dense, mean []float64) []float64 {
	n, _ := x.Dims()
	centers := slices.Clone(mean)
	centers[0] = 0
	chunks := parallel.Chunks(n, 4096, 64)
	var grp parallel.Group
	grp.Run(parallel.Func(func(_, c int) {
		lo, hi := parallel.Range(n, chunks, c)
		for i := lo; i < hi; i++ {
			floats.Sub(x.RawRowView(i), centers)
		}
	}), chunks)
	return centers
}

// priorSet resolves priors: a user prior beats a default, and among user
// priors the most specific wins (coefficient, then group, then class),
// later entries beating earlier ones.
type priorSet struct {
	user, def map[string]model.Prior
	used      []Prior
}

func key(class, group, coef string) string { return class + "\x00" + group + "\x00" + coef }

// get returns the prior for (class, group, coef); nil means flat.
func (ps *priorSet) get(class, group, coef string) model.Prior {
	for _, k := range []string{key(class, group, coef), key(class, group, ""), key(class, "", coef), key(class, "", "")} {
		if p, ok := ps.user[k]; ok {
			return flatToNil(p)
		}
	}
	return flatToNil(ps.def[key(class, group, coef)])
}

func flatToNil(p model.Prior) model.Prior {
	if f, ok := p.(prior.Flat); ok && !f.OnPositive {
		return nil
	}
	return p
}

// round3 rounds a positive scale to three significant digits.
func round3(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	// Through the decimal form, so that %g prints exactly three digits.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64)
	return r
}

func (m *Model) resolvePriors(fam *Family, des *formula.Design, l model.Likelihood, st *designStats) (*priorSet, error) {
	y := des.Response
	sy := 1.0 // s_y: the response scale of gaussian-like families
	if fam.ScaleY {
		sy = st.sdY
	}
	var defs []Prior
	if des.Intercept {
		if fam.ScaleY {
			defs = append(defs, Prior{Class: "Intercept", Prior: fmt.Sprintf("normal(%s, %s)", num3(st.meanY), num(round3(2.5*sy)))})
		} else {
			defs = append(defs, Prior{Class: "Intercept", Prior: "normal(0, 2.5)"})
		}
	}
	for j, name := range des.Names {
		if j == 0 && des.Intercept {
			continue
		}
		scale := 2.5 * sy
		if sx := st.sdX[j]; sx > 0 {
			scale /= sx
		}
		defs = append(defs, Prior{Class: "b", Coef: name, Prior: fmt.Sprintf("normal(0, %s)", num(round3(scale)))})
	}
	for _, a := range l.Aux() {
		for _, ap := range fam.Aux {
			if ap.Name == a {
				switch {
				case ap.DefaultSD == nil:
					defs = append(defs, Prior{Class: a, Prior: ap.Default(y)})
				default:
					defs = append(defs, Prior{Class: a, Prior: ap.DefaultSD(st.sdY)})
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, gt := range des.Groups {
		if k := gt.Group + "," + gt.Coef; !seen[k] {
			seen[k] = true
			defs = append(defs, Prior{Class: "sd", Group: gt.Group, Coef: gt.Coef, Prior: fmt.Sprintf("half_student_t(3, 0, %s)", num(round3(2.5*sy)))})
		}
	}
	for _, block := range des.Correlated {
		if g := des.Groups[block[0]].Group; !seen["cor,"+g] {
			seen["cor,"+g] = true
			defs = append(defs, Prior{Class: "cor", Group: g, Prior: "lkj(1)"})
		}
	}
	ps := &priorSet{user: map[string]model.Prior{}, def: map[string]model.Prior{}}
	for _, p := range defs {
		pr, err := p.parse()
		if err != nil {
			return nil, err
		}
		ps.def[key(p.Class, p.Group, p.Coef)] = pr
	}
	var user []Prior
	for _, p := range m.Priors {
		if err := m.checkTarget(p, des, l); err != nil {
			return nil, err
		}
		pr, err := p.parse()
		if err != nil {
			return nil, err
		}
		ps.user[key(p.Class, p.Group, p.Coef)] = pr
		// A later prior for the same place replaces an earlier one.
		user = slices.DeleteFunc(user, func(q Prior) bool { return samePlace(p, q) })
		user = append(user, p)
	}
	for _, d := range defs {
		if !slices.ContainsFunc(user, func(u Prior) bool { return covers(u, d) }) {
			ps.used = append(ps.used, d)
		}
	}
	ps.used = append(ps.used, user...)
	return ps, nil
}

// covers reports whether user prior u applies to the place of p.
func covers(u, p Prior) bool {
	if u.Class != p.Class {
		return false
	}
	if u.Group != "" && u.Group != p.Group {
		return false
	}
	if u.Coef != "" && u.Coef != p.Coef {
		return false
	}
	return true
}

func samePlace(a, b Prior) bool { return a.Class == b.Class && a.Group == b.Group && a.Coef == b.Coef }

// checkTarget reports a prior aimed at something the model does not have.
func (m *Model) checkTarget(p Prior, des *formula.Design, l model.Likelihood) error {
	switch p.Class {
	case "b":
		if p.Coef == "" {
			return nil
		}
		var coefs []string
		for j, n := range des.Names {
			if !(j == 0 && des.Intercept) {
				coefs = append(coefs, n)
			}
		}
		if !slices.Contains(coefs, p.Coef) {
			return priorErrorf(p.String(), "prior %s: the model has no coefficient %q%s; coefficients are %s", p, p.Coef, suggest(p.Coef, coefs), strings.Join(coefs, ", "))
		}
	case "Intercept":
		if !des.Intercept {
			return priorErrorf(p.String(), "prior %s: the formula has no intercept", p)
		}
	case "sd":
		found := false
		for _, gt := range des.Groups {
			if (p.Group == "" || p.Group == gt.Group) && (p.Coef == "" || p.Coef == gt.Coef) {
				found = true
			}
		}
		if !found {
			return priorErrorf(p.String(), "prior %s: the formula has no group-level term for it", p)
		}
	case "cor":
		found := false
		for _, block := range des.Correlated {
			if p.Group == "" || p.Group == des.Groups[block[0]].Group {
				found = true
			}
		}
		if !found {
			return priorErrorf(p.String(), "prior %s: the formula has no correlated group-level effects for it (write (1 + x | g); (1 + x || g) makes them independent)", p)
		}
	default: // an auxiliary parameter
		if !slices.Contains(l.Aux(), p.Class) {
			return priorErrorf(p.String(), "prior %s: family %s has no parameter %s", p, m.Family, p.Class)
		}
	}
	return nil
}

func num(x float64) string { return fmt.Sprintf("%g", x) }

// num3 rounds a location to three significant digits.
func num3(x float64) string {
	if x == 0 {
		return "0"
	}
	s := math.Copysign(round3(math.Abs(x)), x)
	return fmt.Sprintf("%g", s)
}
