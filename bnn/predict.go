package bnn

import (
	"fmt"
	"math"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/mathx"
	"github.com/govi-dev/govi/internal/parallel"
	"github.com/govi-dev/govi/internal/rng"
)

// PredictOptions controls Predict and LogPredictive. The zero value is
// usable.
type PredictOptions struct {
	// Draws is the number of draws of θ from q. Zero means 1000.
	Draws int
	// Seed keys the draws: draw s uses its own ChaCha8 stream keyed by
	// (Seed, s), so results do not depend on GOMAXPROCS.
	Seed uint64
	// Levels are the quantile levels of a regression's predictive
	// distribution, in (0, 1). Nil means 0.025, 0.5 and 0.975.
	Levels []float64
}

// Prediction is the posterior predictive distribution at new inputs, on
// the data's scale: p(y | x, D) ≈ (1/S) Σₛ p(y | x, θₛ) with θₛ ~ q.
type Prediction struct {
	// Mean and SD are the predictive mean and sd of a Gaussian response
	// (the noise σ included), for each row.
	Mean, SD []float64
	// Levels are the quantile levels and Quantiles (rows × levels) the
	// quantiles of the predictive mixture, solved to 1e-9 of the sd.
	Levels    []float64
	Quantiles *mat.Dense
	// Classes are the class labels (Bernoulli: 0, 1), Prob (rows ×
	// classes) the predictive class probabilities and Class the most
	// probable class of each row (the first one on ties).
	Classes []float64
	Prob    *mat.Dense
	Class   []float64
}

// predictGroup is the number of rows simulated at once, which bounds the
// memory of a prediction to Draws×predictGroup values.
const predictGroup = 4096

// maxPredictChunks bounds the chunks the draws are split into.
const maxPredictChunks = 16

// Predict returns the posterior predictive distribution at the rows of x
// (new inputs on the data's scale, standardized as the training inputs
// were) under q: for a Gaussian likelihood the mean, sd and quantiles,
// for a Bernoulli or Categorical one the class probabilities and the
// predicted class. Any family of the network's dimension works.
func (n *Network) Predict(q family.Family, x *mat.Dense, o *PredictOptions) (*Prediction, error) {
	if o == nil {
		o = &PredictOptions{}
	}
	levels := o.Levels
	if levels == nil {
		levels = []float64{0.025, 0.5, 0.975}
	}
	for _, l := range levels {
		if !(l > 0 && l < 1) {
			return nil, fmt.Errorf("bnn: quantile level %g is not in (0, 1)", l)
		}
	}
	xs, rows, err := n.standardize(q, x)
	if err != nil {
		return nil, err
	}
	pr := &Prediction{}
	if n.lik == Gaussian {
		pr.Mean = make([]float64, rows)
		pr.SD = make([]float64, rows)
		pr.Levels = slices.Clone(levels)
		pr.Quantiles = mat.NewDense(max(rows, 1), len(levels), nil)
	} else {
		pr.Classes = n.Classes()
		pr.Prob = mat.NewDense(max(rows, 1), len(pr.Classes), nil)
		pr.Class = make([]float64, rows)
	}
	sim := newSimulation(n, q, o)
	for lo := 0; lo < rows; lo += predictGroup {
		g := min(predictGroup, rows-lo)
		sim.run(xs[lo*n.p:(lo+g)*n.p], g, nil)
		if n.lik == Gaussian {
			sim.regression(pr, lo, g, levels)
		} else {
			sim.classes(pr, lo, g)
		}
	}
	return pr, nil
}

// LogPredictive returns, for each row of x and y (new data on the data's
// scale), the log posterior predictive density
//
//	log p(yᵢ | xᵢ, D) ≈ log (1/S) Σₛ p(yᵢ | xᵢ, θₛ),  θₛ ~ q,
//
// computed as a log-sum-exp (stable), on the data's scale: a Gaussian
// response's density is per unit of y (the standardization's Jacobian is
// included). A class that training never saw, or a Bernoulli response
// other than 0 or 1, is an error.
func (n *Network) LogPredictive(q family.Family, x *mat.Dense, y []float64, o *PredictOptions) ([]float64, error) {
	if o == nil {
		o = &PredictOptions{}
	}
	xs, rows, err := n.standardize(q, x)
	if err != nil {
		return nil, err
	}
	if len(y) != rows {
		return nil, fmt.Errorf("%w: %d rows of inputs, %d responses", ErrData, rows, len(y))
	}
	ys := make([]float64, rows)
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: response %g in row %d", ErrData, v, i)
		}
		switch n.lik {
		case Gaussian:
			ys[i] = (v - n.yMean) / n.ySD
		case Bernoulli:
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("%w: bernoulli response %g in row %d (want 0 or 1)", ErrData, v, i)
			}
			ys[i] = v
		case Categorical:
			k, ok := slices.BinarySearch(n.classes, v)
			if !ok {
				return nil, fmt.Errorf("%w: row %d has class %g, which the training data did not have (its classes are %v)", ErrData, i, v, n.classes)
			}
			ys[i] = float64(k)
		}
	}
	out := make([]float64, rows)
	sim := newSimulation(n, q, o)
	logS := math.Log(float64(sim.draws))
	for lo := 0; lo < rows; lo += predictGroup {
		g := min(predictGroup, rows-lo)
		sim.run(xs[lo*n.p:(lo+g)*n.p], g, ys[lo:lo+g])
		for i := 0; i < g; i++ {
			mx, se := math.Inf(-1), 0.0
			for c := 0; c < sim.chunks; c++ {
				mx, se = lseMerge(mx, se, sim.lmx[c][i], sim.lse[c][i])
			}
			out[lo+i] = mx + math.Log(se) - logS - math.Log(n.ySD)
		}
	}
	return out, nil
}

// standardize checks x and q and returns x standardized, row-major.
func (n *Network) standardize(q family.Family, x *mat.Dense) ([]float64, int, error) {
	if q.Dim() != n.dim {
		return nil, 0, fmt.Errorf("bnn: family of dimension %d for a network with %d coordinates", q.Dim(), n.dim)
	}
	if x == nil {
		return nil, 0, fmt.Errorf("%w: no inputs", ErrData)
	}
	rows, p := x.Dims()
	if p != n.p {
		return nil, 0, fmt.Errorf("%w: %d input columns, the network was trained on %d", ErrData, p, n.p)
	}
	xs := make([]float64, rows*p)
	for i := 0; i < rows; i++ {
		for j := 0; j < p; j++ {
			v := x.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, 0, fmt.Errorf("%w: input %g in row %d, column %d", ErrData, v, i, j)
			}
			xs[i*p+j] = (v - n.xMean[j]) / n.xSD[j]
		}
	}
	return xs, rows, nil
}

// lseMerge combines two log-sum-exp accumulators (max, Σ exp(· − max)).
func lseMerge(m1, s1, m2, s2 float64) (float64, float64) {
	switch {
	case math.IsInf(m2, -1):
		return m1, s1
	case math.IsInf(m1, -1):
		return m2, s2
	case m1 >= m2:
		return m1, s1 + s2*math.Exp(m2-m1)
	default:
		return m2, s2 + s1*math.Exp(m1-m2)
	}
}

// simulation pushes rows through the network at draws of θ from q, in
// chunks of draws run in parallel.
type simulation struct {
	net    *Network
	q      family.Family
	seed   uint64
	draws  int
	chunks int

	x []float64 // standardized rows, g×p
	g int
	y []float64 // responses (training scale) for log densities, or nil

	theta, eps [][]float64
	pw         []*pointWork
	st         []*rng.Stream

	f     []float64   // Gaussian: outputs, draws×g
	sig   []float64   // Gaussian: σ of each draw
	prob  [][]float64 // per chunk: Σ class probabilities, g×K
	lmx   [][]float64 // per chunk: log-sum-exp accumulators of log p(y | θ)
	lse   [][]float64
	probs []float64 // per worker scratch of K
	work  [][]float64

	grp parallel.Group
}

func newSimulation(n *Network, q family.Family, o *PredictOptions) *simulation {
	s := &simulation{net: n, q: q, seed: o.Seed, draws: o.Draws}
	if s.draws <= 0 {
		s.draws = 1000
	}
	s.chunks = parallel.Chunks(s.draws, 1, maxPredictChunks)
	nw := max(1, runtime.GOMAXPROCS(0))
	for w := 0; w < nw; w++ {
		s.theta = append(s.theta, make([]float64, n.dim))
		s.eps = append(s.eps, make([]float64, q.NoiseDim()))
		s.pw = append(s.pw, newPointWork(n))
		s.st = append(s.st, rng.NewStream(0, 0, 0, 0))
		s.work = append(s.work, make([]float64, n.layers[len(n.layers)-1].Out))
	}
	return s
}

// run simulates the g rows in x (with responses y, or nil).
func (s *simulation) run(x []float64, g int, y []float64) {
	s.x, s.g, s.y = x, g, y
	n := s.net
	k := n.layers[len(n.layers)-1].Out
	if n.lik == Gaussian {
		s.f = grow(s.f, s.draws*g)
		s.sig = grow(s.sig, s.draws)
	} else {
		s.prob = growRows(s.prob, s.chunks, g*max(k, 2))
	}
	if y != nil {
		s.lmx = growRows(s.lmx, s.chunks, g)
		s.lse = growRows(s.lse, s.chunks, g)
	}
	// Workers beyond the scratch allocated cannot occur: GOMAXPROCS is
	// read when the simulation is made.
	for len(s.theta) < parallel.Workers(s.chunks) {
		s.theta = append(s.theta, make([]float64, n.dim))
		s.eps = append(s.eps, make([]float64, s.q.NoiseDim()))
		s.pw = append(s.pw, newPointWork(n))
		s.st = append(s.st, rng.NewStream(0, 0, 0, 0))
		s.work = append(s.work, make([]float64, k))
	}
	s.grp.Run(s, s.chunks)
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func growRows(b [][]float64, rows, n int) [][]float64 {
	if len(b) != rows {
		b = make([][]float64, rows)
	}
	for i := range b {
		b[i] = grow(b[i], n)
	}
	return b
}

// Do simulates the draws of chunk c on worker w.
func (s *simulation) Do(w, c int) {
	n := s.net
	lo, hi := parallel.Range(s.draws, s.chunks, c)
	theta, eps, pw, st := s.theta[w], s.eps[w], s.pw[w], s.st[w]
	last := len(n.layers) - 1
	k := n.layers[last].Out
	var prob, lmx, lse []float64
	if n.lik != Gaussian {
		prob = s.prob[c]
		clear(prob)
	}
	if s.y != nil {
		lmx, lse = s.lmx[c], s.lse[c]
		for i := range lmx {
			lmx[i], lse[i] = math.Inf(-1), 0
		}
	}
	for d := lo; d < hi; d++ {
		st.Reset(s.seed, rng.Output, uint64(d), 0)
		for j := range eps {
			eps[j] = st.NormFloat64()
		}
		s.q.Transform(theta, eps)
		for r0 := 0; r0 < s.g; r0 += pointBlock {
			r := min(pointBlock, s.g-r0)
			copy(pw.a0[:r*n.p], s.x[r0*n.p:(r0+r)*n.p])
			pw.forward(n, theta, r)
			z := pw.z[last]
			switch n.lik {
			case Gaussian:
				sig := math.Exp(theta[n.noise])
				s.sig[d] = sig
				copy(s.f[d*s.g+r0:d*s.g+r0+r], z[:r])
				if s.y != nil {
					for t := 0; t < r; t++ {
						l, _, _, _ := gaussLL(s.y[r0+t], z[t], theta[n.noise], 0)
						lmx[r0+t], lse[r0+t] = lseMerge(lmx[r0+t], lse[r0+t], l, 1)
					}
				}
			case Bernoulli:
				for t := 0; t < r; t++ {
					p1 := mathx.Logistic(z[t])
					prob[2*(r0+t)] += 1 - p1
					prob[2*(r0+t)+1] += p1
					if s.y != nil {
						l, _ := bernLL(s.y[r0+t], z[t])
						lmx[r0+t], lse[r0+t] = lseMerge(lmx[r0+t], lse[r0+t], l, 1)
					}
				}
			case Categorical:
				for t := 0; t < r; t++ {
					zt := z[t*k : (t+1)*k]
					pt := prob[(r0+t)*k : (r0+t+1)*k]
					mx := zt[0]
					for _, v := range zt[1:] {
						mx = math.Max(mx, v)
					}
					sum := 0.0
					for _, v := range zt {
						sum += math.Exp(v - mx)
					}
					for j, v := range zt {
						pt[j] += math.Exp(v-mx) / sum
					}
					if s.y != nil {
						l := zt[int(s.y[r0+t])] - mx - math.Log(sum)
						lmx[r0+t], lse[r0+t] = lseMerge(lmx[r0+t], lse[r0+t], l, 1)
					}
				}
			}
		}
	}
}

// classes stores the class probabilities of rows [lo, lo+g).
func (s *simulation) classes(pr *Prediction, lo, g int) {
	k := len(pr.Classes)
	inv := 1 / float64(s.draws)
	for i := 0; i < g; i++ {
		row := pr.Prob.RawRowView(lo + i)
		for c := 0; c < s.chunks; c++ {
			for j := 0; j < k; j++ {
				row[j] += s.prob[c][i*k+j]
			}
		}
		best := 0
		for j := range row {
			row[j] *= inv
			if row[j] > row[best] {
				best = j
			}
		}
		pr.Class[lo+i] = pr.Classes[best]
	}
}

// regression stores the predictive mean, sd and quantiles of rows
// [lo, lo+g), on the data's scale.
func (s *simulation) regression(pr *Prediction, lo, g int, levels []float64) {
	n := s.net
	S := s.draws
	quant := &quantTask{s: s, pr: pr, lo: lo, levels: levels}
	for i := 0; i < g; i++ {
		m, m2 := 0.0, 0.0
		for d := 0; d < S; d++ {
			f := s.f[d*g+i]
			m += f
			m2 += f*f + s.sig[d]*s.sig[d]
		}
		m /= float64(S)
		v := math.Max(m2/float64(S)-m*m, 0)
		pr.Mean[lo+i] = n.yMean + n.ySD*m
		pr.SD[lo+i] = n.ySD * math.Sqrt(v)
	}
	quant.grp.Run(quant, parallel.Chunks(g, 16, 64))
}

// quantTask solves the predictive quantiles of a group of rows, in
// parallel over chunks of rows.
type quantTask struct {
	s      *simulation
	pr     *Prediction
	lo     int
	levels []float64
	grp    parallel.Group
}

func (t *quantTask) Do(_, c int) {
	s := t.s
	n := s.net
	g := s.g
	lo, hi := parallel.Range(g, parallel.Chunks(g, 16, 64), c)
	for i := lo; i < hi; i++ {
		m := (t.pr.Mean[t.lo+i] - n.yMean) / n.ySD
		sd := t.pr.SD[t.lo+i] / n.ySD
		row := t.pr.Quantiles.RawRowView(t.lo + i)
		for k, l := range t.levels {
			row[k] = n.yMean + n.ySD*mixtureQuantile(s.f, s.sig, g, i, l, m, sd)
		}
	}
}

// mixtureQuantile solves F(x) = level for the mixture
// F(x) = (1/S) Σₛ Φ((x − fₛ)/σₛ) of row i (fₛ = f[s·g+i]) by Newton steps
// kept inside a bisection bracket.
func mixtureQuantile(f, sig []float64, g, i int, level, mean, sd float64) float64 {
	S := len(sig)
	lo, hi := math.Inf(1), math.Inf(-1)
	for d := 0; d < S; d++ {
		fd := f[d*g+i]
		lo = math.Min(lo, fd-9*sig[d])
		hi = math.Max(hi, fd+9*sig[d])
	}
	x := mean + sd*normalQuantile(level)
	if !(x > lo && x < hi) {
		x = 0.5 * (lo + hi)
	}
	tol := 1e-9 * math.Max(sd, 1e-300)
	for it := 0; it < 100; it++ {
		cdf, pdf := 0.0, 0.0
		for d := 0; d < S; d++ {
			z := (x - f[d*g+i]) / sig[d]
			cdf += 0.5 * math.Erfc(-z*invSqrt2)
			pdf += invSqrt2Pi * math.Exp(-0.5*z*z) / sig[d]
		}
		r := cdf/float64(S) - level
		if r > 0 {
			hi = x
		} else {
			lo = x
		}
		step := math.Inf(1)
		if pdf > 0 {
			step = r / (pdf / float64(S))
		}
		nx := x - step
		if !(nx > lo && nx < hi) {
			nx = 0.5 * (lo + hi)
		}
		if math.Abs(nx-x) < tol || hi-lo < tol {
			return nx
		}
		x = nx
	}
	return x
}

// normalQuantile returns Φ⁻¹(p).
func normalQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
