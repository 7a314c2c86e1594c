package bnn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/mathx"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/model"
)

// Moments is the deterministic ELBO of moment propagation (Wu et al. 2019,
// "Deterministic variational inference for robust Bayesian neural
// networks", ICLR; the diagonal version), for a mean-field
// q = N(μ, diag(σ²)).
//
// Each row's pre-activations are treated as independent Gaussians
// zⱼ ~ N(Mⱼ, Vⱼ) and propagated layer by layer in closed form. With
// activations of mean m and variance v below (m = x, v = 0 for the
// inputs), independent of the weights,
//
//	Mⱼ = Σᵢ mᵢ μᵢⱼ + μ_bⱼ,  Vⱼ = Σᵢ (mᵢ² + vᵢ) σᵢⱼ² + vᵢ μᵢⱼ² + σ_bⱼ²,
//
// three matrix products per layer (blas64.Gemm). Through a ReLU, for
// z ~ N(M, V) with S = √V and α = M/S (Frey & Hinton 1999; Wu et al. 2019),
//
//	E[max(z, 0)] = M Φ(α) + S φ(α),
//	Var[max(z, 0)] = V [(1 + α²)Φ(α) + αφ(α) − (αΦ(α) + φ(α))²],
//
// (evaluated for α > 0 as V[1 − Q − αt − t²] with Q = Φ(−α),
// t = φ(α) − αQ, which does not cancel); through tanh, by Gauss-Hermite
// quadrature with Nodes nodes per unit (elbo.GaussHermite):
// E[tanh z] ≈ Σₖ wₖ tanh(M + S xₖ), Var = Σₖ wₖ tanh²(·) − E². The expected
// log likelihood of the output a ~ N(M, V) is
//
//   - Gaussian, closed form, with log σ ~ N(m, v) under q:
//     −½ log 2π − m − ½((y − M)² + V) exp(2v − 2m);
//   - Bernoulli: one-dimensional Gauss-Hermite over a, Nodes nodes,
//     Σₖ wₖ log logistic((2y − 1)(M + S xₖ));
//   - Categorical: the bound E[log softmax(a)_y] ≥ M_y − log Σₖ exp(Mₖ + Vₖ/2)
//     (Jensen: E log Σ e^a ≤ log Σ E e^a), which keeps the objective a lower
//     bound of the ELBO under the Gaussian approximation.
//
// With the closed-form E_q[log p(θ)] and q's entropy,
//
//	ELBO ≈ (N/|B|) Σ_{i∈B} E[log p(yᵢ | aᵢ)] + E_q[log p(θ)] + H(q),
//
// deterministic, with exact hand-written gradients (the chain rule through
// every moment formula, vector by vector). It is exact for one hidden
// layer and a Gaussian likelihood (the hidden units then use disjoint
// weights, so they are independent, the output's mean and variance are
// exact, and the Gaussian expectation needs nothing more); with more
// layers the units of a layer share their inputs and are correlated, and
// pre-activations are not Gaussian, so it approximates the ELBO (see the
// package documentation for measured gaps).
//
// The work is split and reduced as for LocalReparam, so results do not
// depend on GOMAXPROCS. The family must be mean-field shaped, for the same
// reason as LocalReparam's.
type Moments struct {
	// Nodes is the number of Gauss-Hermite nodes per tanh unit and per
	// Bernoulli output. Zero means 16.
	Nodes int

	base
	z, wt []float64
	work  []*momWork
}

var _ Estimator = (*Moments)(nil)

// momWork holds one worker's buffers: per layer (blockRows×width) the
// pre-activation moments M, V, the activation moments m, v, P = m² + v,
// the four derivatives of (m, v) in (M, V), and the gradients in M and V.
type momWork struct {
	a0, a02 []float64
	y       []float64
	mM, vV  [][]float64
	ma, va  [][]float64
	pp      [][]float64
	dmM     [][]float64
	dmV     [][]float64
	dvM     [][]float64
	dvV     [][]float64
	gM, gV  [][]float64
	tmp     []float64
}

func newMomWork(n *Network) *momWork {
	w := &momWork{
		a0:  make([]float64, blockRows*n.p),
		a02: make([]float64, blockRows*n.p),
		y:   make([]float64, blockRows),
	}
	maxIn := 0
	for _, ly := range n.layers {
		sz := blockRows * ly.Out
		for _, p := range []*[][]float64{&w.mM, &w.vV, &w.ma, &w.va, &w.pp, &w.dmM, &w.dmV, &w.dvM, &w.dvV, &w.gM, &w.gV} {
			*p = append(*p, make([]float64, sz))
		}
		maxIn = max(maxIn, ly.In)
	}
	w.tmp = make([]float64, blockRows*maxIn)
	return w
}

// Init implements elbo.Estimator: m must be a *Network and q a mean-field
// Gaussian family; otherwise the error wraps elbo.ErrUnsupported.
func (e *Moments) Init(m model.LogDensity, q family.Family) error {
	if err := e.base.init(m, q, "bnn.Moments", true); err != nil {
		return err
	}
	n := e.Nodes
	if n <= 0 {
		n = 16
	}
	e.z, e.wt = elbo.GaussHermite(n)
	e.work = nil
	e.grow()
	return nil
}

func (e *Moments) grow() {
	for len(e.work) < e.workers() {
		e.work = append(e.work, newMomWork(e.net))
	}
}

// Deterministic returns true.
func (e *Moments) Deterministic() bool { return true }

// SetRows restricts the likelihood to the given rows, scaled by
// N/len(rows) (minibatches); nil restores all rows.
func (e *Moments) SetRows(rows []int) error { return e.setRows(rows) }

// ELBO implements elbo.Estimator. A family that is not mean-field shaped
// gives NaN.
func (e *Moments) ELBO(grad []float64, q family.Family) float64 {
	return e.ELBOHyper(grad, nil, q)
}

// ELBOHyper implements Estimator.
func (e *Moments) ELBOHyper(grad, hgrad []float64, q family.Family) float64 {
	if !e.begin(grad, q) {
		return fail(grad, hgrad)
	}
	e.grow()
	e.grp.Run(momTask{e}, e.chunks)
	return e.finish(grad, hgrad)
}

// momTask runs the chunks of a call (parallel.Task).
type momTask struct{ e *Moments }

// Do evaluates chunk c on worker w.
func (t momTask) Do(w, c int) { t.e.chunk(w, c) }

// chunk evaluates chunk c on worker w.
func (e *Moments) chunk(w, c int) {
	net := e.net
	wk := e.work[w]
	p := net.p
	last := len(net.layers) - 1
	out := net.layers[last].Out
	lo, hi := parallel.Range(e.blocks, e.chunks, c)
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
		e.forward(wk, r)
		mo, vo := wk.mM[last][:r*out], wk.vV[last][:r*out]
		gM, gV := wk.gM[last][:r*out], wk.gV[last][:r*out]
		switch net.lik {
		case Gaussian:
			ms := e.mu[net.noise]
			vs := e.sd[net.noise] * e.sd[net.noise]
			ex := math.Exp(2 * (vs - ms))
			for t := 0; t < r; t++ {
				d := wk.y[t] - mo[t]
				q := (d*d + vo[t]) * ex
				val += -halfLog2Pi - ms - 0.5*q
				gM[t] = d * ex
				gV[t] = -0.5 * ex
				noise[0] += -1 + q
				noise[1] += -q
			}
		case Bernoulli:
			for t := 0; t < r; t++ {
				s := 2*wk.y[t] - 1
				sd := math.Sqrt(vo[t])
				l, gm, gs := 0.0, 0.0, 0.0
				for j, x := range e.z {
					a := s * (mo[t] + sd*x)
					l -= e.wt[j] * mathx.Softplus(-a)
					d := e.wt[j] * s * mathx.Logistic(-a)
					gm += d
					gs += d * x
				}
				val += l
				gM[t] = gm
				if sd > 0 {
					gV[t] = gs / (2 * sd)
				} else {
					gV[t] = 0
				}
			}
		case Categorical:
			for t := 0; t < r; t++ {
				m, v := mo[t*out:(t+1)*out], vo[t*out:(t+1)*out]
				gm, gv := gM[t*out:(t+1)*out], gV[t*out:(t+1)*out]
				mx := math.Inf(-1)
				for j := range m {
					mx = math.Max(mx, m[j]+0.5*v[j])
				}
				s := 0.0
				for j := range m {
					s += math.Exp(m[j] + 0.5*v[j] - mx)
				}
				lse := mx + math.Log(s)
				y := int(wk.y[t])
				val += m[y] - lse
				for j := range m {
					pj := math.Exp(m[j] + 0.5*v[j] - lse)
					gm[j] = -pj
					gv[j] = -0.5 * pj
				}
				gm[y]++
			}
		}
		if e.doGrad {
			e.backward(wk, c, r, first)
			first = false
		}
	}
	e.cval[c] = val
	e.cnoise[c] = noise
}

// forward propagates the moments of the r rows in wk.a0.
func (e *Moments) forward(wk *momWork, r int) {
	net := e.net
	last := len(net.layers) - 1
	for l, ly := range net.layers {
		o := ly.Out
		mM, vV := wk.mM[l][:r*o], wk.vV[l][:r*o]
		mb, vb := e.mu[ly.B:ly.B+o], e.s2[ly.B:ly.B+o]
		if l == 0 {
			mb, vb = e.c1, e.c2
		}
		for t := 0; t < r; t++ {
			copy(mM[t*o:(t+1)*o], mb)
			copy(vV[t*o:(t+1)*o], vb)
		}
		mw, sw := matOf(ly.In, o, e.mu[ly.W:]), matOf(ly.In, o, e.s2[ly.W:])
		if l == 0 {
			gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, net.p, wk.a0), mw, 1, matOf(r, o, mM))
			gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, net.p, wk.a02), sw, 1, matOf(r, o, vV))
		} else {
			in := ly.In
			gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, in, wk.ma[l-1]), mw, 1, matOf(r, o, mM))
			gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, in, wk.pp[l-1]), sw, 1, matOf(r, o, vV))
			gemm(blas.NoTrans, blas.NoTrans, 1, matOf(r, in, wk.va[l-1]), matOf(in, o, e.m2[ly.W:]), 1, matOf(r, o, vV))
		}
		if l == last {
			break
		}
		ma, va, pp := wk.ma[l][:r*o], wk.va[l][:r*o], wk.pp[l][:r*o]
		d1, d2, d3, d4 := wk.dmM[l][:r*o], wk.dmV[l][:r*o], wk.dvM[l][:r*o], wk.dvV[l][:r*o]
		switch net.act {
		case ReLU:
			for j := range mM {
				ma[j], va[j], d1[j], d2[j], d3[j], d4[j] = reluMoments(mM[j], vV[j])
				pp[j] = ma[j]*ma[j] + va[j]
			}
		case Tanh:
			for j := range mM {
				ma[j], va[j], d1[j], d2[j], d3[j], d4[j] = tanhMoments(mM[j], vV[j], e.z, e.wt)
				pp[j] = ma[j]*ma[j] + va[j]
			}
		}
	}
}

// backward adds the gradient of the r rows' expected log likelihood,
// given its gradients in the output moments in wk.gM and wk.gV, to chunk
// c's accumulators, overwriting them on the chunk's first block.
func (e *Moments) backward(wk *momWork, c, r int, first bool) {
	net := e.net
	beta := 1.0
	if first {
		beta = 0
	}
	gmu, gs2, gm2 := e.cgmu[c], e.cgs2[c], e.cgm2[c]
	for l := len(net.layers) - 1; l >= 0; l-- {
		ly := net.layers[l]
		o, in := ly.Out, ly.In
		gM, gV := matOf(r, o, wk.gM[l]), matOf(r, o, wk.gV[l])
		var mIn, pIn blas64.General
		if l == 0 {
			mIn, pIn = matOf(r, net.p, wk.a0), matOf(r, net.p, wk.a02)
		} else {
			mIn, pIn = matOf(r, in, wk.ma[l-1]), matOf(r, in, wk.pp[l-1])
		}
		// M = m·μ + μ_b and V = P·σ² + v·μ² + σ_b².
		gemm(blas.Trans, blas.NoTrans, 1, mIn, gM, beta, matOf(in, o, gmu[ly.W:]))
		gemm(blas.Trans, blas.NoTrans, 1, pIn, gV, beta, matOf(in, o, gs2[ly.W:]))
		colSums(gmu[ly.B:ly.B+o], gM.Data, r, o, first)
		colSums(gs2[ly.B:ly.B+o], gV.Data, r, o, first)
		if l == 0 {
			break
		}
		gemm(blas.Trans, blas.NoTrans, 1, matOf(r, in, wk.va[l-1]), gV, beta, matOf(in, o, gm2[ly.W:]))
		// ∂/∂m = ∂/∂M μᵀ + 2m ⊙ (∂/∂V σ²ᵀ), ∂/∂v = ∂/∂V (σ² + μ²)ᵀ.
		x1 := wk.tmp[:r*in]
		gma, gva := wk.gM[l-1][:r*in], wk.gV[l-1][:r*in]
		gemm(blas.NoTrans, blas.NoTrans, 1, gV, matOf(o, in, e.s2T[ly.W:]), 0, matOf(r, in, x1))
		gemm(blas.NoTrans, blas.NoTrans, 1, gV, matOf(o, in, e.m2T[ly.W:]), 0, matOf(r, in, gva))
		gemm(blas.NoTrans, blas.NoTrans, 1, gM, matOf(o, in, e.muT[ly.W:]), 0, matOf(r, in, gma))
		ma := wk.ma[l-1][:r*in]
		d1, d2, d3, d4 := wk.dmM[l-1][:r*in], wk.dmV[l-1][:r*in], wk.dvM[l-1][:r*in], wk.dvV[l-1][:r*in]
		for j := range gma {
			gm := gma[j] + 2*ma[j]*x1[j]
			gv := gva[j] + x1[j]
			gma[j] = gm*d1[j] + gv*d3[j]
			gva[j] = gm*d2[j] + gv*d4[j]
		}
	}
}

const (
	invSqrt2   = 0.70710678118654752440084436210484903928483593768847
	invSqrt2Pi = 0.39894228040143267793994605993438186847585863116493
	// minVar is the smallest pre-activation variance the moment formulas
	// use; below it (never reached while σ > 1e-150) they would divide by
	// zero.
	minVar = 1e-300
)

// reluMoments returns the mean m and variance v of max(z, 0) for
// z ~ N(M, V) and their derivatives ∂m/∂M, ∂m/∂V, ∂v/∂M, ∂v/∂V:
//
//	∂m/∂M = Φ(α), ∂m/∂V = φ(α)/(2S), ∂v/∂M = 2m(1 − Φ(α)), ∂v/∂V = Φ(α) − mφ(α)/S.
func reluMoments(M, V float64) (m, v, dmM, dmV, dvM, dvV float64) {
	V = math.Max(V, minVar)
	s := math.Sqrt(V)
	a := M / s
	pdf := invSqrt2Pi * math.Exp(-0.5*a*a)
	var cdf, q, h float64 // Φ(α), Φ(−α) = 1 − Φ(α), the variance factor
	if a > 0 {
		q = 0.5 * math.Erfc(a*invSqrt2) // accurate in the tail
		cdf = 1 - q
		t := pdf - a*q
		h = 1 - q - a*t - t*t
	} else {
		cdf = 0.5 * math.Erfc(-a*invSqrt2)
		q = 1 - cdf
		u := a*cdf + pdf
		h = (1+a*a)*cdf + a*pdf - u*u
	}
	m = M*cdf + s*pdf
	v = V * math.Max(h, 0)
	return m, v, cdf, pdf / (2 * s), 2 * m * q, cdf - m*pdf/s
}

// tanhMoments returns the mean and variance of tanh(z) for z ~ N(M, V) by
// Gauss-Hermite quadrature with nodes x and weights w, and their
// derivatives in M and V (the exact derivatives of the quadrature sums).
func tanhMoments(M, V float64, x, w []float64) (m, v, dmM, dmV, dvM, dvV float64) {
	V = math.Max(V, minVar)
	s := math.Sqrt(V)
	var e2, dmS, de2M, de2S float64
	for k, xk := range x {
		th := math.Tanh(M + s*xk)
		d := w[k] * (1 - th*th)
		m += w[k] * th
		e2 += w[k] * th * th
		dmM += d
		dmS += d * xk
		de2M += 2 * th * d
		de2S += 2 * th * d * xk
	}
	v = e2 - m*m
	dvM = de2M - 2*m*dmM
	dvS := de2S - 2*m*dmS
	if v < 0 {
		v = 0
	}
	return m, v, dmM, dmS / (2 * s), dvM, dvS / (2 * s)
}
