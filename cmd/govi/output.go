package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// checkOutDir checks, without creating anything lasting, that dir can be
// created (if needed) and written, and that no output file is in the way.
func checkOutDir(dir string) error {
	if err := report.CheckOutDir(dir, outputFiles); err != nil {
		return withCode(exitFailure, fmt.Errorf("--out %s: %w", dir, err))
	}
	return nil
}

// interrupts returns a context canceled by the first Ctrl-C; a second
// Ctrl-C exits at once with exit code 130.
func interrupts() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt)
	go func() {
		if _, ok := <-ch; !ok {
			return
		}
		cancel()
		if _, ok := <-ch; ok {
			fmt.Fprintln(os.Stderr, "govi: interrupted twice: exiting at once")
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); close(ch); cancel() }
}

// outputFiles are the files a fit writes, in the order written; summary.json
// comes last, so its presence means every file was written.
var outputFiles = []string{"spec.json", "draws.csv", "elbo.csv", "elbo.svg", "marginals.svg", "summary.json"}

// writeOutputs writes the fit's files to dir, each atomically. On an
// error or an interrupt (ctx) it removes the files it wrote, so that
// either every output is there, whole, or none of this run's.
func writeOutputs(ctx context.Context, dir string, fit *report.Fit, sp *spec.Model) (err error) {
	if err := report.CheckFinite(fit); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
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
		if ctx.Err() != nil {
			return ctx.Err()
		}
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
		written = append(written, path)
	}
	return nil
}
