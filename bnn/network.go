package bnn

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/model"
)

// Activation is the nonlinearity of the hidden units.
type Activation int

// Activations.
const (
	ReLU Activation = iota // max(0, a)
	Tanh                   // tanh(a)
)

func (a Activation) String() string {
	switch a {
	case ReLU:
		return "relu"
	case Tanh:
		return "tanh"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Likelihood is the distribution of the response given the network's
// output.
type Likelihood int

// Likelihoods.
const (
	// Gaussian: y ~ N(f(x), σ²) on the standardized response, with
	// log σ a coordinate of θ under the prior N(Prior.NoiseMu,
	// Prior.NoiseSD²); the network has one output.
	Gaussian Likelihood = iota
	// Bernoulli: y ∈ {0, 1} with P(y = 1) = logistic(f(x)); one output.
	Bernoulli
	// Categorical: y takes K ≥ 2 distinct values (the classes, sorted),
	// with P(y = class k) = softmax(f(x))ₖ; K outputs.
	Categorical
)

func (l Likelihood) String() string {
	switch l {
	case Gaussian:
		return "gaussian"
	case Bernoulli:
		return "bernoulli"
	case Categorical:
		return "categorical"
	}
	return fmt.Sprintf("Likelihood(%d)", int(l))
}

// Prior is the prior on θ: every weight and bias of layer l is
// N(0, s_l²), independently, and, for a Gaussian likelihood, the log of the
// noise sd σ is N(NoiseMu, NoiseSD²).
//
// With Learn unset the scales are fixed: s_l = Scale, or Scale/√(fan-in
// of layer l) with FanIn. With Learn set, log s_l is a hyperparameter of
// the model (empirical Bayes, type-II maximum likelihood): Train
// maximizes the ELBO over log s_l jointly with q's parameters, starting
// from the fixed value, so each layer finds the weight scale its data
// support. The ELBO is then a lower bound on log p(D | s), not on an
// evidence marginalized over s. Estimators used through govi.Fit keep the
// scales at their current values.
type Prior struct {
	// Scale is the prior sd s of the weights and biases. Zero means 1.
	Scale float64 `json:"scale,omitempty"`
	// FanIn divides the scale of each layer's weights and biases by the
	// square root of the layer's number of inputs (Neal 1996), which keeps
	// the prior variance of every pre-activation near Scale² whatever the
	// width.
	FanIn bool `json:"fan_in,omitempty"`
	// Learn makes the per-layer log scales hyperparameters optimized with
	// the ELBO by Train (empirical Bayes).
	Learn bool `json:"learn,omitempty"`
	// NoiseMu and NoiseSD give the prior N(NoiseMu, NoiseSD²) of log σ, the
	// log noise sd of a Gaussian likelihood on the standardized response.
	// Zero NoiseSD means NoiseMu = 0 and NoiseSD = 1: σ is lognormal with
	// median 1, the sd of the response, and 95% of its mass between 0.14
	// and 7.
	NoiseMu float64 `json:"noise_mu,omitempty"`
	NoiseSD float64 `json:"noise_sd,omitempty"`
}

// Spec describes a network.
type Spec struct {
	// Hidden holds the widths of the hidden layers, input side first. No
	// hidden layer is a generalized linear model.
	Hidden []int `json:"hidden"`
	// Activation is the nonlinearity of every hidden layer.
	Activation Activation `json:"activation"`
	// Likelihood is the response distribution.
	Likelihood Likelihood `json:"likelihood"`
	// Prior is the prior on the weights (and the noise sd).
	Prior Prior `json:"prior"`
	// MaxBytes is the memory budget: New refuses, with a *MemoryError and
	// before allocating, a network whose data, model, mean-field family,
	// optimizer state and training workspace (EstimateBytes) need more.
	// Zero means DefaultBudget().
	MaxBytes int64 `json:"max_bytes,omitempty"`
}

// layer describes the weights of one layer: W (In×Out, row-major) at
// θ[W:W+In·Out] and b at θ[B:B+Out].
type layer struct {
	In, Out int
	W, B    int
}

// Network is a fully connected Bayesian neural network with its training
// data: the model p(θ) Πᵢ p(yᵢ | xᵢ, θ) over the flattened vector θ of
// weights and biases (and log σ for a Gaussian likelihood). It implements
// model.Differentiable, model.Rows and model.GaussianPrior, so govi.Fit
// and every estimator of package elbo accept it, as well as this
// package's LocalReparam and Moments.
//
// Inputs are standardized with the training data's column means and sds,
// and so is a Gaussian response; the network keeps the scaling and
// applies it to new data in Predict and LogPredictive, which report on the
// data's scale.
//
// Its methods are safe for concurrent use, except SetHyper and Train,
// which change the prior scales.
type Network struct {
	spec   Spec
	act    Activation
	lik    Likelihood
	sizes  []int // p, hidden widths, outputs
	layers []layer
	nw     int // weights and biases
	dim    int // len(θ)
	noise  int // index of log σ in θ, or −1

	n, p int
	x    []float64 // standardized inputs, n×p
	// The estimators' inputs: column j is xe = x/sd with the offset
	// xoff = mean/sd subtracted inside the first layer (x_std = xe − xoff)
	// when the raw column is sparse (a quarter or more zeros, which the
	// products then skip), and x_std with xoff = 0 otherwise; xe2 holds
	// x_std² − xoff² = xe(xe − 2·xoff), zero where xe is.
	xe, xe2 []float64
	xoff    []float64
	y       []float64 // standardized response; 0/1; or class index
	xMean   []float64
	xSD     []float64
	yMean   float64
	ySD     float64
	classes []float64

	logScale []float64 // per-layer log prior sd (hyperparameters)
	noiseMu  float64
	noiseSD  float64

	work sync.Pool // *pointWork for LogDensityRows
}

var (
	_ model.Rows          = (*Network)(nil)
	_ model.GaussianPrior = (*Network)(nil)
)

// Sentinel errors.
var (
	// ErrData is wrapped by errors about the data given to New, Predict or
	// LogPredictive.
	ErrData = errors.New("bnn: invalid data")
	// ErrSpec is wrapped by errors about a Spec.
	ErrSpec = errors.New("bnn: invalid network specification")
)

// New returns the network spec with training data x (N×p) and y (N).
// For a Categorical likelihood the classes are the distinct values of y,
// sorted; for Bernoulli y must be 0 or 1.
func New(spec Spec, x *mat.Dense, y []float64) (*Network, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: no inputs", ErrData)
	}
	n, p := x.Dims()
	if n != len(y) {
		return nil, fmt.Errorf("%w: %d rows of inputs, %d responses", ErrData, n, len(y))
	}
	if n < 1 || p < 1 {
		return nil, fmt.Errorf("%w: need at least one row and one column", ErrData)
	}
	if err := spec.check(); err != nil {
		return nil, err
	}
	var classes []float64
	out := 1
	switch spec.Likelihood {
	case Gaussian:
	case Bernoulli:
		for i, v := range y {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("%w: bernoulli response %g in row %d (want 0 or 1)", ErrData, v, i)
			}
		}
	case Categorical:
		classes = append([]float64(nil), y...)
		slices.Sort(classes)
		classes = slices.Compact(classes)
		if len(classes) < 2 {
			return nil, fmt.Errorf("%w: a categorical response needs at least two classes, found %d", ErrData, len(classes))
		}
		out = len(classes)
	default:
		return nil, fmt.Errorf("%w: unknown likelihood %v", ErrSpec, spec.Likelihood)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: response %g in row %d", ErrData, v, i)
		}
	}
	sizes := append(append([]int{p}, spec.Hidden...), out)
	budget := spec.MaxBytes
	if budget <= 0 {
		budget = DefaultBudget()
	}
	if need := EstimateBytes(sizes, spec.Likelihood == Gaussian, n); need > float64(budget) {
		return nil, &MemoryError{Sizes: sizes, Rows: n, Need: need, Budget: budget}
	}
	net := layout(spec, sizes, classes)
	net.n = n
	// Standardize.
	net.xMean = make([]float64, p)
	net.xSD = make([]float64, p)
	for j := 0; j < p; j++ {
		s := 0.0
		for i := 0; i < n; i++ {
			v := x.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: input %g in row %d, column %d", ErrData, v, i, j)
			}
			s += v
		}
		mean := s / float64(n)
		ss := 0.0
		for i := 0; i < n; i++ {
			d := x.At(i, j) - mean
			ss += d * d
		}
		sd := math.Sqrt(ss / float64(n))
		if !(sd > 1e-12*math.Max(1, math.Abs(mean))) {
			sd = 1 // a constant column: centered only
		}
		net.xMean[j], net.xSD[j] = mean, sd
	}
	net.x = make([]float64, n*p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			net.x[i*p+j] = (x.At(i, j) - net.xMean[j]) / net.xSD[j]
		}
	}
	net.xe = make([]float64, n*p)
	net.xe2 = make([]float64, n*p)
	net.xoff = make([]float64, p)
	for j := 0; j < p; j++ {
		zeros := 0
		for i := 0; i < n; i++ {
			if x.At(i, j) == 0 {
				zeros++
			}
		}
		off := net.xMean[j] / net.xSD[j]
		raw := 4*zeros >= n && math.Abs(off) <= 4 && off != 0
		if raw {
			net.xoff[j] = off
		}
		for i := 0; i < n; i++ {
			v := net.x[i*p+j]
			if raw {
				v = x.At(i, j) / net.xSD[j]
			}
			net.xe[i*p+j] = v
			net.xe2[i*p+j] = v * (v - 2*net.xoff[j])
		}
	}
	net.y = make([]float64, n)
	net.ySD = 1
	switch net.lik {
	case Gaussian:
		s := 0.0
		for _, v := range y {
			s += v
		}
		net.yMean = s / float64(n)
		ss := 0.0
		for _, v := range y {
			ss += (v - net.yMean) * (v - net.yMean)
		}
		net.ySD = math.Sqrt(ss / float64(n))
		if !(net.ySD > 1e-12*math.Max(1, math.Abs(net.yMean))) {
			net.ySD = 1
		}
		for i, v := range y {
			net.y[i] = (v - net.yMean) / net.ySD
		}
	case Bernoulli:
		copy(net.y, y)
	case Categorical:
		for i, v := range y {
			k, _ := slices.BinarySearch(classes, v)
			net.y[i] = float64(k)
		}
	}
	return net, nil
}

// check validates the specification's fields other than the likelihood.
func (spec Spec) check() error {
	for _, w := range spec.Hidden {
		if w < 1 {
			return fmt.Errorf("%w: hidden layer width %d", ErrSpec, w)
		}
	}
	if spec.Activation != ReLU && spec.Activation != Tanh {
		return fmt.Errorf("%w: unknown activation %v", ErrSpec, spec.Activation)
	}
	pr := spec.Prior
	if pr.Scale < 0 || math.IsInf(pr.Scale, 0) || math.IsNaN(pr.Scale) {
		return fmt.Errorf("%w: prior scale %g", ErrSpec, pr.Scale)
	}
	if pr.NoiseSD < 0 || math.IsNaN(pr.NoiseSD) || math.IsInf(pr.NoiseSD, 0) || math.IsNaN(pr.NoiseMu) || math.IsInf(pr.NoiseMu, 0) {
		return fmt.Errorf("%w: noise prior N(%g, %g²)", ErrSpec, pr.NoiseMu, pr.NoiseSD)
	}
	return nil
}

// layout returns the network of spec with the layer widths sizes (inputs
// first) and the classes of a Categorical likelihood, without data.
func layout(spec Spec, sizes []int, classes []float64) *Network {
	net := &Network{spec: spec, act: spec.Activation, lik: spec.Likelihood, sizes: sizes, p: sizes[0], classes: classes, noise: -1}
	net.spec.Hidden = slices.Clone(spec.Hidden)
	off := 0
	for l := 1; l < len(sizes); l++ {
		in, o := sizes[l-1], sizes[l]
		net.layers = append(net.layers, layer{In: in, Out: o, W: off, B: off + in*o})
		off += (in + 1) * o
	}
	net.nw = off
	net.dim = off
	if net.lik == Gaussian {
		net.noise = off
		net.dim++
	}
	pr := spec.Prior
	scale := pr.Scale
	if scale == 0 {
		scale = 1
	}
	net.logScale = make([]float64, len(net.layers))
	for l, ly := range net.layers {
		s := scale
		if pr.FanIn {
			s /= math.Sqrt(float64(ly.In))
		}
		net.logScale[l] = math.Log(s)
	}
	net.noiseMu, net.noiseSD = pr.NoiseMu, pr.NoiseSD
	if net.noiseSD == 0 {
		net.noiseMu, net.noiseSD = 0, 1
	}
	net.ySD = 1
	net.work.New = func() any { return newPointWork(net) }
	return net
}

// Dim returns len(θ): the number of weights and biases, plus one (log σ)
// for a Gaussian likelihood.
func (n *Network) Dim() int { return n.dim }

// Weights returns the number of weights and biases.
func (n *Network) Weights() int { return n.nw }

// NumRows returns the number of training rows N.
func (n *Network) NumRows() int { return n.n }

// Sizes returns the layer widths: inputs, hidden layers, outputs.
func (n *Network) Sizes() []int { return slices.Clone(n.sizes) }

// Spec returns the network's specification.
func (n *Network) Spec() Spec {
	s := n.spec
	s.Hidden = slices.Clone(s.Hidden)
	return s
}

// Classes returns the class labels of a Categorical network (sorted), {0,
// 1} for a Bernoulli one and nil for a Gaussian one.
func (n *Network) Classes() []float64 {
	switch n.lik {
	case Bernoulli:
		return []float64{0, 1}
	case Categorical:
		return slices.Clone(n.classes)
	}
	return nil
}

// Scaling returns the standardization of the inputs (column means and
// sds, a constant column having sd 1) and of a Gaussian response (mean
// and sd; 0 and 1 for other likelihoods), computed on the training data.
func (n *Network) Scaling() (xMean, xSD []float64, yMean, ySD float64) {
	return slices.Clone(n.xMean), slices.Clone(n.xSD), n.yMean, n.ySD
}

// NoiseIndex returns the index of log σ in θ for a Gaussian likelihood,
// and −1 otherwise.
func (n *Network) NoiseIndex() int { return n.noise }

// LayerIndex returns the offsets of layer l's weights W (In×Out,
// row-major: W[i][j] at θ[w+i·Out+j]) and biases (θ[b:b+Out]) in θ, with
// layer 0 the input side.
func (n *Network) LayerIndex(l int) (w, b, in, out int) {
	ly := n.layers[l]
	return ly.W, ly.B, ly.In, ly.Out
}

// Hyper returns the per-layer log prior sds log s_l.
func (n *Network) Hyper() []float64 { return slices.Clone(n.logScale) }

// SetHyper sets the per-layer log prior sds. It is not safe to call
// concurrently with other methods, and estimators initialized before it
// through model.GaussianPrior (elbo.MonteCarlo) keep the old prior.
func (n *Network) SetHyper(logScale []float64) {
	if len(logScale) != len(n.logScale) {
		panic("bnn: SetHyper: wrong number of layers")
	}
	copy(n.logScale, logScale)
}

// layerOf returns the layer of coordinate j of θ (len(layers) for log σ).
func (n *Network) layerOf(j int) int {
	for l, ly := range n.layers {
		if j < ly.B+ly.Out {
			return l
		}
	}
	return len(n.layers)
}

// Prior returns the prior mean and (diagonal) covariance of θ.
func (n *Network) Prior() (mean []float64, cov mat.Symmetric) {
	mean = make([]float64, n.dim)
	v := make([]float64, n.dim)
	for l, ly := range n.layers {
		s2 := math.Exp(2 * n.logScale[l])
		for j := ly.W; j < ly.B+ly.Out; j++ {
			v[j] = s2
		}
	}
	if n.noise >= 0 {
		mean[n.noise] = n.noiseMu
		v[n.noise] = n.noiseSD * n.noiseSD
	}
	return mean, mat.NewDiagDense(n.dim, v)
}

const halfLog2Pi = 0.91893853320467274178032973640561763986139747363778

// logPrior returns log p(θ) and, if grad is not nil, adds its gradient.
func (n *Network) logPrior(grad, theta []float64) float64 {
	lp := 0.0
	for l, ly := range n.layers {
		ls := n.logScale[l]
		inv := math.Exp(-2 * ls)
		ss := 0.0
		w := theta[ly.W : ly.B+ly.Out]
		for _, t := range w {
			ss += t * t
		}
		lp += -float64(len(w))*(halfLog2Pi+ls) - 0.5*inv*ss
		if grad != nil {
			g := grad[ly.W : ly.B+ly.Out]
			for j, t := range w {
				g[j] -= inv * t
			}
		}
	}
	if n.noise >= 0 {
		z := (theta[n.noise] - n.noiseMu) / n.noiseSD
		lp += -halfLog2Pi - math.Log(n.noiseSD) - 0.5*z*z
		if grad != nil {
			grad[n.noise] -= z / n.noiseSD
		}
	}
	return lp
}

// LogDensity returns log p(θ) + Σᵢ log p(yᵢ | θ).
func (n *Network) LogDensity(theta []float64) float64 {
	return n.LogDensityRows(nil, theta, nil, 1)
}

// LogDensityGrad stores ∇ log p(θ, D) in grad and returns log p(θ, D).
func (n *Network) LogDensityGrad(grad, theta []float64) float64 {
	return n.LogDensityRows(grad, theta, nil, 1)
}

// LogLikGrad returns Σᵢ log p(yᵢ | θ) and, if grad is not nil, stores its
// gradient there.
func (n *Network) LogLikGrad(grad, theta []float64) float64 {
	if grad != nil {
		clear(grad)
	}
	return n.logLikRows(grad, theta, nil, 1)
}

// LogDensityRows returns log p(θ) + scale·Σ_{i∈rows} log p(yᵢ | θ) (all
// rows when rows is nil) and, if grad is not nil, stores its gradient
// there.
func (n *Network) LogDensityRows(grad, theta []float64, rows []int, scale float64) float64 {
	if len(theta) != n.dim || (grad != nil && len(grad) != n.dim) {
		panic("bnn: wrong length of θ or gradient")
	}
	if grad != nil {
		clear(grad)
	}
	ll := n.logLikRows(grad, theta, rows, scale)
	return ll + n.logPrior(grad, theta)
}
