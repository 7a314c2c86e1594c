package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/govi-dev/govi/bnn"
	"github.com/govi-dev/govi/optim"
	"github.com/govi-dev/govi/report"
	"github.com/govi-dev/govi/spec"
)

// networkFiles are the files a network fit writes; summary.json last.
var networkFiles = []string{"spec.json", "network.json", "elbo.csv", "elbo.svg", "summary.json"}

// networkOf returns the Network of the --bnn, --activation and
// --weight-scale flags, or nil without --bnn.
func (o *fitOptions) networkOf() (*spec.Network, error) {
	if !o.set["bnn"] {
		for _, f := range []string{"activation", "weight-scale"} {
			if o.set[f] {
				return nil, usageErrorf("--%s applies only to a network: add --bnn WIDTHS (e.g. --bnn 50,50)", f)
			}
		}
		return nil, nil
	}
	n := &spec.Network{Activation: o.activation}
	for _, w := range strings.Split(o.bnn, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || v < 1 || v > 1<<20 {
			return nil, usageErrorf("--bnn %q: want the hidden layers' widths, positive whole numbers separated by commas (e.g. 50 or 50,50)", o.bnn)
		}
		n.Hidden = append(n.Hidden, v)
	}
	if len(n.Hidden) > 64 {
		return nil, usageErrorf("--bnn %q: at most 64 hidden layers", o.bnn)
	}
	switch o.activation {
	case "", "relu", "tanh":
	default:
		hint := ""
		if s := suggestName(o.activation, []string{"relu", "tanh"}); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, usageErrorf("--activation %q: unknown value%s; use relu or tanh", o.activation, hint)
	}
	switch ws := o.weightScale; {
	case ws == "":
	case ws == "learn":
		n.LearnScale = true
	default:
		v, err := strconv.ParseFloat(ws, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, usageErrorf("--weight-scale %q: want a positive number (the prior sd of the weights) or learn", ws)
		}
		n.WeightScale = v
	}
	return n, nil
}

// checkNetworkFlags refuses the flags that apply only to regression
// models.
func (o *fitOptions) checkNetworkFlags() error {
	for _, f := range []string{"approx", "rank", "optimizer", "mc-draws", "fixed-draws", "max-iter", "tol-rel-obj", "draws", "importance-resampling", "prior", "nu", "no-center", "parameterization", "link"} {
		if o.set[f] && !(f == "approx" && o.approx == "meanfield") {
			return usageErrorf("--%s does not apply to a network model (q is mean-field, trained by adam: --epochs, --batch-size, --rate and --estimator set it)", f)
		}
	}
	return nil
}

// runNetwork fits a network model and writes its outputs.
func (o *fitOptions) runNetwork(m *spec.Model, src source, stdout, stderr io.Writer) error {
	if err := o.checkNetworkFlags(); err != nil {
		return err
	}
	fr, err := o.read(m, src)
	if err != nil {
		return err
	}
	var budget int64
	if o.memory != "" {
		budget, _ = parseBytes(o.memory)
	}
	b, err := m.BuildNetwork(fr, budget)
	var me *bnn.MemoryError
	if errors.As(err, &me) {
		return withCode(exitFailure, fmt.Errorf("%v: use fewer or narrower hidden layers (--bnn), fewer rows, or a larger --memory", me))
	}
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := checkOutDir(o.out, networkFiles); err != nil {
			return err
		}
	}
	est := ""
	switch {
	case o.set["estimator"] && o.estimator == "mc":
		est = "lrt"
	case o.set["estimator"]:
		est = "moments"
	}
	ctx, stop := interrupts()
	defer stop()
	n := b.Net.NumRows()
	settings := spec.NetworkSettings{Epochs: o.epochs, BatchSize: o.batchSize, Rate: o.rate, Estimator: est, Seed: o.seed}.Resolved(n)
	prog := report.NewProgress(stderr, o.quiet, 0)
	batches := (n + settings.BatchSize - 1) / settings.BatchSize
	settings.Callback = func(epoch int, elbo float64) error {
		return prog.Callback(optim.Progress{Iter: epoch * batches, F: elbo, Max: settings.Epochs * batches, Epoch: epoch, MaxEpochs: settings.Epochs, Rows: epoch * n})
	}
	nf, err := b.Fit(ctx, settings)
	if err != nil {
		prog.Done("failed")
		if ctx.Err() != nil {
			return &ExitError{Code: exitInterrupted, Err: errors.New("interrupted: nothing written")}
		}
		return withCode(exitFailure, fmt.Errorf("training failed: %w", err))
	}
	status := "completed"
	if nf.Interrupted {
		status = "canceled"
	}
	prog.Done(status)
	rep, err := nf.Report(src.name())
	if err != nil {
		return withCode(exitFailure, err)
	}
	report.PrintNetwork(stdout, rep)
	if o.out != "" {
		outs, err := networkOutputs(nf, rep)
		if err != nil {
			return withCode(exitFailure, err)
		}
		if err := writeAll(ctx, o.out, outs, nf.Interrupted, o.quiet, stderr); err != nil {
			return err
		}
	}
	if nf.Interrupted {
		return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("interrupted after %d epochs", nf.Train.Epochs)}
	}
	return nil
}

// networkOutputs returns the files of a network fit, in the order
// networkFiles gives.
func networkOutputs(nf *spec.NetworkFit, r *report.NetworkFit) ([]report.Output, error) {
	js, err := nf.Spec.JSON()
	if err != nil {
		return nil, err
	}
	saved := nf.Save()
	if _, err := nf.Net.MeanFieldOf(saved.Mean, saved.SD); err != nil {
		return nil, fmt.Errorf("the fitted q is not finite (%v): nothing written", err)
	}
	return []report.Output{
		{Name: "spec.json", Write: func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err }},
		{Name: "network.json", Write: func(w io.Writer) error { return json.NewEncoder(w).Encode(saved) }},
		{Name: "elbo.csv", Write: func(w io.Writer) error { return report.WriteEpochCSV(w, r.Trace) }},
		{Name: "elbo.svg", Save: func(path string) error { return report.PlotEpochELBO(path, r.Trace) }},
		{Name: "summary.json", Write: func(w io.Writer) error { return report.WriteNetworkJSON(w, r) }},
	}, nil
}
