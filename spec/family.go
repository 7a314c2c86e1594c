package spec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
)

// Family is one entry of the registry of response families, the one place
// that knows a family: its links, its auxiliary parameters and their
// default priors, what the formula must or may give it (trials(), se()),
// and how to build its likelihood, with support checks, from the evaluated
// formula. Model.Check and Model.Build, Predict and the govi command all
// use it. Adding a family means writing its likelihood in package lik and
// adding its entry to the registry (family.go).
type Family struct {
	// Name is the family's name in a Model (and after govi fit --family).
	Name string
	// Links are the link functions the family takes, the default first.
	Links []string
	// Aux are the auxiliary parameters the family can have, all positive:
	// their names are prior classes. A likelihood New builds has a subset
	// (its Aux method): gaussian with se() has no sigma, student with a
	// fixed nu no nu.
	Aux []AuxParam
	// ScaleY reports that the default priors scale with sd(y) (rstanarm's
	// rule for gaussian-like families); otherwise they take s_y = 1.
	ScaleY bool
	// Trials reports that the formula must give the number of trials
	// ("y | trials(n)" or cbind(s, f)); no other family may.
	Trials bool
	// SE reports that the formula may give known standard errors
	// ("y | se(s)").
	SE bool
	// Nu reports that the degrees of freedom can be fixed (Model.Nu).
	Nu bool
	// New builds the likelihood of the evaluated response r. It checks
	// the response's support with r.Check, so that errors name the data
	// file and rows.
	New func(r Response) (Likelihood, error)
}

// AuxParam is an auxiliary parameter of a family.
type AuxParam struct {
	// Name is its name and prior class: sigma, phi, nu.
	Name string
	// Default returns its default prior, in Stan's spelling, given the
	// response y.
	Default func(y []float64) string
	// DefaultSD, when not nil, is Default given only sd(y), for data
	// streamed from a file (Model.Stream); a nil DefaultSD means that
	// Default does not look at y.
	DefaultSD func(sdY float64) string
}

// Response is what a family's New builds a likelihood from: the evaluated
// response of a formula.
type Response struct {
	// Y is the response (the successes for binomial data).
	Y []float64
	// Trials holds the binomial trials, SE the known standard errors;
	// each is nil when the formula does not give it.
	Trials, SE []float64
	// Link is the link, one of the family's Links.
	Link string
	// Nu is the fixed degrees of freedom, or 0.
	Nu float64
	// Check returns nil when ok(i) holds for every row i, and otherwise a
	// *DataError saying that the family needs what, naming the first bad
	// rows by their line numbers in the data file and their y.
	Check func(what string, ok func(i int) bool) error
}

// Likelihood is a row likelihood (model.Likelihood, whose LogLik is the
// log density of the observed y given η) with what prediction needs.
type Likelihood interface {
	model.Likelihood
	// Mean returns E[y | η, aux] for row i.
	Mean(i int, eta float64, aux []float64) float64
	// Rand draws y given η and aux for row i.
	Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64
}

func sigmaDefault(sd float64) string {
	return fmt.Sprintf("exponential(%s)", num(round3(1/sd)))
}

// The auxiliary parameters and their default priors (rstanarm's).
var (
	sigmaParam = AuxParam{Name: "sigma", Default: func(y []float64) string {
		return sigmaDefault(stat.StdDev(y, nil))
	}, DefaultSD: sigmaDefault}
	phiParam = AuxParam{Name: "phi", Default: func([]float64) string { return "exponential(1)" }}
	nuParam  = AuxParam{Name: "nu", Default: func([]float64) string { return "gamma(2, 0.1)" }}
)

// families is the registry.
var families = []*Family{
	{
		Name: "gaussian", Links: []string{"identity"}, Aux: []AuxParam{sigmaParam}, ScaleY: true, SE: true,
		New: func(r Response) (Likelihood, error) {
			// se() is checked positive when the formula is evaluated.
			if r.SE != nil {
				return wrap(lik.NewGaussianSE(r.Y, r.SE))
			}
			return wrap(lik.NewGaussian(r.Y))
		},
	},
	{
		Name: "student", Links: []string{"identity"}, Aux: []AuxParam{sigmaParam, nuParam}, ScaleY: true, Nu: true,
		New: func(r Response) (Likelihood, error) { return wrap(lik.NewStudentT(r.Y, r.Nu)) },
	},
	{
		Name: "bernoulli", Links: []string{"logit", "probit"},
		New: func(r Response) (Likelihood, error) {
			if err := r.Check("y to be 0 or 1", func(i int) bool { return r.Y[i] == 0 || r.Y[i] == 1 }); err != nil {
				return nil, err
			}
			if r.Link == "probit" {
				return wrap(lik.NewBernoulliProbit(r.Y))
			}
			return wrap(lik.NewBernoulliLogit(r.Y))
		},
	},
	{
		Name: "binomial", Links: []string{"logit"}, Trials: true,
		New: func(r Response) (Likelihood, error) {
			if err := r.Check("successes to be whole numbers between 0 and the trials", func(i int) bool {
				return r.Y[i] >= 0 && isWhole(r.Y[i]) && r.Y[i] <= r.Trials[i] && isWhole(r.Trials[i])
			}); err != nil {
				return nil, err
			}
			return wrap(lik.NewBinomialLogit(r.Y, r.Trials))
		},
	},
	{
		Name: "poisson", Links: []string{"log"},
		New: func(r Response) (Likelihood, error) {
			if err := checkCounts(r); err != nil {
				return nil, err
			}
			return wrap(lik.NewPoissonLog(r.Y))
		},
	},
	{
		Name: "negbinomial", Links: []string{"log"}, Aux: []AuxParam{phiParam},
		New: func(r Response) (Likelihood, error) {
			if err := checkCounts(r); err != nil {
				return nil, err
			}
			return wrap(lik.NewNegBinomialLog(r.Y))
		},
	},
}

func isWhole(v float64) bool { return v == math.Trunc(v) && !math.IsInf(v, 0) }

func checkCounts(r Response) error {
	return r.Check("non-negative whole counts", func(i int) bool { return r.Y[i] >= 0 && isWhole(r.Y[i]) })
}

// wrap returns l as a Likelihood, and a nil interface with an error.
func wrap[L Likelihood](l L, err error) (Likelihood, error) {
	if err != nil {
		return nil, err
	}
	return l, nil
}

// FamilyNames returns the names of the registered families, sorted.
func FamilyNames() []string {
	var n []string
	for _, f := range families {
		n = append(n, f.Name)
	}
	slices.Sort(n)
	return n
}

// LookupFamily returns the registered family called name, or an *Error
// suggesting the nearest name.
func LookupFamily(name string) (*Family, error) {
	for _, f := range families {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, errorf("unknown family %q%s; families are %s", name, suggest(name, FamilyNames()), strings.Join(FamilyNames(), ", "))
}

// auxParam returns the auxiliary parameter called name of any family.
func auxParam(name string) (AuxParam, bool) {
	for _, f := range families {
		for _, a := range f.Aux {
			if a.Name == name {
				return a, true
			}
		}
	}
	return AuxParam{}, false
}

// Classes returns the prior classes: b, Intercept, the auxiliary
// parameters of the registered families, sd and cor.
func Classes() []string {
	out := []string{"b", "Intercept"}
	for _, f := range families {
		for _, a := range f.Aux {
			if !slices.Contains(out, a.Name) {
				out = append(out, a.Name)
			}
		}
	}
	return append(out, "sd", "cor")
}

// PositiveClass reports whether the parameters of a prior class are
// positive: the group-level sds and every auxiliary parameter.
func PositiveClass(class string) bool {
	_, aux := auxParam(class)
	return class == "sd" || aux
}

// familiesWith lists the families for which has holds, for messages.
func familiesWith(has func(*Family) bool) string {
	var n []string
	for _, f := range families {
		if has(f) {
			n = append(n, f.Name)
		}
	}
	return strings.Join(n, ", ")
}
