package bnn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/govi-dev/govi/internal/mathx"
)

// pointBlock is the number of rows a point evaluation (LogDensityRows,
// predictions) pushes through the network at once.
const pointBlock = 64

// gaussLL returns the expectation over log σ ~ N(ms, vs) of the Gaussian
// log density log N(y | z, σ²),
//
//	−½ log 2π − ms − ½(y − z)² exp(−2ms + 2vs),
//
// using E[σ⁻²] = exp(−2ms + 2vs), and its derivatives in z, ms and vs (vs
// = 0 is the density at log σ = ms).
func gaussLL(y, z, ms, vs float64) (l, dz, dms, dvs float64) {
	e := math.Exp(2 * (vs - ms))
	r := y - z
	r2e := r * r * e
	return -halfLog2Pi - ms - 0.5*r2e, r * e, -1 + r2e, -r2e
}

// bernLL returns log P(y | logit z) = −softplus(−(2y−1)z) and its
// derivative in z.
func bernLL(y, z float64) (l, dz float64) {
	s := 2*y - 1
	t := s * z
	return -mathx.Softplus(-t), s * mathx.Logistic(-t)
}

// catLL returns log softmax(z)_k and, if dz is not nil, stores its
// gradient in z there.
func catLL(k int, z, dz []float64) float64 {
	m := z[0]
	for _, v := range z[1:] {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	if dz != nil {
		for j, v := range z {
			dz[j] = -math.Exp(v - lse)
		}
		dz[k]++
	}
	return z[k] - lse
}

// pointWork is the workspace of a forward and backward pass at one θ over
// up to pointBlock rows.
type pointWork struct {
	a0       []float64   // inputs, pointBlock×p
	z, a, dz [][]float64 // per layer: pre-activations, activations, ∂/∂z
	ll       []float64   // per-row log likelihood
}

func newPointWork(n *Network) *pointWork {
	w := &pointWork{a0: make([]float64, pointBlock*n.p), ll: make([]float64, pointBlock)}
	for _, ly := range n.layers {
		w.z = append(w.z, make([]float64, pointBlock*ly.Out))
		w.a = append(w.a, make([]float64, pointBlock*ly.Out))
		w.dz = append(w.dz, make([]float64, pointBlock*ly.Out))
	}
	return w
}

// forward computes the network's outputs at theta for the r rows in
// w.a0; they are left in w.z[L−1].
func (w *pointWork) forward(n *Network, theta []float64, r int) {
	in := matOf(r, n.p, w.a0)
	last := len(n.layers) - 1
	for l, ly := range n.layers {
		z := w.z[l][:r*ly.Out]
		b := theta[ly.B : ly.B+ly.Out]
		for i := 0; i < r; i++ {
			copy(z[i*ly.Out:(i+1)*ly.Out], b)
		}
		gemm(blas.NoTrans, blas.NoTrans, 1, in, matOf(ly.In, ly.Out, theta[ly.W:]), 1, matOf(r, ly.Out, z))
		if l == last {
			break
		}
		a := w.a[l][:r*ly.Out]
		switch n.act {
		case ReLU:
			for j, v := range z {
				a[j] = math.Max(v, 0)
			}
		case Tanh:
			for j, v := range z {
				a[j] = math.Tanh(v)
			}
		}
		in = matOf(r, ly.Out, a)
	}
}

// backward adds to grad the gradient in θ given ∂/∂z of the outputs in
// w.dz[L−1], for the r rows of the last forward pass.
func (w *pointWork) backward(n *Network, theta, grad []float64, r int) {
	for l := len(n.layers) - 1; l >= 0; l-- {
		ly := n.layers[l]
		dz := matOf(r, ly.Out, w.dz[l])
		var in blas64.General
		if l == 0 {
			in = matOf(r, n.p, w.a0)
		} else {
			in = matOf(r, ly.In, w.a[l-1])
		}
		gemm(blas.Trans, blas.NoTrans, 1, in, dz, 1, matOf(ly.In, ly.Out, grad[ly.W:]))
		gb := grad[ly.B : ly.B+ly.Out]
		for i := 0; i < r; i++ {
			for j, v := range dz.Data[i*ly.Out : (i+1)*ly.Out] {
				gb[j] += v
			}
		}
		if l == 0 {
			break
		}
		da := matOf(r, ly.In, w.dz[l-1])
		gemm(blas.NoTrans, blas.Trans, 1, dz, matOf(ly.In, ly.Out, theta[ly.W:]), 0, da)
		switch n.act {
		case ReLU:
			for j, v := range w.z[l-1][:r*ly.In] {
				if !(v > 0) {
					da.Data[j] = 0
				}
			}
		case Tanh:
			for j, a := range w.a[l-1][:r*ly.In] {
				da.Data[j] *= 1 - a*a
			}
		}
	}
}

// outputLL stores in w.ll the log likelihood of the r rows whose outputs
// are in w.z[L−1], given their responses (y on the training scale), and,
// if dz is true, its gradient in the outputs, times scale, in w.dz[L−1].
// It returns ∂/∂(log σ) of scale·Σ ll (zero unless Gaussian).
func (w *pointWork) outputLL(n *Network, theta []float64, y []float64, r int, dz bool, scale float64) float64 {
	last := len(n.layers) - 1
	out := n.layers[last].Out
	z := w.z[last]
	g := w.dz[last]
	dls := 0.0
	switch n.lik {
	case Gaussian:
		ls := theta[n.noise]
		for i := 0; i < r; i++ {
			l, d, dm, _ := gaussLL(y[i], z[i], ls, 0)
			w.ll[i] = l
			g[i] = scale * d
			dls += scale * dm
		}
	case Bernoulli:
		for i := 0; i < r; i++ {
			l, d := bernLL(y[i], z[i])
			w.ll[i] = l
			g[i] = scale * d
		}
	case Categorical:
		for i := 0; i < r; i++ {
			zi := z[i*out : (i+1)*out]
			var gi []float64
			if dz {
				gi = g[i*out : (i+1)*out]
			}
			w.ll[i] = catLL(int(y[i]), zi, gi)
			for j := range gi {
				gi[j] *= scale
			}
		}
	}
	return dls
}

// logLikRows returns scale·Σ_{i∈rows} log p(yᵢ | θ) (all rows when rows
// is nil) and, if grad is not nil, adds its gradient there.
func (n *Network) logLikRows(grad, theta []float64, rows []int, scale float64) float64 {
	w := n.work.Get().(*pointWork)
	defer n.work.Put(w)
	total := n.n
	if rows != nil {
		total = len(rows)
	}
	var y [pointBlock]float64
	sum, dls := 0.0, 0.0
	for lo := 0; lo < total; lo += pointBlock {
		r := min(pointBlock, total-lo)
		for k := 0; k < r; k++ {
			i := lo + k
			if rows != nil {
				i = rows[i]
			}
			copy(w.a0[k*n.p:(k+1)*n.p], n.x[i*n.p:(i+1)*n.p])
			y[k] = n.y[i]
		}
		w.forward(n, theta, r)
		dls += w.outputLL(n, theta, y[:r], r, grad != nil, scale)
		s := 0.0
		for _, v := range w.ll[:r] {
			s += v
		}
		sum += s
		if grad != nil {
			w.backward(n, theta, grad, r)
		}
	}
	if grad != nil && n.noise >= 0 {
		grad[n.noise] += dls
	}
	return scale * sum
}
