package bnn

import (
	"fmt"
	"math"
	"runtime"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

// Estimator is an ELBO estimator for a Network that Train can use:
// besides elbo.Estimator it evaluates minibatches (SetRows) and gives the
// gradient in the per-layer log prior scales (ELBOHyper). LocalReparam
// and Moments implement it.
type Estimator interface {
	elbo.Estimator
	// SetRows restricts the likelihood to the given training rows, scaled
	// by N/len(rows); nil restores all rows. The slice is used, not
	// copied, until the next SetRows.
	SetRows(rows []int) error
	// ELBOHyper is ELBO that also stores in hgrad (if not nil) the
	// gradient in the per-layer log prior sds (Network.Hyper).
	ELBOHyper(grad, hgrad []float64, q family.Family) float64
}

// meanField returns μ and σ of q when it is a Gaussian family of the
// mean-field shape on R^d: a factor view with a diagonal D and no B.
func meanField(q family.Family, d int) (g family.Gaussian, mu, sd []float64, ok bool) {
	g, ok = q.(family.Gaussian)
	if !ok || q.Dim() != d {
		return nil, nil, nil, false
	}
	f := g.Factor()
	if f.D == nil || f.K != 0 || len(f.Mu) != d || len(f.D) != d {
		return nil, nil, nil, false
	}
	return g, f.Mu, f.D, true
}

// expectedLogPrior returns E_q[log p(θ)] for q = N(μ, diag(σ²)) and adds
// its gradients in μ and σ to gmu and gsd (if not nil) and in the log
// prior scales to hgrad (if not nil). Per coordinate with prior N(m, s²):
//
//	E log N(θ | m, s²) = −½ log 2π − log s − ((μ − m)² + σ²)/(2s²).
func (n *Network) expectedLogPrior(mu, sd, gmu, gsd, hgrad []float64) float64 {
	lp := 0.0
	for l, ly := range n.layers {
		ls := n.logScale[l]
		inv := math.Exp(-2 * ls)
		ss := 0.0
		for j := ly.W; j < ly.B+ly.Out; j++ {
			ss += mu[j]*mu[j] + sd[j]*sd[j]
		}
		cnt := float64(ly.B + ly.Out - ly.W)
		lp += -cnt*(halfLog2Pi+ls) - 0.5*inv*ss
		if gmu != nil {
			for j := ly.W; j < ly.B+ly.Out; j++ {
				gmu[j] -= inv * mu[j]
				gsd[j] -= inv * sd[j]
			}
		}
		if hgrad != nil {
			hgrad[l] = -cnt + inv*ss
		}
	}
	if n.noise >= 0 {
		j := n.noise
		inv := 1 / (n.noiseSD * n.noiseSD)
		dm := mu[j] - n.noiseMu
		lp += -halfLog2Pi - math.Log(n.noiseSD) - 0.5*inv*(dm*dm+sd[j]*sd[j])
		if gmu != nil {
			gmu[j] -= inv * dm
			gsd[j] -= inv * sd[j]
		}
	}
	return lp
}

// base is what LocalReparam and Moments share: the model, the row subset,
// the chunking of the rows and the per-chunk accumulators, reduced in
// chunk order.
type base struct {
	net   *Network
	rows  []int // nil: all rows
	scale float64

	// per call
	q      family.Gaussian
	mu, sd []float64
	s2     []float64 // σ² of the weights
	m2     []float64 // μ² of the weights (Moments)
	// the weight matrices after the first, transposed (Out×In at the
	// layer's W offset), so that products with ∂/∂z run as A·B and skip
	// the zeros of ∂/∂z
	muT, s2T, m2T []float64
	// the first layer's bias rows with the input offsets folded in:
	// c1 = μ_b − xoffᵀ M, c2 = σ_b² + (xoff²)ᵀ Σ²
	c1, c2 []float64
	doGrad bool
	nrows  int
	blocks int
	chunks int

	// per chunk
	cval   []float64
	cgmu   [][]float64 // ∂/∂μ of the weights
	cgs2   [][]float64 // ∂/∂σ²
	cgm2   [][]float64 // ∂/∂(μ²) (Moments)
	cnoise [][2]float64

	// assembled gradient in μ and σ of all of θ
	gmu, gsd []float64

	grp parallel.Group

	red  reduceTask
	rgrp parallel.Group
}

// reduceTask sums the chunks' gradient accumulators coordinate by
// coordinate, in chunk order, on all cores (over fixed ranges of
// coordinates).
type reduceTask struct {
	b      *base
	chunks int
}

func (t *reduceTask) Do(_, c int) {
	b := t.b
	net := b.net
	lo, hi := parallel.Range(net.nw, t.chunks, c)
	gmu, gsd := b.gmu[lo:hi], b.gsd[lo:hi]
	copy(gmu, b.cgmu[0][lo:hi])
	copy(gsd, b.cgs2[0][lo:hi])
	for k := 1; k < b.chunks; k++ {
		add(gmu, b.cgmu[k][lo:hi])
		add(gsd, b.cgs2[k][lo:hi])
	}
	if b.cgm2 == nil || len(net.layers) < 2 {
		return
	}
	// ∂/∂(μ²) of the layers after the first (whose inputs have no
	// variance): ∂/∂μ += 2μ ∂/∂(μ²).
	for j := max(lo, net.layers[1].W); j < hi; j++ {
		s := 0.0
		for k := 0; k < b.chunks; k++ {
			s += b.cgm2[k][j]
		}
		b.gmu[j] += 2 * b.mu[j] * s
	}
}

func (b *base) init(m model.LogDensity, q family.Family, what string, moments bool) error {
	net, ok := m.(*Network)
	if !ok {
		return fmt.Errorf("%w: %s needs a *bnn.Network, not %T", elbo.ErrUnsupported, what, m)
	}
	if _, _, _, ok := meanField(q, net.dim); !ok {
		return fmt.Errorf("%w: %s needs a mean-field Gaussian family on R^%d (a factor view with D and no B), not %T", elbo.ErrUnsupported, what, net.dim, q)
	}
	*b = base{net: net, scale: 1}
	nw, d := net.nw, net.dim
	b.s2 = make([]float64, nw)
	b.muT = make([]float64, nw)
	b.s2T = make([]float64, nw)
	if moments {
		b.m2 = make([]float64, nw)
		b.m2T = make([]float64, nw)
	}
	b.cval = make([]float64, maxChunks)
	b.cnoise = make([][2]float64, maxChunks)
	b.cgmu = make([][]float64, maxChunks)
	b.cgs2 = make([][]float64, maxChunks)
	if moments {
		b.cgm2 = make([][]float64, maxChunks)
	}
	for c := 0; c < maxChunks; c++ {
		b.cgmu[c] = make([]float64, nw)
		b.cgs2[c] = make([]float64, nw)
		if moments {
			b.cgm2[c] = make([]float64, nw)
		}
	}
	b.gmu = make([]float64, d)
	b.gsd = make([]float64, d)
	b.red = reduceTask{b: b, chunks: parallel.Chunks(nw, 2048, 16)}
	b.c1 = make([]float64, net.layers[0].Out)
	b.c2 = make([]float64, net.layers[0].Out)
	return nil
}

func (b *base) setRows(rows []int) error {
	if b.net == nil {
		return elbo.ErrNotInit
	}
	for _, i := range rows {
		if i < 0 || i >= b.net.n {
			return fmt.Errorf("bnn: row %d out of range [0, %d)", i, b.net.n)
		}
	}
	b.rows = rows
	b.scale = 1
	if rows != nil {
		b.scale = float64(b.net.n) / float64(len(rows))
	}
	return nil
}

// row returns the training row of position k in the current subset.
func (b *base) row(k int) int {
	if b.rows == nil {
		return k
	}
	return b.rows[k]
}

// workers returns the number of workers for this call's chunks, which
// sizes the per-worker scratch.
func (b *base) workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// begin prepares a call on q; it reports false when q is not a
// mean-field family of the network's dimension.
func (b *base) begin(grad []float64, q family.Family) bool {
	if b.net == nil {
		panic(elbo.ErrNotInit)
	}
	g, mu, sd, ok := meanField(q, b.net.dim)
	if !ok {
		return false
	}
	b.q, b.mu, b.sd = g, mu, sd
	b.doGrad = grad != nil
	for j, s := range sd[:b.net.nw] {
		b.s2[j] = s * s
	}
	if b.m2 != nil {
		for j, m := range mu[:b.net.nw] {
			b.m2[j] = m * m
		}
	}
	if b.doGrad {
		for _, ly := range b.net.layers[1:] {
			transpose(b.muT[ly.W:], mu[ly.W:], ly.In, ly.Out)
			transpose(b.s2T[ly.W:], b.s2[ly.W:], ly.In, ly.Out)
			if b.m2 != nil {
				transpose(b.m2T[ly.W:], b.m2[ly.W:], ly.In, ly.Out)
			}
		}
	}
	ly := b.net.layers[0]
	copy(b.c1, mu[ly.B:ly.B+ly.Out])
	copy(b.c2, b.s2[ly.B:ly.B+ly.Out])
	for i, off := range b.net.xoff {
		if off == 0 {
			continue
		}
		mw, sw := mu[ly.W+i*ly.Out:ly.W+(i+1)*ly.Out], b.s2[ly.W+i*ly.Out:ly.W+(i+1)*ly.Out]
		for j := range b.c1 {
			b.c1[j] -= off * mw[j]
			b.c2[j] += off * off * sw[j]
		}
	}
	b.nrows = b.net.n
	if b.rows != nil {
		b.nrows = len(b.rows)
	}
	b.blocks = (b.nrows + blockRows - 1) / blockRows
	b.chunks = parallel.Chunks(b.blocks, 1, maxChunks)
	return true
}

// blockRange returns the rows [lo, hi) of block k of the current subset.
func (b *base) blockRange(k int) (lo, hi int) {
	return k * blockRows, min((k+1)*blockRows, b.nrows)
}

// finish reduces the chunks in order and assembles the ELBO and its
// gradients.
func (b *base) finish(grad, hgrad []float64) float64 {
	net := b.net
	ll := 0.0
	for c := 0; c < b.chunks; c++ {
		ll += b.cval[c]
	}
	ll *= b.scale
	if !b.doGrad && hgrad == nil {
		return ll + net.expectedLogPrior(b.mu, b.sd, nil, nil, nil) + b.q.Entropy(nil)
	}
	var v float64
	if b.doGrad {
		nw := net.nw
		gmu, gsd := b.gmu, b.gsd
		b.rgrp.Run(&b.red, b.red.chunks)
		// The first layer's input offsets (see c1, c2).
		ly := net.layers[0]
		for i, off := range net.xoff {
			if off == 0 {
				continue
			}
			gm, gs := gmu[ly.W+i*ly.Out:ly.W+(i+1)*ly.Out], gsd[ly.W+i*ly.Out:ly.W+(i+1)*ly.Out]
			for j := range gm {
				gm[j] -= off * gmu[ly.B+j]
				gs[j] += off * off * gsd[ly.B+j]
			}
		}
		sc := b.scale
		for j := 0; j < nw; j++ {
			gmu[j] *= sc
			gsd[j] *= 2 * b.sd[j] * sc // ∂/∂σ = 2σ ∂/∂σ²
		}
		if net.noise >= 0 {
			dm, dv := 0.0, 0.0
			for c := 0; c < b.chunks; c++ {
				dm += b.cnoise[c][0]
				dv += b.cnoise[c][1]
			}
			gmu[net.noise] = sc * dm
			gsd[net.noise] = sc * 2 * b.sd[net.noise] * dv
		}
		v = ll + net.expectedLogPrior(b.mu, b.sd, gmu, gsd, hgrad)
		clear(grad)
		b.q.BackpropFactor(grad, gmu, gsd, nil)
		v += b.q.Entropy(grad)
		return v
	}
	return ll + net.expectedLogPrior(b.mu, b.sd, nil, nil, hgrad) + b.q.Entropy(nil)
}

// fail stores NaN in grad and returns NaN: the family is not supported.
func fail(grad, hgrad []float64) float64 {
	for i := range grad {
		grad[i] = math.NaN()
	}
	for i := range hgrad {
		hgrad[i] = math.NaN()
	}
	return math.NaN()
}

// transpose stores the transpose of the r×c row-major matrix src in dst.
func transpose(dst, src []float64, r, c int) {
	for i := 0; i < r; i++ {
		for j, v := range src[i*c : (i+1)*c] {
			dst[j*r+i] = v
		}
	}
}

func add(dst, src []float64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
