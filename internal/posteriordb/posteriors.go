package posteriordb

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
	"github.com/govi-dev/govi/transform"
)

// Kind classifies a posterior by its shape on govi's unconstrained scale,
// which decides how close a Gaussian q can come to it.
type Kind int

const (
	// Regression is a posterior without group-level effects: a GLM whose
	// posterior is close to Gaussian on the unconstrained scale.
	Regression Kind = iota
	// Hierarchical is a posterior with group-level effects whose sd τ is
	// a parameter: a funnel between the effects and log τ, which no
	// Gaussian matches exactly.
	Hierarchical
)

// String returns "regression" or "hierarchical".
func (k Kind) String() string {
	if k == Hierarchical {
		return "hierarchical"
	}
	return "regression"
}

// Posterior is one posteriordb posterior expressed as a govi model.
type Posterior struct {
	// Name is the posterior's name, e.g. "kidiq-kidscore_momiq", as in
	// posteriordb and shared/anchors.
	Name string
	// Reference is the reference posterior it is scored against: its own
	// name, except for the centered eight schools (scored against the
	// non-centered draws, as posteriordb does) and the non-centered radon
	// program (scored against the centered reference; see
	// shared/anchors/README.md).
	Reference string
	// Model is the log density on govi's unconstrained scale.
	Model model.Differentiable
	// Params maps θ to the reference's parameters, with its names and in
	// its order.
	Params model.Constrainer
	// Kind is the posterior's shape.
	Kind Kind
	// Centered reports centered group-level effects (for govi.Diagnose's
	// advice).
	Centered bool
	// Note says how the model is expressed, and where govi's
	// unconstrained coordinates differ from those of the Stan program.
	Note string
}

// NonCenteredRadon is the name of radon's non-centered program, which
// posteriordb holds without reference draws; it is scored against the
// centered reference.
const NonCenteredRadon = "radon_mn-radon_variable_intercept_noncentered"

// builders lists the posteriors in the order of shared/anchors/table.md.
var builders = []struct {
	name, ref string
	build     func(d data) (*Posterior, error)
}{
	{"eight_schools-eight_schools_noncentered", "", func(d data) (*Posterior, error) { return eightSchools(d, false) }},
	{"eight_schools-eight_schools_centered", "eight_schools-eight_schools_noncentered", func(d data) (*Posterior, error) { return eightSchools(d, true) }},
	{"kidiq-kidscore_momiq", "", kidscoreMomiq},
	{"kidiq-kidscore_interaction", "", kidscoreInteraction},
	{"kidiq_with_mom_work-kidscore_interaction_c", "", kidscoreInteractionC},
	{"kilpisjarvi_mod-kilpisjarvi", "", kilpisjarvi},
	{"mesquite-mesquite", "", func(d data) (*Posterior, error) { return mesquite(d, false) }},
	{"mesquite-logmesquite", "", func(d data) (*Posterior, error) { return mesquite(d, true) }},
	{"mesquite-logmesquite_logvolume", "", logmesquiteLogvolume},
	{"earnings-earn_height", "", earnHeight},
	{"earnings-logearn_interaction", "", logearnInteraction},
	{"nes2000-nes", "", nes},
	{"sblrc-blr", "", blr},
	{"diamonds-diamonds", "", diamonds},
	{"wells_data-wells_dist", "", wellsDist},
	{"wells_data-wells_dae_inter_model", "", wellsDaeInter},
	{"GLM_Poisson_Data-GLM_Poisson_model", "", glmPoisson},
	{"radon_mn-radon_variable_intercept_centered", "", func(d data) (*Posterior, error) { return radon(d, true) }},
	{NonCenteredRadon, "radon_mn-radon_variable_intercept_centered", func(d data) (*Posterior, error) { return radon(d, false) }},
	{"seeds_data-seeds_stanified_model", "", seeds},
}

// Names returns the names of the posteriors Load knows: the 14 of
// shared/posteriordb, the 5 of shared/posteriordb-extra and radon's
// non-centered program, in the order of shared/anchors/table.md.
func Names() []string {
	names := make([]string, len(builders))
	for i, b := range builders {
		names[i] = b.name
	}
	return names
}

// Load reads the named posterior's data and returns it as a govi model.
// It returns an error wrapping ErrNoShared when the shared folder is
// absent.
func Load(name string) (*Posterior, error) {
	for _, b := range builders {
		if b.name != name {
			continue
		}
		ref := b.ref
		if ref == "" {
			ref = name
		}
		// radon's non-centered program shares the centered one's data.
		dir, err := dirOf(ref)
		if err != nil {
			return nil, err
		}
		d, err := readData(dir)
		if err != nil {
			return nil, err
		}
		p, err := b.build(d)
		if err != nil {
			return nil, fmt.Errorf("posteriordb: %s: %w", name, err)
		}
		p.Name, p.Reference = name, ref
		return p, nil
	}
	return nil, fmt.Errorf("posteriordb: unknown posterior %q", name)
}

// refParam defines a reference parameter as the sum of one or more of the
// model's constrained quantities (e.g. theta[1] = mu + r_school[1,Intercept]).
type refParam struct {
	name string
	sum  []string
}

// refMap is a model.Constrainer that maps θ to reference parameters.
type refMap struct {
	c     model.Constrainer
	n     int
	names []string
	terms [][]int
}

func newRefMap(c model.Constrainer, ps []refParam) (*refMap, error) {
	have := c.ConstrainedNames()
	at := make(map[string]int, len(have))
	for i, n := range have {
		at[n] = i
	}
	r := &refMap{c: c, n: len(have)}
	for _, p := range ps {
		sum := p.sum
		if sum == nil {
			sum = []string{p.name}
		}
		var idx []int
		for _, s := range sum {
			i, ok := at[s]
			if !ok {
				return nil, fmt.Errorf("model has no constrained quantity %q (for %s)", s, p.name)
			}
			idx = append(idx, i)
		}
		r.names = append(r.names, p.name)
		r.terms = append(r.terms, idx)
	}
	return r, nil
}

// ConstrainedNames returns the reference's names.
func (r *refMap) ConstrainedNames() []string { return r.names }

// Constrain stores the reference parameters at θ in dst.
func (r *refMap) Constrain(dst, theta []float64) {
	// A fresh buffer per call: Constrain runs concurrently in govi.Sample.
	c := make([]float64, r.n)
	r.c.Constrain(c, theta)
	for i, t := range r.terms {
		s := 0.0
		for _, j := range t {
			s += c[j]
		}
		dst[i] = s
	}
}

// same returns reference parameters named exactly as the model's.
func same(names ...string) []refParam {
	ps := make([]refParam, len(names))
	for i, n := range names {
		ps[i] = refParam{name: n}
	}
	return ps
}

// Indexed returns base[1], …, base[n].
func Indexed(base string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s[%d]", base, i+1)
	}
	return s
}

// design builds the N×p design matrix from columns.
func design(cols ...[]float64) (*mat.Dense, error) {
	n := len(cols[0])
	x := mat.NewDense(n, len(cols), nil)
	for j, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("column %d has %d rows, want %d", j+1, len(c), n)
		}
		x.SetCol(j, c)
	}
	return x, nil
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// Mapf returns f applied to every element of x.
func Mapf(f func(float64) float64, x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

// Mul returns the elementwise product of a and b.
func Mul(a, b []float64) []float64 {
	y := make([]float64, len(a))
	for i := range a {
		y[i] = a[i] * b[i]
	}
	return y
}

// Centred returns x minus its mean.
func Centred(x []float64) []float64 {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	return Mapf(func(v float64) float64 { return v - m }, x)
}

// flat returns n nil priors (flat on R), spelled out for clarity.
func flat(n int) []model.Prior { return make([]model.Prior, n) }

// vecs decodes several vectors of data.
func (d data) vecs(keys ...string) ([][]float64, error) {
	out := make([][]float64, len(keys))
	for i, k := range keys {
		v, err := d.vec(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// regression builds a Linear model without groups whose reference
// parameters are its columns and auxiliary parameters, named as in the
// reference.
func regression(t model.Terms, refNames []string, note string) (*Posterior, error) {
	m, err := model.NewLinear(t)
	if err != nil {
		return nil, err
	}
	rm, err := newRefMap(m, same(refNames...))
	if err != nil {
		return nil, err
	}
	return &Posterior{Model: m, Params: rm, Kind: Regression, Note: note}, nil
}

// gaussianRegression is y ~ normal(X β, σ) with the given column names and
// priors and the prior sigmaPrior on σ (nil: flat on (0, ∞)); the
// reference names are the column names followed by "sigma".
func gaussianRegression(y []float64, x *mat.Dense, names []string, coef []model.Prior, sigmaPrior model.Prior, note string) (*Posterior, error) {
	return gaussianRegressionRef(y, x, names, coef, sigmaPrior, append(append([]string(nil), names...), "sigma"), note)
}

// gaussianRegressionRef is gaussianRegression with the reference's names
// in the reference's order.
func gaussianRegressionRef(y []float64, x *mat.Dense, names []string, coef []model.Prior, sigmaPrior model.Prior, refNames []string, note string) (*Posterior, error) {
	g, err := lik.NewGaussian(y)
	if err != nil {
		return nil, err
	}
	return regression(model.Terms{Lik: g, X: x, Names: names, Coef: coef, Aux: []model.Prior{sigmaPrior}}, refNames, note)
}

// eightSchools: y_j ~ normal(theta_j, sigma_j) with known sigma_j,
// theta_j = mu + r_j, r_j ~ normal(0, tau), mu ~ normal(0, 5),
// tau ~ half-Cauchy(0, 5).
func eightSchools(d data, centered bool) (*Posterior, error) {
	v, err := d.vecs("y", "sigma")
	if err != nil {
		return nil, err
	}
	y, se := v[0], v[1]
	l, err := lik.NewGaussianSE(y, se)
	if err != nil {
		return nil, err
	}
	j := len(y)
	levels, index := make([]string, j), make([]int, j)
	for i := range levels {
		levels[i], index[i] = strconv.Itoa(i+1), i
	}
	x, _ := design(ones(j))
	m, err := model.NewLinear(model.Terms{
		Lik: l, X: x, Names: []string{"mu"},
		Coef: []model.Prior{prior.Normal{Mu: 0, Sigma: 5}},
		Groups: []model.Group{{
			Name: "school", Coef: "Intercept", Levels: levels, Index: index,
			SD: prior.HalfCauchy{Sigma: 5}, Centered: centered,
		}},
	})
	if err != nil {
		return nil, err
	}
	var ps []refParam
	for i, n := range Indexed("theta", j) {
		ps = append(ps, refParam{n, []string{"mu", fmt.Sprintf("r_school[%d,Intercept]", i+1)}})
	}
	ps = append(ps, refParam{"mu", nil}, refParam{"tau", []string{"sd_school__Intercept"}})
	rm, err := newRefMap(m, ps)
	if err != nil {
		return nil, err
	}
	note := "theta_j = mu + tau*z_j with z_j ~ normal(0, 1): govi's non-centered group, the same coordinates (z, mu, log tau) as the Stan program."
	if centered {
		note = "theta_j = mu + r_j with r_j ~ normal(0, tau): govi's centered group. The posterior is the same as the Stan program's, but govi's coordinates are (r, mu, log tau), r = theta - mu, instead of (theta, mu, log tau): a shear with unit Jacobian. Full-rank q is unaffected (the Gaussian family is closed under linear maps); a mean-field q factorizes over r_j instead of theta_j."
	}
	return &Posterior{Model: m, Params: rm, Kind: Hierarchical, Centered: centered, Note: note}, nil
}

func kidscoreMomiq(d data) (*Posterior, error) {
	v, err := d.vecs("kid_score", "mom_iq")
	if err != nil {
		return nil, err
	}
	x, err := design(ones(len(v[0])), v[1])
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, Indexed("beta", 2), flat(2), prior.HalfCauchy{Sigma: 2.5},
		"kid_score ~ normal(beta[1] + beta[2] mom_iq, sigma); beta flat, sigma ~ half-Cauchy(0, 2.5).")
}

func kidscoreInteraction(d data) (*Posterior, error) {
	v, err := d.vecs("kid_score", "mom_hs", "mom_iq")
	if err != nil {
		return nil, err
	}
	x, err := design(ones(len(v[0])), v[1], v[2], Mul(v[1], v[2]))
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, Indexed("beta", 4), flat(4), prior.HalfCauchy{Sigma: 2.5},
		"kid_score ~ normal(beta · (1, mom_hs, mom_iq, mom_hs·mom_iq), sigma); beta flat, sigma ~ half-Cauchy(0, 2.5).")
}

func kidscoreInteractionC(d data) (*Posterior, error) {
	v, err := d.vecs("kid_score", "mom_hs", "mom_iq")
	if err != nil {
		return nil, err
	}
	hs, iq := Centred(v[1]), Centred(v[2])
	x, err := design(ones(len(v[0])), hs, iq, Mul(hs, iq))
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, Indexed("beta", 4), flat(4), nil,
		"kid_score ~ normal(beta · (1, c_mom_hs, c_mom_iq, c_mom_hs·c_mom_iq), sigma) with centred covariates; beta flat, sigma flat on (0, inf).")
}

func kilpisjarvi(d data) (*Posterior, error) {
	v, err := d.vecs("y", "x")
	if err != nil {
		return nil, err
	}
	var h [4]float64
	for i, k := range []string{"pmualpha", "psalpha", "pmubeta", "psbeta"} {
		if h[i], err = d.scalar(k); err != nil {
			return nil, err
		}
	}
	x, err := design(ones(len(v[0])), v[1])
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, []string{"alpha", "beta"},
		[]model.Prior{prior.Normal{Mu: h[0], Sigma: h[1]}, prior.Normal{Mu: h[2], Sigma: h[3]}}, nil,
		"y ~ normal(alpha + beta x, sigma), x uncentred; alpha ~ normal(pmualpha, psalpha), beta ~ normal(pmubeta, psbeta), sigma flat on (0, inf).")
}

func mesquite(d data, logged bool) (*Posterior, error) {
	v, err := d.vecs("weight", "diam1", "diam2", "canopy_height", "total_height", "density", "group")
	if err != nil {
		return nil, err
	}
	note := "weight ~ normal(beta · (1, diam1, diam2, canopy_height, total_height, density, group), sigma); beta flat, sigma flat on (0, inf)."
	if logged {
		// Every variable but group is logged.
		for i := 0; i < 6; i++ {
			v[i] = Mapf(math.Log, v[i])
		}
		note = "log weight ~ normal(beta · (1, log diam1, log diam2, log canopy_height, log total_height, log density, group), sigma); beta flat, sigma flat on (0, inf)."
	}
	x, err := design(ones(len(v[0])), v[1], v[2], v[3], v[4], v[5], v[6])
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, Indexed("beta", 7), flat(7), nil, note)
}

func logmesquiteLogvolume(d data) (*Posterior, error) {
	v, err := d.vecs("weight", "diam1", "diam2", "canopy_height")
	if err != nil {
		return nil, err
	}
	vol := make([]float64, len(v[0]))
	for i := range vol {
		vol[i] = math.Log(v[1][i] * v[2][i] * v[3][i])
	}
	x, err := design(ones(len(vol)), vol)
	if err != nil {
		return nil, err
	}
	return gaussianRegression(Mapf(math.Log, v[0]), x, Indexed("beta", 2), flat(2), nil,
		"log weight ~ normal(beta[1] + beta[2] log(diam1·diam2·canopy_height), sigma); beta flat, sigma flat on (0, inf).")
}

func earnHeight(d data) (*Posterior, error) {
	v, err := d.vecs("earn", "height")
	if err != nil {
		return nil, err
	}
	x, err := design(ones(len(v[0])), v[1])
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, Indexed("beta", 2), flat(2), nil,
		"earn ~ normal(beta[1] + beta[2] height, sigma) in dollars; beta flat, sigma flat on (0, inf).")
}

func logearnInteraction(d data) (*Posterior, error) {
	v, err := d.vecs("earn", "height", "male")
	if err != nil {
		return nil, err
	}
	x, err := design(ones(len(v[0])), v[1], v[2], Mul(v[1], v[2]))
	if err != nil {
		return nil, err
	}
	return gaussianRegression(Mapf(math.Log, v[0]), x, Indexed("beta", 4), flat(4), nil,
		"log earn ~ normal(beta · (1, height, male, height·male), sigma); beta flat, sigma flat on (0, inf).")
}

func nes(d data) (*Posterior, error) {
	v, err := d.vecs("partyid7", "real_ideo", "race_adj", "age_discrete", "educ1", "gender", "income")
	if err != nil {
		return nil, err
	}
	age := v[3]
	dummy := func(k float64) []float64 {
		return Mapf(func(a float64) float64 {
			if a == k {
				return 1
			}
			return 0
		}, age)
	}
	x, err := design(ones(len(v[0])), v[1], v[2], dummy(2), dummy(3), dummy(4), v[4], v[5], v[6])
	if err != nil {
		return nil, err
	}
	return gaussianRegression(v[0], x, Indexed("beta", 9), flat(9), nil,
		"partyid7 ~ normal(beta · (1, real_ideo, race_adj, age30_44, age45_64, age65up, educ1, gender, income), sigma); beta flat, sigma flat on (0, inf).")
}

func blr(d data) (*Posterior, error) {
	y, err := d.vec("y")
	if err != nil {
		return nil, err
	}
	x, err := d.rows("X")
	if err != nil {
		return nil, err
	}
	_, p := x.Dims()
	coef := make([]model.Prior, p)
	for j := range coef {
		coef[j] = prior.Normal{Mu: 0, Sigma: 10}
	}
	return gaussianRegression(y, x, Indexed("beta", p), coef, prior.HalfNormal{Sigma: 10},
		"y ~ normal(X beta, sigma), no intercept; beta ~ normal(0, 10), sigma ~ half-normal(0, 10).")
}

func diamonds(d data) (*Posterior, error) {
	y, err := d.vec("Y")
	if err != nil {
		return nil, err
	}
	raw, err := d.rows("X")
	if err != nil {
		return nil, err
	}
	n, k := raw.Dims()
	// Drop the intercept column and centre the others; Intercept is the
	// intercept of the centred design.
	cols := [][]float64{ones(n)}
	names := []string{"Intercept"}
	coef := []model.Prior{prior.StudentT{Nu: 3, Mu: 8, Sigma: 10}}
	for j := 1; j < k; j++ {
		cols = append(cols, Centred(mat.Col(nil, j, raw)))
		names = append(names, fmt.Sprintf("b[%d]", j))
		coef = append(coef, prior.Normal{Mu: 0, Sigma: 1})
	}
	x, err := design(cols...)
	if err != nil {
		return nil, err
	}
	// The reference lists b[1..Kc], Intercept, sigma.
	refNames := append(append(append([]string(nil), names[1:]...), "Intercept"), "sigma")
	return gaussianRegressionRef(y, x, names, coef, prior.HalfStudentT{Nu: 3, Sigma: 10}, refNames,
		"Y ~ normal(Intercept + Xc b, sigma), Xc = X without its intercept column, column-centred; b ~ normal(0, 1), Intercept ~ student_t(3, 8, 10), sigma ~ half-student_t(3, 0, 10).")
}

func wellsDist(d data) (*Posterior, error) {
	v, err := d.vecs("switched", "dist")
	if err != nil {
		return nil, err
	}
	l, err := lik.NewBernoulliLogit(v[0])
	if err != nil {
		return nil, err
	}
	x, err := design(ones(len(v[0])), v[1])
	if err != nil {
		return nil, err
	}
	names := Indexed("beta", 2)
	return regression(model.Terms{Lik: l, X: x, Names: names, Coef: flat(2)}, names,
		"switched ~ bernoulli_logit(beta[1] + beta[2] dist), dist in metres; beta flat.")
}

func wellsDaeInter(d data) (*Posterior, error) {
	v, err := d.vecs("switched", "dist", "arsenic", "educ")
	if err != nil {
		return nil, err
	}
	l, err := lik.NewBernoulliLogit(v[0])
	if err != nil {
		return nil, err
	}
	dist := Mapf(func(x float64) float64 { return x / 100 }, Centred(v[1]))
	ars := Centred(v[2])
	educ := Mapf(func(x float64) float64 { return x / 4 }, Centred(v[3]))
	x, err := design(ones(len(v[0])), dist, ars, educ, Mul(dist, ars), Mul(dist, educ), Mul(ars, educ))
	if err != nil {
		return nil, err
	}
	names := append([]string{"alpha"}, Indexed("beta", 6)...)
	return regression(model.Terms{Lik: l, X: x, Names: names, Coef: flat(7)}, names,
		"switched ~ bernoulli_logit(alpha + x beta), x = (c_dist100, c_arsenic, c_educ4, da, de, ae); all flat.")
}

// glmPoisson is C_t ~ poisson_log(alpha + beta1 year_t + beta2 year_t² +
// beta3 year_t³) with alpha uniform on (−20, 20) and the betas uniform on
// (−10, 10), on Stan's logit-scaled unconstrained coordinates. The bounds
// make it a model.Constrained rather than a Linear model (whose
// coefficients are unbounded).
func glmPoisson(d data) (*Posterior, error) {
	v, err := d.vecs("C", "year")
	if err != nil {
		return nil, err
	}
	c, yr := v[0], v[1]
	n := len(c)
	// −log C_t! (Stan's ~ drops it) and the uniform densities keep the log
	// density normalized; neither depends on the parameters.
	konst := -math.Log(40) - 3*math.Log(20)
	for _, k := range c {
		lg, _ := math.Lgamma(k + 1)
		konst -= lg
	}
	f := func(grad, x []float64) float64 {
		lp := konst
		if grad != nil {
			clear(grad)
		}
		for t := 0; t < n; t++ {
			y := yr[t]
			eta := x[0] + y*(x[1]+y*(x[2]+y*x[3]))
			mu := math.Exp(eta)
			lp += c[t]*eta - mu
			if grad != nil {
				r := c[t] - mu
				grad[0] += r
				grad[1] += r * y
				grad[2] += r * y * y
				grad[3] += r * y * y * y
			}
		}
		return lp
	}
	ab := transform.Interval{A: -20, B: 20}
	bb := transform.Interval{A: -10, B: 10}
	m, err := model.NewConstrained([]model.Param{
		{Name: "alpha", Transform: ab},
		{Name: "beta1", Transform: bb},
		{Name: "beta2", Transform: bb},
		{Name: "beta3", Transform: bb},
	}, f)
	if err != nil {
		return nil, err
	}
	rm, err := newRefMap(m, same("alpha", "beta1", "beta2", "beta3"))
	if err != nil {
		return nil, err
	}
	return &Posterior{Model: m, Params: rm, Kind: Regression,
		Note: "C ~ poisson_log(alpha + beta1 year + beta2 year^2 + beta3 year^3); alpha uniform on (-20, 20), betas uniform on (-10, 10), with Stan's logit-scaled interval transform (model.Constrained, hand-written gradient)."}, nil
}

// radon is log_radon ~ normal(alpha[county] + beta floor, sigma_y) with
// alpha_j = mu_alpha + r_j, r_j ~ normal(0, sigma_alpha).
func radon(d data, centered bool) (*Posterior, error) {
	v, err := d.vecs("log_radon", "floor_measure", "county_idx")
	if err != nil {
		return nil, err
	}
	j, err := d.scalar("J")
	if err != nil {
		return nil, err
	}
	nj := int(j)
	g, err := lik.NewGaussian(v[0])
	if err != nil {
		return nil, err
	}
	index := make([]int, len(v[2]))
	for i, c := range v[2] {
		if c != math.Trunc(c) || c < 1 || int(c) > nj {
			return nil, fmt.Errorf("county_idx[%d] = %g is not in 1..%d", i+1, c, nj)
		}
		index[i] = int(c) - 1
	}
	levels := make([]string, nj)
	for i := range levels {
		levels[i] = strconv.Itoa(i + 1)
	}
	x, err := design(ones(len(v[0])), v[1])
	if err != nil {
		return nil, err
	}
	m, err := model.NewLinear(model.Terms{
		Lik: g, X: x, Names: []string{"mu_alpha", "beta"},
		Coef: []model.Prior{prior.Normal{Mu: 0, Sigma: 10}, prior.Normal{Mu: 0, Sigma: 10}},
		Aux:  []model.Prior{prior.HalfNormal{Sigma: 1}},
		Groups: []model.Group{{
			Name: "county", Coef: "Intercept", Levels: levels, Index: index,
			SD: prior.HalfNormal{Sigma: 1}, Centered: centered,
		}},
	})
	if err != nil {
		return nil, err
	}
	var ps []refParam
	for i, n := range Indexed("alpha", nj) {
		ps = append(ps, refParam{n, []string{"mu_alpha", fmt.Sprintf("r_county[%d,Intercept]", i+1)}})
	}
	ps = append(ps, refParam{"beta", nil}, refParam{"mu_alpha", nil},
		refParam{"sigma_alpha", []string{"sd_county__Intercept"}}, refParam{"sigma_y", []string{"sigma"}})
	rm, err := newRefMap(m, ps)
	if err != nil {
		return nil, err
	}
	note := "alpha_j = mu_alpha + sigma_alpha*z_j with z_j ~ normal(0, 1): govi's non-centered group, the same coordinates as the Stan program (alpha_raw = z)."
	if centered {
		note = "alpha_j = mu_alpha + r_j with r_j ~ normal(0, sigma_alpha): govi's centered group. Same posterior as the Stan program, but govi's coordinates are r = alpha - mu_alpha instead of alpha (a shear with unit Jacobian): full-rank q is unaffected, a mean-field q factorizes over r_j instead of alpha_j."
	}
	return &Posterior{Model: m, Params: rm, Kind: Hierarchical, Centered: centered, Note: note}, nil
}

// seeds is n_i ~ binomial_logit(N_i, alpha0 + alpha1 x1 + alpha2 x2 +
// alpha12 x1 x2 + b_i) with b_i ~ normal(0, sigma) centered.
func seeds(d data) (*Posterior, error) {
	v, err := d.vecs("n", "N", "x1", "x2")
	if err != nil {
		return nil, err
	}
	l, err := lik.NewBinomialLogit(v[0], v[1])
	if err != nil {
		return nil, err
	}
	np := len(v[0])
	levels, index := make([]string, np), make([]int, np)
	for i := range levels {
		levels[i], index[i] = strconv.Itoa(i+1), i
	}
	x, err := design(ones(np), v[2], v[3], Mul(v[2], v[3]))
	if err != nil {
		return nil, err
	}
	n01 := prior.Normal{Mu: 0, Sigma: 1}
	m, err := model.NewLinear(model.Terms{
		Lik: l, X: x, Names: []string{"alpha0", "alpha1", "alpha2", "alpha12"},
		Coef: []model.Prior{n01, n01, n01, n01},
		Groups: []model.Group{{
			Name: "plate", Coef: "Intercept", Levels: levels, Index: index,
			SD: prior.HalfCauchy{Sigma: 1}, Centered: true,
		}},
	})
	if err != nil {
		return nil, err
	}
	ps := same("alpha0", "alpha1", "alpha12", "alpha2")
	for i, n := range Indexed("b", np) {
		ps = append(ps, refParam{n, []string{fmt.Sprintf("r_plate[%d,Intercept]", i+1)}})
	}
	ps = append(ps, refParam{"sigma", []string{"sd_plate__Intercept"}})
	rm, err := newRefMap(m, ps)
	if err != nil {
		return nil, err
	}
	return &Posterior{Model: m, Params: rm, Kind: Hierarchical, Centered: true,
		Note: "n ~ binomial_logit(N, alpha0 + alpha1 x1 + alpha2 x2 + alpha12 x1 x2 + b), b_i ~ normal(0, sigma) centered (govi's centered group: b = r, the Stan program's coordinates); alphas ~ normal(0, 1), sigma ~ half-Cauchy(0, 1)."}, nil
}
