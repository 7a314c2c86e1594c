package main

import (
	"errors"
	"fmt"
	"gonum.org/v1/gonum/stat"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// checkOutDir checks, without creating anything lasting, that dir can be
// created (if needed) and written.
func checkOutDir(dir string) error {
	d := filepath.Clean(dir)
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				if d == filepath.Clean(dir) {
					return withCode(exitFailure, fmt.Errorf("--out %s: exists and is not a directory", dir))
				}
				return withCode(exitFailure, fmt.Errorf("--out %s: %s is not a directory", dir, d))
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return withCode(exitFailure, fmt.Errorf("--out %s: %w", dir, err))
		}
		parent := filepath.Dir(d)
		if parent == d {
			return withCode(exitFailure, fmt.Errorf("--out %s: no existing parent directory", dir))
		}
		d = parent
	}
	f, err := os.CreateTemp(d, ".govi-check-*")
	if err != nil {
		return withCode(exitFailure, fmt.Errorf("--out %s: cannot write in %s: %w", dir, d, err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// outputFiles lists the files a fit writes in dir.
func outputFiles(dir string) []string {
	var out []string
	for _, f := range []string{"spec.json", "draws.csv", "elbo.csv", "elbo.svg", "marginals.svg", "summary.json"} {
		out = append(out, filepath.Join(dir, f))
	}
	return out
}

// writeOutputs writes the fit's files to dir, each atomically; summary.json
// comes last, so its presence means every file was written.
func writeOutputs(dir string, fit *report.Fit, sp *spec.Model) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := sp.JSON()
	if err != nil {
		return err
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	steps := []func() error{
		func() error {
			return report.WriteFileAtomic(path("spec.json"), func(w io.Writer) error {
				_, err := w.Write(append(js, '\n'))
				return err
			})
		},
		func() error {
			return report.WriteFileAtomic(path("draws.csv"), func(w io.Writer) error { return report.WriteDrawsCSV(w, fit) })
		},
		func() error {
			return report.WriteFileAtomic(path("elbo.csv"), func(w io.Writer) error { return report.WriteELBOCSV(w, fit.Trace) })
		},
		func() error { return report.PlotELBO(path("elbo.svg"), fit.Trace) },
		func() error { return report.PlotMarginals(path("marginals.svg"), fit) },
		func() error {
			return report.WriteFileAtomic(path("summary.json"), func(w io.Writer) error { return report.WriteSummaryJSON(w, fit) })
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// reweightCheck says how far importance weighting moves the summaries: the
// largest shift of a mean (in q's sds) and change of an sd when the draws
// are reweighted by the smoothed p/q (PSIS-corrected moments cm, csd).
func reweightCheck(draws [][]float64, cm, csd, logw []float64, ess float64) string {
	S := len(draws)
	if S == 0 || len(logw) != S || len(cm) == 0 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, lw := range logw {
		lo, hi = math.Min(lo, lw), math.Max(hi, lw)
	}
	var shift, ratio float64
	col := make([]float64, S)
	for j := range draws[0] {
		for s, d := range draws {
			col[s] = d[j]
		}
		m, sd := stat.MeanStdDev(col, nil)
		if sd > 0 {
			shift = math.Max(shift, math.Abs(cm[j]-m)/sd)
			ratio = math.Max(ratio, math.Abs(csd[j]/sd-1))
		}
	}
	spread := ""
	if r := math.Exp(hi - lo); !math.IsInf(r, 0) && !math.IsNaN(r) {
		spread = fmt.Sprintf(", the largest weight is %.3g times the smallest", r)
	}
	return fmt.Sprintf("importance-weighted check: ESS %.0f of %d draws%s; reweighting the draws by p/q moves the means by at most %.2g sd and changes the sds by at most %.3g%%",
		ess, S, spread, shift, 100*ratio)
}
