package main

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/govi-dev/govi/data"
)

// The bundled example data sets. Sources and credits:
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
//   - claims: simulated by simulateClaims in examples_data_test.go.
//
// posteriordb: https://github.com/stan-dev/posteriordb (Magnusson et al.,
// "posteriordb: a set of posteriors for Bayesian inference and
// probabilistic programming").

//go:embed examples/*.csv
var exampleFS embed.FS

// example is a bundled data set with the model that suits it.
type example struct {
	Name        string
	File        string // file in examples/
	Description string
	Formula     string
	Family      string
	Priors      []string
	Credit      string
}

var examples = []example{
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

func exampleNames() []string {
	var n []string
	for _, e := range examples {
		n = append(n, e.Name)
	}
	return n
}

// findExample returns the named example or a usage error.
func findExample(name string) (*example, error) {
	for i := range examples {
		if examples[i].Name == name {
			return &examples[i], nil
		}
	}
	hint := ""
	if s := suggestName(name, exampleNames()); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, usageErrorf("unknown example %q%s; examples are %s (see 'govi examples')", name, hint, strings.Join(exampleNames(), ", "))
}

// bytes returns the example's CSV.
func (e *example) bytes() []byte {
	b, err := exampleFS.ReadFile("examples/" + e.File)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// rows counts the data rows of the example.
func (e *example) rows() int {
	return bytes.Count(e.bytes(), []byte{'\n'}) - 1
}

func suggestName(name string, options []string) string {
	if s, ok := data.Suggest(name, options); ok {
		return s
	}
	return ""
}

func runExamples(args []string, stdout, stderr io.Writer) error {
	if done, err := noArgs("examples", args, examplesHelp, stdout); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "name\trows\tfamily\tformula\tdescription")
	for _, e := range examples {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", e.Name, e.rows(), e.Family, e.Formula, e.Description)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nSources:")
	for _, e := range examples {
		fmt.Fprintf(stdout, "  %-14s %s\n", e.Name, e.Credit)
	}
	fmt.Fprintln(stdout, "\nFit one with: govi fit --example NAME   (e.g. govi fit --example wells)")
	return nil
}
