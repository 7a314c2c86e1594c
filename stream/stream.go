// Package stream runs models over data passes: data read a block of rows
// at a time, in memory or from files larger than memory, for minibatch
// variational inference, full-data passes and the diagnostics' log
// densities at many draws.
//
// # The data pass
//
// A Source is the data of a model.Predictors model cut into chunks of
// rows (row ranges in memory, chunks of a CSV file or row groups of a
// Parquet file). Read codes the rows of a few chunks into one Block: a
// model.Layout for those rows (their likelihood, design rows, offset and
// group indices) laid out as the model's, so that the model's parameter
// layout and priors apply to it unchanged. Everything here is written
// against that one interface:
//
//   - Minibatch, the estimator of stochastic variational inference over a
//     Source: each epoch reads the chunks in a seeded permutation, Buffer
//     chunks at a time, permutes the rows of each such block and cuts it
//     into batches, so every row is used once per epoch; the likelihood of
//     a batch B is scaled by N/|B|. It gives optim.StochasticNatural the
//     batches' expected Hessians (elbo.Curvature).
//   - ELBO, a full pass: the quadrature ELBO as the sum of its row terms
//     over blocks plus the prior and entropy terms once.
//   - LogLik, the diagnostics' pass: Σᵢ ℓᵢ at every one of S draws, as
//     blocked matrix products (the linear predictors of all draws for a
//     block of rows at once, through gonum's BLAS).
//
// Each of them is a sum over rows of per-block terms, computed block by
// block in chunk order and reduced in a fixed order, so the results do not
// depend on GOMAXPROCS. A runner on several machines could run Read and
// the per-block work on shards of the chunks and add the results; nothing
// else needs the data.
//
// Memory is the model, the per-draw results and a few blocks: a block of
// Buffer chunks, and one more being read ahead.
package stream

import (
	"errors"
	"fmt"

	"github.com/govi-dev/govi/model"
)

// Block is the coded rows of a few chunks of a Source.
type Block struct {
	// Layout describes the rows; its Priors are not used (the model's
	// apply) and its slices must not be modified.
	Layout *model.Layout
	// Rows, when not nil, selects the block's rows of Layout (an
	// in-memory source's blocks are rows of the whole data); nil means
	// every row of Layout.
	Rows []int
	// Lines holds the rows' line numbers in the data file, or is nil.
	Lines []int
}

// Len returns the number of rows of the block.
func (b *Block) Len() int {
	if b.Rows != nil {
		return len(b.Rows)
	}
	return b.Layout.Lik.Len()
}

// Row returns the index in Layout of the block's row r.
func (b *Block) Row(r int) int {
	if b.Rows != nil {
		return b.Rows[r]
	}
	return r
}

// Source is a data pass: the rows of a model.Predictors model in chunks.
// Implementations: Rows (in memory), and spec's streams of CSV and Parquet
// files.
type Source interface {
	// NumRows returns the number of rows N.
	NumRows() int
	// NumChunks returns the number of chunks.
	NumChunks() int
	// ChunkRows returns the number of rows of chunk k.
	ChunkRows(k int) int
	// Read codes the rows of the chunks ks, in that order, into a new
	// block (Minibatch uses a block while the next is read). Read is not
	// called concurrently.
	Read(ks []int) (*Block, error)
}

// Rows is the in-memory Source of a model.Predictors model: chunks of
// Chunk consecutive rows (0 means 4096) of its own layout, so blocks are
// views, not copies.
func Rows(m model.Predictors, chunk int) Source {
	if chunk <= 0 {
		chunk = 4096
	}
	return &rowSource{lay: m.Layout(), n: m.NumRows(), chunk: chunk}
}

type rowSource struct {
	lay      *model.Layout
	n, chunk int
}

func (s *rowSource) NumRows() int   { return s.n }
func (s *rowSource) NumChunks() int { return (s.n + s.chunk - 1) / s.chunk }
func (s *rowSource) ChunkRows(k int) int {
	return min(s.n, (k+1)*s.chunk) - k*s.chunk
}

func (s *rowSource) Read(ks []int) (*Block, error) {
	var rows []int
	for _, k := range ks {
		if k < 0 || k >= s.NumChunks() {
			return nil, fmt.Errorf("stream: chunk %d outside [0, %d)", k, s.NumChunks())
		}
		for i := k * s.chunk; i < min(s.n, (k+1)*s.chunk); i++ {
			rows = append(rows, i)
		}
	}
	return &Block{Layout: s.lay, Rows: rows}, nil
}

// ErrEmpty is returned for a source without rows.
var ErrEmpty = errors.New("stream: the source has no rows")
