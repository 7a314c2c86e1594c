package stream

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/internal/linalg"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

// ErrNoSubsample is returned by LogLikSubsample for rows it cannot
// handle: group-level terms or a likelihood with auxiliary parameters.
var ErrNoSubsample = errors.New("stream: the subsampled log likelihood needs dense predictors and a likelihood without auxiliary parameters")

// LogLikSubsample estimates what LogLik computes, Σᵢ ℓᵢ(ηᵢ(θₛ)) for every
// draw θₛ (the rows of theta), from one pass over src that evaluates every
// row only at the center c and every stride-th row at all draws: the
// difference estimator of Quiroz, Kohn, Villani & Tran (2019, "Speeding up
// MCMC by efficient data subsampling", JASA 114). The control variate is
// each row's second-order Taylor expansion around η̂ᵢ = xᵢᵀc, whose sum
// over all rows is exact for every draw,
//
//	Σᵢ [ℓᵢ(η̂ᵢ) + ℓᵢ'(η̂ᵢ)δᵢ + ½ℓᵢ”(η̂ᵢ)δᵢ²] = A + gᵀΔ + ½ΔᵀHΔ,  δᵢ = xᵢᵀΔ, Δ = θ − c,
//
// and the remainder rᵢ = ℓᵢ − (that expansion), of third order in δᵢ, is
// estimated from the m subsampled rows as (N/m) Σ rᵢ. It stores the
// estimate in dst[s] (added to, as LogLik does) and its standard error
// N·√((1 − m/N)·s²ᵣ/m) in se[s] (s²ᵣ the subsample variance of the
// remainders). For a posterior that is nearly Gaussian in η, as for large
// N, the remainders are tiny and the error far below a nat. The
// subsample is the rows whose index in src is a multiple of stride (a
// systematic sample, deterministic), and the sums run over fixed chunks
// in order, so the result does not depend on GOMAXPROCS.
func LogLikSubsample(src Source, theta *mat.Dense, c []float64, stride int, dst, se []float64) error {
	S, _ := theta.Dims()
	if S == 0 {
		return nil
	}
	stride = max(1, stride)
	t := &subTask{theta: theta, c: c, stride: stride, S: S}
	err := blocks(src, passChunks, func(b *Block) error {
		if err := t.block(b); err != nil {
			return err
		}
		t.base += b.Len()
		return nil
	})
	if err != nil {
		return err
	}
	t.finish(dst, se)
	return nil
}

// subRows is the most rows per chunk of a block.
const subRows = 4096

type subTask struct {
	theta  *mat.Dense
	c      []float64
	stride int
	S      int
	base   int // index in src of the block's first row

	lay    *model.Layout
	b      *Block
	p, da  int
	deltas *mat.Dense // S × p: θₛ − c on the dense coordinates
	chunks int
	acc    []subAcc // per chunk of the current block
	tot    subAcc   // the blocks' sums, in order
	m      int      // subsampled rows
	grp    parallel.Group
}

// subAcc holds the sums of a chunk of rows.
type subAcc struct {
	a     float64
	g, h  []float64 // p, p×p lower
	r, r2 []float64 // per draw: Σ rᵢ and Σ rᵢ²
	m     int
	// Scratch for a subsampled row: the draws' δ, η and ℓ.
	dl, eta, l []float64
	low        linalg.Lower // into h
}

func newSubAcc(p, S int) subAcc {
	return subAcc{g: make([]float64, p), h: make([]float64, p*p), r: make([]float64, S), r2: make([]float64, S),
		dl: make([]float64, S), eta: make([]float64, S), l: make([]float64, S)}
}

func (a *subAcc) reset() {
	a.a, a.m = 0, 0
	clear(a.g)
	clear(a.h)
	a.low.Reset(a.h, len(a.g), len(a.g))
	clear(a.r)
	clear(a.r2)
}

func (a *subAcc) add(o *subAcc) {
	a.a += o.a
	a.m += o.m
	floats.Add(a.g, o.g)
	floats.Add(a.h, o.h)
	floats.Add(a.r, o.r)
	floats.Add(a.r2, o.r2)
}

func (t *subTask) prepare(lay *model.Layout) error {
	if len(lay.Terms) > 0 || len(lay.AuxAt) > 0 || len(lay.Lik.Aux()) > 0 || lay.X == nil {
		return ErrNoSubsample
	}
	if t.lay != nil {
		return nil
	}
	t.lay = lay
	_, t.p = lay.X.Dims()
	t.da = lay.DenseAt
	t.deltas = mat.NewDense(t.S, t.p, nil)
	for s := 0; s < t.S; s++ {
		row := t.deltas.RawRowView(s)
		floats.SubTo(row, t.theta.RawRowView(s)[t.da:t.da+t.p], t.c[t.da:t.da+t.p])
	}
	t.tot = newSubAcc(t.p, t.S)
	return nil
}

func (t *subTask) block(b *Block) error {
	if err := t.prepare(b.Layout); err != nil {
		return err
	}
	t.lay, t.b = b.Layout, b
	n := b.Len()
	t.chunks = parallel.Chunks(n, subRows, 1<<20)
	for len(t.acc) < t.chunks {
		t.acc = append(t.acc, newSubAcc(t.p, t.S))
	}
	t.grp.Run(t, t.chunks)
	for k := 0; k < t.chunks; k++ {
		t.tot.add(&t.acc[k])
	}
	return nil
}

// Do accumulates chunk k of the block's rows.
func (t *subTask) Do(_, k int) {
	a := &t.acc[k]
	a.reset()
	defer a.low.Flush()
	lay, b := t.lay, t.b
	lo, hi := parallel.Range(b.Len(), t.chunks, k)
	c := t.c[t.da : t.da+t.p]
	for r := lo; r < hi; r++ {
		i := b.Row(r)
		x := lay.X.RawRowView(i)
		eta := floats.Dot(x, c)
		if lay.Offset != nil {
			eta += lay.Offset[i]
		}
		l0, d1, d2 := lay.Lik.LogLik(i, eta, nil, nil)
		a.a += l0
		floats.AddScaled(a.g, d1, x)
		a.low.Add(d2, x)
		if (t.base+r)%t.stride != 0 {
			continue
		}
		a.m++
		for s := 0; s < t.S; s++ {
			a.dl[s] = floats.Dot(x, t.deltas.RawRowView(s))
			a.eta[s] = eta + a.dl[s]
		}
		model.LogLikValues(lay.Lik, a.l, i, a.eta)
		for s, dl := range a.dl {
			rem := a.l[s] - (l0 + dl*(d1+0.5*d2*dl))
			a.r[s] += rem
			a.r2[s] += rem * rem
		}
	}
}

// finish adds the estimates to dst and stores their standard errors in se.
func (t *subTask) finish(dst, se []float64) {
	p, tot := t.p, &t.tot
	N := float64(t.base)
	m := float64(tot.m)
	hd := make([]float64, p)
	for s := 0; s < t.S; s++ {
		dl := t.deltas.RawRowView(s)
		// ½ΔᵀHΔ from the lower triangle.
		quad := 0.0
		for j := 0; j < p; j++ {
			hd[j] = floats.Dot(tot.h[j*p:j*p+j], dl[:j])
			quad += dl[j] * (2*hd[j] + tot.h[j*p+j]*dl[j])
		}
		est := tot.a + floats.Dot(tot.g, dl) + 0.5*quad
		v := 0.0
		if m > 0 {
			est += N / m * tot.r[s]
		}
		if m > 1 {
			mean := tot.r[s] / m
			s2 := math.Max(0, (tot.r2[s]-m*mean*mean)/(m-1))
			v = N * math.Sqrt(math.Max(0, 1-m/N)*s2/m)
		}
		dst[s] += est
		if se != nil {
			se[s] = v
		}
	}
}
