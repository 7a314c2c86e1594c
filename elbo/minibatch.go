package elbo

import (
	"errors"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/rng"
	"github.com/govi-dev/govi/model"
)

// RowEstimator is an estimator that can restrict the likelihood to a
// subset of rows, scaled by N/|subset| (Quadrature and MonteCarlo).
type RowEstimator interface {
	Estimator
	// SetRows restricts the row terms to rows (nil: all rows).
	SetRows(rows []int) error
}

var (
	_ RowEstimator = (*Quadrature)(nil)
	_ RowEstimator = (*MonteCarlo)(nil)
	_ Curvature    = (*Minibatch)(nil)
)

// Minibatch is the stochastic estimator of stochastic variational
// inference (Hoffman, Blei, Wang & Paisley 2013): every call evaluates
// Estimator on the next minibatch of rows, with the likelihood scaled by
// N/|B| so that the estimate is unbiased for the full-data ELBO, and the
// prior and entropy terms whole. Rows are drawn without replacement within
// an epoch: epoch e visits the rows in a permutation drawn from a stream
// keyed by (Seed, e), in batches of Size (the last one of an epoch may be
// smaller), each sorted for memory locality. With Quadrature inside, the
// only noise is the subsampling. Results do not depend on GOMAXPROCS.
//
// ExpectedGradHess (when Estimator has it) estimates the expected gradient
// and Hessian on the next batch the same way, for stochastic
// natural-gradient steps (optim.StochasticNatural).
//
// The model must be a model.Rows. Minibatch is not safe for concurrent
// use.
type Minibatch struct {
	// Estimator evaluates each batch. Required.
	Estimator RowEstimator
	// Size is the number of rows per batch. If Size is 0, it will be
	// defaulted to 1024; a Size of at least N makes every batch the whole
	// data.
	Size int
	// Seed keys the epochs' permutations.
	Seed uint64

	n, size  int
	perm     []int
	batch    []int
	pos      int
	epoch    int
	calls    int
	started  bool // the last batch began an epoch
	st       *rng.Stream
	initDone bool
}

// ErrNoRows is returned by Minibatch.Init for a model that is not a
// model.Rows.
var ErrNoRows = errors.New("elbo: Minibatch needs a model.Rows (a model with rows)")

// Init implements Estimator.
func (mb *Minibatch) Init(m model.LogDensity, q family.Family) error {
	if mb.Estimator == nil {
		return errors.New("elbo: Minibatch has no Estimator")
	}
	rm, ok := m.(model.Rows)
	if !ok {
		return ErrNoRows
	}
	if err := mb.Estimator.Init(m, q); err != nil {
		return err
	}
	mb.n = rm.NumRows()
	mb.size = mb.Size
	if mb.size <= 0 {
		mb.size = 1024
	}
	mb.size = min(mb.size, mb.n)
	mb.perm = make([]int, mb.n)
	mb.batch = make([]int, 0, mb.size)
	mb.st = rng.NewStream(mb.Seed, rng.Batch, 0, 0)
	mb.epoch, mb.pos, mb.calls = 0, mb.n, 0
	mb.initDone = true
	if mb.size == mb.n {
		return mb.Estimator.SetRows(nil)
	}
	return mb.Estimator.SetRows(mb.batch)
}

// Deterministic reports whether every batch is the whole data and the
// inner estimator is deterministic.
func (mb *Minibatch) Deterministic() bool {
	return mb.initDone && mb.size == mb.n && mb.Estimator.Deterministic()
}

// BatchesPerEpoch returns ⌈N/Size⌉, the number of calls per pass over the
// data.
func (mb *Minibatch) BatchesPerEpoch() int {
	if mb.size == 0 {
		return 1
	}
	return (mb.n + mb.size - 1) / mb.size
}

// Epoch returns the number of epochs begun.
func (mb *Minibatch) Epoch() int { return mb.epoch }

// Calls returns the number of batches evaluated so far.
func (mb *Minibatch) Calls() int { return mb.calls }

// EpochStarted reports whether the last batch was the first of an epoch.
func (mb *Minibatch) EpochStarted() bool { return mb.started }

// next moves to the next batch.
func (mb *Minibatch) next() {
	if !mb.initDone {
		panic(ErrNotInit)
	}
	mb.calls++
	mb.started = false
	if mb.size == mb.n {
		mb.epoch++
		mb.started = true
		return
	}
	if mb.pos >= mb.n {
		mb.started = true
		// A new epoch: a Fisher-Yates permutation from its own stream.
		mb.epoch++
		mb.st.Reset(mb.Seed, rng.Batch, uint64(mb.epoch), 0)
		for i := range mb.perm {
			mb.perm[i] = i
		}
		for i := mb.n - 1; i > 0; i-- {
			j := mb.st.IntN(i + 1)
			mb.perm[i], mb.perm[j] = mb.perm[j], mb.perm[i]
		}
		mb.pos = 0
	}
	hi := min(mb.pos+mb.size, mb.n)
	mb.batch = append(mb.batch[:0], mb.perm[mb.pos:hi]...)
	slices.Sort(mb.batch)
	mb.pos = hi
	// SetRows keeps the slice: the batch is read at evaluation.
	if err := mb.Estimator.SetRows(mb.batch); err != nil {
		panic(err) // Init checked that the estimator takes rows
	}
}

// ELBO implements Estimator on the next batch.
func (mb *Minibatch) ELBO(grad []float64, q family.Family) float64 {
	mb.next()
	return mb.Estimator.ELBO(grad, q)
}

// ExpectedGradHess implements Curvature on the next batch; it returns
// ErrUnsupported when Estimator does not implement Curvature.
func (mb *Minibatch) ExpectedGradHess(grad []float64, hess *mat.SymDense, q family.Family) (float64, error) {
	cv, ok := mb.Estimator.(Curvature)
	if !ok {
		return 0, ErrUnsupported
	}
	mb.next()
	return cv.ExpectedGradHess(grad, hess, q)
}
