package stream

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

// passChunks is the number of chunks a full pass reads per block.
const passChunks = 4

// blocks calls fn with the blocks of src in chunk order, per chunks
// chunks each.
func blocks(src Source, per int, fn func(*Block) error) error {
	n := src.NumChunks()
	ks := make([]int, 0, per)
	for k := 0; k < n; k += per {
		ks = ks[:0]
		for j := k; j < min(n, k+per); j++ {
			ks = append(ks, j)
		}
		b, err := src.Read(ks)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// ELBO returns the quadrature ELBO of q for the model of the Layout
// structure m over every row of src, in one pass: the sum of the blocks'
// row terms plus the prior and entropy terms of m once. qe must have been
// initialized with Init(m, q); it is left pointing at m's own rows.
func ELBO(src Source, m model.Predictors, q family.Family, qe *elbo.Quadrature) (float64, error) {
	lay := m.Layout()
	if err := qe.SetBlock(lay, []int{}, 1); err != nil {
		return 0, err
	}
	fixed := qe.ELBO(nil, q)
	total := fixed
	err := blocks(src, passChunks, func(b *Block) error {
		if err := qe.SetBlock(b.Layout, b.Rows, 1); err != nil {
			return err
		}
		total += qe.ELBO(nil, q) - fixed
		return nil
	})
	if rerr := qe.SetBlock(lay, nil, 1); err == nil {
		err = rerr
	}
	return total, err
}

// LogPrior returns the log prior density of θ that lay's Priors give
// (log-Jacobians of positive parameters included), plus lay.Const.
func LogPrior(lay *model.Layout, theta []float64) float64 {
	pl := model.Layout{Lik: noRows{aux: lay.Lik.Aux()}, AuxAt: lay.AuxAt, Priors: lay.Priors, Const: lay.Const}
	return model.LayoutDensity(&pl, nil, theta)
}

// noRows is a likelihood without rows.
type noRows struct{ aux []string }

func (noRows) Len() int                                                              { return 0 }
func (l noRows) Aux() []string                                                       { return l.aux }
func (noRows) LogLik(int, float64, []float64, []float64) (float64, float64, float64) { return 0, 0, 0 }

// logLikRows is the number of rows per matrix product in LogLik.
const logLikRows = 256

// LogLik adds to dst[s] the log likelihood Σᵢ ℓᵢ(ηᵢ(θₛ), aₛ) of every row
// of src at each draw θₛ, the rows of theta (S × d, in the coordinates of
// the model whose rows src holds). For each block of rows it forms the
// linear predictors of all draws at once, E = X_B Θ_denseᵀ (rows × S),
// as dot products through gonum's assembly kernels, draws split among the
// cores so that each core's draws stay in cache while the rows stream
// past (a general matrix product through gonum's BLAS measured slower:
// it writes E out and reads it back), adds the offsets and the group
// terms, and sums the likelihood over rows per draw. Each draw's
// sum runs over the rows in order, so the result does not depend on
// GOMAXPROCS.
func LogLik(src Source, theta *mat.Dense, dst []float64) error {
	S, d := theta.Dims()
	if S == 0 {
		return nil
	}
	t := &logLikTask{theta: theta, dst: dst, S: S, d: d}
	return blocks(src, passChunks, func(b *Block) error {
		t.block(b)
		return nil
	})
}

type logLikTask struct {
	theta  *mat.Dense
	dst    []float64
	S, d   int
	lay    *model.Layout
	p      int
	aux    [][]float64 // per draw
	tau    [][]float64 // per term, per draw: the multiplier (nil for unscaled terms)
	rows   []int       // the rows of Layout in the current product
	chunks int
	grp    parallel.Group
	// Per draw: a row's η and ℓ (each chunk uses its draws' range).
	eta, l []float64
}

// prepare caches what depends on the draws and the layout's structure.
func (t *logLikTask) prepare(lay *model.Layout) {
	if t.lay != nil {
		t.lay = lay
		return
	}
	t.lay = lay
	S := t.S
	if lay.X != nil {
		_, t.p = lay.X.Dims()
	}
	t.aux = make([][]float64, S)
	for s := range t.aux {
		t.aux[s] = make([]float64, len(lay.AuxAt))
		for k, a := range lay.AuxAt {
			t.aux[s][k] = math.Exp(t.theta.At(s, a))
		}
	}
	t.tau = make([][]float64, len(lay.Terms))
	for k := range lay.Terms {
		term := &lay.Terms[k]
		if term.ScaleCoords() != nil {
			t.tau[k] = make([]float64, S)
			for s := range t.tau[k] {
				t.tau[k][s] = term.Scale(nil, t.theta.RawRowView(s))
			}
		}
	}
	t.chunks = parallel.Chunks(S, 16, 64)
	t.eta, t.l = make([]float64, S), make([]float64, S)
}

// block adds the block's log likelihoods.
func (t *logLikTask) block(b *Block) {
	t.prepare(b.Layout)
	n := b.Len()
	for lo := 0; lo < n; lo += logLikRows {
		hi := min(n, lo+logLikRows)
		t.rows = t.rows[:0]
		for r := lo; r < hi; r++ {
			t.rows = append(t.rows, b.Row(r))
		}
		t.grp.Run(t, t.chunks)
	}
}

// Do adds the likelihood of the current rows for draw chunk c: for each
// row, the linear predictor of each draw of the chunk (a dot product of
// the row with the draw's coefficients, whose rows stay in cache across
// the block's rows), then the likelihood.
func (t *logLikTask) Do(_, c int) {
	lo, hi := parallel.Range(t.S, t.chunks, c)
	lay := t.lay
	lik := lay.Lik
	da, p := lay.DenseAt, t.p
	dst := t.dst[lo:hi]
	etas, ls := t.eta[lo:hi], t.l[lo:hi]
	noAux := len(lik.Aux()) == 0
	for _, i := range t.rows {
		var x []float64
		if p > 0 {
			x = lay.X.RawRowView(i)
		}
		off := 0.0
		if lay.Offset != nil {
			off = lay.Offset[i]
		}
		for s := range dst {
			th := t.theta.RawRowView(lo + s)
			eta := off
			if p > 0 {
				eta += floats.Dot(x, th[da:da+p])
			}
			for k := range lay.Terms {
				term := &lay.Terms[k]
				v := th[term.At+term.Index[i]]
				if term.Value != nil {
					v *= term.Value[i]
				}
				if tau := t.tau[k]; tau != nil {
					v *= tau[lo+s]
				}
				eta += v
			}
			etas[s] = eta
		}
		if noAux {
			model.LogLikValues(lik, ls, i, etas)
		} else {
			for s, eta := range etas {
				ls[s], _, _ = lik.LogLik(i, eta, t.aux[lo+s], nil)
			}
		}
		floats.Add(dst, ls)
	}
}
