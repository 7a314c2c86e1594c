package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// jsonFloat is a float64 that encodes NaN and ±Inf as null and decodes null
// as NaN, so a summary is always valid JSON.
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("invalid number %s", b)
	}
	*f = jsonFloat(x)
	return nil
}

type momentJSON struct {
	Name string    `json:"name"`
	Mean jsonFloat `json:"mean"`
	SD   jsonFloat `json:"sd"`
}

type paramJSON struct {
	Name string    `json:"name"`
	Mean jsonFloat `json:"mean"`
	SD   jsonFloat `json:"sd"`
	Q5   jsonFloat `json:"q5"`
	Q50  jsonFloat `json:"q50"`
	Q95  jsonFloat `json:"q95"`
}

type priorJSON struct {
	Class string `json:"class"`
	Coef  string `json:"coef"`
	Prior string `json:"prior"`
}

type diagnosticsJSON struct {
	Khat          jsonFloat  `json:"khat"`
	ESS           jsonFloat  `json:"ess"`
	ELBO          jsonFloat  `json:"elbo"`
	ELBOSE        jsonFloat  `json:"elbo_se"`
	LogEvidence   jsonFloat  `json:"log_evidence"`
	LogEvidenceSE jsonFloat  `json:"log_evidence_se"`
	Reliability   string     `json:"reliability"`
	KhatSummaries jsonFloat  `json:"khat_summaries"`
	SummaryRel    string     `json:"summary_reliability"`
	WorstSummary  string     `json:"worst_summary"`
	Verdict       string     `json:"verdict"`
	VerdictReason string     `json:"verdict_reason"`
	KL            jsonFloat  `json:"kl"`
	KLSE          jsonFloat  `json:"kl_se"`
	MeanShift     jsonFloat  `json:"reweighted_mean_shift"`
	MeanShiftPar  string     `json:"reweighted_mean_shift_parameter"`
	SDRatio       jsonFloat  `json:"reweighted_sd_ratio"`
	SDRatioPar    string     `json:"reweighted_sd_ratio_parameter"`
	Halves        []halfJSON `json:"halves"`
}

type halfJSON struct {
	KL            jsonFloat `json:"kl"`
	KLSE          jsonFloat `json:"kl_se"`
	MeanShift     jsonFloat `json:"reweighted_mean_shift"`
	SDRatio       jsonFloat `json:"reweighted_sd_ratio"`
	KhatSummaries jsonFloat `json:"khat_summaries"`
}

type phaseJSON struct {
	Name    string    `json:"name"`
	Seconds jsonFloat `json:"seconds"`
}

// summaryJSON is the wire form of Summary; field order is output order.
type summaryJSON struct {
	Parameters   []paramJSON      `json:"parameters"`
	ELBO         jsonFloat        `json:"elbo"`
	ELBORelative bool             `json:"elbo_relative"`
	Iterations   int              `json:"iterations"`
	Converged    bool             `json:"converged"`
	Stop         string           `json:"stop"`
	Message      string           `json:"message"`
	Seconds      jsonFloat        `json:"seconds"`
	Family       string           `json:"family"`
	Link         string           `json:"link"`
	Formula      string           `json:"formula"`
	Priors       []priorJSON      `json:"priors"`
	Approx       string           `json:"approx"`
	Estimator    string           `json:"estimator"`
	Optimizer    string           `json:"optimizer"`
	Seed         uint64           `json:"seed"`
	Diagnostics  *diagnosticsJSON `json:"diagnostics"`
	Phases       []phaseJSON      `json:"phases"`
	Interrupted  bool             `json:"interrupted"`
	Warnings     []string         `json:"warnings"`
	Notes        []string         `json:"notes"`
	PSIS         []momentJSON     `json:"psis"`
	Resampled    bool             `json:"importance_resampled"`
	Data         string           `json:"data"`
	Draws        int              `json:"draws"`
}

// WriteSummaryJSON writes the fit's summary as one indented JSON object:
//
//	{"parameters": [{"name", "mean", "sd", "q5", "q50", "q95"}, ...],
//	 "elbo", "elbo_relative", "iterations", "converged", "stop", "message",
//	 "seconds", "family", "link", "formula",
//	 "priors": [{"class", "coef", "prior"}, ...],
//	 "approx", "estimator", "optimizer", "seed",
//	 "diagnostics": {"khat", "ess", "elbo", "elbo_se", "log_evidence",
//	                 "log_evidence_se", "reliability", "khat_summaries",
//	                 "summary_reliability", "worst_summary", "verdict",
//	                 "verdict_reason", "kl", "kl_se",
//	                 "reweighted_mean_shift", "reweighted_mean_shift_parameter",
//	                 "reweighted_sd_ratio", "reweighted_sd_ratio_parameter",
//	                 "halves": [{"kl", "kl_se", "reweighted_mean_shift",
//	                             "reweighted_sd_ratio", "khat_summaries"}, ...]},
//	 "phases": [{"name", "seconds"}, ...], "interrupted",
//	 "warnings": [...], "notes": [...], "psis": [...],
//	 "importance_resampled", "data", "draws"}
//
// diagnostics.verdict is "reliable", "use with care" or "unreliable" and
// kl estimates KL(q ‖ p) = log p(D) − ELBO in nats. "converged" is false
// and "interrupted" true for a run stopped by Ctrl-C.
//
// "data" (the data file name) and "draws" (the number of draws) are extra
// fields. Every key is always present: lists are [] when empty and
// "diagnostics" is null when f.Diagnostics is nil. Non-finite numbers (NaN,
// ±Inf), which JSON cannot represent, are written as null. The seed is a
// JSON integer; readers that parse numbers as float64 (JavaScript) lose
// precision above 2^53. HTML characters are not escaped, so formulas such as
// "y ~ I(x > 2)" stay readable.
func WriteSummaryJSON(w io.Writer, f *Fit) error {
	if f == nil {
		return fmt.Errorf("report: WriteSummaryJSON: nil fit")
	}
	s := summaryJSON{
		Parameters:   make([]paramJSON, len(f.Params)),
		ELBO:         jsonFloat(f.ELBO),
		ELBORelative: f.ELBORelative,
		Iterations:   f.Iterations,
		Converged:    f.Converged,
		Stop:         f.Stop,
		Message:      f.Message,
		Seconds:      jsonFloat(f.Seconds),
		Family:       f.Family,
		Link:         f.Link,
		Formula:      f.Formula,
		Priors:       make([]priorJSON, len(f.Priors)),
		Approx:       f.Approx,
		Estimator:    f.Estimator,
		Optimizer:    f.Optimizer,
		Seed:         f.Seed,
		Warnings:     append([]string{}, f.Warnings...),
		Notes:        append([]string{}, f.Notes...),
		PSIS:         []momentJSON{},
		Phases:       []phaseJSON{},
		Interrupted:  f.Interrupted,
		Resampled:    f.Resampled,
		Data:         f.Data,
		Draws:        len(f.Draws),
	}
	for i, p := range f.Params {
		s.Parameters[i] = paramJSON{p.Name, jsonFloat(p.Mean), jsonFloat(p.SD), jsonFloat(p.Q5), jsonFloat(p.Q50), jsonFloat(p.Q95)}
	}
	for i, p := range f.Priors {
		s.Priors[i] = priorJSON(p)
	}
	for _, m := range f.PSIS {
		s.PSIS = append(s.PSIS, momentJSON{m.Name, jsonFloat(m.Mean), jsonFloat(m.SD)})
	}
	for _, p := range f.Phases {
		s.Phases = append(s.Phases, phaseJSON{p.Name, jsonFloat(p.Seconds)})
	}
	if d := f.Diagnostics; d != nil {
		s.Diagnostics = &diagnosticsJSON{
			Khat:          jsonFloat(d.Khat),
			ESS:           jsonFloat(d.ESS),
			ELBO:          jsonFloat(d.ELBO),
			ELBOSE:        jsonFloat(d.ELBOSE),
			LogEvidence:   jsonFloat(d.LogEvidence),
			LogEvidenceSE: jsonFloat(d.LogEvidenceSE),
			Reliability:   d.Reliability,
			KhatSummaries: jsonFloat(d.KhatSummaries),
			SummaryRel:    d.SummaryReliability,
			WorstSummary:  d.WorstSummary,
			Verdict:       d.Verdict,
			VerdictReason: d.VerdictReason,
			KL:            jsonFloat(d.KL),
			KLSE:          jsonFloat(d.KLSE),
			MeanShift:     jsonFloat(d.MeanShift),
			MeanShiftPar:  d.MeanShiftParam,
			SDRatio:       jsonFloat(d.SDRatio),
			SDRatioPar:    d.SDRatioParam,
			Halves:        []halfJSON{},
		}
		for _, h := range d.Halves {
			s.Diagnostics.Halves = append(s.Diagnostics.Halves, halfJSON{jsonFloat(h.KL), jsonFloat(h.KLSE), jsonFloat(h.MeanShift), jsonFloat(h.SDRatio), jsonFloat(h.KhatSummaries)})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&s); err != nil {
		return fmt.Errorf("report: writing summary JSON: %w", err)
	}
	return nil
}

// ReadSummaryJSON reads a summary written by WriteSummaryJSON. A null number
// reads as NaN; a missing key leaves its zero value. Unknown keys are
// ignored so that newer files stay readable. It is an error if the input is
// not one JSON object or if anything but white space follows it.
func ReadSummaryJSON(r io.Reader) (*Summary, error) {
	dec := json.NewDecoder(r)
	var s summaryJSON
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("report: reading summary JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("report: reading summary JSON: unexpected data after the object")
	}
	out := &Summary{
		Parameters:   make([]Param, len(s.Parameters)),
		ELBO:         float64(s.ELBO),
		ELBORelative: s.ELBORelative,
		Iterations:   s.Iterations,
		Converged:    s.Converged,
		Stop:         s.Stop,
		Message:      s.Message,
		Seconds:      float64(s.Seconds),
		Family:       s.Family,
		Link:         s.Link,
		Formula:      s.Formula,
		Priors:       make([]PriorInfo, len(s.Priors)),
		Approx:       s.Approx,
		Estimator:    s.Estimator,
		Optimizer:    s.Optimizer,
		Seed:         s.Seed,
		Warnings:     s.Warnings,
		Notes:        s.Notes,
		Interrupted:  s.Interrupted,
		Resampled:    s.Resampled,
		Data:         s.Data,
		Draws:        s.Draws,
	}
	for i, p := range s.Parameters {
		out.Parameters[i] = Param{p.Name, float64(p.Mean), float64(p.SD), float64(p.Q5), float64(p.Q50), float64(p.Q95)}
	}
	for i, p := range s.Priors {
		out.Priors[i] = PriorInfo(p)
	}
	for _, m := range s.PSIS {
		out.PSIS = append(out.PSIS, Moment{m.Name, float64(m.Mean), float64(m.SD)})
	}
	for _, p := range s.Phases {
		out.Phases = append(out.Phases, Phase{p.Name, float64(p.Seconds)})
	}
	if d := s.Diagnostics; d != nil {
		out.Diagnostics = &Diagnostics{
			Khat:               float64(d.Khat),
			ESS:                float64(d.ESS),
			ELBO:               float64(d.ELBO),
			ELBOSE:             float64(d.ELBOSE),
			LogEvidence:        float64(d.LogEvidence),
			LogEvidenceSE:      float64(d.LogEvidenceSE),
			Reliability:        d.Reliability,
			KhatSummaries:      float64(d.KhatSummaries),
			SummaryReliability: d.SummaryRel,
			WorstSummary:       d.WorstSummary,
			Verdict:            d.Verdict,
			VerdictReason:      d.VerdictReason,
			KL:                 float64(d.KL),
			KLSE:               float64(d.KLSE),
			MeanShift:          float64(d.MeanShift),
			MeanShiftParam:     d.MeanShiftPar,
			SDRatio:            float64(d.SDRatio),
			SDRatioParam:       d.SDRatioPar,
		}
		for _, h := range d.Halves {
			out.Diagnostics.Halves = append(out.Diagnostics.Halves, Half{float64(h.KL), float64(h.KLSE), float64(h.MeanShift), float64(h.SDRatio), float64(h.KhatSummaries)})
		}
	}
	return out, nil
}
