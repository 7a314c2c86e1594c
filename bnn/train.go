package bnn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/internal/rng"
)

// TrainSettings controls Train. The zero value is usable: every zero
// field selects the documented default.
type TrainSettings struct {
	// Epochs is the number of passes over the training rows. Zero means
	// 100.
	Epochs int
	// Batch is the number of rows per minibatch; the last batch of an
	// epoch holds the remainder. Zero means 128 (or N if smaller).
	Batch int
	// Rate is Adam's step size. Zero means 1e-3.
	Rate float64
	// Beta1, Beta2 and Eps are Adam's moment decay rates and guard
	// (Kingma & Ba 2015). Zero means 0.9, 0.999 and 1e-8.
	Beta1, Beta2, Eps float64
	// Seed keys the row permutations: epoch e shuffles the rows with its
	// own ChaCha8 stream keyed by (Seed, e), and batches take consecutive
	// rows of the permutation (without replacement). The estimator's noise
	// has its own seed.
	Seed uint64
	// Patience, if positive, stops training early when the smoothed
	// per-epoch ELBO (an exponential moving average with weight Smooth on
	// the past) has not risen by more than Tol·max(1, |ELBO|) above its
	// best value for Patience epochs.
	Patience int
	// Tol is the relative improvement that resets Patience. Zero means
	// 1e-4.
	Tol float64
	// Smooth is the weight of the past in the moving average. Zero means
	// 0.9.
	Smooth float64
	// Callback, if set, is called after every epoch with its number
	// (from 1) and ELBO; an error stops training and is returned.
	Callback func(epoch int, elbo float64) error
}

// TrainResult records a training run.
type TrainResult struct {
	// ELBO holds each epoch's ELBO: the mean of its batches' estimates
	// (each scaled to the full data).
	ELBO []float64
	// Epochs, Steps and Rejected count completed epochs, Adam steps, and
	// steps rejected because the ELBO or its gradient was not finite.
	Epochs, Steps, Rejected int
	// Weights is the number of weights and biases of the network.
	Weights int
	// Seconds is the wall time of the training loop.
	Seconds float64
	// Hyper holds the per-layer log prior sds at the end (learned with
	// Prior.Learn, fixed otherwise).
	Hyper []float64
	// Stopped says why training stopped.
	Stopped string
}

// ErrNotFinite is wrapped by Train's error when no finite ELBO can be
// found.
var ErrNotFinite = errors.New("bnn: the ELBO is not finite")

// maxRejects is the number of consecutive step halvings tried before
// training fails, as the optimizers of package optim do: 2⁻⁴⁰ ≈ 1e-12 of
// the step.
const maxRejects = 40

// trainer is the state of one training run; step does one minibatch
// without allocating.
type trainer struct {
	net *Network
	q   family.Family
	est Estimator
	s   TrainSettings

	np, nh int // len(φ), hyperparameters learned
	x, xn  []float64
	g, gn  []float64
	m, v   []float64
	b1t    float64
	b2t    float64
	shrink float64

	perm    []int
	st      *rng.Stream
	batch   int
	batches int
	epoch   int // current epoch (from 0)
	next    int // next batch in the epoch
	f       float64

	steps, rejected int
	epochSum        float64
	epochN          int

	adam adamTask
	agrp parallel.Group
}

// adamTask updates Adam's moments and proposes the next point, or checks
// the gradient for non-finite values, over fixed ranges of coordinates on
// all cores.
type adamTask struct {
	t      *trainer
	chunks int
	update bool    // update the moments before proposing
	check  bool    // check t.gn instead
	rate   float64 // step size of the proposal
	c1, c2 float64 // bias corrections
	bad    []bool  // per chunk: a non-finite gradient entry
}

func (a *adamTask) Do(_, c int) {
	t := a.t
	s := &t.s
	lo, hi := parallel.Range(len(t.x), a.chunks, c)
	if a.check {
		a.bad[c] = !allFinite(t.gn[lo:hi])
		return
	}
	m, v, x, xn := t.m[lo:hi], t.v[lo:hi], t.x[lo:hi], t.xn[lo:hi]
	if a.update {
		for i, gi := range t.g[lo:hi] {
			m[i] = s.Beta1*m[i] + (1-s.Beta1)*gi
			v[i] = s.Beta2*v[i] + (1-s.Beta2)*gi*gi
		}
	}
	for i := range xn {
		xn[i] = x[i] + a.rate*(m[i]*a.c1)/(math.Sqrt(v[i]*a.c2)+s.Eps)
	}
}

func (s *TrainSettings) defaults(n int) {
	if s.Epochs <= 0 {
		s.Epochs = 100
	}
	if s.Batch <= 0 {
		s.Batch = 128
	}
	s.Batch = min(s.Batch, n)
	if s.Rate <= 0 {
		s.Rate = 1e-3
	}
	if s.Beta1 <= 0 {
		s.Beta1 = 0.9
	}
	if s.Beta2 <= 0 {
		s.Beta2 = 0.999
	}
	if s.Eps <= 0 {
		s.Eps = 1e-8
	}
	if s.Tol <= 0 {
		s.Tol = 1e-4
	}
	if s.Smooth <= 0 || s.Smooth >= 1 {
		s.Smooth = 0.9
	}
}

func newTrainer(net *Network, q family.Family, est Estimator, s TrainSettings) (*trainer, error) {
	if q.Dim() != net.dim {
		return nil, fmt.Errorf("bnn: family of dimension %d for a network with %d coordinates", q.Dim(), net.dim)
	}
	if err := est.Init(net, q); err != nil {
		return nil, err
	}
	s.defaults(net.n)
	t := &trainer{net: net, q: q, est: est, s: s, np: q.Len(), b1t: 1, b2t: 1, shrink: 1}
	if net.spec.Prior.Learn {
		t.nh = len(net.logScale)
	}
	n := t.np + t.nh
	t.x, t.xn = make([]float64, n), make([]float64, n)
	t.g, t.gn = make([]float64, n), make([]float64, n)
	t.m, t.v = make([]float64, n), make([]float64, n)
	q.Params(t.x[:t.np])
	copy(t.x[t.np:], net.logScale)
	t.perm = make([]int, net.n)
	t.st = rng.NewStream(0, 0, 0, 0)
	t.batch = s.Batch
	t.batches = (net.n + s.Batch - 1) / s.Batch
	t.shuffle()
	ch := parallel.Chunks(n, 4096, 16)
	t.adam = adamTask{t: t, chunks: ch, bad: make([]bool, ch)}
	return t, nil
}

// gradFinite reports whether t.gn is finite.
func (t *trainer) gradFinite() bool {
	t.adam.check = true
	t.agrp.Run(&t.adam, t.adam.chunks)
	t.adam.check = false
	for _, b := range t.adam.bad {
		if b {
			return false
		}
	}
	return true
}

// shuffle draws the permutation of epoch t.epoch (Fisher-Yates).
func (t *trainer) shuffle() {
	for i := range t.perm {
		t.perm[i] = i
	}
	t.st.Reset(t.s.Seed, rng.Batch, uint64(t.epoch), 0)
	for i := len(t.perm) - 1; i > 0; i-- {
		j := t.st.IntN(i + 1)
		t.perm[i], t.perm[j] = t.perm[j], t.perm[i]
	}
}

// rows returns the rows of the next batch.
func (t *trainer) rows() []int {
	lo := t.next * t.batch
	return t.perm[lo:min(lo+t.batch, len(t.perm))]
}

// eval evaluates the ELBO and its gradient at x on rows.
func (t *trainer) eval(x, g []float64, rows []int) float64 {
	t.q.SetParams(x[:t.np])
	if t.nh > 0 {
		t.net.SetHyper(x[t.np:])
	}
	if err := t.est.SetRows(rows); err != nil {
		panic(err) // unreachable: rows come from the permutation
	}
	var hg []float64
	if t.nh > 0 {
		hg = g[t.np:]
	}
	return t.est.ELBOHyper(g[:t.np], hg, t.q)
}

// start evaluates the first batch at the initial values.
func (t *trainer) start() error {
	t.f = t.eval(t.x, t.g, t.rows())
	if !finite(t.f) || !allFinite(t.g) {
		t.restore()
		return fmt.Errorf("%w at the initial values (%g)", ErrNotFinite, t.f)
	}
	t.record()
	return nil
}

// record counts the current batch's ELBO and moves to the next batch.
func (t *trainer) record() {
	t.epochSum += t.f
	t.epochN++
	t.next++
}

// step updates Adam's moments with the accepted gradient and moves to the
// next batch, retrying smaller steps while the ELBO there is not finite.
// It reports false when every retry failed (x then stays the last finite
// point).
func (t *trainer) step() bool {
	s := &t.s
	t.b1t *= s.Beta1
	t.b2t *= s.Beta2
	a := &t.adam
	a.c1, a.c2 = 1/(1-t.b1t), 1/(1-t.b2t)
	a.update = true
	rows := t.rows()
	rejectedNow := false
	for try := 0; try < maxRejects; try++ {
		a.rate = s.Rate * t.shrink
		t.agrp.Run(a, a.chunks)
		a.update = false
		f := t.eval(t.xn, t.gn, rows)
		if finite(f) && t.gradFinite() {
			t.x, t.xn = t.xn, t.x
			t.g, t.gn = t.gn, t.g
			t.f = f
			t.steps++
			if !rejectedNow && t.shrink < 1 {
				t.shrink = math.Min(1, 2*t.shrink)
			}
			t.record()
			return true
		}
		// Reject and retry smaller (with new noise for a stochastic
		// estimator); the smaller step carries over and recovers by
		// doubling after each clean step.
		t.rejected++
		rejectedNow = true
		t.shrink *= 0.5
	}
	return false
}

// restore sets q and the hyperparameters to the current point x.
func (t *trainer) restore() {
	t.q.SetParams(t.x[:t.np])
	if t.nh > 0 {
		t.net.SetHyper(t.x[t.np:])
	}
}

// endEpoch closes the current epoch and returns its ELBO.
func (t *trainer) endEpoch() float64 {
	v := t.epochSum / float64(t.epochN)
	t.epochSum, t.epochN = 0, 0
	t.epoch++
	t.next = 0
	t.shuffle()
	return v
}

// Train fits q to the network's posterior by minibatch stochastic
// optimization (Adam) of the ELBO that est estimates, for a fixed number of
// epochs or until the smoothed ELBO stops improving (Patience), and leaves
// q at the result. With Prior.Learn it also optimizes the per-layer log
// prior sds (empirical Bayes) and leaves them in the network.
//
// A step at which the ELBO or its gradient is not finite is rejected and
// retried at half the size (with new noise), up to 40 times; then Train
// fails with an error wrapping ErrNotFinite, with q at the last point
// where the ELBO was finite. Cancellation of ctx stops training after the
// current batch and returns the context's error with the result so far.
// The work of each batch runs on all cores (see LocalReparam), and the
// result is the same at any GOMAXPROCS.
func (n *Network) Train(ctx context.Context, q family.Family, est Estimator, s TrainSettings) (*TrainResult, error) {
	t, err := newTrainer(n, q, est, s)
	if err != nil {
		return nil, err
	}
	res := &TrainResult{Weights: n.nw, ELBO: make([]float64, 0, t.s.Epochs)}
	begin := time.Now()
	defer func() {
		res.Seconds = time.Since(begin).Seconds()
		res.Steps, res.Rejected = t.steps, t.rejected
		res.Hyper = n.Hyper()
	}()
	if err := t.start(); err != nil {
		res.Stopped = err.Error()
		return res, err
	}
	best, smooth := math.Inf(-1), math.NaN()
	since := 0
	for e := 0; e < t.s.Epochs; e++ {
		for t.next < t.batches {
			if err := ctx.Err(); err != nil {
				t.restore()
				res.Stopped = "canceled: " + err.Error()
				return res, err
			}
			if !t.step() {
				t.restore()
				err := fmt.Errorf("%w at epoch %d, batch %d, after %d step halvings; q is left at the last finite point", ErrNotFinite, e+1, t.next+1, maxRejects)
				res.Stopped = err.Error()
				return res, err
			}
		}
		v := t.endEpoch()
		res.ELBO = append(res.ELBO, v)
		res.Epochs = e + 1
		if t.s.Callback != nil {
			if err := t.s.Callback(e+1, v); err != nil {
				t.restore()
				res.Stopped = "stopped by the callback: " + err.Error()
				return res, err
			}
		}
		if t.s.Patience > 0 {
			if math.IsNaN(smooth) {
				smooth = v
			} else {
				smooth = t.s.Smooth*smooth + (1-t.s.Smooth)*v
			}
			if smooth > best+t.s.Tol*math.Max(1, math.Abs(best)) || math.IsInf(best, -1) {
				best, since = smooth, 0
			} else if since++; since >= t.s.Patience {
				res.Stopped = fmt.Sprintf("the smoothed ELBO did not improve for %d epochs", t.s.Patience)
				break
			}
		}
	}
	if res.Stopped == "" {
		res.Stopped = fmt.Sprintf("completed %d epochs", res.Epochs)
	}
	t.restore()
	return res, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func allFinite(x []float64) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}
