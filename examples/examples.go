// Package examples bundles small real data sets with the model that suits
// each, for trying govi (govi fit --example NAME) and for tests: Lookup
// finds one by name and Example.Open reads its CSV.
//
// Sources and credits:
//
//   - wells: arsenic wells in Araihazar, Bangladesh (Gelman & Hill 2007,
//     "Data Analysis Using Regression and Multilevel/Hierarchical Models",
//     ch. 5; stan-dev/example-models ARM/Ch.5), as stored in posteriordb
//     (wells_data, BSD-3-Clause); dist100 = dist/100 added.
//   - radon: Minnesota radon measurements (Gelman & Hill 2007; Price, Nero
//     & Gelman 1996), posteriordb data radon_mn (BSD-3-Clause); county holds
//     posteriordb's county index.
//   - kidiq: children's test scores and mothers' education and IQ (Gelman &
//     Hill 2007, ch. 3, from the National Longitudinal Survey of Youth),
//     posteriordb data kidiq (BSD-3-Clause).
//   - eight_schools: the SAT coaching experiments of Rubin (1981), as in
//     Gelman et al., "Bayesian Data Analysis" (2013), section 5.5;
//     posteriordb data eight_schools (BSD-3-Clause); schools labelled A–H.
//   - claims: simulated by simulateClaims in data_test.go.
//
// posteriordb: https://github.com/stan-dev/posteriordb (Magnusson et al.,
// "posteriordb: a set of posteriors for Bayesian inference and
// probabilistic programming").

package examples

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/govi-dev/govi/data"
)

//go:embed data/*.csv
var files embed.FS

// Example is a bundled data set with the model that suits it.
type Example struct {
	Name        string
	File        string // the CSV's name
	Description string
	Formula     string
	Family      string
	Priors      []string
	Credit      string
}

var all = []Example{
	{
		Name:        "wells",
		File:        "wells.csv",
		Description: "Do Bangladeshi households switch from an unsafe well? (logistic regression)",
		Formula:     "switch ~ dist100 + arsenic",
		Family:      "bernoulli",
		Credit:      "Gelman & Hill (2007), ch. 5, via posteriordb",
	},
	{
		Name:        "radon",
		File:        "radon.csv",
		Description: "Log radon in Minnesota homes by floor and county (varying intercepts)",
		Formula:     "log_radon ~ floor + (1 | county)",
		Family:      "gaussian",
		Credit:      "Gelman & Hill (2007), via posteriordb",
	},
	{
		Name:        "kidiq",
		File:        "kidiq.csv",
		Description: "Child test scores by mother's high school and IQ (interaction)",
		Formula:     "kid_score ~ mom_hs * mom_iq",
		Family:      "gaussian",
		Credit:      "Gelman & Hill (2007), ch. 3, via posteriordb",
	},
	{
		Name:        "eight_schools",
		File:        "eight_schools.csv",
		Description: "Coaching effects in eight schools with known standard errors (meta-analysis)",
		Formula:     "y | se(sigma) ~ 1 + (1 | school)",
		Family:      "gaussian",
		Credit:      "Rubin (1981); Gelman et al., BDA3, section 5.5, via posteriordb",
	},
	{
		Name:        "claims",
		File:        "claims.csv",
		Description: "Simulated claim counts with policy-years as exposure (Poisson with offset)",
		Formula:     "y ~ x + offset(log(exposure))",
		Family:      "poisson",
		Credit:      "simulated (seeded) by govi's tests",
	},
}

// ErrUnknown is wrapped by Lookup's error for a name that is not an
// example.
var ErrUnknown = errors.New("examples: unknown example")

// All returns the examples in a fixed order.
func All() []Example { return append([]Example(nil), all...) }

// Names returns the examples' names.
func Names() []string {
	var n []string
	for _, e := range all {
		n = append(n, e.Name)
	}
	return n
}

// Lookup returns the named example, or an error wrapping ErrUnknown that
// suggests a close name.
func Lookup(name string) (Example, error) {
	for _, e := range all {
		if e.Name == name {
			return e, nil
		}
	}
	hint := ""
	if s, ok := data.Suggest(name, Names()); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return Example{}, fmt.Errorf("%w %q%s; examples are %s", ErrUnknown, name, hint, strings.Join(Names(), ", "))
}

// Bytes returns the example's CSV.
func (e Example) Bytes() []byte {
	b, err := files.ReadFile("data/" + e.File)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// Open returns a reader of the example's CSV.
func (e Example) Open() io.Reader { return bytes.NewReader(e.Bytes()) }

// Rows returns the number of data rows.
func (e Example) Rows() int { return bytes.Count(e.Bytes(), []byte{'\n'}) - 1 }
