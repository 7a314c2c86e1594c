package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// NetworkFit is the report of a trained Bayesian neural network (govi fit
// --bnn): the architecture, the training run and the fit to the training
// data.
type NetworkFit struct {
	Formula, Family, Data string
	// Sizes are the layer widths, inputs first; Activation the hidden
	// units' nonlinearity; Inputs the input columns.
	Sizes      []int
	Activation string
	Inputs     []string
	// Weights counts the weights and biases.
	Weights int
	// Approx and Estimator name q and the ELBO's estimator.
	Approx, Estimator string
	Seed              uint64
	// Epochs, BatchSize, Steps and Rejected describe the training run;
	// Seconds is its wall time (training alone).
	Epochs, BatchSize, Steps, Rejected int
	Seconds                            float64
	// Stop says why training stopped; Converged is false when it was
	// interrupted.
	Stop      string
	Converged bool
	// Trace holds the ELBO of each epoch; ELBO is the last.
	ELBO  float64
	Trace []float64
	// PriorSD holds each layer's prior sd of the weights (learned or
	// fixed).
	PriorSD []float64
	// NoiseSD is the posterior mean of a gaussian likelihood's noise sd
	// on the data's scale, NaN otherwise.
	NoiseSD float64
	// TrainLPD is the mean log predictive density of the training rows;
	// TrainAccuracy (classifiers) and TrainRMSE (regression) the accuracy
	// of the predicted class and the RMSE of the predictive mean on the
	// data's scale, NaN where they do not apply.
	TrainLPD, TrainAccuracy, TrainRMSE float64
	Warnings                           []string
}

// Architecture renders the sizes as "13-50-50-1".
func (f *NetworkFit) Architecture() string {
	s := make([]string, len(f.Sizes))
	for i, v := range f.Sizes {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, "-")
}

// PrintNetwork writes the human-readable report of a trained network.
func PrintNetwork(w io.Writer, f *NetworkFit) {
	hidden := "no hidden layers (a linear model)"
	if len(f.Sizes) > 2 {
		hidden = fmt.Sprintf("%d hidden layer(s) of %s units", len(f.Sizes)-2, f.Activation)
	}
	fmt.Fprintf(w, "govi Bayesian neural network\n")
	fmt.Fprintf(w, " family:    %s\n", f.Family)
	fmt.Fprintf(w, " formula:   %s\n", f.Formula)
	if f.Data != "" {
		fmt.Fprintf(w, " data:      %s\n", f.Data)
	}
	fmt.Fprintf(w, " network:   %s, %s, %d weights\n", f.Architecture(), hidden, f.Weights)
	fmt.Fprintf(w, " approx:    %s, %s ELBO, adam on batches of %d rows\n", f.Approx, f.Estimator, f.BatchSize)
	fmt.Fprintf(w, " seed:      %d\n\n", f.Seed)
	sds := make([]string, len(f.PriorSD))
	for i, v := range f.PriorSD {
		sds[i] = strconv.FormatFloat(v, 'g', 3, 64)
	}
	fmt.Fprintf(w, "Prior sd of the weights by layer: %s\n", strings.Join(sds, ", "))
	if !math.IsNaN(f.NoiseSD) {
		fmt.Fprintf(w, "Noise sd (posterior mean): %s\n", strconv.FormatFloat(f.NoiseSD, 'g', 4, 64))
	}
	fmt.Fprintf(w, "Training rows: mean log predictive density %.4f", f.TrainLPD)
	switch {
	case !math.IsNaN(f.TrainAccuracy):
		fmt.Fprintf(w, ", accuracy %.4f\n", f.TrainAccuracy)
	case !math.IsNaN(f.TrainRMSE):
		fmt.Fprintf(w, ", RMSE %s\n", strconv.FormatFloat(f.TrainRMSE, 'g', 4, 64))
	default:
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nELBO: %s (last epoch)\n", fixed2(f.ELBO))
	fmt.Fprintf(w, "Epochs: %d (%d steps, %d rejected)\n", f.Epochs, f.Steps, f.Rejected)
	fmt.Fprintf(w, "Time: %.2f s (training)\n", f.Seconds)
	fmt.Fprintf(w, "Stop: %s\n", f.Stop)
	for _, m := range f.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", m)
	}
}

// networkJSON is the layout of a network's summary.json.
type networkJSON struct {
	Model struct {
		Formula      string   `json:"formula"`
		Family       string   `json:"family"`
		Architecture string   `json:"architecture"`
		Sizes        []int    `json:"sizes"`
		Activation   string   `json:"activation"`
		Inputs       []string `json:"inputs"`
		Weights      int      `json:"weights"`
	} `json:"model"`
	Approx     string      `json:"approx"`
	Estimator  string      `json:"estimator"`
	Seed       uint64      `json:"seed"`
	Epochs     int         `json:"epochs"`
	BatchSize  int         `json:"batch_size"`
	Steps      int         `json:"steps"`
	Rejected   int         `json:"rejected"`
	Seconds    jsonFloat   `json:"seconds"`
	Converged  bool        `json:"converged"`
	Stop       string      `json:"stop"`
	ELBO       jsonFloat   `json:"elbo"`
	PriorSD    []jsonFloat `json:"prior_sd"`
	NoiseSD    *jsonFloat  `json:"noise_sd,omitempty"`
	Training   trainJSON   `json:"training"`
	Warnings   []string    `json:"warnings"`
	ELBOTraceN int         `json:"elbo_trace_epochs"`
}

type trainJSON struct {
	LPD      jsonFloat  `json:"mean_log_pd"`
	Accuracy *jsonFloat `json:"accuracy,omitempty"`
	RMSE     *jsonFloat `json:"rmse,omitempty"`
}

// WriteNetworkJSON writes a network's summary.json. Non-finite numbers
// are written as null.
func WriteNetworkJSON(w io.Writer, f *NetworkFit) error {
	var s networkJSON
	s.Model.Formula, s.Model.Family, s.Model.Architecture = f.Formula, f.Family, f.Architecture()
	s.Model.Sizes, s.Model.Activation, s.Model.Inputs, s.Model.Weights = f.Sizes, f.Activation, f.Inputs, f.Weights
	s.Approx, s.Estimator, s.Seed = f.Approx, f.Estimator, f.Seed
	s.Epochs, s.BatchSize, s.Steps, s.Rejected = f.Epochs, f.BatchSize, f.Steps, f.Rejected
	s.Seconds, s.Converged, s.Stop, s.ELBO = jsonFloat(f.Seconds), f.Converged, f.Stop, jsonFloat(f.ELBO)
	for _, v := range f.PriorSD {
		s.PriorSD = append(s.PriorSD, jsonFloat(v))
	}
	opt := func(v float64) *jsonFloat {
		if math.IsNaN(v) {
			return nil
		}
		j := jsonFloat(v)
		return &j
	}
	s.NoiseSD = opt(f.NoiseSD)
	s.Training = trainJSON{LPD: jsonFloat(f.TrainLPD), Accuracy: opt(f.TrainAccuracy), RMSE: opt(f.TrainRMSE)}
	s.Warnings = f.Warnings
	if s.Warnings == nil {
		s.Warnings = []string{}
	}
	s.ELBOTraceN = len(f.Trace)
	b, err := json.MarshalIndent(&s, "", "  ")
	if err != nil {
		return fmt.Errorf("report: writing network summary JSON: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
