package stream

import (
	"errors"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/internal/rng"
	"github.com/govi-dev/govi/model"
)

// DefaultBatch is the batch size Minibatch uses when Size is 0.
const DefaultBatch = 8192

// DefaultBuffer is the number of chunks per block when Buffer is 0.
const DefaultBuffer = 4

// Minibatch is the estimator of stochastic variational inference over a
// data pass (Hoffman, Blei, Wang & Paisley 2013), the streaming form of
// elbo.Minibatch: every call evaluates the quadrature ELBO (or its
// expected gradient and Hessian) on the next batch B of rows with the
// likelihood scaled by N/|B| and the prior and entropy terms whole.
//
// Shuffling without holding the data: epoch e reads the chunks in a
// permutation drawn from a stream keyed by (Seed, e), Buffer chunks at a
// time; each such block's rows are permuted (a stream keyed by the epoch
// and the block) and split into ⌈rows/Size⌉ batches of nearly equal size,
// each sorted for memory locality. Every row is thus drawn exactly once per
// epoch, and rows of different chunks meet in a batch when they share a
// block; optim.StochasticNatural averages every batch's target of an epoch
// with the same weight, so what remains of the file's order cancels at
// the epoch's end. The next block is read while the current one is used.
// Results do not depend on GOMAXPROCS.
//
// Minibatch implements elbo.Curvature and optim.Epochs (through govi.Fit).
// Init takes the model whose Layout fixes the parameters and priors (for a
// file, the model built on its first chunk with the whole file's
// statistics). Close stops the reading ahead. Minibatch is not safe for
// concurrent use.
type Minibatch struct {
	// Source is the data. Required.
	Source Source
	// Estimator evaluates the batches; nil means a zero Quadrature.
	Estimator *elbo.Quadrature
	// Size is the number of rows per batch; 0 means DefaultBatch.
	Size int
	// Buffer is the number of chunks per block; 0 means DefaultBuffer.
	Buffer int
	// Seed keys the permutations.
	Seed uint64

	m        model.Predictors
	n, size  int
	per      int
	epoch    int
	calls    int
	started  bool
	plan     [][]int
	bi       int
	block    *Block
	perm     []int
	flat     []int // the block's batches, each sorted, one after another
	label    []int // per position of the block: its batch
	cursor   []int
	order    []int // the block's positions by row, when not already in order
	nb, bj   int
	batch    []int
	st       *rng.Stream
	err      error
	nominal  int
	rowsSeen int
	ahead    chan readResult
	aheadFor int // position (epoch·blocks + index) being read ahead, −1 none
}

type readResult struct {
	b   *Block
	err error
}

var _ elbo.Curvature = (*Minibatch)(nil)

// ErrNoSource is returned by Init without a Source.
var ErrNoSource = errors.New("stream: Minibatch has no Source")

// Init implements elbo.Estimator.
func (mb *Minibatch) Init(m model.LogDensity, q family.Family) error {
	mb.Close()
	if mb.Source == nil {
		return ErrNoSource
	}
	pm, ok := m.(model.Predictors)
	if !ok {
		return elbo.ErrUnsupported
	}
	if mb.Estimator == nil {
		mb.Estimator = &elbo.Quadrature{}
	}
	if err := mb.Estimator.Init(m, q); err != nil {
		return err
	}
	mb.m = pm
	mb.n = mb.Source.NumRows()
	if mb.n == 0 {
		return ErrEmpty
	}
	mb.size = mb.Size
	if mb.size <= 0 {
		mb.size = DefaultBatch
	}
	mb.per = mb.Buffer
	if mb.per <= 0 {
		mb.per = DefaultBuffer
	}
	mb.st = rng.NewStream(mb.Seed, rng.Batch, 0, 0)
	mb.epoch, mb.calls, mb.bi, mb.bj, mb.nb = 0, 0, 0, 0, 0
	mb.plan, mb.block, mb.err = nil, nil, nil
	mb.aheadFor = -1
	mb.nominal = 0
	for _, ks := range mb.planEpoch(1) {
		rows := 0
		for _, k := range ks {
			rows += mb.Source.ChunkRows(k)
		}
		mb.nominal += (rows + mb.size - 1) / mb.size
	}
	return nil
}

// planEpoch returns the blocks of epoch e: the chunks in a permutation
// keyed by (Seed, e), Buffer at a time.
func (mb *Minibatch) planEpoch(e int) [][]int {
	nc := mb.Source.NumChunks()
	order := make([]int, nc)
	for i := range order {
		order[i] = i
	}
	st := rng.NewStream(mb.Seed, rng.Batch, uint64(e), 1)
	for i := nc - 1; i > 0; i-- {
		j := st.IntN(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	var plan [][]int
	for k := 0; k < nc; k += mb.per {
		plan = append(plan, order[k:min(nc, k+mb.per)])
	}
	return plan
}

// Deterministic returns false: batches differ from call to call.
func (mb *Minibatch) Deterministic() bool { return false }

// BatchesPerEpoch returns the number of batches of the first epoch (later
// epochs group the chunks differently and may differ by a few).
func (mb *Minibatch) BatchesPerEpoch() int { return max(1, mb.nominal) }

// EpochStarted reports whether the last batch was the first of an epoch.
func (mb *Minibatch) EpochStarted() bool { return mb.started }

// Epoch returns the number of epochs begun.
func (mb *Minibatch) Epoch() int { return mb.epoch }

// Calls returns the number of batches evaluated.
func (mb *Minibatch) Calls() int { return mb.calls }

// Rows returns the number of rows evaluated so far.
func (mb *Minibatch) Rows() int { return mb.rowsSeen }

// Err returns the first error reading the data, which makes every later
// evaluation fail.
func (mb *Minibatch) Err() error { return mb.err }

// Close stops reading ahead; Minibatch can be initialized again.
func (mb *Minibatch) Close() {
	if mb.ahead != nil {
		<-mb.ahead
		mb.ahead = nil
	}
	mb.aheadFor = -1
}

// readAhead starts reading the block after the current one.
func (mb *Minibatch) readAhead() {
	e, i := mb.epoch, mb.bi
	plan := mb.plan
	if i >= len(plan) {
		e, i, plan = e+1, 0, mb.planEpoch(e+1)
	}
	ks := plan[i]
	ch := make(chan readResult, 1)
	mb.ahead, mb.aheadFor = ch, e*(mb.Source.NumChunks()+1)+i
	src := mb.Source
	go func() {
		b, err := src.Read(ks)
		ch <- readResult{b, err}
	}()
}

// next moves to the next batch and points the estimator at it.
func (mb *Minibatch) next() error {
	if mb.m == nil {
		return elbo.ErrNotInit
	}
	if mb.err != nil {
		return mb.err
	}
	mb.calls++
	mb.started = false
	if mb.block == nil || mb.bj >= mb.nb {
		if mb.plan == nil || mb.bi >= len(mb.plan) {
			mb.epoch++
			mb.started = true
			mb.plan, mb.bi = mb.planEpoch(mb.epoch), 0
		}
		var r readResult
		if mb.ahead != nil && mb.aheadFor == mb.epoch*(mb.Source.NumChunks()+1)+mb.bi {
			r = <-mb.ahead
			mb.ahead, mb.aheadFor = nil, -1
		} else {
			mb.Close()
			r.b, r.err = mb.Source.Read(mb.plan[mb.bi])
		}
		if r.err != nil {
			mb.err = r.err
			return r.err
		}
		mb.block = r.b
		mb.bi++
		R := mb.block.Len()
		mb.nb = max(1, (R+mb.size-1)/mb.size)
		mb.bj = 0
		mb.perm = mb.perm[:0]
		for i := 0; i < R; i++ {
			mb.perm = append(mb.perm, i)
		}
		mb.st.Reset(mb.Seed, rng.Batch, uint64(mb.epoch), uint64(1+mb.bi))
		for i := R - 1; i > 0; i-- {
			j := mb.st.IntN(i + 1)
			mb.perm[i], mb.perm[j] = mb.perm[j], mb.perm[i]
		}
		mb.splitBlock()
		mb.readAhead()
	}
	lo, hi := parallel.Range(mb.block.Len(), mb.nb, mb.bj)
	mb.bj++
	mb.batch = mb.flat[lo:hi]
	mb.rowsSeen += len(mb.batch)
	if err := mb.Estimator.SetBlock(mb.block.Layout, mb.batch, float64(mb.n)/float64(len(mb.batch))); err != nil {
		mb.err = err
		return err
	}
	return nil
}

// splitBlock stores the block's batches in flat: batch j holds the rows
// of the block's positions perm[lo:hi] (parallel.Range), in increasing
// row order for memory locality. One counting pass over the positions in
// row order replaces a sort per batch, which on two cores was a tenth of
// a streamed fit's time and all of it on one core.
func (mb *Minibatch) splitBlock() {
	b, R := mb.block, mb.block.Len()
	mb.label = slices.Grow(mb.label[:0], R)[:R]
	mb.cursor = mb.cursor[:0]
	for j := 0; j < mb.nb; j++ {
		lo, hi := parallel.Range(R, mb.nb, j)
		mb.cursor = append(mb.cursor, lo)
		for _, r := range mb.perm[lo:hi] {
			mb.label[r] = j
		}
	}
	// The positions in row order: the identity unless the block's rows
	// come out of order (an in-memory source's chunks in shuffled order).
	ord := mb.order[:0]
	sorted := true
	for r := 1; r < R && sorted; r++ {
		sorted = b.Row(r-1) < b.Row(r)
	}
	if !sorted {
		for r := 0; r < R; r++ {
			ord = append(ord, r)
		}
		slices.SortFunc(ord, func(a, c int) int { return b.Row(a) - b.Row(c) })
		mb.order = ord
	}
	mb.flat = slices.Grow(mb.flat[:0], R)[:R]
	for k := 0; k < R; k++ {
		r := k
		if !sorted {
			r = ord[k]
		}
		j := mb.label[r]
		mb.flat[mb.cursor[j]] = b.Row(r)
		mb.cursor[j]++
	}
}

// ELBO implements elbo.Estimator on the next batch; it is NaN after an
// error reading the data (see Err).
func (mb *Minibatch) ELBO(grad []float64, q family.Family) float64 {
	if err := mb.next(); err != nil {
		nan(grad)
		return nanValue
	}
	return mb.Estimator.ELBO(grad, q)
}

// ExpectedGradHess implements elbo.Curvature on the next batch.
func (mb *Minibatch) ExpectedGradHess(grad []float64, hess *mat.SymDense, q family.Family) (float64, error) {
	if err := mb.next(); err != nil {
		return nanValue, err
	}
	return mb.Estimator.ExpectedGradHess(grad, hess, q)
}

var nanValue = math.NaN()

func nan(x []float64) {
	for i := range x {
		x[i] = nanValue
	}
}
