package examples

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/govi-dev/govi/internal/posteriordb"
	"github.com/govi-dev/govi/internal/synth"
)

// The bundled example data sets are made by the functions below, from the
// posteriordb extracts in /work/shared (found by sharedDir) and, for the
// simulated one, by a seeded generator. TestExampleData checks that the
// embedded files are exactly what they produce; run
//
//	GOVI_REGEN_EXAMPLES=1 go test ./examples -run TestExampleData
//
// to rewrite them.

// sharedDir returns the shared reference data's directory, "" when absent.
func sharedDir() string {
	d, err := posteriordb.Dir()
	if err != nil {
		return ""
	}
	return d
}

// exampleMakers produce the CSV of each bundled example; shared says whether
// the maker needs the shared reference data.
var exampleMakers = map[string]struct {
	shared bool
	make   func(shared string) ([]byte, error)
}{
	"wells": {true, func(shared string) ([]byte, error) {
		m, err := posteriordb.ReadJSON(filepath.Join(shared, "posteriordb-extra", "wells_data-wells_dist", "data.json"))
		if err != nil {
			return nil, err
		}
		dist := posteriordb.Vec(m, "dist")
		d100 := make([]float64, len(dist))
		for i, v := range dist {
			// Rounded to 15 significant digits: the exact decimal shift,
			// without the binary noise of v/100 (0.16826000213623002).
			d100[i], _ = strconv.ParseFloat(strconv.FormatFloat(v/100, 'g', 15, 64), 64)
		}
		return synth.CSV([]string{"switch", "dist", "dist100", "arsenic", "educ", "assoc"},
			posteriordb.Vec(m, "switched"), dist, d100, posteriordb.Vec(m, "arsenic"), posteriordb.Vec(m, "educ"), posteriordb.Vec(m, "assoc")), nil
	}},
	"radon": {true, func(shared string) ([]byte, error) {
		m, err := posteriordb.ReadJSON(filepath.Join(shared, "posteriordb-extra", "radon_mn-radon_variable_intercept_centered", "data.json"))
		if err != nil {
			return nil, err
		}
		return synth.CSV([]string{"log_radon", "floor", "county", "log_uppm"},
			posteriordb.Vec(m, "log_radon"), posteriordb.Vec(m, "floor_measure"), posteriordb.Vec(m, "county_idx"), posteriordb.Vec(m, "log_uppm")), nil
	}},
	"kidiq": {true, func(shared string) ([]byte, error) {
		m, err := posteriordb.ReadJSON(filepath.Join(shared, "posteriordb", "kidiq-kidscore_interaction", "data.json"))
		if err != nil {
			return nil, err
		}
		return synth.CSV([]string{"kid_score", "mom_hs", "mom_iq"}, posteriordb.Vec(m, "kid_score"), posteriordb.Vec(m, "mom_hs"), posteriordb.Vec(m, "mom_iq")), nil
	}},
	"eight_schools": {true, func(shared string) ([]byte, error) {
		m, err := posteriordb.ReadJSON(filepath.Join(shared, "posteriordb", "eight_schools-eight_schools_noncentered", "data.json"))
		if err != nil {
			return nil, err
		}
		y := posteriordb.Vec(m, "y")
		school := make([]string, len(y))
		for i := range school {
			school[i] = string(rune('A' + i))
		}
		return synth.CSV([]string{"school", "y", "sigma"}, school, y, posteriordb.Vec(m, "sigma")), nil
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
		y[i] = synth.Poisson(rng, expo[i]*math.Exp(-1+0.5*x[i]))
	}
	return synth.CSV([]string{"y", "x", "exposure"}, y, x, expo)
}

func TestExampleData(t *testing.T) {
	shared := sharedDir()
	regen := os.Getenv("GOVI_REGEN_EXAMPLES") != ""
	for _, ex := range all {
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
		path := filepath.Join("data", ex.File)
		if regen {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := files.ReadFile("data/" + ex.File)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what its maker produces; regenerate with GOVI_REGEN_EXAMPLES=1", path)
		}
	}
}
