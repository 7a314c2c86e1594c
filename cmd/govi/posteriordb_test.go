package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govi-dev/govi/internal/posteriordb"
	"github.com/govi-dev/govi/report"
)

// pdbCase is a posteriordb posterior refitted through the CLI, with the
// formula and priors of its model.md.
type pdbCase struct {
	name    string
	csv     func(m map[string]json.RawMessage) ([]string, []any)
	formula string
	priors  []string
	extra   []string
	// names maps reference names to summary names.
	names map[string]string
	// centered lists the reference parameter that is the intercept of the
	// centered predictors (brms's Intercept), computed from the draws.
	centered string
	// flatSigma, for a flat-prior Gaussian regression with this many rows
	// and coefficients, lowers the 0.9 bound on sigma's sd ratio to the
	// best Gaussian's own ratio (posteriordb.FlatGaussianRatios) less 4
	// Monte Carlo errors, as the library's accuracy test does.
	flatSigma [2]int
}

// posteriordbDraws is the number of draws behind each summary.
const posteriordbDraws = 10000

func cols(m map[string]json.RawMessage, keys ...string) ([]string, []any) {
	var out []any
	for _, k := range keys {
		out = append(out, posteriordb.Vec(m, k))
	}
	return keys, out
}

// matrixCols returns the columns of a matrix (list of rows) from column
// first (0-based) on, named prefix<j+1>.
func matrixCols(x [][]float64, first int, prefix string) ([]string, []any) {
	var names []string
	var out []any
	for j := first; j < len(x[0]); j++ {
		c := make([]float64, len(x))
		for i := range x {
			c[i] = x[i][j]
		}
		names = append(names, fmt.Sprintf("%s%d", prefix, j+1))
		out = append(out, c)
	}
	return names, out
}

var flat = []string{"b ~ flat", "Intercept ~ flat", "sigma ~ flat"}

var pdbCases = []pdbCase{
	{
		name: "kidiq-kidscore_momiq",
		csv: func(m map[string]json.RawMessage) ([]string, []any) {
			return cols(m, "kid_score", "mom_iq")
		},
		formula: "kid_score ~ mom_iq",
		// beta flat; sigma ~ cauchy(0, 2.5) on sigma > 0.
		priors: []string{"b ~ flat", "Intercept ~ flat", "sigma ~ half_cauchy(0, 2.5)"},
		names:  map[string]string{"beta[1]": "b_Intercept", "beta[2]": "b_mom_iq", "sigma": "sigma"},
	},
	{
		name: "kidiq-kidscore_interaction",
		csv: func(m map[string]json.RawMessage) ([]string, []any) {
			return cols(m, "kid_score", "mom_hs", "mom_iq")
		},
		formula: "kid_score ~ mom_hs * mom_iq",
		priors:  []string{"b ~ flat", "Intercept ~ flat", "sigma ~ half_cauchy(0, 2.5)"},
		names:   map[string]string{"beta[1]": "b_Intercept", "beta[2]": "b_mom_hs", "beta[3]": "b_mom_iq", "beta[4]": "b_mom_hs:mom_iq", "sigma": "sigma"},
	},
	{
		name: "mesquite-logmesquite",
		csv: func(m map[string]json.RawMessage) ([]string, []any) {
			return cols(m, "weight", "diam1", "diam2", "canopy_height", "total_height", "density", "group")
		},
		formula: "log(weight) ~ log(diam1) + log(diam2) + log(canopy_height) + log(total_height) + log(density) + group",
		priors:  flat,
		names: map[string]string{"beta[1]": "b_Intercept", "beta[2]": "b_log(diam1)", "beta[3]": "b_log(diam2)", "beta[4]": "b_log(canopy_height)",
			"beta[5]": "b_log(total_height)", "beta[6]": "b_log(density)", "beta[7]": "b_group", "sigma": "sigma"},
		// N = 46 rows, k = 7 coefficients under flat priors: the best
		// Gaussian itself has sd(sigma) 0.891 of the reference.
		flatSigma: [2]int{46, 7},
	},
	{
		name: "earnings-logearn_interaction",
		csv: func(m map[string]json.RawMessage) ([]string, []any) {
			return cols(m, "earn", "height", "male")
		},
		formula: "log(earn) ~ height * male",
		priors:  flat,
		names:   map[string]string{"beta[1]": "b_Intercept", "beta[2]": "b_height", "beta[3]": "b_male", "beta[4]": "b_height:male", "sigma": "sigma"},
	},
	{
		name: "sblrc-blr",
		csv: func(m map[string]json.RawMessage) ([]string, []any) {
			names, c := matrixCols(posteriordb.Matrix(m, "X"), 0, "x")
			return append([]string{"y"}, names...), append([]any{posteriordb.Vec(m, "y")}, c...)
		},
		formula: "y ~ 0 + x1 + x2 + x3 + x4 + x5",
		// sigma ~ normal(0, 10) on sigma > 0.
		priors: []string{"b ~ normal(0, 10)", "sigma ~ half_normal(0, 10)"},
		names:  map[string]string{"beta[1]": "b_x1", "beta[2]": "b_x2", "beta[3]": "b_x3", "beta[4]": "b_x4", "beta[5]": "b_x5", "sigma": "sigma"},
	},
	{
		name: "diamonds-diamonds",
		csv: func(m map[string]json.RawMessage) ([]string, []any) {
			names, c := matrixCols(posteriordb.Matrix(m, "X"), 1, "x") // x2..x25; column 1 is the intercept
			return append([]string{"Y"}, names...), append([]any{posteriordb.Vec(m, "Y")}, c...)
		},
		formula: "Y ~ " + strings.Join(func() []string {
			var s []string
			for j := 2; j <= 25; j++ {
				s = append(s, fmt.Sprintf("x%d", j))
			}
			return s
		}(), " + "),
		// brms: the Intercept prior is on the centered design, as govi's
		// default.
		priors:   []string{"b ~ normal(0, 1)", "Intercept ~ student_t(3, 8, 10)", "sigma ~ half_student_t(3, 0, 10)"},
		names:    map[string]string{"sigma": "sigma"},
		centered: "Intercept",
	},
}

func init() {
	for i := range pdbCases {
		if pdbCases[i].name == "diamonds-diamonds" {
			for j := 1; j <= 24; j++ {
				pdbCases[i].names[fmt.Sprintf("b[%d]", j)] = fmt.Sprintf("b_x%d", j+1)
			}
		}
	}
}

type refStat struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
}

// The CLI reproduces the library's accuracy on posteriordb regressions:
// with the priors of each Stan program, every posterior mean is within 0.1
// reference sds of the reference and every sd within 10%.
func TestPosteriorDB(t *testing.T) {
	shared, err := posteriordb.Dir()
	if err != nil {
		t.Skip("posteriordb reference data not found: set GOVI_SHARED to the shared directory (with posteriordb/) to run this test")
	}
	for _, c := range pdbCases {
		t.Run(c.name, func(t *testing.T) {
			pdir := filepath.Join(shared, "posteriordb", c.name)
			m, err := posteriordb.ReadJSON(filepath.Join(pdir, "data.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref struct {
				Parameters map[string]refStat `json:"parameters"`
			}
			b, err := os.ReadFile(filepath.Join(pdir, "reference.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			header, data := c.csv(m)
			path := writeData(t, dir, "data.csv", header, data...)
			out := filepath.Join(dir, "out")
			args := []string{"fit", "--data", path, "--formula", c.formula, "--family", "gaussian", "--draws", fmt.Sprint(posteriordbDraws), "--quiet", "--out", out}
			for _, p := range c.priors {
				args = append(args, "--prior", p)
			}
			mustRun(t, append(args, c.extra...)...)
			s := readSummary(t, out)
			got := map[string]refStat{}
			for _, p := range s.Parameters {
				got[p.Name] = refStat{p.Mean, p.SD}
			}
			if c.centered != "" {
				got[c.centered] = centeredIntercept(t, out, path, s)
			}
			checked := 0
			for rname, r := range ref.Parameters {
				gname, ok := c.names[rname]
				if rname == c.centered {
					gname, ok = rname, true
				}
				if !ok {
					t.Errorf("reference parameter %s is not mapped", rname)
					continue
				}
				g, ok := got[gname]
				if !ok {
					t.Errorf("no parameter %s (for %s) in the summary", gname, rname)
					continue
				}
				z := math.Abs(g.Mean-r.Mean) / r.SD
				ratio := g.SD / r.SD
				lo := 0.9
				if rname == "sigma" && c.flatSigma[0] > 0 {
					_, rs, err := posteriordb.FlatGaussianRatios(c.flatSigma[0], c.flatSigma[1])
					if err != nil {
						t.Fatal(err)
					}
					// 4 Monte Carlo errors of an sd ratio from S draws: 4/√(2S).
					lo = math.Min(lo, rs-4/math.Sqrt(2*float64(posteriordbDraws)))
					t.Logf("sigma: sd ratio %.3f; the best Gaussian's is %.3f, bound %.3f", ratio, rs, lo)
				}
				if !(z <= 0.1) || !(ratio >= lo && ratio <= 1.1) {
					t.Errorf("%s (%s): mean %.6g sd %.4g; reference %.6g sd %.4g: z = %.3f, sd ratio %.3f", rname, gname, g.Mean, g.SD, r.Mean, r.SD, z, ratio)
				}
				checked++
			}
			if checked != len(s.Parameters) {
				t.Errorf("checked %d of %d parameters", checked, len(s.Parameters))
			}
		})
	}
}

// centeredIntercept computes, from draws.csv, brms's Intercept of the
// centered design, Intercept + Σⱼ x̄ⱼ bⱼ, which the reference reports.
func centeredIntercept(t *testing.T, out, dataPath string, s *report.Summary) refStat {
	t.Helper()
	fr, err := readCSVFile(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, "draws.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, rows, _, err := report.ReadCmdStanCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for j, n := range names {
		col[n] = j
	}
	vals := make([]float64, 0, len(rows)-1)
	for _, r := range rows[1:] {
		v := r[col["b_Intercept"]]
		for _, p := range s.Parameters {
			column, _ := strings.CutPrefix(p.Name, "b_")
			if xs, ok := fr[column]; ok && column != p.Name {
				v += mean(xs) * r[col[report.CSVName(p.Name)]]
			}
		}
		vals = append(vals, v)
	}
	m := mean(vals)
	var ss float64
	for _, v := range vals {
		ss += (v - m) * (v - m)
	}
	return refStat{m, math.Sqrt(ss / float64(len(vals)-1))}
}

// readCSVFile reads a numeric CSV into named columns.
func readCSVFile(path string) (map[string][]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	names, rows, _, err := report.ReadCmdStanCSV(strings.NewReader(string(b)))
	if err != nil {
		return nil, err
	}
	out := map[string][]float64{}
	for j, n := range names {
		for _, r := range rows {
			out[n] = append(out[n], r[j])
		}
	}
	return out, nil
}
