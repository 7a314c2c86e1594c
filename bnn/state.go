package bnn

import (
	"fmt"
	"math"
	"slices"

	"github.com/govi-dev/govi/family"
)

// State is what a trained network's predictions need besides q: the
// specification, the number of inputs, the classes, the standardization
// of the training data and the prior scales (learned ones included). It
// round-trips through JSON, so a fit can be saved and predicted from
// later (Restore).
type State struct {
	Spec    Spec      `json:"spec"`
	Inputs  int       `json:"inputs"`
	Classes []float64 `json:"classes,omitempty"`
	XMean   []float64 `json:"x_mean"`
	XSD     []float64 `json:"x_sd"`
	YMean   float64   `json:"y_mean"`
	YSD     float64   `json:"y_sd"`
	// LogScale holds the per-layer log prior sds (Network.Hyper).
	LogScale []float64 `json:"log_scale"`
}

// State returns the network's state.
func (n *Network) State() State {
	s := State{Spec: n.Spec(), Inputs: n.p, XMean: slices.Clone(n.xMean), XSD: slices.Clone(n.xSD), YMean: n.yMean, YSD: n.ySD, LogScale: n.Hyper()}
	if n.lik == Categorical {
		s.Classes = slices.Clone(n.classes)
	}
	return s
}

// Restore returns the network of a saved state, without training data:
// Predict and LogPredictive work as on the network the state came from,
// and so does LogDensity, which is then the log prior. It checks the
// state as New checks its arguments, and wraps ErrSpec.
func Restore(s State) (*Network, error) {
	if err := s.Spec.check(); err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: saved state: "+format, append([]any{ErrSpec}, a...)...)
	}
	if s.Inputs < 1 {
		return nil, bad("%d inputs", s.Inputs)
	}
	if len(s.XMean) != s.Inputs || len(s.XSD) != s.Inputs {
		return nil, bad("%d input means and %d sds for %d inputs", len(s.XMean), len(s.XSD), s.Inputs)
	}
	for j := range s.XMean {
		if !finite(s.XMean[j]) || !(s.XSD[j] > 0) || math.IsInf(s.XSD[j], 0) {
			return nil, bad("input %d standardized by mean %g and sd %g", j, s.XMean[j], s.XSD[j])
		}
	}
	if !finite(s.YMean) || !(s.YSD > 0) || math.IsInf(s.YSD, 0) {
		return nil, bad("response standardized by mean %g and sd %g", s.YMean, s.YSD)
	}
	out := 1
	switch s.Spec.Likelihood {
	case Gaussian, Bernoulli:
		if len(s.Classes) > 0 {
			return nil, bad("classes for a %v likelihood", s.Spec.Likelihood)
		}
	case Categorical:
		if len(s.Classes) < 2 || !slices.IsSorted(s.Classes) || len(slices.Compact(slices.Clone(s.Classes))) != len(s.Classes) {
			return nil, bad("classes %v (want two or more, sorted and distinct)", s.Classes)
		}
		out = len(s.Classes)
	default:
		return nil, fmt.Errorf("%w: unknown likelihood %v", ErrSpec, s.Spec.Likelihood)
	}
	sizes := append(append([]int{s.Inputs}, s.Spec.Hidden...), out)
	if len(s.LogScale) != len(sizes)-1 {
		return nil, bad("%d prior scales for %d layers", len(s.LogScale), len(sizes)-1)
	}
	for _, v := range s.LogScale {
		if !finite(v) {
			return nil, bad("log prior scale %g", v)
		}
	}
	net := layout(s.Spec, sizes, slices.Clone(s.Classes))
	net.xMean, net.xSD = slices.Clone(s.XMean), slices.Clone(s.XSD)
	net.yMean, net.ySD = s.YMean, s.YSD
	copy(net.logScale, s.LogScale)
	return net, nil
}

// MeanFieldOf returns the mean-field family with the given means and sds
// for a network of dimension n.Dim(), checking both: the form in which a
// fit saves q.
func (n *Network) MeanFieldOf(mean, sd []float64) (*family.MeanField, error) {
	if len(mean) != n.dim || len(sd) != n.dim {
		return nil, fmt.Errorf("%w: %d means and %d sds for a network with %d coordinates", ErrSpec, len(mean), len(sd), n.dim)
	}
	for j := range mean {
		if !finite(mean[j]) || !(sd[j] > 0) || math.IsInf(sd[j], 0) {
			return nil, fmt.Errorf("%w: coordinate %d has mean %g and sd %g", ErrSpec, j, mean[j], sd[j])
		}
	}
	q := family.NewMeanField(n.dim)
	q.SetMeanSD(mean, sd)
	return q, nil
}

// MarshalText returns the activation's name, relu or tanh.
func (a Activation) MarshalText() ([]byte, error) {
	if a != ReLU && a != Tanh {
		return nil, fmt.Errorf("%w: unknown activation %d", ErrSpec, int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads relu or tanh.
func (a *Activation) UnmarshalText(b []byte) error {
	for _, c := range []Activation{ReLU, Tanh} {
		if string(b) == c.String() {
			*a = c
			return nil
		}
	}
	return fmt.Errorf("%w: unknown activation %q (want relu or tanh)", ErrSpec, clip(string(b)))
}

// MarshalText returns the likelihood's name.
func (l Likelihood) MarshalText() ([]byte, error) {
	if l != Gaussian && l != Bernoulli && l != Categorical {
		return nil, fmt.Errorf("%w: unknown likelihood %d", ErrSpec, int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads gaussian, bernoulli or categorical.
func (l *Likelihood) UnmarshalText(b []byte) error {
	for _, c := range []Likelihood{Gaussian, Bernoulli, Categorical} {
		if string(b) == c.String() {
			*l = c
			return nil
		}
	}
	return fmt.Errorf("%w: unknown likelihood %q (want gaussian, bernoulli or categorical)", ErrSpec, clip(string(b)))
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
