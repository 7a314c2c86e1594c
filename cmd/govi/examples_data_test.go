package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The bundled example data sets are made by the functions below, from the
// posteriordb extracts in /work/shared (found by sharedDir) and, for the
// simulated one, by a seeded generator. TestExampleData checks that the
// embedded files are exactly what they produce; run
//
//	GOVI_REGEN_EXAMPLES=1 go test ./cmd/govi/ -run TestExampleData
//
// to rewrite them.

// sharedDir returns the directory of shared reference data: $GOVI_SHARED,
// or the "shared" directory next to the module root. It is "" when absent.
func sharedDir() string {
	if d := os.Getenv("GOVI_SHARED"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared")
			if st, err := os.Stat(s); err == nil && st.IsDir() {
				return s
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// readDataJSON reads a posteriordb data.json into named vectors and
// matrices (lists of rows).
func readDataJSON(path string) (map[string]json.RawMessage, error) {
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

func vec(m map[string]json.RawMessage, key string) []float64 {
	var v []float64
	if err := json.Unmarshal(m[key], &v); err != nil {
		panic(fmt.Sprintf("data.json key %q: %v", key, err))
	}
	return v
}

func matrix(m map[string]json.RawMessage, key string) [][]float64 {
	var v [][]float64
	if err := json.Unmarshal(m[key], &v); err != nil {
		panic(fmt.Sprintf("data.json key %q: %v", key, err))
	}
	return v
}

// csvBytes renders columns (numbers in shortest round-trip form, or
// strings) under a header.
func csvBytes(header []string, cols ...any) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(header, ","))
	b.WriteByte('\n')
	n := 0
	switch c := cols[0].(type) {
	case []float64:
		n = len(c)
	case []string:
		n = len(c)
	}
	for i := 0; i < n; i++ {
		for j, c := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			switch c := c.(type) {
			case []float64:
				b.WriteString(strconv.FormatFloat(c[i], 'g', -1, 64))
			case []string:
				b.WriteString(c[i])
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// exampleMakers produce the CSV of each bundled example; shared says whether
// the maker needs the shared reference data.
var exampleMakers = map[string]struct {
	shared bool
	make   func(shared string) ([]byte, error)
}{
	"wells": {true, func(shared string) ([]byte, error) {
		m, err := readDataJSON(filepath.Join(shared, "posteriordb-extra", "wells_data-wells_dist", "data.json"))
		if err != nil {
			return nil, err
		}
		dist := vec(m, "dist")
		d100 := make([]float64, len(dist))
		for i, v := range dist {
			// Rounded to 15 significant digits: the exact decimal shift,
			// without the binary noise of v/100 (0.16826000213623002).
			d100[i], _ = strconv.ParseFloat(strconv.FormatFloat(v/100, 'g', 15, 64), 64)
		}
		return csvBytes([]string{"switch", "dist", "dist100", "arsenic", "educ", "assoc"},
			vec(m, "switched"), dist, d100, vec(m, "arsenic"), vec(m, "educ"), vec(m, "assoc")), nil
	}},
	"radon": {true, func(shared string) ([]byte, error) {
		m, err := readDataJSON(filepath.Join(shared, "posteriordb-extra", "radon_mn-radon_variable_intercept_centered", "data.json"))
		if err != nil {
			return nil, err
		}
		return csvBytes([]string{"log_radon", "floor", "county", "log_uppm"},
			vec(m, "log_radon"), vec(m, "floor_measure"), vec(m, "county_idx"), vec(m, "log_uppm")), nil
	}},
	"kidiq": {true, func(shared string) ([]byte, error) {
		m, err := readDataJSON(filepath.Join(shared, "posteriordb", "kidiq-kidscore_interaction", "data.json"))
		if err != nil {
			return nil, err
		}
		return csvBytes([]string{"kid_score", "mom_hs", "mom_iq"}, vec(m, "kid_score"), vec(m, "mom_hs"), vec(m, "mom_iq")), nil
	}},
	"eight_schools": {true, func(shared string) ([]byte, error) {
		m, err := readDataJSON(filepath.Join(shared, "posteriordb", "eight_schools-eight_schools_noncentered", "data.json"))
		if err != nil {
			return nil, err
		}
		y := vec(m, "y")
		school := make([]string, len(y))
		for i := range school {
			school[i] = string(rune('A' + i))
		}
		return csvBytes([]string{"school", "y", "sigma"}, school, y, vec(m, "sigma")), nil
	}},
	"claims": {false, func(string) ([]byte, error) { return simulateClaims(), nil }},
}

// simulateClaims simulates the "claims" example: counts of insurance claims
// y ~ Poisson(exposure · exp(−1 + 0.5·x)) for 120 policies with exposure
// (policy-years) uniform on [0.5, 5] and a standardized risk score x.
func simulateClaims() []byte {
	rng := rand.New(rand.NewPCG(2024, 1))
	const n = 120
	y, x, expo := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		x[i] = math.Round(rng.NormFloat64()*1000) / 1000
		expo[i] = math.Round((0.5+4.5*rng.Float64())*100) / 100
		y[i] = poissonKnuth(rng, expo[i]*math.Exp(-1+0.5*x[i]))
	}
	return csvBytes([]string{"y", "x", "exposure"}, y, x, expo)
}

// poissonKnuth draws a Poisson variate by Knuth's multiplication method
// (fine for the small means used here).
func poissonKnuth(rng *rand.Rand, mu float64) float64 {
	l, k, p := math.Exp(-mu), 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func TestExampleData(t *testing.T) {
	shared := sharedDir()
	regen := os.Getenv("GOVI_REGEN_EXAMPLES") != ""
	for _, ex := range examples {
		mk, ok := exampleMakers[ex.Name]
		if !ok {
			t.Errorf("example %s has no maker", ex.Name)
			continue
		}
		if mk.shared && shared == "" {
			t.Logf("example %s: shared data not found (set GOVI_SHARED); not checked", ex.Name)
			continue
		}
		want, err := mk.make(shared)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("examples", ex.File)
		if regen {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := exampleFS.ReadFile("examples/" + ex.File)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what its maker produces; regenerate with GOVI_REGEN_EXAMPLES=1", path)
		}
	}
}
