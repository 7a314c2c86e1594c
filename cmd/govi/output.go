package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// checkOutDir checks, without creating anything lasting, that dir can be
// created (if needed) and written, and that no output file is in the way.
func checkOutDir(dir string, files []string) error {
	if err := report.CheckOutDir(dir, files); err != nil {
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

// fitOutputs returns the files of a fit, in the order outputFiles gives.
func fitOutputs(fit *report.Fit, sp *spec.Model) ([]report.Output, error) {
	if err := report.CheckFinite(fit); err != nil {
		return nil, err
	}
	js, err := sp.JSON()
	if err != nil {
		return nil, err
	}
	return []report.Output{
		{Name: "spec.json", Write: func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err }},
		{Name: "draws.csv", Write: func(w io.Writer) error { return report.WriteDrawsCSV(w, fit) }},
		{Name: "elbo.csv", Write: func(w io.Writer) error { return report.WriteELBOCSV(w, fit.Trace) }},
		{Name: "elbo.svg", Save: func(path string) error { return report.PlotELBO(path, fit.Trace) }},
		{Name: "marginals.svg", Save: func(path string) error { return report.PlotMarginals(path, fit) }},
		{Name: "summary.json", Write: func(w io.Writer) error { return report.WriteSummaryJSON(w, fit) }},
	}, nil
}

// writeAll writes the outputs to dir (report.WriteFiles), and lists them
// on stderr unless quiet. After an interrupted fit its outputs are written
// whole (a second Ctrl-C exits at once); otherwise Ctrl-C stops writing,
// and nothing of this run is left.
func writeAll(ctx context.Context, dir string, outs []report.Output, interrupted, quiet bool, stderr io.Writer) error {
	if interrupted {
		ctx = context.WithoutCancel(ctx)
	}
	if err := report.WriteFiles(ctx, dir, outs); err != nil {
		if ctx.Err() != nil {
			return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("interrupted while writing to %s: nothing written", dir)}
		}
		return withCode(exitFailure, err)
	}
	if !quiet {
		var files []string
		for _, o := range outs {
			files = append(files, filepath.Join(dir, o.Name))
		}
		fmt.Fprintf(stderr, "wrote %s\n", strings.Join(files, ", "))
	}
	return nil
}
