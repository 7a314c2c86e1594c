package main

import (
	"errors"
	"fmt"
	"io"
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

// outputFiles are the files a fit writes, in the order written; summary.json
// comes last, so its presence means every file was written.
var outputFiles = []string{"spec.json", "draws.csv", "elbo.csv", "elbo.svg", "marginals.svg", "summary.json"}

// writeOutputs writes the fit's files to dir, each atomically.
func writeOutputs(dir string, fit *report.Fit, sp *spec.Model) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := sp.JSON()
	if err != nil {
		return err
	}
	write := map[string]func(w io.Writer) error{
		"spec.json":    func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err },
		"draws.csv":    func(w io.Writer) error { return report.WriteDrawsCSV(w, fit) },
		"elbo.csv":     func(w io.Writer) error { return report.WriteELBOCSV(w, fit.Trace) },
		"summary.json": func(w io.Writer) error { return report.WriteSummaryJSON(w, fit) },
	}
	for _, name := range outputFiles {
		path := filepath.Join(dir, name)
		switch name {
		case "elbo.svg":
			err = report.PlotELBO(path, fit.Trace)
		case "marginals.svg":
			err = report.PlotMarginals(path, fit)
		default:
			err = report.WriteFileAtomic(path, write[name])
		}
		if err != nil {
			return err
		}
	}
	return nil
}
