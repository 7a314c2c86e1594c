// Command report reads the raw results of bench/run_all.sh (runs.jsonl and
// the problems) and writes the benchmark report (docs/benchmark.md), a plot
// of accuracy against time (docs/benchmark.svg) and runs.csv, one scored
// row per fit, next to the raw results.
//
// Usage: go run ./bench/report -results /tmp/govi-bench [-o docs/benchmark.md] [-svg docs/benchmark.svg]
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Tolerances under which a govi fit counts as at least as accurate as a
// Stan run: about two Monte Carlo standard errors of z and of the sd
// ratio with Stan's 1000 output draws (1/√1000 ≈ 0.03, 1/√2000 ≈ 0.02).
const (
	tolZ  = 0.05
	tolSD = 0.05
)

// num is a JSON number that R may also write as null or a string ("Inf").
type num float64

func (f *num) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*f = num(math.NaN())
	case float64:
		*f = num(v)
	case string:
		x, err := strconv.ParseFloat(strings.TrimPrefix(strings.ToLower(v), "+"), 64)
		if err != nil {
			x = math.NaN()
		}
		*f = num(x)
	case bool:
		*f = num(math.NaN())
	default:
		return fmt.Errorf("%s is not a number", b)
	}
	return nil
}

// strs is a JSON string list that R writes as a string when it has one
// element.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		*s = nil
		return nil
	}
	*s = many
	return nil
}

// Run is one line of runs.jsonl.
type Run struct {
	Kind          string         `json:"kind"`
	Problem       string         `json:"problem"`
	System        string         `json:"system"`
	Seed          int            `json:"seed"`
	Time          string         `json:"time"`
	Skipped       string         `json:"skipped"`
	Error         string         `json:"error"`
	FitS          *num           `json:"fit_s"`
	E2eS          *num           `json:"e2e_s"`
	Mean          map[string]num `json:"mean"`
	SD            map[string]num `json:"sd"`
	Khat          *num           `json:"khat"`
	KhatSummaries *num           `json:"khat_summaries"`
	Verdict       string         `json:"verdict"`
	Approx        string         `json:"approx"`
	Nonconverged  bool           `json:"nonconverged"`
	Warnings      strs           `json:"warnings"`
	Divergences   *num           `json:"divergences"`
	RhatMax       *num           `json:"rhat_max"`
	// compile records
	Program string `json:"program"`
	Seconds num    `json:"seconds"`
	Cached  bool   `json:"cached"`

	score
}

// score is a run's accuracy against its reference.
type score struct {
	scored                   bool
	maxZ, medZ, minR, maxR   float64
	worstZParam, worstRParam string
}

func (r *Run) failed() bool { return r.Error != "" }

func val(p *num) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

// Problem is the part of problem.json the report needs.
type Problem struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Rows   int    `json:"rows"`
	Govi   struct {
		Formula string   `json:"formula"`
		Family  string   `json:"family"`
		Priors  []string `json:"priors"`
		Flags   []string `json:"flags"`
	} `json:"govi"`
	Stan struct {
		Kind    string            `json:"kind"`
		Formula string            `json:"formula"`
		Family  string            `json:"family"`
		Args    map[string]string `json:"args"`
		Program string            `json:"program"`
		Why     string            `json:"why"`
	} `json:"stan"`
	Params []struct {
		Ref string `json:"ref"`
	} `json:"params"`
	Ref *struct {
		Name  string    `json:"name"`
		Names []string  `json:"names"`
		Mean  []float64 `json:"mean"`
		SD    []float64 `json:"sd"`
	} `json:"ref"`
	Note string `json:"note"`

	// refFrom says where the reference came from.
	refFrom string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("report: ")
	resDir := flag.String("results", "/tmp/govi-bench", "results folder of bench/run_all.sh")
	out := flag.String("o", "docs/benchmark.md", "report file")
	svg := flag.String("svg", "docs/benchmark.svg", "plot file")
	flag.Parse()

	probs, order, err := readProblems(filepath.Join(*resDir, "problems"))
	if err != nil {
		log.Fatal(err)
	}
	runs, compiles, err := readRuns(filepath.Join(*resDir, "runs.jsonl"))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		p := probs[r.Problem]
		if p == nil {
			continue
		}
		scoreRun(r, p, runs)
	}
	if err := writeCSV(filepath.Join(*resDir, "runs.csv"), runs); err != nil {
		log.Fatal(err)
	}
	rep := &report{dir: *resDir, probs: probs, order: order, runs: runs, compiles: compiles, svgName: filepath.Base(*svg)}
	rep.aggregate()
	var buf bytes.Buffer
	rep.write(&buf)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := rep.plot(*svg); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s, %s and %s", *out, *svg, filepath.Join(*resDir, "runs.csv"))
}

func readProblems(dir string) (map[string]*Problem, []string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "problems.txt"))
	if err != nil {
		return nil, nil, err
	}
	probs := map[string]*Problem{}
	var order []string
	for _, name := range strings.Fields(string(b)) {
		pb, err := os.ReadFile(filepath.Join(dir, name, "problem.json"))
		if err != nil {
			return nil, nil, err
		}
		p := &Problem{}
		if err := json.Unmarshal(pb, p); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		probs[name] = p
		order = append(order, name)
	}
	return probs, order, nil
}

func readRuns(path string) (runs []*Run, compiles []*Run, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	// A resumed run may repeat a (problem, system, seed): the last one wins.
	at := map[string]int{}
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		r := &Run{}
		if err := json.Unmarshal(line, r); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		if r.Kind == "compile" {
			compiles = append(compiles, r)
			continue
		}
		key := fmt.Sprintf("%s|%s|%d", r.Problem, r.System, r.Seed)
		if i, ok := at[key]; ok {
			if r.Skipped != "" && runs[i].Skipped == "" {
				continue
			}
			runs[i] = r
			continue
		}
		at[key] = len(runs)
		runs = append(runs, r)
	}
	return runs, compiles, sc.Err()
}

// reference returns the reference means and sds of p: posteriordb's NUTS
// draws, or for a generated regression the draws of the sampling run.
func reference(p *Problem, runs []*Run) (names []string, mean, sd []float64) {
	if p.Ref != nil {
		p.refFrom = "posteriordb NUTS (" + p.Ref.Name + ")"
		return p.Ref.Names, p.Ref.Mean, p.Ref.SD
	}
	for _, r := range runs {
		if r.Problem == p.Name && strings.HasSuffix(r.System, "-sampling") && r.Mean != nil && !r.failed() {
			p.refFrom = r.System + " (this run)"
			for _, q := range p.Params {
				names = append(names, q.Ref)
				mean = append(mean, float64(r.Mean[q.Ref]))
				sd = append(sd, float64(r.SD[q.Ref]))
			}
			return names, mean, sd
		}
	}
	p.refFrom = "none (no sampling run)"
	return nil, nil, nil
}

func scoreRun(r *Run, p *Problem, runs []*Run) {
	if r.Mean == nil || r.failed() || r.Skipped != "" {
		return
	}
	names, mean, sd := reference(p, runs)
	if names == nil || (p.Ref == nil && strings.HasSuffix(r.System, "-sampling")) {
		return
	}
	var zs []float64
	s := score{scored: true, maxZ: math.Inf(-1), minR: math.Inf(1), maxR: math.Inf(-1)}
	worstR := -1.0
	for i, n := range names {
		z, rr := math.NaN(), math.NaN()
		if m, ok := r.Mean[n]; ok {
			z = math.Abs(float64(m)-mean[i]) / sd[i]
		}
		if d, ok := r.SD[n]; ok {
			rr = float64(d) / sd[i]
		}
		zs = append(zs, z)
		if !(z <= s.maxZ) && s.worstZParam == "" || z > s.maxZ {
			s.worstZParam = n
		}
		if e := math.Abs(math.Log(rr)); !(e <= worstR) {
			if worstR >= 0 || !math.IsNaN(e) {
				s.worstRParam = n
			}
			worstR = nanMax(worstR, e)
		}
		s.maxZ = nanMax(s.maxZ, z)
		s.minR = nanMin(s.minR, rr)
		s.maxR = nanMax(s.maxR, rr)
	}
	s.medZ = median(zs)
	r.score = s
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return math.Max(a, b)
}

func nanMin(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return math.Min(a, b)
}

// sdErr is a run's worst sd ratio as |log r|.
func (s score) sdErr() float64 {
	return math.Max(math.Abs(math.Log(s.minR)), math.Abs(math.Log(s.maxR)))
}

func median(x []float64) float64 {
	var s []float64
	for _, v := range x {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s) < len(x) {
		return math.NaN() // a NaN anywhere is no number
	}
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func writeCSV(path string, runs []*Run) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"problem", "system", "seed", "time", "fit_s", "e2e_s", "max_z", "median_z", "min_sd_ratio", "max_sd_ratio",
		"khat", "verdict", "approx", "error", "nonconverged", "skipped", "divergences", "rhat_max", "warnings"})
	g := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	for _, r := range runs {
		mz, md, mi, ma := math.NaN(), math.NaN(), math.NaN(), math.NaN()
		if r.scored {
			mz, md, mi, ma = r.maxZ, r.medZ, r.minR, r.maxR
		}
		w.Write([]string{r.Problem, r.System, strconv.Itoa(r.Seed), r.Time, g(val(r.FitS)), g(val(r.E2eS)), g(mz), g(md), g(mi), g(ma),
			g(val(r.Khat)), r.Verdict, r.Approx, r.Error, strconv.FormatBool(r.Nonconverged), r.Skipped, g(val(r.Divergences)), g(val(r.RhatMax)),
			strings.Join(r.Warnings, " | ")})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
