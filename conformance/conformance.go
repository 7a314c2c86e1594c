// Package conformance checks that models, variational families and ELBO
// estimators keep the contracts the rest of govi relies on, in the spirit
// of testing/fstest: a new implementation runs these checks in its tests
// and gets back an error listing every contract it breaks.
//
//   - Family: parameters round-trip; Backprop, Entropy and BackpropFactor
//     match finite differences (gonum diff/fd); Entropy, LogProb and Cov
//     agree with gonum's distmv; the factor view reproduces Transform and
//     Cov; ScaleBy scales the covariance; Matcher and Natural do what they
//     promise.
//   - Model: the gradient matches finite differences; a model.Rows model's
//     row subsets add up; a model.Predictors model's Layout is valid and
//     describes exactly its log density and gradient.
//   - Estimator: it is stateless in q (ELBO after Init with another family
//     equals a fresh estimator's), leaves q's parameters alone, is
//     repeatable and independent of GOMAXPROCS where it promises to be,
//     has gradients matching finite differences when deterministic, and is
//     unbiased against the quadrature ELBO when stochastic.
//   - Conjugate: the seed's identity log p(D) − ELBO(q) = KL(q ‖ p(θ | D))
//     on a conjugate Gaussian regression whose posterior and evidence are
//     known.
//
// Each check returns nil or an error joining every failure (errors.Join);
// errors.Is(err, ErrUnsupported) reports that the estimator refused the
// model or family, which callers may treat as a skip.
package conformance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
)

// ErrUnsupported is wrapped by the error of a check whose estimator
// refused the model or family in Init.
var ErrUnsupported = errors.New("conformance: the estimator does not support this model or family")

// failures collects contract violations.
type failures struct {
	what string
	errs []error
}

func (f *failures) add(format string, a ...any) {
	f.errs = append(f.errs, fmt.Errorf("%s: %s", f.what, fmt.Sprintf(format, a...)))
}

func (f *failures) err() error { return errors.Join(f.errs...) }

// relErr is |a − b| relative to max(1, |b|).
func relErr(a, b float64) float64 { return math.Abs(a-b) / math.Max(1, math.Abs(b)) }

// worst returns the largest relErr over two slices and its index.
func worst(a, b []float64) (float64, int) {
	w, at := 0.0, -1
	for i := range a {
		if e := relErr(a[i], b[i]); !(e <= w) {
			w, at = e, i
		}
	}
	return w, at
}

func randomPhi(q family.Family, seed uint64, scale float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 77))
	phi := q.Params(nil)
	for i := range phi {
		phi[i] = scale * rng.NormFloat64()
	}
	return phi
}

// perturb returns q's parameters plus N(0, 0.05²) noise, a point near
// the one the caller chose.
func perturb(q family.Family, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 78))
	phi := q.Params(nil)
	for i := range phi {
		phi[i] += 0.05 * rng.NormFloat64()
	}
	return phi
}

func fdGrad(f func([]float64) float64, x []float64, step float64) []float64 {
	return fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central, Step: step})
}

// Family checks q, whose parameters it changes (to random values near
// zero, then back).
func Family(q family.Family) error {
	f := &failures{what: fmt.Sprintf("family %T", q)}
	d, r, n := q.Dim(), q.NoiseDim(), q.Len()
	if d < 1 || r < d || n < 1 {
		f.add("Dim %d, NoiseDim %d, Len %d: want Dim ≥ 1, NoiseDim ≥ Dim, Len ≥ 1", d, r, n)
		return f.err()
	}
	orig := q.Params(nil)
	defer q.SetParams(orig)
	phi := randomPhi(q, 1, 0.4)
	q.SetParams(phi)
	if w, at := worst(q.Params(nil), phi); w > 1e-14 {
		f.add("Params after SetParams differs at %d by %.3g", at, w)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	eps := make([]float64, r)
	g := make([]float64, d)
	for i := range eps {
		eps[i] = rng.NormFloat64()
	}
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	theta := make([]float64, d)
	at := func(x []float64, fn func() float64) float64 {
		q.SetParams(x)
		v := fn()
		q.SetParams(phi)
		return v
	}
	// Backprop is the φ-gradient of gᵀθ(ε; φ).
	bp := make([]float64, n)
	q.Backprop(bp, 1, g, eps)
	num := fdGrad(func(x []float64) float64 {
		return at(x, func() float64 {
			q.Transform(theta, eps)
			return dot(g, theta)
		})
	}, phi, 1e-6)
	if w, i := worst(bp, num); w > 1e-6 {
		f.add("Backprop differs from finite differences at φ[%d] by %.3g", i, w)
	}
	eg := make([]float64, n)
	q.Entropy(eg)
	num = fdGrad(func(x []float64) float64 { return at(x, func() float64 { return q.Entropy(nil) }) }, phi, 1e-6)
	if w, i := worst(eg, num); w > 1e-6 {
		f.add("Entropy gradient differs from finite differences at φ[%d] by %.3g", i, w)
	}
	// Mean is the average of the antithetic pair θ(ε), θ(−ε).
	q.Transform(theta, eps)
	neg := make([]float64, r)
	for i := range eps {
		neg[i] = -eps[i]
	}
	t2 := make([]float64, d)
	q.Transform(t2, neg)
	mu := q.Mean(nil)
	for i := range mu {
		if relErr(0.5*(theta[i]+t2[i]), mu[i]) > 1e-12 {
			f.add("Mean[%d] = %g is not the centre of θ(±ε) (%g)", i, mu[i], 0.5*(theta[i]+t2[i]))
			break
		}
	}
	if qg, ok := q.(family.Gaussian); ok {
		gaussian(f, qg, phi, eps)
	}
	if qm, ok := q.(family.Matcher); ok {
		matcher(f, qm)
		q.SetParams(phi)
	}
	if qn, ok := q.(family.Natural); ok {
		natural(f, qn)
		q.SetParams(phi)
	}
	return f.err()
}

// isCholesky reports whether q's factor is a dense lower-triangular L,
// which represents every covariance.
func isCholesky(q family.Gaussian) bool {
	f := q.Factor()
	return f.D == nil && f.Lower && f.K == q.Dim()
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// gaussian checks the Gaussian contract at φ.
func gaussian(f *failures, q family.Gaussian, phi, eps []float64) {
	d, n := q.Dim(), q.Len()
	var cov mat.SymDense
	q.Cov(&cov)
	ref, ok := distmv.NewNormal(q.Mean(nil), &cov, nil)
	if !ok {
		f.add("Cov is not positive definite")
		return
	}
	if e := relErr(q.Entropy(nil), ref.Entropy()); e > 1e-10 {
		f.add("Entropy %g, distmv %g", q.Entropy(nil), ref.Entropy())
	}
	theta := make([]float64, d)
	q.Transform(theta, eps)
	if e := relErr(q.LogProb(theta), ref.LogProb(theta)); e > 1e-10 {
		f.add("LogProb %g, distmv %g", q.LogProb(theta), ref.LogProb(theta))
	}
	// The factor view: θ = μ + Dε₁ + Bε₂ and Σ = D² + BBᵀ.
	fac := q.Factor()
	if len(fac.Mu) != d || (fac.D != nil && len(fac.D) != d) || len(fac.B) != d*fac.K {
		f.add("Factor has the wrong shape: %d, %d, %d×%d", len(fac.Mu), len(fac.D), len(fac.B)/max(fac.K, 1), fac.K)
		return
	}
	off := 0
	if fac.D != nil {
		off = d
	}
	if off+fac.K != q.NoiseDim() {
		f.add("Factor has %d noise columns, NoiseDim is %d", off+fac.K, q.NoiseDim())
		return
	}
	for a := 0; a < d; a++ {
		v := fac.Mu[a]
		if fac.D != nil {
			v += fac.D[a] * eps[a]
		}
		for j, b := range fac.Row(a) {
			v += b * eps[off+j]
		}
		if relErr(v, theta[a]) > 1e-12 {
			f.add("Factor does not reproduce Transform at θ[%d]: %g vs %g", a, v, theta[a])
			break
		}
		for b := 0; b <= a; b++ {
			if relErr(fac.Cov(a, b), cov.At(a, b)) > 1e-12 {
				f.add("Factor.Cov(%d, %d) = %g, Cov %g", a, b, fac.Cov(a, b), cov.At(a, b))
				a = d
				break
			}
		}
	}
	// BackpropFactor is the φ-gradient of cμᵀμ + cDᵀD + Σ cB⊙B over the
	// entries RowLen covers.
	rng := rand.New(rand.NewPCG(3, 3))
	cm := make([]float64, d)
	var cd, cb []float64
	for i := range cm {
		cm[i] = rng.NormFloat64()
	}
	if fac.D != nil {
		cd = make([]float64, d)
		for i := range cd {
			cd[i] = rng.NormFloat64()
		}
	}
	if fac.K > 0 {
		cb = make([]float64, d*fac.K)
		for i := range cb {
			cb[i] = rng.NormFloat64()
		}
	}
	lin := func() float64 {
		fc := q.Factor()
		s := dot(cm, fc.Mu)
		if cd != nil {
			s += dot(cd, fc.D)
		}
		for a := 0; a < d; a++ {
			for j, b := range fc.Row(a) {
				s += cb[a*fc.K+j] * b
			}
		}
		return s
	}
	bf := make([]float64, n)
	q.BackpropFactor(bf, cm, cd, cb)
	num := fdGrad(func(x []float64) float64 {
		q.SetParams(x)
		v := lin()
		q.SetParams(phi)
		return v
	}, phi, 1e-6)
	if w, i := worst(bf, num); w > 1e-6 {
		f.add("BackpropFactor differs from finite differences at φ[%d] by %.3g", i, w)
	}
	// ScaleBy(c) keeps μ and multiplies Σ by c².
	q.ScaleBy(1.5)
	var cov2 mat.SymDense
	q.Cov(&cov2)
	for a := 0; a < d; a++ {
		if relErr(cov2.At(a, a), 2.25*cov.At(a, a)) > 1e-12 || relErr(q.Mean(nil)[a], fac.Mu[a]) > 0 {
			f.add("ScaleBy(1.5) gives variance %g for %g·2.25", cov2.At(a, a), cov.At(a, a))
			break
		}
	}
	q.SetParams(phi)
}

// randomSPD returns AAᵀ + ridge·I for a d×d matrix A of normal draws of
// sd scale: a positive definite matrix with correlations.
func randomSPD(rng *rand.Rand, d int, scale, ridge float64) *mat.SymDense {
	a := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, scale*rng.NormFloat64())
		}
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1, a)
	for i := 0; i < d; i++ {
		s.SetSym(i, i, s.At(i, i)+ridge)
	}
	return s
}

// matcher checks MatchMoments: the marginal variances are matched exactly,
// the whole covariance when the family can represent it, and a covariance
// that is not positive definite is refused.
func matcher(f *failures, q family.Matcher) {
	d := q.Dim()
	rng := rand.New(rand.NewPCG(4, 4))
	cov := randomSPD(rng, d, 1, 0.5)
	mean := make([]float64, d)
	for i := range mean {
		mean[i] = rng.NormFloat64()
	}
	if err := q.MatchMoments(mean, cov); err != nil {
		f.add("MatchMoments of a positive definite covariance: %v", err)
		return
	}
	mu := q.Mean(nil)
	for i := range mu {
		if relErr(mu[i], mean[i]) > 1e-12 {
			f.add("MatchMoments: mean[%d] = %g, want %g", i, mu[i], mean[i])
			break
		}
	}
	if qg, ok := q.(family.Gaussian); ok {
		var got mat.SymDense
		qg.Cov(&got)
		for i := 0; i < d; i++ {
			if relErr(got.At(i, i), cov.At(i, i)) > 1e-9 {
				f.add("MatchMoments: variance[%d] = %g, want %g", i, got.At(i, i), cov.At(i, i))
				break
			}
		}
	}
	// A dense Cholesky factor represents any covariance: then Σ is matched.
	if qg, ok := q.(family.Gaussian); ok && isCholesky(qg) {
		var got mat.SymDense
		qg.Cov(&got)
		if !mat.EqualApprox(&got, cov, 1e-9) {
			f.add("MatchMoments: a family with a dense Cholesky factor does not reproduce the covariance")
		}
	}
	bad := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		bad.SetSym(i, i, -1)
	}
	if q.MatchMoments(mean, bad) == nil {
		f.add("MatchMoments accepted a negative variance")
	}
}

// natural checks NaturalStep on the quadratic log p = −½(θ−m)ᵀH(θ−m),
// whose expected gradient and Hessian under q are known in closed form:
// a full step gives μ = m (and Σ = H⁻¹ where the family can represent
// it), and a zero-length step leaves q unchanged.
func natural(f *failures, q family.Natural) {
	d := q.Dim()
	rng := rand.New(rand.NewPCG(5, 5))
	hp := randomSPD(rng, d, 0.5, 1) // H, the precision
	m := make([]float64, d)
	for i := range m {
		m[i] = rng.NormFloat64()
	}
	mu := q.Mean(nil)
	g := make([]float64, d) // E[∇ log p] = H(m − μ)
	diff := make([]float64, d)
	for i := range diff {
		diff[i] = m[i] - mu[i]
	}
	mat.NewVecDense(d, g).MulVec(hp, mat.NewVecDense(d, diff))
	h := mat.NewSymDense(d, nil) // E[∇² log p] = −H
	h.ScaleSym(-1, hp)
	dst := make([]float64, q.Len())
	if !q.NaturalStep(dst, 1, g, h) {
		f.add("NaturalStep(ρ = 1) failed on a concave quadratic")
		return
	}
	cur := q.Params(nil)
	q.SetParams(dst)
	got := q.Mean(nil)
	for i := range got {
		if relErr(got[i], m[i]) > 1e-9 {
			f.add("a full natural step gives μ[%d] = %g, the maximizer is %g", i, got[i], m[i])
			break
		}
	}
	if isCholesky(q) {
		var cov mat.SymDense
		q.Cov(&cov)
		var inv mat.SymDense
		var ch mat.Cholesky
		ch.Factorize(hp)
		_ = ch.InverseTo(&inv)
		if !mat.EqualApprox(&cov, &inv, 1e-9) {
			f.add("a full natural step does not give Σ = H⁻¹")
		}
	}
	q.SetParams(cur)
	if !q.NaturalStep(dst, 0, g, h) {
		f.add("NaturalStep(ρ = 0) failed")
		return
	}
	if w, i := worst(dst, cur); w > 1e-9 {
		f.add("NaturalStep(ρ = 0) moves φ[%d] by %.3g", i, w)
	}
}

// Model checks m at each of the points (at least one; each of length
// m.Dim()).
func Model(m model.LogDensity, points ...[]float64) error {
	f := &failures{what: fmt.Sprintf("model %T", m)}
	if len(points) == 0 {
		f.add("no points to check at")
		return f.err()
	}
	d := m.Dim()
	dm, _ := m.(model.Differentiable)
	for k, x := range points {
		if len(x) != d {
			f.add("point %d has length %d, Dim is %d", k, len(x), d)
			continue
		}
		lp := m.LogDensity(x)
		if math.IsNaN(lp) {
			f.add("LogDensity is NaN at point %d", k)
		}
		if dm == nil {
			continue
		}
		g := make([]float64, d)
		if v := dm.LogDensityGrad(g, x); relErr(v, lp) > 1e-12 {
			f.add("LogDensityGrad returns %g, LogDensity %g at point %d", v, lp, k)
		}
		if err := model.CheckGrad(dm, x, 1e-6); err != nil {
			f.add("point %d: %v", k, err)
		}
		if rm, ok := m.(model.Rows); ok {
			rows(f, rm, x, lp)
		}
		if pm, ok := m.(model.Predictors); ok {
			layout(f, pm, x, lp, g)
		}
	}
	if c, ok := m.(model.Constrainer); ok {
		out := make([]float64, len(c.ConstrainedNames()))
		c.Constrain(out, points[0])
		for i, v := range out {
			if math.IsNaN(v) {
				f.add("Constrain gives NaN for %s", c.ConstrainedNames()[i])
			}
		}
	}
	return f.err()
}

// rows checks that all rows give LogDensity and that two halves, each
// scaled by N/|half|, average to it.
func rows(f *failures, m model.Rows, x []float64, lp float64) {
	n := m.NumRows()
	if v := m.LogDensityRows(nil, x, nil, 1); relErr(v, lp) > 1e-12 {
		f.add("LogDensityRows(all) = %g, LogDensity %g", v, lp)
	}
	if n < 2 {
		return
	}
	var a, b []int
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	va := m.LogDensityRows(nil, x, a, float64(n)/float64(len(a)))
	vb := m.LogDensityRows(nil, x, b, float64(n)/float64(len(b)))
	wa, wb := float64(len(a))/float64(n), float64(len(b))/float64(n)
	if relErr(wa*va+wb*vb, lp) > 1e-10 {
		f.add("row halves scaled by N/|B| do not average to the log density: %g vs %g", wa*va+wb*vb, lp)
	}
	d := len(x)
	ga := make([]float64, d)
	m.LogDensityRows(ga, x, a, 2)
	num := fdGrad(func(y []float64) float64 { return m.LogDensityRows(nil, y, a, 2) }, x, 1e-5)
	if w, i := worst(ga, num); w > 1e-6 {
		f.add("LogDensityRows gradient differs from finite differences at θ[%d] by %.3g", i, w)
	}
}

// layout checks that the model's Layout is valid and describes its log
// density and gradient.
func layout(f *failures, m model.Predictors, x []float64, lp float64, g []float64) {
	l := m.Layout()
	if err := l.Check(m.Dim()); err != nil {
		f.add("%v", err)
		return
	}
	lg := make([]float64, len(x))
	if v := model.LayoutDensity(l, lg, x); relErr(v, lp) > 1e-10 {
		f.add("the Layout describes log density %g, the model computes %g", v, lp)
	}
	if w, i := worst(lg, g); w > 1e-9 {
		f.add("the Layout's gradient differs from the model's at θ[%d] by %.3g", i, w)
	}
}

// Estimator checks the estimators newEst makes on model m with each of
// the families qs (at least one), near the parameters the caller gave
// them (set them where the model is moderate: a Monte Carlo ELBO of a q
// far wider than the posterior has heavy tails, and a check against the
// quadrature reference needs its variance finite), and, for every pair of
// families, that an estimator initialized with one gives another's ELBO as
// a fresh one would. qs are left with their parameters.
func Estimator(newEst func() elbo.Estimator, m model.LogDensity, qs ...family.Family) error {
	f := &failures{what: fmt.Sprintf("estimator %T on %T", newEst(), m)}
	if len(qs) == 0 {
		f.add("no families")
		return f.err()
	}
	phis := make([][]float64, len(qs))
	for k, q := range qs {
		e := newEst()
		if err := e.Init(m, q); err != nil {
			if errors.Is(err, elbo.ErrUnsupported) {
				return fmt.Errorf("%w: %T with %T: %v", ErrUnsupported, m, q, err)
			}
			f.add("Init with %T: %v", q, err)
			return f.err()
		}
		phis[k] = q.Params(nil)
		phi := perturb(q, uint64(7+k))
		q.SetParams(phi)
		estimator(f, e, newEst, m, q, phi)
		q.SetParams(phi)
	}
	// Stateless in q: an estimator initialized with qs[0] evaluates qs[k]
	// as a fresh one initialized with qs[k] does (for a stochastic one, at
	// the same position of its streams: the first call).
	for k := 1; k < len(qs); k++ {
		e, fresh := newEst(), newEst()
		if e.Init(m, qs[0]) != nil || fresh.Init(m, qs[k]) != nil {
			continue
		}
		want := fresh.ELBO(nil, qs[k])
		if got := e.ELBO(nil, qs[k]); relErr(got, want) > 1e-10 {
			f.add("after Init with %T, ELBO of a %T is %.12g; a fresh estimator gives %.12g (it must use the q it is given)", qs[0], qs[k], got, want)
		}
	}
	for k, q := range qs {
		q.SetParams(phis[k])
	}
	return f.err()
}

func estimator(f *failures, e elbo.Estimator, newEst func() elbo.Estimator, m model.LogDensity, q family.Family, phi []float64) {
	n := q.Len()
	grad := make([]float64, n)
	v := e.ELBO(grad, q)
	if w, i := worst(q.Params(nil), phi); w > 1e-14 {
		f.add("ELBO changed q's parameter %d", i)
		q.SetParams(phi)
	}
	if math.IsNaN(v) || !allFinite(grad) {
		f.add("ELBO %g or its gradient is not finite at a moderate φ", v)
		return
	}
	if vn := e.ELBO(nil, q); e.Deterministic() && relErr(vn, v) > 1e-12 {
		f.add("ELBO with and without the gradient differ: %.15g vs %.15g", v, vn)
	}
	// Independent of GOMAXPROCS, for deterministic and stochastic estimators
	// alike: a fresh estimator's first evaluations at 1 and at 4 workers.
	first := func(procs int) (float64, []float64) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		e2 := newEst()
		if err := e2.Init(m, q); err != nil {
			return math.NaN(), nil
		}
		g := make([]float64, n)
		return e2.ELBO(g, q), g
	}
	v1, g1 := first(1)
	v4, g4 := first(4)
	if v1 != v4 || !equal(g1, g4) {
		f.add("the result depends on GOMAXPROCS: %.17g at 1, %.17g at 4", v1, v4)
	}
	if !e.Deterministic() {
		unbiased(f, newEst, m, q)
		return
	}
	if v2 := e.ELBO(nil, q); v2 != v {
		f.add("Deterministic, but two evaluations differ: %.17g and %.17g", v, v2)
	}
	num := fdGrad(func(x []float64) float64 {
		q.SetParams(x)
		return e.ELBO(nil, q)
	}, phi, 1e-5)
	q.SetParams(phi)
	if w, i := worst(grad, num); w > 1e-5 {
		f.add("gradient differs from finite differences at φ[%d] by %.3g (analytic %.10g, numeric %.10g)", i, w, grad[i], num[i])
	}
}

// unbiased compares the mean of R stochastic evaluations (value and
// gradient) with the quadrature ELBO: each must lie within 5 standard
// errors (plus the quadrature's own error, negligible here) of it.
func unbiased(f *failures, newEst func() elbo.Estimator, m model.LogDensity, q family.Family) {
	ref := &elbo.Quadrature{}
	if ref.Init(m, q) != nil {
		return // no reference for this model and family
	}
	n := q.Len()
	rg := make([]float64, n)
	rv := ref.ELBO(rg, q)
	e := newEst()
	if e.Init(m, q) != nil {
		return
	}
	const reps = 200
	var sv, sv2 float64
	sg, sg2 := make([]float64, n), make([]float64, n)
	g := make([]float64, n)
	for r := 0; r < reps; r++ {
		v := e.ELBO(g, q)
		sv += v
		sv2 += v * v
		for i, x := range g {
			sg[i] += x
			sg2[i] += x * x
		}
	}
	check := func(what string, s, s2, want float64) bool {
		mean := s / reps
		se := math.Sqrt(math.Max(s2/reps-mean*mean, 0) / (reps - 1))
		if math.Abs(mean-want) > 5*se+1e-9*math.Max(1, math.Abs(want)) {
			f.add("%s: mean of %d evaluations %.8g ± %.2g, quadrature %.8g (biased?)", what, reps, mean, se, want)
			return false
		}
		return true
	}
	check("ELBO", sv, sv2, rv)
	for i := range sg {
		if !check(fmt.Sprintf("∂ELBO/∂φ[%d]", i), sg[i], sg2[i], rg[i]) {
			break
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Conjugate checks log p(D) − ELBO(q) = KL(q ‖ p(θ | D)) for the
// estimators newEst makes (one per seed) with the Gaussian family q, on a
// conjugate Gaussian regression (N = 60, d = q.Dim() ≤ 8, known noise sd,
// normal priors) as a model.Linear and as a general model with a Gaussian
// prior, at a random φ. An estimator whose first ELBO is the same for
// seeds 1 and 2 is taken to be exact and must meet the identity to 1e-8;
// for the others (Monte Carlo, random or fixed draws) the mean of the first
// ELBO over 100 seeds must be within 5 standard errors of it.
func Conjugate(newEst func(seed uint64) elbo.Estimator, q family.Gaussian) error {
	f := &failures{what: fmt.Sprintf("estimator %T with %T on the conjugate model", newEst(1), q)}
	d := q.Dim()
	if d < 1 || d > 8 {
		f.add("the conjugate check needs 1 ≤ Dim ≤ 8, not %d", d)
		return f.err()
	}
	c := testmodel.NewConjugate(60, d, 11)
	mean, cov := c.Posterior()
	pn, ok := distmv.NewNormal(mean, cov, nil)
	if !ok {
		f.add("posterior covariance not positive definite")
		return f.err()
	}
	logZ := c.LogEvidence()
	orig := q.Params(nil)
	defer q.SetParams(orig)
	q.SetParams(randomPhi(q, 13, 0.3))
	var qc mat.SymDense
	q.Cov(&qc)
	qn, ok := distmv.NewNormal(q.Mean(nil), &qc, nil)
	if !ok {
		f.add("q's covariance not positive definite")
		return f.err()
	}
	kl := distmv.KullbackLeibler{}.DistNormal(qn, pn)
	first := func(m model.LogDensity, seed uint64) (float64, error) {
		e := newEst(seed)
		if err := e.Init(m, q); err != nil {
			return 0, err
		}
		return e.ELBO(nil, q), nil
	}
	for _, m := range []model.LogDensity{c.Linear(), c.General()} {
		v1, err := first(m, 1)
		if err != nil {
			if !errors.Is(err, elbo.ErrUnsupported) {
				f.add("Init on %T: %v", m, err)
			}
			continue
		}
		if v2, _ := first(m, 2); v2 == v1 {
			if math.Abs(logZ-v1-kl) > 1e-8*math.Max(1, math.Abs(logZ)) {
				f.add("%T: log p(D) − ELBO = %.12g, KL(q ‖ posterior) = %.12g", m, logZ-v1, kl)
			}
			continue
		}
		const reps = 100
		var s, s2 float64
		for r := uint64(0); r < reps; r++ {
			v, _ := first(m, 100+r)
			s += v
			s2 += v * v
		}
		mean := s / reps
		se := math.Sqrt(math.Max(s2/reps-mean*mean, 0) / (reps - 1))
		if math.Abs(logZ-mean-kl) > 5*se+1e-9 {
			f.add("%T: log p(D) − mean ELBO = %.8g ± %.2g, KL(q ‖ posterior) = %.8g", m, logZ-mean, se, kl)
		}
	}
	return f.err()
}
