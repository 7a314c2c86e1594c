package stream

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
// (log-Jacobians of positive parameters included).
func LogPrior(lay *model.Layout, theta []float64) float64 {
	pl := model.Layout{Lik: noRows{aux: lay.Lik.Aux()}, AuxAt: lay.AuxAt, Priors: lay.Priors}
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
// linear predictors of all draws at once, E = X_B Θ_denseᵀ (rows × S,
// through gonum's BLAS), adds the offsets and the group terms, and sums the
// likelihood over rows per draw, draws split among the cores. Each draw's
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
	bt     []float64   // Θ_denseᵀ, p × S
	aux    [][]float64 // per draw
	tau    [][]float64 // per term, per draw (nil for unscaled terms)
	x      []float64   // the rows' X, R × p
	eta    []float64   // R × S
	rows   []int       // the rows of Layout in the current product
	chunks int
	grp    parallel.Group
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
	t.bt = make([]float64, t.p*S)
	for s := 0; s < S; s++ {
		row := t.theta.RawRowView(s)
		for j := 0; j < t.p; j++ {
			t.bt[j*S+s] = row[lay.DenseAt+j]
		}
	}
	t.aux = make([][]float64, S)
	for s := range t.aux {
		t.aux[s] = make([]float64, len(lay.AuxAt))
		for k, a := range lay.AuxAt {
			t.aux[s][k] = math.Exp(t.theta.At(s, a))
		}
	}
	t.tau = make([][]float64, len(lay.Terms))
	for k, term := range lay.Terms {
		if term.ScaleAt >= 0 {
			t.tau[k] = make([]float64, S)
			for s := range t.tau[k] {
				t.tau[k][s] = math.Exp(t.theta.At(s, term.ScaleAt))
			}
		}
	}
	t.x = make([]float64, logLikRows*max(t.p, 1))
	t.eta = make([]float64, logLikRows*S)
	t.chunks = parallel.Chunks(S, 16, 64)
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
		t.product()
		t.grp.Run(t, t.chunks)
	}
}

// product forms η for the current rows and every draw.
func (t *logLikTask) product() {
	lay, S, R := t.lay, t.S, len(t.rows)
	eta := t.eta[:R*S]
	if t.p > 0 {
		for r, i := range t.rows {
			copy(t.x[r*t.p:(r+1)*t.p], lay.X.RawRowView(i))
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: R, Cols: t.p, Stride: t.p, Data: t.x[:R*t.p]},
			blas64.General{Rows: t.p, Cols: S, Stride: S, Data: t.bt},
			0, blas64.General{Rows: R, Cols: S, Stride: S, Data: eta})
	} else {
		clear(eta)
	}
	for r, i := range t.rows {
		e := eta[r*S : (r+1)*S]
		if lay.Offset != nil {
			o := lay.Offset[i]
			for s := range e {
				e[s] += o
			}
		}
		for k := range lay.Terms {
			term := &lay.Terms[k]
			v := 1.0
			if term.Value != nil {
				v = term.Value[i]
			}
			at := term.At + term.Index[i]
			tau := t.tau[k]
			for s := range e {
				c := v * t.theta.At(s, at)
				if tau != nil {
					c *= tau[s]
				}
				e[s] += c
			}
		}
	}
}

// Do sums the likelihood of the current rows for draw chunk c.
func (t *logLikTask) Do(_, c int) {
	lo, hi := parallel.Range(t.S, t.chunks, c)
	S := t.S
	lik := t.lay.Lik
	dst := t.dst[lo:hi]
	for r, i := range t.rows {
		e := t.eta[r*S+lo : r*S+hi]
		for s := range dst {
			l, _, _ := lik.LogLik(i, e[s], t.aux[lo+s], nil)
			dst[s] += l
		}
	}
}
