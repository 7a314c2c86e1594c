package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/data"
	"github.com/govi-dev/govi/formula"
	"github.com/govi-dev/govi/spec"
)

// source is where the data come from: a file or a bundled example.
type source struct {
	path    string
	example *example
}

func (s source) name() string {
	if s.example != nil {
		return s.example.File
	}
	return s.path
}

func (s source) read(opt data.Options) (*data.Frame, error) {
	if s.example != nil {
		return data.ReadCSV(bytes.NewReader(s.example.bytes()), s.example.File, opt)
	}
	return data.ReadFile(s.path, opt)
}

// header returns the column names of the data.
func (s source) header() ([]string, error) {
	var r io.Reader
	comma := ','
	if s.example != nil {
		r = bytes.NewReader(s.example.bytes())
	} else {
		f, err := os.Open(s.path)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		defer f.Close()
		r = f
		if strings.EqualFold(filepath.Ext(s.path), ".tsv") {
			comma = '\t'
		}
	}
	return readHeader(r, s.name(), comma)
}

// prepared is a model built on its data, ready to fit.
type prepared struct {
	model    *spec.Model
	frame    *data.Frame
	built    *spec.Built
	warnings []string
}

// prepare reads the data the formula uses and builds the model, sorting
// errors into usage errors and data errors.
func prepare(m *spec.Model, src source, dropMissing bool, categorical []string) (*prepared, error) {
	f, err := formula.Parse(m.Formula)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	cols := f.Columns()
	for _, c := range categorical {
		if !slices.Contains(cols, c) {
			return nil, usageErrorf("--categorical %s: the formula does not use a column %q (it uses %s)", c, c, strings.Join(cols, ", "))
		}
	}
	if m.Recipe != nil {
		categorical = append(categorical, m.Recipe.Categorical()...)
	}
	fr, err := src.read(data.Options{DropMissing: dropMissing, Columns: cols, Categorical: categorical})
	if err != nil {
		return nil, withCode(exitData, err)
	}
	if err := fr.CheckMissing(cols); err != nil {
		return nil, withCode(exitData, err)
	}
	var warnings []string
	if fr.Dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("--drop-missing dropped %d of %d rows with missing values in %s", fr.Dropped, fr.Rows+fr.Dropped, strings.Join(cols, ", ")))
	}
	// Evaluate the formula first: its errors are about the data.
	des, _, err := f.Build(fr)
	if err != nil {
		return nil, withCode(exitData, err)
	}
	switch {
	case des.SE != nil && m.Family != "gaussian":
		return nil, usageErrorf("se() in the formula is only for --family gaussian, not %s", m.Family)
	case des.Trials != nil && m.Family != "binomial":
		return nil, usageErrorf("trials() and cbind() in the formula are only for --family binomial, not %s", m.Family)
	case des.Trials == nil && m.Family == "binomial":
		return nil, usageErrorf("--family binomial needs the number of trials: write \"successes | trials(n) ~ ...\" or \"cbind(successes, failures) ~ ...\" (for 0/1 outcomes use --family bernoulli)")
	}
	built, err := m.Build(fr)
	if err != nil {
		if strings.HasPrefix(err.Error(), "spec: prior ") {
			return nil, usageErrorf("%s", trimPrefix(err))
		}
		return nil, withCode(exitData, errors.New(trimPrefix(err)))
	}
	warnings = append(warnings, built.Warnings...)
	warnings = append(warnings, flatUnidentified(built)...)
	return &prepared{model: m, frame: fr, built: built, warnings: warnings}, nil
}

// flatUnidentified warns about constant or duplicate columns whose
// coefficients have a flat prior: the posterior is then improper.
func flatUnidentified(b *spec.Built) []string {
	x := b.Design.X
	if x == nil {
		return nil
	}
	n, p := x.Dims()
	var out []string
	flat := func(j int) bool { return b.Linear.CoefPrior(j) == nil }
	col := func(j int) []float64 { return mat.Col(nil, j, x) }
	for j := 0; j < p; j++ {
		if j == 0 && b.Design.Intercept {
			continue
		}
		c := col(j)
		constant := true
		for i := 1; i < n; i++ {
			if c[i] != c[0] {
				constant = false
				break
			}
		}
		if constant && flat(j) && (b.Design.Intercept && flat(0) || c[0] == 0) {
			out = append(out, fmt.Sprintf("coefficient %s is unidentified without a proper prior, and its prior is flat: the posterior is improper; give it one, e.g. --prior \"b[%s] ~ normal(0, 1)\"", b.Design.Names[j], b.Design.Names[j]))
		}
		for k := 0; k < j; k++ {
			if flat(j) && flat(k) && slices.Equal(c, col(k)) {
				out = append(out, fmt.Sprintf("coefficients %s and %s are unidentified without a proper prior, and their priors are flat: the posterior is improper", b.Design.Names[k], b.Design.Names[j]))
			}
		}
	}
	return out
}
