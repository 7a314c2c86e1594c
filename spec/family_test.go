package spec_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// auxValues are the auxiliary parameters the registry tests use.
var auxValues = map[string]float64{"sigma": 1.3, "phi": 3.5, "nu": 5}

// registryCase is how the tests exercise one registered family.
type registryCase struct {
	// formula is a model of the family on registryCSV.
	formula string
	// discrete families are checked on their support 0..max, continuous
	// ones on a grid; trials and se give the binomial trials and the
	// known standard errors of every row.
	discrete   bool
	max        float64
	trials, se float64
	nu         float64
}

// registryCases must cover every registered family (TestRegistry says
// which one lacks a case); a family with several variants (known standard
// errors, a fixed nu) has one case per variant, keyed name/variant.
var registryCases = map[string]registryCase{
	"gaussian":         {formula: "yc ~ x"},
	"gaussian/se":      {formula: "yc | se(s) ~ x", se: 0.8},
	"student":          {formula: "yc ~ x"},
	"student/nu":       {formula: "yc ~ x", nu: 5},
	"bernoulli":        {formula: "yb ~ x", discrete: true, max: 1},
	"binomial":         {formula: "k | trials(n) ~ x", discrete: true, trials: 7},
	"poisson":          {formula: "k ~ x", discrete: true, max: 400},
	"negbinomial":      {formula: "k ~ x", discrete: true, max: 2000},
	"bernoulli/probit": {formula: "yb ~ x", discrete: true, max: 1},
}

const registryCSV = `x,yc,s,yb,k,n
-1.2,0.3,0.5,0,1,7
-0.4,-1.1,0.9,1,0,7
0.1,2.5,1.3,0,4,7
0.6,1.7,0.7,1,3,7
1.5,4.1,0.6,1,7,7
`

// Every family in the registry builds a likelihood whose density sums (or
// integrates) to 1, whose Mean is the mean of that density, and whose
// Rand draws from it (Monte Carlo mean within 5 standard errors of Mean);
// it builds a model on data and predicts from draws.
func TestRegistry(t *testing.T) {
	for _, name := range spec.FamilyNames() {
		fam, err := spec.LookupFamily(name)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for key, c := range registryCases {
			if strings.Split(key, "/")[0] != name {
				continue
			}
			found = true
			link := fam.Links[0]
			if strings.HasSuffix(key, "/probit") {
				link = "probit"
			}
			t.Run(key, func(t *testing.T) {
				checkDensity(t, fam, c, link)
				checkBuildPredict(t, fam, c, link)
			})
		}
		if !found {
			t.Errorf("family %s has no registryCase: add one", name)
		}
	}
	if _, err := spec.LookupFamily("binomal"); err == nil || !strings.Contains(err.Error(), `did you mean "binomial"`) {
		t.Errorf("LookupFamily(binomal): %v", err)
	}
}

// response returns the family's Response for responses y.
func response(c registryCase, link string, y []float64) spec.Response {
	r := spec.Response{Y: y, Link: link, Nu: c.nu, Check: func(string, func(int) bool) error { return nil }}
	if c.trials > 0 {
		r.Trials = make([]float64, len(y))
		for i := range y {
			r.Trials[i] = c.trials
		}
	}
	if c.se > 0 {
		r.SE = make([]float64, len(y))
		for i := range y {
			r.SE[i] = c.se
		}
	}
	return r
}

func checkDensity(t *testing.T, fam *spec.Family, c registryCase, link string) {
	var y, w []float64
	switch {
	case c.discrete:
		hi := c.max
		if c.trials > 0 {
			hi = c.trials
		}
		for v := 0.0; v <= hi; v++ {
			y, w = append(y, v), append(w, 1)
		}
	default:
		// Trapezoid rule on ±80 scale units around the predictors used.
		const step = 0.01
		for v := -120.0; v <= 120; v += step {
			y, w = append(y, v), append(w, step)
		}
		w[0], w[len(w)-1] = step/2, step/2
	}
	l, err := fam.New(response(c, link, y))
	if err != nil {
		t.Fatal(err)
	}
	var aux []float64
	for _, a := range l.Aux() {
		aux = append(aux, auxValues[a])
	}
	if c.nu > 0 && len(aux) != 1 || c.se > 0 && len(aux) != 0 {
		t.Errorf("auxiliary parameters %v with nu %g, se %g", l.Aux(), c.nu, c.se)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, eta := range []float64{-0.7, 0.4, 1.9} {
		var total, mean, m2 float64
		for i := range y {
			ll, _, _ := l.LogLik(i, eta, aux, nil)
			p := w[i] * math.Exp(ll)
			total += p
			mean += p * y[i]
			m2 += p * y[i] * y[i]
		}
		want := l.Mean(0, eta, aux)
		if math.Abs(total-1) > 1e-6 || math.Abs(mean-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("eta %g: density sums to %.9g with mean %.9g; Mean %.9g", eta, total, mean, want)
		}
		const n = 40000
		var sum float64
		for s := 0; s < n; s++ {
			sum += l.Rand(0, eta, aux, rng)
		}
		se := math.Sqrt((m2 - mean*mean) / n)
		if d := math.Abs(sum/n - want); d > 5*se {
			t.Errorf("eta %g: mean of Rand %.5g, Mean %.5g (5 SE = %.3g)", eta, sum/n, want, 5*se)
		}
	}
}

// checkBuildPredict builds the case's model on registryCSV and predicts the
// same rows from one draw: the linear predictor, E[y | eta] and log_pd are
// then exact.
func checkBuildPredict(t *testing.T, fam *spec.Family, c registryCase, link string) {
	fr, err := data.ReadCSV(strings.NewReader(registryCSV), "r.csv", data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := &spec.Model{Formula: c.formula, Family: fam.Name, Nu: c.nu}
	if link != fam.Links[0] {
		m.Link = link
	}
	b, err := m.Build(fr)
	if err != nil {
		t.Fatal(err)
	}
	draw := make([]float64, len(b.Names))
	draw[0], draw[1] = 0.3, 0.4 // b_Intercept, b_x
	for k, a := range b.Linear.Terms().Lik.Aux() {
		draw[2+k] = auxValues[a]
	}
	d := &report.Draws{Names: report.CSVNames(model.StanStrings(b.Params)), Rows: [][]float64{draw}, Config: map[string]string{"family": fam.Name}}
	p, err := spec.Predict(b.Spec, d, fr, 1)
	if err != nil {
		t.Fatal(err)
	}
	lik := b.Linear.Terms().Lik.(spec.Likelihood)
	x := []float64{-1.2, -0.4, 0.1, 0.6, 1.5}
	if len(p.Row) != len(x) || p.LogPD == nil {
		t.Fatalf("%d rows, log_pd %v", len(p.Row), p.LogPD)
	}
	for i, xi := range x {
		eta := 0.3 + 0.4*xi
		ll, _, _ := lik.LogLik(i, eta, draw[2:2+len(lik.Aux())], nil)
		if p.Row[i] != i+2 || math.Abs(p.LinpredMean[i]-eta) > 1e-12 || math.Abs(p.EpredMean[i]-lik.Mean(i, eta, draw[2:])) > 1e-12 || math.Abs(p.LogPD[i]-ll) > 1e-9 {
			t.Errorf("row %d: line %d, linpred %g (want %g), epred %g, log_pd %g (want %g)", i, p.Row[i], p.LinpredMean[i], eta, p.EpredMean[i], p.LogPD[i], ll)
		}
	}
}
