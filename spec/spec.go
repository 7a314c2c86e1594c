// Package spec is govi's declarative model description: a formula, a
// family and link, priors by class or coefficient, and the parameterization
// of group-level effects, as brms and rstanarm take them. A Model
// round-trips through JSON (the CLI saves it as spec.json), and Build
// evaluates it on a data frame into a model.Linear.
//
// # Priors
//
// Priors are given by class, as in brms: "b" (population-level
// coefficients, or one of them with Coef), "Intercept", "sigma"
// (gaussian, student), "phi" (negbinomial), "nu" (student), and "sd"
// (group-level sds; Group and Coef select one). Their spelling is Stan's
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
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// Model is a model description. Zero values select documented defaults.
type Model struct {
	// Formula is an R/brms formula (package formula). Required.
	Formula string `json:"formula"`
	// Family is gaussian, bernoulli, binomial, poisson, negbinomial or
	// student. Required.
	Family string `json:"family"`
	// Link is the link function; empty means the family's default
	// (identity, logit, logit, log, log, identity; bernoulli also takes
	// probit).
	Link string `json:"link,omitempty"`
	// Priors override the defaults; later entries override earlier ones.
	Priors []Prior `json:"priors,omitempty"`
	// Parameterization of group-level effects: "noncentered" (default) or
	// "centered".
	Parameterization string `json:"parameterization,omitempty"`
	// NoCenter fits the population-level predictors uncentered, so the
	// Intercept prior applies to the intercept as written.
	NoCenter bool `json:"no_center,omitempty"`
	// Nu fixes the Student-t degrees of freedom; zero means ν is a
	// parameter with a prior.
	Nu float64 `json:"nu,omitempty"`

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
		return Prior{}, fmt.Errorf("spec: prior %q: want \"class ~ distribution\", e.g. \"b ~ normal(0, 2.5)\"", s)
	}
	lhs, rhs = strings.TrimSpace(lhs), strings.TrimSpace(rhs)
	p := Prior{Class: lhs, Prior: rhs}
	if i := strings.IndexByte(lhs, '['); i >= 0 {
		if !strings.HasSuffix(lhs, "]") {
			return Prior{}, fmt.Errorf("spec: prior %q: unbalanced brackets in %q", s, lhs)
		}
		p.Class = strings.TrimSpace(lhs[:i])
		inner := lhs[i+1 : len(lhs)-1]
		if p.Class == "sd" {
			g, c, _ := strings.Cut(inner, ",")
			p.Group, p.Coef = strings.TrimSpace(g), strings.TrimSpace(c)
		} else {
			p.Coef = strings.TrimSpace(inner)
		}
	}
	if err := p.check(); err != nil {
		return Prior{}, err
	}
	return p, nil
}

var classes = []string{"b", "Intercept", "sigma", "phi", "nu", "sd"}

func (p Prior) check() error {
	if !slices.Contains(classes, p.Class) {
		return fmt.Errorf("spec: unknown prior class %q%s; classes are %s", p.Class, suggest(p.Class, classes), strings.Join(classes, ", "))
	}
	if _, err := prior.Parse(p.Prior); err != nil {
		return err
	}
	return nil
}

func suggest(name string, options []string) string {
	if s, ok := data.Suggest(name, options); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// JSON returns the indented JSON of m.
func (m *Model) JSON() ([]byte, error) { return json.MarshalIndent(m, "", "  ") }

// Parse reads a Model from JSON, rejecting unknown fields.
func Parse(b []byte) (*Model, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return &m, nil
}

// Families lists the supported families with their links (default first).
var Families = map[string][]string{
	"gaussian":    {"identity"},
	"bernoulli":   {"logit", "probit"},
	"binomial":    {"logit"},
	"poisson":     {"log"},
	"negbinomial": {"log"},
	"student":     {"identity"},
}

func familyNames() []string {
	var n []string
	for k := range Families {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Check validates the description without data.
func (m *Model) Check() error {
	if strings.TrimSpace(m.Formula) == "" {
		return fmt.Errorf("spec: no formula")
	}
	links, ok := Families[m.Family]
	if !ok {
		return fmt.Errorf("spec: unknown family %q%s; families are %s", m.Family, suggest(m.Family, familyNames()), strings.Join(familyNames(), ", "))
	}
	if m.Link != "" && !slices.Contains(links, m.Link) {
		return fmt.Errorf("spec: family %s has no link %q; it takes %s", m.Family, m.Link, strings.Join(links, ", "))
	}
	switch m.Parameterization {
	case "", "noncentered", "centered":
	default:
		return fmt.Errorf("spec: unknown parameterization %q; use noncentered or centered", m.Parameterization)
	}
	if m.Nu < 0 || math.IsNaN(m.Nu) || math.IsInf(m.Nu, 0) {
		return fmt.Errorf("spec: nu must be positive (or 0 to estimate it)")
	}
	for _, p := range m.Priors {
		if err := p.check(); err != nil {
			return err
		}
	}
	return nil
}

// link returns the link in use.
func (m *Model) link() string {
	if m.Link != "" {
		return m.Link
	}
	return Families[m.Family][0]
}

// Built is a Model evaluated on data.
type Built struct {
	// Linear is the model to fit.
	Linear *model.Linear
	// Design is the evaluated formula (uncentered).
	Design *formula.Design
	// Spec is the description used: the input with every prior made
	// explicit (defaults resolved) and the recipe and centers filled in.
	Spec *Model
	// Priors are the priors in use, defaults included, in a fixed order.
	Priors []Prior
	// Warnings from evaluating the formula (constant or duplicate columns).
	Warnings []string
	// Names of the reported quantities (Constrain's order).
	Names []string

	centers []float64 // column means subtracted from X (nil: none)
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

// Build evaluates m on fr.
func (m *Model) Build(fr *data.Frame) (*Built, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, err
	}
	if err := fr.CheckMissing(f.Columns()); err != nil {
		return nil, err
	}
	des, warns, err := f.Build(fr)
	if err != nil {
		return nil, err
	}
	l, err := m.likelihood(des, fr)
	if err != nil {
		return nil, err
	}
	out := &Built{Design: des, Warnings: warns}
	x := des.X
	if des.Intercept && !m.NoCenter && x != nil {
		_, p := x.Dims()
		out.centers = make([]float64, p)
		xc := mat.DenseCopyOf(x)
		for j := 1; j < p; j++ {
			col := mat.Col(nil, j, x)
			mean := stat.Mean(col, nil)
			out.centers[j] = mean
			for i := range col {
				xc.Set(i, j, col[i]-mean)
			}
		}
		x = xc
	}
	pr, err := m.resolvePriors(des, l)
	if err != nil {
		return nil, err
	}
	terms := model.Terms{Lik: l, X: x, Names: des.Names, Offset: des.Offset}
	p := 0
	if x != nil {
		_, p = x.Dims()
	}
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
	for _, gt := range des.Groups {
		terms.Groups = append(terms.Groups, model.Group{
			Name: gt.Group, Coef: gt.Coef, Levels: gt.Levels, Index: gt.Index, Value: gt.Value,
			SD:       pr.get("sd", gt.Group, gt.Coef),
			Centered: m.Parameterization == "centered",
		})
	}
	lin, err := model.NewLinear(terms)
	if err != nil {
		return nil, err
	}
	out.Linear = lin
	out.Names = lin.ConstrainedNames()
	out.Priors = pr.used
	sp := *m
	sp.Priors = pr.used
	sp.Recipe = des.Recipe()
	sp.Centers = out.centers
	out.Spec = &sp
	return out, nil
}

// likelihood builds the family's likelihood, checking the response's
// support with the file's line numbers.
func (m *Model) likelihood(des *formula.Design, fr *data.Frame) (model.Likelihood, error) {
	y := des.Response
	bad := func(what string, ok func(i int) bool) error {
		var rows []string
		n := 0
		for i := range y {
			if !ok(i) {
				if n < 5 {
					rows = append(rows, fmt.Sprintf("row %d (%s = %g)", fr.RowNumber(i), des.ResponseName, y[i]))
				}
				n++
			}
		}
		if n == 0 {
			return nil
		}
		more := ""
		if n > 5 {
			more = fmt.Sprintf(" and %d more", n-5)
		}
		return fmt.Errorf("spec: %s: family %s needs %s; %d bad values: %s%s", fr.Source, m.Family, what, n, strings.Join(rows, ", "), more)
	}
	isInt := func(v float64) bool { return v == math.Trunc(v) }
	if m.Family != "gaussian" && des.SE != nil {
		return nil, fmt.Errorf("spec: se() is only for the gaussian family")
	}
	if m.Family != "binomial" && des.Trials != nil {
		return nil, fmt.Errorf("spec: trials() and cbind() are only for the binomial family")
	}
	switch m.Family {
	case "gaussian":
		if des.SE != nil {
			if err := bad("positive standard errors in se()", func(i int) bool { return des.SE[i] > 0 }); err != nil {
				return nil, err
			}
			return lik.NewGaussianSE(y, des.SE)
		}
		return lik.NewGaussian(y)
	case "student":
		return lik.NewStudentT(y, m.Nu)
	case "bernoulli":
		if err := bad("y to be 0 or 1", func(i int) bool { return y[i] == 0 || y[i] == 1 }); err != nil {
			return nil, err
		}
		if m.link() == "probit" {
			return lik.NewBernoulliProbit(y)
		}
		return lik.NewBernoulliLogit(y)
	case "binomial":
		if des.Trials == nil {
			return nil, fmt.Errorf("spec: the binomial family needs trials: write \"successes | trials(n) ~ …\" or \"cbind(successes, failures) ~ …\"")
		}
		if err := bad("successes to be whole numbers between 0 and the trials", func(i int) bool {
			return y[i] >= 0 && isInt(y[i]) && y[i] <= des.Trials[i] && isInt(des.Trials[i])
		}); err != nil {
			return nil, err
		}
		return lik.NewBinomialLogit(y, des.Trials)
	case "poisson", "negbinomial":
		if err := bad("non-negative whole counts", func(i int) bool { return y[i] >= 0 && isInt(y[i]) }); err != nil {
			return nil, err
		}
		if m.Family == "poisson" {
			return lik.NewPoissonLog(y)
		}
		return lik.NewNegBinomialLog(y)
	}
	return nil, fmt.Errorf("spec: unknown family %q", m.Family)
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

// parsePrior parses p's distribution and checks it suits its class.
func parsePrior(p Prior) (model.Prior, error) {
	pr, err := prior.Parse(p.Prior)
	if err != nil {
		return nil, err
	}
	positive := p.Class == "sigma" || p.Class == "phi" || p.Class == "nu" || p.Class == "sd"
	if f, ok := pr.(prior.Flat); ok && positive {
		f.OnPositive = true
		pr = f
	}
	if positive && !pr.Positive() {
		return nil, fmt.Errorf("spec: %s: %s is a positive parameter; use a prior on (0, ∞) such as exponential(1), half_normal(0, 1) or flat", p, p.Class)
	}
	if !positive && pr.Positive() {
		return nil, fmt.Errorf("spec: %s: %s takes values on the whole real line; %s is only for positive parameters", p, p.Class, pr)
	}
	return pr, nil
}

func (m *Model) resolvePriors(des *formula.Design, l model.Likelihood) (*priorSet, error) {
	y := des.Response
	sy := 1.0 // s_y: the response scale of gaussian and student models
	gaussLike := m.Family == "gaussian" || m.Family == "student"
	if gaussLike {
		sy = stat.StdDev(y, nil)
	}
	var defs []Prior
	if des.Intercept {
		if gaussLike {
			defs = append(defs, Prior{Class: "Intercept", Prior: fmt.Sprintf("normal(%s, %s)", num3(stat.Mean(y, nil)), num(round3(2.5*sy)))})
		} else {
			defs = append(defs, Prior{Class: "Intercept", Prior: "normal(0, 2.5)"})
		}
	}
	for j, name := range des.Names {
		if j == 0 && des.Intercept {
			continue
		}
		scale := 2.5 * sy
		if sx := stat.StdDev(mat.Col(nil, j, des.X), nil); sx > 0 {
			scale /= sx
		}
		defs = append(defs, Prior{Class: "b", Coef: name, Prior: fmt.Sprintf("normal(0, %s)", num(round3(scale)))})
	}
	for _, a := range l.Aux() {
		switch a {
		case "sigma":
			defs = append(defs, Prior{Class: "sigma", Prior: fmt.Sprintf("exponential(%s)", num(round3(1/stat.StdDev(y, nil))))})
		case "phi":
			defs = append(defs, Prior{Class: "phi", Prior: "exponential(1)"})
		case "nu":
			defs = append(defs, Prior{Class: "nu", Prior: "gamma(2, 0.1)"})
		}
	}
	seen := map[string]bool{}
	for _, gt := range des.Groups {
		if k := gt.Group + "," + gt.Coef; !seen[k] {
			seen[k] = true
			defs = append(defs, Prior{Class: "sd", Group: gt.Group, Coef: gt.Coef, Prior: fmt.Sprintf("half_student_t(3, 0, %s)", num(round3(2.5*sy)))})
		}
	}
	ps := &priorSet{user: map[string]model.Prior{}, def: map[string]model.Prior{}}
	for _, p := range defs {
		pr, err := parsePrior(p)
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
		pr, err := parsePrior(p)
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
			return fmt.Errorf("spec: prior %s: the model has no coefficient %q%s; coefficients are %s", p, p.Coef, suggest(p.Coef, coefs), strings.Join(coefs, ", "))
		}
	case "Intercept":
		if !des.Intercept {
			return fmt.Errorf("spec: prior %s: the formula has no intercept", p)
		}
	case "sigma", "phi", "nu":
		if !slices.Contains(l.Aux(), p.Class) {
			return fmt.Errorf("spec: prior %s: family %s has no parameter %s", p, m.Family, p.Class)
		}
	case "sd":
		found := false
		for _, gt := range des.Groups {
			if (p.Group == "" || p.Group == gt.Group) && (p.Coef == "" || p.Coef == gt.Coef) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("spec: prior %s: the formula has no group-level term for it", p)
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
