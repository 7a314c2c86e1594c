// Command govibench writes the problems of the benchmark (bench/run_all.sh):
// for every posterior of shared/posteriordb and shared/posteriordb-extra
// (the names of internal/posteriordb) and for generated logistic
// regressions, a folder with data.csv (the data after model.md's
// transforms) and problem.json, which says how each system fits it:
//
//   - govi: the `govi fit` formula, family and priors;
//   - Stan: rstanarm's stan_glm call with the same priors where rstanarm
//     can express the model, otherwise a Stan program of bench/stan/ run by
//     rstan with posteriordb's data.json;
//   - how each reference parameter is computed from each system's draws
//     (a sum of draw columns: theta[j] = b_Intercept + r_school[j,Intercept]);
//   - the NUTS reference means and sds (posteriordb), or none for the
//     generated regressions, whose reference is the rstanarm sampling run.
//
// Usage: go run ./bench/govibench -out DIR [-only a,b] [-synth 10000x20,100000x100]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/govi-dev/govi/internal/posteriordb"
)

// Problem is problem.json.
type Problem struct {
	Name   string   `json:"name"`
	Source string   `json:"source"`
	Rows   int      `json:"rows"`
	Data   string   `json:"data"`
	Govi   Govi     `json:"govi"`
	Stan   Stan     `json:"stan"`
	Params []Param  `json:"params"`
	Ref    *RefSumm `json:"ref"`
	Note   string   `json:"note"`
}

// Govi is the command line of a govi fit.
type Govi struct {
	Formula string   `json:"formula"`
	Family  string   `json:"family"`
	Priors  []string `json:"priors"`
	// Flags apply to every govi run; Centered is the program's
	// parameterization, passed to the explicit-family runs only (the
	// default run keeps --parameterization auto).
	Flags    []string `json:"flags"`
	Centered *bool    `json:"centered,omitempty"`
}

// Stan says how Stan fits the problem: kind "rstanarm" (Fun, Formula,
// Family and Args, R expressions) or "rstan" (Program and StanData).
type Stan struct {
	Kind     string            `json:"kind"`
	Fun      string            `json:"fun,omitempty"`
	Formula  string            `json:"formula,omitempty"`
	Family   string            `json:"family,omitempty"`
	Args     map[string]string `json:"args,omitempty"`
	Program  string            `json:"program,omitempty"`
	StanData string            `json:"stan_data,omitempty"`
	Why      string            `json:"why,omitempty"`
}

// Param is one reference parameter as sums of draw columns.
type Param struct {
	Ref  string   `json:"ref"`
	Govi []string `json:"govi"`
	Stan []string `json:"stan"`
}

// RefSumm is the NUTS reference.
type RefSumm struct {
	Name  string    `json:"name"`
	Names []string  `json:"names"`
	Mean  []float64 `json:"mean"`
	SD    []float64 `json:"sd"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("govibench: ")
	out := flag.String("out", "", "output folder (required)")
	only := flag.String("only", "", "comma-separated posterior names (default: all)")
	synthList := flag.String("synth", "10000x20,10000x100,100000x20,100000x100", "generated logistic regressions, ROWSxCOLS, comma-separated (empty: none)")
	stanDir := flag.String("stan", "bench/stan", "folder of the Stan programs")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	outDir = *out
	stanAbs, err := filepath.Abs(*stanDir)
	if err != nil {
		log.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	var names []string
	for _, name := range posteriordb.Names() {
		if len(want) > 0 && !want[name] {
			continue
		}
		p, err := build(name, stanAbs)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := check(p); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := write(*out, p); err != nil {
			log.Fatal(err)
		}
		names = append(names, name)
	}
	for _, s := range strings.Split(*synthList, ",") {
		if s == "" {
			continue
		}
		var n, d int
		if _, err := fmt.Sscanf(s, "%dx%d", &n, &d); err != nil {
			log.Fatalf("-synth %q: want ROWSxCOLS", s)
		}
		p, err := synthetic(*out, n, d)
		if err != nil {
			log.Fatal(err)
		}
		if err := write(*out, p); err != nil {
			log.Fatal(err)
		}
		names = append(names, p.Name)
	}
	if err := os.WriteFile(filepath.Join(*out, "problems.txt"), []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d problems to %s", len(names), *out)
}

// check compares the reference names with those internal/posteriordb maps
// its govi model to, so the two mappings cannot drift apart.
func check(p *Problem) error {
	m, err := posteriordb.Load(p.Name)
	if err != nil {
		return err
	}
	want := m.Params.ConstrainedNames()
	if len(want) != len(p.Params) {
		return fmt.Errorf("%d parameters, internal/posteriordb has %d", len(p.Params), len(want))
	}
	for i, w := range want {
		if p.Params[i].Ref != w || p.Ref.Names[i] != w {
			return fmt.Errorf("parameter %d is %s, internal/posteriordb and the reference say %s", i+1, p.Params[i].Ref, w)
		}
	}
	return nil
}

func write(out string, p *Problem) error {
	dir := filepath.Join(out, p.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "problem.json"), append(b, '\n'), 0o644)
}

// table is a data.csv under construction: named columns of equal length.
type table struct {
	names []string
	cols  [][]float64
	text  map[int]bool // columns written as level labels
}

func (t *table) add(name string, v []float64) {
	t.names = append(t.names, name)
	t.cols = append(t.cols, v)
}

func (t *table) writeCSV(path string) error {
	var sb strings.Builder
	sb.WriteString(strings.Join(t.names, ","))
	sb.WriteByte('\n')
	for i := range t.cols[0] {
		for j, c := range t.cols {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatFloat(c[i], 'g', -1, 64))
		}
		sb.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// flatGaussian are the priors of the ARM regressions: flat coefficients
// and a flat sigma on (0, inf).
var (
	flatGovi     = []string{"Intercept ~ flat", "b ~ flat", "sigma ~ flat"}
	flatRstanarm = map[string]string{"prior": "NULL", "prior_intercept": "NULL", "prior_aux": "NULL"}
)

// linear maps reference names to govi's b_ columns and rstanarm's columns
// (the intercept is "(Intercept)" there).
func linear(ref []string, cols []string) []Param {
	ps := make([]Param, len(ref))
	for i, r := range ref {
		c := cols[i]
		g, s := "b_"+c, c
		switch c {
		case "Intercept":
			s = "(Intercept)"
		case "sigma":
			g = "sigma"
		}
		ps[i] = Param{Ref: r, Govi: []string{g}, Stan: []string{s}}
	}
	return ps
}

func build(name, stanDir string) (*Problem, error) {
	sh, err := posteriordb.Dir()
	if err != nil {
		return nil, err
	}
	refName := name
	if m, err := posteriordb.Load(name); err == nil {
		refName = m.Reference
	} else {
		return nil, err
	}
	src := "posteriordb"
	dir := filepath.Join(sh, src, refName)
	if _, err := os.Stat(dir); err != nil {
		src = "posteriordb-extra"
		dir = filepath.Join(sh, src, refName)
	}
	dataDir := dir
	d, err := posteriordb.ReadJSON(filepath.Join(dataDir, "data.json"))
	if err != nil {
		return nil, err
	}
	ref, err := posteriordb.LoadReference(refName)
	if err != nil {
		return nil, err
	}
	vec := func(k string) []float64 { return posteriordb.Vec(d, k) }
	scalar := func(k string) float64 {
		var v float64
		if err := json.Unmarshal(d[k], &v); err != nil {
			panic(fmt.Sprintf("%s: %s: %v", name, k, err))
		}
		return v
	}
	t := &table{}
	p := &Problem{Name: name, Source: src, Ref: &RefSumm{Name: refName, Names: ref.Names, Mean: ref.Mean, SD: ref.SD}}
	glm := func(y string, cols []string, family string, goviPriors []string, args map[string]string, note string) {
		p.Govi = Govi{Formula: y + " ~ " + strings.Join(cols, " + "), Family: family, Priors: goviPriors}
		rf := map[string]string{"gaussian": "gaussian()", "bernoulli": "binomial(link = \"logit\")", "poisson": "poisson()"}[family]
		p.Stan = Stan{Kind: "rstanarm", Fun: "stan_glm", Formula: p.Govi.Formula, Family: rf, Args: args}
		p.Note = note
	}
	rstan := func(program, why string) {
		p.Stan = Stan{Kind: "rstan", Program: filepath.Join(stanDir, program), StanData: filepath.Join(dataDir, "data.json"), Why: why}
	}
	stanSame := func() {
		for i := range p.Params {
			p.Params[i].Stan = []string{p.Params[i].Ref}
		}
	}
	switch name {
	case "eight_schools-eight_schools_noncentered", "eight_schools-eight_schools_centered":
		centered := name == "eight_schools-eight_schools_centered"
		y, s := vec("y"), vec("sigma")
		t.add("y", y)
		t.add("sigma", s)
		t.add("school", posteriordb.Mapf(func(float64) float64 { return 0 }, y))
		for i := range y {
			t.cols[2][i] = float64(i + 1)
		}
		p.Govi = Govi{Formula: "y | se(sigma) ~ 1 + (1 | school)", Family: "gaussian",
			Priors: []string{"Intercept ~ normal(0, 5)", "sd ~ half_cauchy(0, 5)"}, Centered: &centered}
		for i := range y {
			p.Params = append(p.Params, Param{Ref: fmt.Sprintf("theta[%d]", i+1), Govi: []string{"b_Intercept", fmt.Sprintf("r_school[%d,Intercept]", i+1)}})
		}
		p.Params = append(p.Params, Param{Ref: "mu", Govi: []string{"b_Intercept"}}, Param{Ref: "tau", Govi: []string{"sd_school__Intercept"}})
		prog := "eight_schools_noncentered.stan"
		if centered {
			prog = "eight_schools_centered.stan"
		}
		rstan(prog, "rstanarm has no known-sd (se) likelihood and no half-Cauchy prior on a group sd")
		stanSame()
	case "kidiq-kidscore_momiq":
		t.add("kid_score", vec("kid_score"))
		t.add("mom_iq", vec("mom_iq"))
		glm("kid_score", []string{"mom_iq"}, "gaussian", []string{"Intercept ~ flat", "b ~ flat", "sigma ~ half_cauchy(0, 2.5)"},
			map[string]string{"prior": "NULL", "prior_intercept": "NULL", "prior_aux": "cauchy(0, 2.5, autoscale = FALSE)"}, "")
		p.Params = linear(ref.Names, []string{"Intercept", "mom_iq", "sigma"})
	case "kidiq-kidscore_interaction", "kidiq_with_mom_work-kidscore_interaction_c":
		hs, iq := vec("mom_hs"), vec("mom_iq")
		gp, sp := []string{"Intercept ~ flat", "b ~ flat", "sigma ~ half_cauchy(0, 2.5)"}, map[string]string{"prior": "NULL", "prior_intercept": "NULL", "prior_aux": "cauchy(0, 2.5, autoscale = FALSE)"}
		if name == "kidiq_with_mom_work-kidscore_interaction_c" {
			hs, iq = posteriordb.Centred(hs), posteriordb.Centred(iq)
			gp, sp = flatGovi, flatRstanarm
		}
		t.add("kid_score", vec("kid_score"))
		t.add("mom_hs", hs)
		t.add("mom_iq", iq)
		t.add("mom_hs_iq", posteriordb.Mul(hs, iq))
		glm("kid_score", []string{"mom_hs", "mom_iq", "mom_hs_iq"}, "gaussian", gp, sp, "")
		p.Params = linear(ref.Names, []string{"Intercept", "mom_hs", "mom_iq", "mom_hs_iq", "sigma"})
	case "kilpisjarvi_mod-kilpisjarvi":
		t.add("y", vec("y"))
		t.add("x", vec("x"))
		p.Govi = Govi{Formula: "y ~ x", Family: "gaussian", Flags: []string{"--no-center"}, Priors: []string{
			fmt.Sprintf("Intercept ~ normal(%v, %v)", scalar("pmualpha"), scalar("psalpha")),
			fmt.Sprintf("b ~ normal(%v, %v)", scalar("pmubeta"), scalar("psbeta")), "sigma ~ flat"}}
		p.Params = linear(ref.Names, []string{"Intercept", "x", "sigma"})
		rstan("kilpisjarvi.stan", "the prior is on the intercept of the uncentred year, and rstanarm's prior_intercept is on the intercept of centred predictors")
		stanSame()
	case "mesquite-mesquite", "mesquite-logmesquite":
		cols := []string{"diam1", "diam2", "canopy_height", "total_height", "density", "group"}
		f := func(x float64) float64 { return x }
		if name == "mesquite-logmesquite" {
			f = math.Log
		}
		t.add("weight", posteriordb.Mapf(f, vec("weight")))
		for i, c := range cols {
			v := vec(c)
			if i < 5 {
				v = posteriordb.Mapf(f, v)
			}
			t.add(c, v)
		}
		glm("weight", cols, "gaussian", flatGovi, flatRstanarm, "")
		p.Params = linear(ref.Names, append(append([]string{"Intercept"}, cols...), "sigma"))
	case "mesquite-logmesquite_logvolume":
		d1, d2, ch := vec("diam1"), vec("diam2"), vec("canopy_height")
		vol := make([]float64, len(d1))
		for i := range vol {
			vol[i] = math.Log(d1[i] * d2[i] * ch[i])
		}
		t.add("log_weight", posteriordb.Mapf(math.Log, vec("weight")))
		t.add("log_canopy_volume", vol)
		glm("log_weight", []string{"log_canopy_volume"}, "gaussian", flatGovi, flatRstanarm, "")
		p.Params = linear(ref.Names, []string{"Intercept", "log_canopy_volume", "sigma"})
	case "earnings-earn_height":
		t.add("earn", vec("earn"))
		t.add("height", vec("height"))
		glm("earn", []string{"height"}, "gaussian", flatGovi, flatRstanarm, "")
		p.Params = linear(ref.Names, []string{"Intercept", "height", "sigma"})
	case "earnings-logearn_interaction":
		h, m := vec("height"), vec("male")
		t.add("log_earn", posteriordb.Mapf(math.Log, vec("earn")))
		t.add("height", h)
		t.add("male", m)
		t.add("height_male", posteriordb.Mul(h, m))
		glm("log_earn", []string{"height", "male", "height_male"}, "gaussian", flatGovi, flatRstanarm, "")
		p.Params = linear(ref.Names, []string{"Intercept", "height", "male", "height_male", "sigma"})
	case "nes2000-nes":
		age := vec("age_discrete")
		dummy := func(k float64) []float64 {
			return posteriordb.Mapf(func(a float64) float64 {
				if a == k {
					return 1
				}
				return 0
			}, age)
		}
		t.add("partyid7", vec("partyid7"))
		t.add("real_ideo", vec("real_ideo"))
		t.add("race_adj", vec("race_adj"))
		t.add("age30_44", dummy(2))
		t.add("age45_64", dummy(3))
		t.add("age65up", dummy(4))
		t.add("educ1", vec("educ1"))
		t.add("gender", vec("gender"))
		t.add("income", vec("income"))
		cols := t.names[1:]
		glm("partyid7", cols, "gaussian", flatGovi, flatRstanarm, "")
		p.Params = linear(ref.Names, append(append([]string{"Intercept"}, cols...), "sigma"))
	case "sblrc-blr":
		x := posteriordb.Matrix(d, "X")
		t.add("y", vec("y"))
		var cols []string
		for j := range x[0] {
			c := make([]float64, len(x))
			for i := range x {
				c[i] = x[i][j]
			}
			cols = append(cols, fmt.Sprintf("X%d", j+1))
			t.add(cols[j], c)
		}
		glm("y", append([]string{"0"}, cols...), "gaussian", []string{"b ~ normal(0, 10)", "sigma ~ half_normal(0, 10)"},
			map[string]string{"prior": "normal(0, 10, autoscale = FALSE)", "prior_aux": "normal(0, 10, autoscale = FALSE)"}, "")
		p.Params = linear(ref.Names, append(cols, "sigma"))
	case "diamonds-diamonds":
		x := posteriordb.Matrix(d, "X")
		t.add("Y", vec("Y"))
		var cols []string
		// The program centres X without its intercept column; centring
		// here makes the data-scale intercept (govi, rstanarm) the
		// program's Intercept.
		for j := 1; j < len(x[0]); j++ {
			c := make([]float64, len(x))
			for i := range x {
				c[i] = x[i][j]
			}
			cols = append(cols, fmt.Sprintf("X%d", j))
			t.add(cols[j-1], posteriordb.Centred(c))
		}
		glm("Y", cols, "gaussian", []string{"b ~ normal(0, 1)", "Intercept ~ student_t(3, 8, 10)", "sigma ~ half_student_t(3, 0, 10)"},
			map[string]string{"prior": "normal(0, 1, autoscale = FALSE)", "prior_intercept": "student_t(3, 8, 10, autoscale = FALSE)", "prior_aux": "student_t(3, 0, 10, autoscale = FALSE)"}, "")
		p.Params = linear(ref.Names, append(append(cols, "Intercept"), "sigma"))
	case "wells_data-wells_dist":
		t.add("switched", vec("switched"))
		t.add("dist", vec("dist"))
		glm("switched", []string{"dist"}, "bernoulli", []string{"Intercept ~ flat", "b ~ flat"}, map[string]string{"prior": "NULL", "prior_intercept": "NULL"}, "")
		p.Params = linear(ref.Names, []string{"Intercept", "dist"})
	case "wells_data-wells_dae_inter_model":
		dist := posteriordb.Mapf(func(x float64) float64 { return x / 100 }, posteriordb.Centred(vec("dist")))
		ars := posteriordb.Centred(vec("arsenic"))
		educ := posteriordb.Mapf(func(x float64) float64 { return x / 4 }, posteriordb.Centred(vec("educ")))
		t.add("switched", vec("switched"))
		t.add("c_dist100", dist)
		t.add("c_arsenic", ars)
		t.add("c_educ4", educ)
		t.add("da", posteriordb.Mul(dist, ars))
		t.add("de", posteriordb.Mul(dist, educ))
		t.add("ae", posteriordb.Mul(ars, educ))
		cols := t.names[1:]
		glm("switched", cols, "bernoulli", []string{"Intercept ~ flat", "b ~ flat"}, map[string]string{"prior": "NULL", "prior_intercept": "NULL"}, "")
		p.Params = linear(ref.Names, append([]string{"Intercept"}, cols...))
	case "GLM_Poisson_Data-GLM_Poisson_model":
		yr := vec("year")
		t.add("C", vec("C"))
		t.add("year", yr)
		t.add("year2", posteriordb.Mul(yr, yr))
		t.add("year3", posteriordb.Mul(yr, posteriordb.Mul(yr, yr)))
		p.Govi = Govi{Formula: "C ~ year + year2 + year3", Family: "poisson", Priors: []string{"Intercept ~ flat", "b ~ flat"}}
		p.Note = "govi's formula interface has no bounded uniform prior, so govi fits flat priors; the program's bounds (alpha in (-20, 20), betas in (-10, 10)) lie far outside the posterior mass (model.md), so the two posteriors agree"
		p.Params = linear(ref.Names, []string{"Intercept", "year", "year2", "year3"})
		rstan("glm_poisson.stan", "the priors are uniform on bounded intervals, which rstanarm cannot express")
		stanSame()
	case "radon_mn-radon_variable_intercept_centered", posteriordb.NonCenteredRadon:
		centered := name != posteriordb.NonCenteredRadon
		t.add("log_radon", vec("log_radon"))
		t.add("floor_measure", vec("floor_measure"))
		t.add("county", vec("county_idx"))
		p.Govi = Govi{Formula: "log_radon ~ floor_measure + (1 | county)", Family: "gaussian", Flags: []string{"--no-center"}, Centered: &centered,
			Priors: []string{"Intercept ~ normal(0, 10)", "b ~ normal(0, 10)", "sigma ~ half_normal(0, 1)", "sd ~ half_normal(0, 1)"}}
		j := int(scalar("J"))
		for i := 0; i < j; i++ {
			p.Params = append(p.Params, Param{Ref: fmt.Sprintf("alpha[%d]", i+1), Govi: []string{"b_Intercept", fmt.Sprintf("r_county[%d,Intercept]", i+1)}})
		}
		p.Params = append(p.Params, Param{Ref: "beta", Govi: []string{"b_floor_measure"}}, Param{Ref: "mu_alpha", Govi: []string{"b_Intercept"}},
			Param{Ref: "sigma_alpha", Govi: []string{"sd_county__Intercept"}}, Param{Ref: "sigma_y", Govi: []string{"sigma"}})
		prog := "radon_noncentered.stan"
		if centered {
			prog = "radon_centered.stan"
		}
		rstan(prog, "stan_glmer's prior on a group sd is decov (a gamma), not the program's half-normal(0, 1)")
		stanSame()
	case "seeds_data-seeds_stanified_model":
		x1, x2 := vec("x1"), vec("x2")
		t.add("n", vec("n"))
		t.add("N", vec("N"))
		t.add("x1", x1)
		t.add("x2", x2)
		t.add("x1x2", posteriordb.Mul(x1, x2))
		plate := make([]float64, len(x1))
		for i := range plate {
			plate[i] = float64(i + 1)
		}
		t.add("plate", plate)
		centered := true
		p.Govi = Govi{Formula: "n | trials(N) ~ x1 + x2 + x1x2 + (1 | plate)", Family: "binomial", Flags: []string{"--no-center"}, Centered: &centered,
			Priors: []string{"Intercept ~ normal(0, 1)", "b ~ normal(0, 1)", "sd ~ half_cauchy(0, 1)"}}
		p.Params = []Param{{Ref: "alpha0", Govi: []string{"b_Intercept"}}, {Ref: "alpha1", Govi: []string{"b_x1"}},
			{Ref: "alpha12", Govi: []string{"b_x1x2"}}, {Ref: "alpha2", Govi: []string{"b_x2"}}}
		for i := range x1 {
			p.Params = append(p.Params, Param{Ref: fmt.Sprintf("b[%d]", i+1), Govi: []string{fmt.Sprintf("r_plate[%d,Intercept]", i+1)}})
		}
		p.Params = append(p.Params, Param{Ref: "sigma", Govi: []string{"sd_plate__Intercept"}})
		rstan("seeds_centered.stan", "stan_glmer's prior on a group sd is decov (a gamma), not the program's half-Cauchy(0, 1)")
		stanSame()
	default:
		return nil, fmt.Errorf("no benchmark mapping")
	}
	p.Rows = len(t.cols[0])
	p.Data = filepath.Join(p.Name, "data.csv")
	return p, t.writeCSV(filepath.Join(outDir, p.Data))
}

// outDir is -out: build writes each data.csv under it.
var outDir string

// synthetic writes the logistic regression of internal/synth (tools/synth)
// with N rows and D predictors and the anchors' priors: Intercept ~
// normal(0, 5), b ~ normal(0, 2.5).
func synthetic(out string, n, d int) (*Problem, error) {
	name := fmt.Sprintf("synth_logistic_N%d_D%d", n, d)
	dir := filepath.Join(out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "data.csv")
	if _, err := os.Stat(path); err != nil {
		cmd := exec.Command("go", "run", "./tools/synth", "-rows", strconv.Itoa(n), "-cols", strconv.Itoa(d), "-seed", "1", "-out", path)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("tools/synth: %w", err)
		}
	}
	cols := make([]string, d)
	for j := range cols {
		cols[j] = "x" + strconv.Itoa(j+1)
	}
	p := &Problem{Name: name, Source: "synthetic", Rows: n, Data: filepath.Join(name, "data.csv"),
		Govi: Govi{Formula: "y ~ .", Family: "bernoulli", Priors: []string{"Intercept ~ normal(0, 5)", "b ~ normal(0, 2.5)"}},
		Stan: Stan{Kind: "rstanarm", Fun: "stan_glm", Formula: "y ~ .", Family: "binomial(link = \"logit\")",
			Args: map[string]string{"prior": "normal(0, 2.5, autoscale = FALSE)", "prior_intercept": "normal(0, 5, autoscale = FALSE)"}},
		Note: "tools/synth's logistic regression (seed 1); no posteriordb reference: scored against the pooled draws of the rstanarm sampling runs",
	}
	p.Params = linear(append([]string{"Intercept"}, cols...), append([]string{"Intercept"}, cols...))
	return p, nil
}
