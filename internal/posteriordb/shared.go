// Package posteriordb loads the reference posteriors kept in the shared
// folder next to the repository (shared/posteriordb, shared/posteriordb-extra
// and the Stan ADVI measurements in shared/anchors) and expresses each one
// as a govi model, exactly as its model.md states: the same data
// transforms, the same priors (flat ones included) and the same
// constraints.
//
// Each Posterior also maps govi's unconstrained θ to the parameters of its
// reference draws, with the reference's names (beta[2], sigma, theta[3],
// alpha[17], …), so that a fitted q can be scored against the reference
// mean and sd of every parameter. Evaluate does that scoring.
//
// The shared folder is not part of the repository. Dir finds it, and every
// loader returns an error wrapping ErrNoShared when it is absent, so tests
// can skip.
package posteriordb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// EnvShared names the environment variable that, when set, gives the
// shared folder and overrides the search.
const EnvShared = "GOVI_SHARED"

// ErrNoShared is returned (wrapped) when the shared folder cannot be found.
var ErrNoShared = errors.New("posteriordb: shared folder not found")

// Dir returns the shared folder: $GOVI_SHARED if it is set, otherwise the
// first folder named "shared" that holds posteriordb/ and sits next to the
// module root (the directory with go.mod) or next to one of its parents,
// searching upward from the working directory. The checkout at /work/main
// thus finds /work/shared.
func Dir() (string, error) {
	if d := os.Getenv(EnvShared); d != "" {
		if !isShared(d) {
			return "", fmt.Errorf("%w: %s=%s has no posteriordb/ folder", ErrNoShared, EnvShared, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoShared, err)
	}
	// Start at the module root so that a test's working directory (its
	// package folder) and a command run from the root give the same answer.
	root := wd
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			root = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	for d := root; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "shared"), filepath.Join(filepath.Dir(d), "shared")} {
			if isShared(c) {
				return c, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w (searched upward from %s; set %s)", ErrNoShared, root, EnvShared)
		}
	}
}

// ReadJSON reads a posteriordb data.json into its named values.
func ReadJSON(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Vec decodes m[key] as a vector; it panics when it cannot (test data).
func Vec(m map[string]json.RawMessage, key string) []float64 {
	var v []float64
	if err := json.Unmarshal(m[key], &v); err != nil {
		panic(fmt.Sprintf("data.json key %q: %v", key, err))
	}
	return v
}

// Matrix decodes m[key] as a list of rows; it panics when it cannot.
func Matrix(m map[string]json.RawMessage, key string) [][]float64 {
	var v [][]float64
	if err := json.Unmarshal(m[key], &v); err != nil {
		panic(fmt.Sprintf("data.json key %q: %v", key, err))
	}
	return v
}

func isShared(d string) bool {
	st, err := os.Stat(filepath.Join(d, "posteriordb"))
	return err == nil && st.IsDir()
}

// dirOf returns the folder of the named posterior's files, in
// shared/posteriordb or shared/posteriordb-extra.
func dirOf(name string) (string, error) {
	sh, err := Dir()
	if err != nil {
		return "", err
	}
	for _, sub := range []string{"posteriordb", "posteriordb-extra"} {
		d := filepath.Join(sh, sub, name)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
	}
	return "", fmt.Errorf("posteriordb: no folder for %q in %s", name, sh)
}

// data is a posterior's data.json.
type data map[string]json.RawMessage

func readData(dir string) (data, error) {
	b, err := os.ReadFile(filepath.Join(dir, "data.json"))
	if err != nil {
		return nil, err
	}
	var d data
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("posteriordb: %s: %v", dir, err)
	}
	return d, nil
}

func (d data) scalar(key string) (float64, error) {
	var v float64
	if err := d.decode(key, &v); err != nil {
		return 0, err
	}
	return v, nil
}

func (d data) vec(key string) ([]float64, error) {
	var v []float64
	if err := d.decode(key, &v); err != nil {
		return nil, err
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("posteriordb: %s[%d] = %g", key, i, x)
		}
	}
	return v, nil
}

// rows decodes an N×K matrix stored as N rows of length K.
func (d data) rows(key string) (*mat.Dense, error) {
	var v [][]float64
	if err := d.decode(key, &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("posteriordb: %s is empty", key)
	}
	k := len(v[0])
	x := mat.NewDense(len(v), k, nil)
	for i, r := range v {
		if len(r) != k {
			return nil, fmt.Errorf("posteriordb: %s row %d has %d entries, want %d", key, i+1, len(r), k)
		}
		x.SetRow(i, r)
	}
	return x, nil
}

func (d data) decode(key string, v any) error {
	raw, ok := d[key]
	if !ok {
		return fmt.Errorf("posteriordb: data has no %q", key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("posteriordb: data %q: %v", key, err)
	}
	return nil
}

// Reference holds the summaries of a reference posterior's draws
// (reference.json): per parameter, in draw order, the mean and sd, and
// the correlation matrix of all parameters.
type Reference struct {
	// Name is the reference posterior.
	Name string
	// Names are the parameters, e.g. "beta[2]", "sigma".
	Names []string
	// Mean, SD, Q05, Q50 and Q95 are the draws' mean, sample sd and
	// quantiles, one per name.
	Mean, SD, Q05, Q50, Q95 []float64
	// ESS is each parameter's effective sample size: the bulk ESS where
	// reference.json gives one (shared/posteriordb-extra), otherwise the
	// number of draws (posteriordb's draws are thinned to near
	// independence).
	ESS []float64
	// Corr is the Pearson correlation of the draws, in the order of Names.
	Corr *mat.SymDense
	// Draws is the number of reference draws.
	Draws int
}

// LoadReference reads the named reference posterior's reference.json.
func LoadReference(name string) (*Reference, error) {
	dir, err := dirOf(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		return nil, err
	}
	type stats struct {
		Mean, SD, Q05, Q50, Q95 float64
		ESS                     float64 `json:"ess_bulk"`
	}
	var raw struct {
		Names      []string         `json:"parameter_names"`
		Draws      int              `json:"n_draws"`
		Parameters map[string]stats `json:"parameters"`
		Corr       struct {
			Names  []string    `json:"names"`
			Matrix [][]float64 `json:"matrix"`
		} `json:"correlation"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("posteriordb: %s reference: %v", name, err)
	}
	r := &Reference{Name: name, Names: raw.Names, Draws: raw.Draws}
	for _, n := range raw.Names {
		s, ok := raw.Parameters[n]
		if !ok || !(s.SD > 0) {
			return nil, fmt.Errorf("posteriordb: %s reference: no positive sd for %s", name, n)
		}
		r.Mean = append(r.Mean, s.Mean)
		r.SD = append(r.SD, s.SD)
		r.Q05 = append(r.Q05, s.Q05)
		r.Q50 = append(r.Q50, s.Q50)
		r.Q95 = append(r.Q95, s.Q95)
		ess := s.ESS
		if !(ess > 0) || ess > float64(raw.Draws) {
			ess = float64(raw.Draws)
		}
		r.ESS = append(r.ESS, ess)
	}
	k := len(raw.Names)
	if len(raw.Corr.Names) != k || len(raw.Corr.Matrix) != k {
		return nil, fmt.Errorf("posteriordb: %s reference: correlation is not %d×%d", name, k, k)
	}
	r.Corr = mat.NewSymDense(k, nil)
	for i := range k {
		if raw.Corr.Names[i] != raw.Names[i] || len(raw.Corr.Matrix[i]) != k {
			return nil, fmt.Errorf("posteriordb: %s reference: correlation names or shape differ from the parameters", name)
		}
		for j := 0; j <= i; j++ {
			r.Corr.SetSym(i, j, raw.Corr.Matrix[i][j])
		}
	}
	return r, nil
}

// Index returns the position of the named parameter, or -1.
func (r *Reference) Index(name string) int {
	for i, n := range r.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Anchor is the median over 5 seeds of Stan's ADVI (rstan 2.21.7 vb at its
// defaults) on one posterior with one algorithm, from
// shared/anchors/stan_advi_posteriordb.json.
type Anchor struct {
	// Runs and Errors count the runs and those in which vb() threw;
	// errored runs are left out of the accuracy medians.
	Runs, Errors int
	// Time is the median wall time in seconds (errored runs included).
	Time float64
	// MaxZ, MedianZ and MinR are the medians over runs of the largest z,
	// the median z and the smallest r over the parameters.
	MaxZ, MedianZ, MinR float64
	// MaxW is the median over runs of the largest per-parameter W (see
	// Score.W), computed here from the runs' per-parameter z and r.
	MaxW float64
	// Khat is the median Pareto k-hat rstan reported (+Inf for "inf").
	Khat float64
}

// LoadAnchors reads Stan's ADVI measurements, keyed by posterior name and
// then by algorithm ("meanfield" or "fullrank").
func LoadAnchors() (map[string]map[string]Anchor, error) {
	sh, err := Dir()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(sh, "anchors", "stan_advi_posteriordb.json"))
	if err != nil {
		return nil, err
	}
	type run struct {
		Algorithm string               `json:"algorithm"`
		Error     bool                 `json:"error"`
		Z         map[string]jsonFloat `json:"z"`
		R         map[string]jsonFloat `json:"r"`
	}
	type summary struct {
		Runs    int       `json:"n_runs"`
		Errors  int       `json:"n_errors"`
		Time    float64   `json:"median_wall_s"`
		MaxZ    float64   `json:"median_max_z"`
		MedianZ float64   `json:"median_median_z"`
		MinR    float64   `json:"median_min_r"`
		Khat    jsonFloat `json:"median_pareto_k"`
	}
	var raw struct {
		Posteriors map[string]struct {
			Runs    []run              `json:"runs"`
			Summary map[string]summary `json:"summary"`
		} `json:"posteriors"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("posteriordb: anchors: %v", err)
	}
	out := make(map[string]map[string]Anchor)
	for name, p := range raw.Posteriors {
		out[name] = make(map[string]Anchor)
		for alg, s := range p.Summary {
			a := Anchor{Runs: s.Runs, Errors: s.Errors, Time: s.Time, MaxZ: s.MaxZ, MedianZ: s.MedianZ, MinR: s.MinR, Khat: float64(s.Khat)}
			var ws []float64
			for _, r := range p.Runs {
				if r.Algorithm != alg || r.Error {
					continue
				}
				w := 0.0
				for n, z := range r.Z {
					rr, ok := r.R[n]
					if !ok || math.IsNaN(float64(z)) || math.IsNaN(float64(rr)) {
						w = math.Inf(1)
						continue
					}
					w = math.Max(w, math.Hypot(float64(z), float64(rr)-1))
				}
				ws = append(ws, w)
			}
			a.MaxW = median(ws)
			out[name][alg] = a
		}
	}
	return out, nil
}

// jsonFloat is a number that the anchors may also write as a string:
// "inf", "-inf" or "nan" (R's Inf and NaN); null decodes as NaN.
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*f = jsonFloat(math.NaN())
	case float64:
		*f = jsonFloat(v)
	case string:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("posteriordb: %q is not a number", v)
		}
		*f = jsonFloat(x)
	default:
		return fmt.Errorf("posteriordb: %s is not a number", b)
	}
	return nil
}

// median returns the median of x (NaN when empty); x is not modified.
func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
