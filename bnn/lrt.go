package bnn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/internal/rng"
	"github.com/govi-dev/govi/model"
)

// LocalReparam is the Monte Carlo ELBO with the local reparameterization
// trick (Kingma, Salimans & Welling 2015, "Variational dropout and the
// local reparameterization trick"), for a mean-field q = N(μ, diag(σ²)).
//
// Instead of drawing the weights, it draws each row's pre-activations:
// given the activations a of the layer below (from the row's own draw),
// the pre-activation of unit j under q is exactly
//
//	zⱼ ~ N(γⱼ, δⱼ),  γⱼ = Σᵢ aᵢ μᵢⱼ + μ_bⱼ,  δⱼ = Σᵢ aᵢ² σᵢⱼ² + σ_bⱼ²,
//
// so zⱼ = γⱼ + √δⱼ εⱼ with ε ~ N(0, 1) per row and unit: two matrix
// products per layer forward (A·M and A²·Σ², through blas64.Gemm) and four
// backward. Every row's expected log likelihood is estimated without bias,
// and rows of a batch no longer share a weight draw, which removes the
// covariance between rows from the gradient's variance. The Gaussian noise
// sd is integrated in closed form: with log σ ~ N(m, v) under q,
// E[log N(y | z, σ²)] = −½ log 2π − m − ½(y − z)² exp(2v − 2m). The prior
// term is the closed-form E_q[log p(θ)] and the entropy is q's own, so
//
//	ELBO ≈ (N/|B|) Σ_{i∈B} (1/S) Σₛ log p(yᵢ | z_{iLs}) + E_q[log p(θ)] + H(q).
//
// Rows are processed in blocks of 32, blocks in at most 8 chunks fixed by
// the number of rows and run on all cores, and the chunks' sums reduced
// in chunk order. Block k of call t draws from its own ChaCha8 stream
// keyed by (Seed, t, k), so results do not depend on GOMAXPROCS.
//
// The family must be mean-field shaped (family.Gaussian whose Factor has D
// and no B): weights that q correlates (family.LowRank, family.FullRank)
// make pre-activations of different rows dependent through the shared
// weights, which the trick cannot represent. For those, use
// elbo.MonteCarlo, which draws θ whole.
type LocalReparam struct {
	// Draws is the number of noise draws per row; zero means 1.
	Draws int
	// Seed keys the random streams.
	Seed uint64
	// Fixed reuses the same noise at every call, which makes the objective
	// a deterministic sample-average approximation (and Deterministic
	// report true).
	Fixed bool

	base
	calls uint64
	call  uint64
	draws int
	work  []*lrtWork
}

var _ Estimator = (*LocalReparam)(nil)

type lrtWork struct {
	st                     *rng.Stream
	a0, a02                []float64
	y                      []float64
	z, s, e, a, a2, dz, dv [][]float64
	tmp                    []float64
}

func newLRTWork(n *Network) *lrtWork {
	w := &lrtWork{
		st:  rng.NewStream(0, 0, 0, 0),
		a0:  make([]float64, blockRows*n.p),
		a02: make([]float64, blockRows*n.p),
		y:   make([]float64, blockRows),
	}
	maxIn := 0
	for _, ly := range n.layers {
		sz := blockRows * ly.Out
		w.z = append(w.z, make([]float64, sz))
		w.s = append(w.s, make([]float64, sz))
		w.e = append(w.e, make([]float64, sz))
		w.a = append(w.a, make([]float64, sz))
		w.a2 = append(w.a2, make([]float64, sz))
		w.dz = append(w.dz, make([]float64, sz))
		w.dv = append(w.dv, make([]float64, sz))
		maxIn = max(maxIn, ly.In)
	}
	w.tmp = make([]float64, blockRows*maxIn)
	return w
}

// Init implements elbo.Estimator: m must be a *Network and q a mean-field
// Gaussian family; otherwise the error wraps elbo.ErrUnsupported.
func (e *LocalReparam) Init(m model.LogDensity, q family.Family) error {
	if err := e.base.init(m, q, "bnn.LocalReparam", false); err != nil {
		return err
	}
	e.calls = 0
	e.draws = max(1, e.Draws)
	e.work = nil
	e.grow()
	return nil
}

func (e *LocalReparam) grow() {
	for len(e.work) < e.workers() {
		e.work = append(e.work, newLRTWork(e.net))
	}
}

// Deterministic reports whether the noise is Fixed.
func (e *LocalReparam) Deterministic() bool { return e.Fixed }

// SetRows restricts the likelihood to the given rows, scaled by
// N/len(rows) (minibatches); nil restores all rows.
func (e *LocalReparam) SetRows(rows []int) error { return e.setRows(rows) }

// ELBO implements elbo.Estimator. A family that is not mean-field shaped
// gives NaN.
func (e *LocalReparam) ELBO(grad []float64, q family.Family) float64 {
	return e.ELBOHyper(grad, nil, q)
}

// ELBOHyper implements Estimator.
func (e *LocalReparam) ELBOHyper(grad, hgrad []float64, q family.Family) float64 {
	if !e.begin(grad, q) {
		return fail(grad, hgrad)
	}
	e.grow()
	e.call = e.calls
	if !e.Fixed {
		e.calls++
	}
	e.grp.Run(lrtTask{e}, e.chunks)
	return e.finish(grad, hgrad)
}

// lrtTask runs the chunks of a call (parallel.Task).
type lrtTask struct{ e *LocalReparam }

// Do evaluates chunk c on worker w.
func (t lrtTask) Do(w, c int) { t.e.chunk(w, c) }

// chunk evaluates chunk c on worker w.
func (e *LocalReparam) chunk(w, c int) {
	net := e.net
	wk := e.work[w]
	p := net.p
	last := len(net.layers) - 1
	lo, hi := parallel.Range(e.blocks, e.chunks, c)
	inv := 1 / float64(e.draws)
	val := 0.0
	var noise [2]float64
	first := true
	for k := lo; k < hi; k++ {
		r0, r1 := e.blockRange(k)
		r := r1 - r0
		for t := 0; t < r; t++ {
			i := e.row(r0 + t)
			copy(wk.a0[t*p:(t+1)*p], net.xe[i*p:(i+1)*p])
			copy(wk.a02[t*p:(t+1)*p], net.xe2[i*p:(i+1)*p])
			wk.y[t] = net.y[i]
		}
		wk.st.Reset(e.Seed, rng.ELBO, e.call, uint64(k))
		for s := 0; s < e.draws; s++ {
			e.forward(wk, r)
			// Output log likelihood and its gradient.
			out := net.layers[last].Out
			z := wk.z[last][:r*out]
			g := wk.dz[last][:r*out]
			switch net.lik {
			case Gaussian:
				ms := e.mu[net.noise]
				vs := e.sd[net.noise] * e.sd[net.noise]
				for t := 0; t < r; t++ {
					l, d, dm, dv := gaussLL(wk.y[t], z[t], ms, vs)
					val += inv * l
					g[t] = inv * d
					noise[0] += inv * dm
					noise[1] += inv * dv
				}
			case Bernoulli:
				for t := 0; t < r; t++ {
					l, d := bernLL(wk.y[t], z[t])
					val += inv * l
					g[t] = inv * d
				}
			case Categorical:
				for t := 0; t < r; t++ {
					gt := g[t*out : (t+1)*out]
					val += inv * catLL(int(wk.y[t]), z[t*out:(t+1)*out], gt)
					for j := range gt {
						gt[j] *= inv
					}
				}
			}
			if e.doGrad {
				e.backward(wk, c, r, first)
				first = false
			}
		}
	}
	e.cval[c] = val
	e.cnoise[c] = noise
}

// forward draws the pre-activations of the r rows in wk.a0.
func (e *LocalReparam) forward(wk *lrtWork, r int) {
	net := e.net
	last := len(net.layers) - 1
	in, in2 := matOf(r, net.p, wk.a0), matOf(r, net.p, wk.a02)
	for l, ly := range net.layers {
		o := ly.Out
		z, s, ep := wk.z[l][:r*o], wk.s[l][:r*o], wk.e[l][:r*o]
		mb, vb := e.mu[ly.B:ly.B+o], e.s2[ly.B:ly.B+o]
		if l == 0 {
			mb, vb = e.c1, e.c2
		}
		for t := 0; t < r; t++ {
			copy(z[t*o:(t+1)*o], mb)
			copy(s[t*o:(t+1)*o], vb)
		}
		gemm(blas.NoTrans, blas.NoTrans, 1, in, matOf(ly.In, o, e.mu[ly.W:]), 1, matOf(r, o, z))
		gemm(blas.NoTrans, blas.NoTrans, 1, in2, matOf(ly.In, o, e.s2[ly.W:]), 1, matOf(r, o, s))
		for j := range ep {
			ep[j] = wk.st.NormFloat64()
		}
		for j, v := range s {
			sd := math.Sqrt(v)
			s[j] = sd
			z[j] += sd * ep[j]
		}
		if l == last {
			break
		}
		a, a2 := wk.a[l][:r*o], wk.a2[l][:r*o]
		switch net.act {
		case ReLU:
			for j, v := range z {
				v = math.Max(v, 0)
				a[j] = v
				a2[j] = v * v
			}
		case Tanh:
			for j, v := range z {
				v = math.Tanh(v)
				a[j] = v
				a2[j] = v * v
			}
		}
		in, in2 = matOf(r, o, a), matOf(r, o, a2)
	}
}

// backward adds the gradient of the r rows' log likelihood (given ∂/∂z of
// the outputs in wk.dz[L−1]) to chunk c's accumulators, overwriting them
// on the chunk's first block.
func (e *LocalReparam) backward(wk *lrtWork, c, r int, first bool) {
	net := e.net
	beta := 1.0
	if first {
		beta = 0
	}
	gmu, gs2 := e.cgmu[c], e.cgs2[c]
	for l := len(net.layers) - 1; l >= 0; l-- {
		ly := net.layers[l]
		o := ly.Out
		dz, dv := wk.dz[l][:r*o], wk.dv[l][:r*o]
		s, ep := wk.s[l][:r*o], wk.e[l][:r*o]
		// z = γ + √δ ε: ∂/∂γ = ∂/∂z and ∂/∂δ = ∂/∂z · ε/(2√δ).
		for j, g := range dz {
			if s[j] > 0 {
				dv[j] = g * ep[j] / (2 * s[j])
			} else {
				dv[j] = 0
			}
		}
		var in, in2 blas64.General
		if l == 0 {
			in, in2 = matOf(r, net.p, wk.a0), matOf(r, net.p, wk.a02)
		} else {
			in, in2 = matOf(r, ly.In, wk.a[l-1]), matOf(r, ly.In, wk.a2[l-1])
		}
		gemm(blas.Trans, blas.NoTrans, 1, in, matOf(r, o, dz), beta, matOf(ly.In, o, gmu[ly.W:]))
		gemm(blas.Trans, blas.NoTrans, 1, in2, matOf(r, o, dv), beta, matOf(ly.In, o, gs2[ly.W:]))
		colSums(gmu[ly.B:ly.B+o], dz, r, o, first)
		colSums(gs2[ly.B:ly.B+o], dv, r, o, first)
		if l == 0 {
			break
		}
		// ∂/∂a = ∂/∂γ Mᵀ + 2a ⊙ (∂/∂δ Σ²ᵀ).
		in0 := ly.In
		da := wk.dz[l-1][:r*in0]
		tmp := wk.tmp[:r*in0]
		gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, o, dz), matOf(o, in0, e.muT[ly.W:]), 0, matOf(r, in0, da))
		gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, o, dv), matOf(o, in0, e.s2T[ly.W:]), 0, matOf(r, in0, tmp))
		a := wk.a[l-1][:r*in0]
		switch net.act {
		case ReLU:
			for j, zv := range wk.z[l-1][:r*in0] {
				if zv > 0 {
					da[j] += 2 * a[j] * tmp[j]
				} else {
					da[j] = 0
				}
			}
		case Tanh:
			for j, av := range a {
				da[j] = (da[j] + 2*av*tmp[j]) * (1 - av*av)
			}
		}
	}
}

// colSums adds (or, if set, stores) the column sums of the r×o matrix m
// in dst.
func colSums(dst, m []float64, r, o int, set bool) {
	t := 0
	if set {
		copy(dst, m[:o])
		t = 1
	}
	for ; t < r; t++ {
		for j, v := range m[t*o : (t+1)*o] {
			dst[j] += v
		}
	}
}
