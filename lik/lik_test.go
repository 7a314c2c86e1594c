package lik

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// Local copies of the interfaces in package model, so that the compiler
// checks the method sets here without importing model.
type likelihood interface {
	Len() int
	Aux() []string
	LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64)
}

type auxHessian interface {
	LogLikAux2(i int, eta float64, aux, deta, daa []float64)
}

type polynomial interface{ Degree() int }

type rowValues interface {
	LogLikValues(dst []float64, i int, eta []float64)
}

type predictor interface {
	Mean(i int, eta float64, aux []float64) float64
	Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64
}

var (
	_ = []likelihood{
		(*Gaussian)(nil), (*GaussianSE)(nil), (*BernoulliLogit)(nil),
		(*BernoulliProbit)(nil), (*BinomialLogit)(nil), (*PoissonLog)(nil),
		(*NegBinomialLog)(nil), (*StudentT)(nil),
	}
	_ = []predictor{
		(*Gaussian)(nil), (*GaussianSE)(nil), (*BernoulliLogit)(nil),
		(*BernoulliProbit)(nil), (*BinomialLogit)(nil), (*PoissonLog)(nil),
		(*NegBinomialLog)(nil), (*StudentT)(nil),
	}
	_ = []auxHessian{(*Gaussian)(nil), (*NegBinomialLog)(nil), (*StudentT)(nil)}
	_ = []polynomial{(*Gaussian)(nil), (*GaussianSE)(nil)}
	_ = []rowValues{(*BernoulliLogit)(nil), (*BinomialLogit)(nil), (*PoissonLog)(nil)}
)

// TestLogLikValues checks that the row-at-once values are LogLik's bit
// for bit, on every row and at η from −800 to 800 including ±0.
func TestLogLikValues(t *testing.T) {
	eta := []float64{-800, -40, -9.5, -1, -1e-300, math.Copysign(0, -1), 0, 1e-300, 0.3, 1, 2.5, 9.5, 40, 710, 800}
	for _, f := range []interface {
		likelihood
		rowValues
	}{
		must(NewBernoulliLogit([]float64{0, 1, 1})),
		must(NewBinomialLogit([]float64{0, 3, 5, 0}, []float64{5, 5, 5, 0})),
		must(NewPoissonLog([]float64{0, 1, 7, 1e4})),
	} {
		dst := make([]float64, len(eta))
		for i := 0; i < f.Len(); i++ {
			f.LogLikValues(dst, i, eta)
			for k, e := range eta {
				want, _, _ := f.LogLik(i, e, nil, nil)
				if math.Float64bits(dst[k]) != math.Float64bits(want) {
					t.Errorf("%T row %d at η = %g: LogLikValues %v, LogLik %v", f, i, e, dst[k], want)
				}
			}
		}
	}
}

// must returns v, panicking on a constructor error (test fixtures are valid).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAuxNames(t *testing.T) {
	st0 := must(NewStudentT([]float64{1}, 0))
	st3 := must(NewStudentT([]float64{1}, 3))
	for _, c := range []struct {
		f    likelihood
		want []string
	}{
		{must(NewGaussian([]float64{1})), []string{"sigma"}},
		{must(NewGaussianSE([]float64{1}, []float64{1})), nil},
		{must(NewBernoulliLogit([]float64{1})), nil},
		{must(NewBernoulliProbit([]float64{1})), nil},
		{must(NewBinomialLogit([]float64{1}, []float64{2})), nil},
		{must(NewPoissonLog([]float64{1})), nil},
		{must(NewNegBinomialLog([]float64{1})), []string{"phi"}},
		{st0, []string{"sigma", "nu"}},
		{st3, []string{"sigma"}},
	} {
		if got := c.f.Aux(); fmt.Sprint(got) != fmt.Sprint(c.want) || (c.want == nil) != (got == nil) {
			t.Errorf("%T.Aux() = %#v, want %#v", c.f, got, c.want)
		}
		if c.f.Len() != 1 {
			t.Errorf("%T.Len() = %d, want 1", c.f, c.f.Len())
		}
	}
	if st3.Nu() != 3 || st0.Nu() != 0 {
		t.Errorf("StudentT.Nu() = %g, %g; want 3, 0", st3.Nu(), st0.Nu())
	}
}

// checkDerivs compares every analytic derivative of f at row i, (eta, aux)
// with five-point central differences D(h). The allowed error is
//
//	tol·|want| + atol + 20·eps·(|f|/h + |x·want|/h) + 2|D(h) − D(2h)|,
//
// that is, the relative tolerance plus estimates of the rounding noise in f
// and in x ± h, and of the truncation error by comparing two steps (for an
// O(h⁴) formula D(2h) − D(h) ≈ 15× the error of D(h)). The last term also
// absorbs rounding noise that the first underestimates where f is a small
// difference of larger terms; a wrong analytic derivative is still caught
// because D(h) and D(2h) agree with each other but not with it.
func checkDerivs(t *testing.T, name string, f likelihood, i int, eta float64, aux []float64, hEta, tol, atol float64) {
	t.Helper()
	const eps = 0x1p-52
	k := len(f.Aux())
	var daux []float64
	if k > 0 {
		daux = make([]float64, k)
	}
	l, d1, d2 := f.LogLik(i, eta, aux, daux)
	at := fmt.Sprintf("%s row %d η=%g aux=%v", name, i, eta, aux)
	for _, v := range append([]float64{l, d1, d2}, daux...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: non-finite result l=%g d1=%g d2=%g daux=%v", at, l, d1, d2, daux)
			return
		}
	}
	if l2, d12, d22 := f.LogLik(i, eta, aux, nil); l2 != l || d12 != d1 || d22 != d2 {
		t.Errorf("%s: LogLik with daux = nil differs", at)
	}
	// check compares got with the derivative of g at x.
	check := func(what string, got float64, g func(float64) float64, x, scale, h float64) {
		t.Helper()
		want := deriv(g, x, h)
		est := math.Abs(want - deriv(g, x, 2*h))
		allowed := tol*math.Abs(want) + atol + 20*eps*(math.Abs(scale)+math.Abs(x*want))/h + 2*est + 1e-300
		if !(math.Abs(got-want) <= allowed) {
			t.Errorf("%s: %s = %.15g, finite difference %.15g (allowed error %.3g)", at, what, got, want, allowed)
		}
	}
	withAux := func(j int, a float64) []float64 {
		ax := append([]float64(nil), aux...)
		ax[j] = a
		return ax
	}
	ll := func(e float64, ax []float64) (float64, float64, []float64) {
		var da []float64
		if k > 0 {
			da = make([]float64, k)
		}
		l, d1, _ := f.LogLik(i, e, ax, da)
		return l, d1, da
	}
	check("∂ℓ/∂η", d1, func(e float64) float64 { l, _, _ := ll(e, aux); return l }, eta, l, hEta)
	check("∂²ℓ/∂η²", d2, func(e float64) float64 { _, d, _ := ll(e, aux); return d }, eta, d1, hEta)
	for j := 0; j < k; j++ {
		h := 1e-3 * aux[j]
		check(fmt.Sprintf("∂ℓ/∂%s", f.Aux()[j]), daux[j],
			func(a float64) float64 { l, _, _ := ll(eta, withAux(j, a)); return l }, aux[j], l, h)
	}
	ah, ok := f.(auxHessian)
	if !ok {
		if k > 0 {
			t.Errorf("%s: %T has aux parameters but no LogLikAux2", at, f)
		}
		return
	}
	deta := make([]float64, k)
	daa := make([]float64, k*k)
	ah.LogLikAux2(i, eta, aux, deta, daa)
	for j := 0; j < k; j++ {
		name := f.Aux()[j]
		h := 1e-3 * aux[j]
		check("∂²ℓ/∂η∂"+name, deta[j],
			func(a float64) float64 { _, d, _ := ll(eta, withAux(j, a)); return d }, aux[j], d1, h)
		check("∂²ℓ/∂"+name+"∂η", deta[j],
			func(e float64) float64 { _, _, da := ll(e, aux); return da[j] }, eta, daux[j], hEta)
		for m := 0; m < k; m++ {
			check("∂²ℓ/∂"+name+"∂"+f.Aux()[m], daa[j*k+m],
				func(a float64) float64 { _, _, da := ll(eta, withAux(j, a)); return da[m] }, aux[j], daux[m], h)
		}
	}
	for j := 0; j < k; j++ {
		for m := 0; m < j; m++ {
			if daa[j*k+m] != daa[m*k+j] {
				t.Errorf("%s: aux Hessian not symmetric: %v", at, daa)
			}
		}
	}
}

// derivCase is a likelihood with a grid of (η, aux) points.
type derivCase struct {
	name      string
	f         likelihood
	auxes     [][]float64 // nil entry for no aux
	etas      func(i int, aux []float64) []float64
	hEta      func(aux []float64) float64
	tol, atol float64
}

func fixed(etas ...float64) func(int, []float64) []float64 {
	return func(int, []float64) []float64 { return etas }
}

func unitStep([]float64) float64 { return 1e-3 }

func derivCases(t *testing.T) []derivCase {
	extremes := []float64{-800, -300, -30, -1, 0, 0.5, 30, 300, 800}
	gy := []float64{1.3, -2}
	sy := []float64{0.7, -3}
	// η values on the scale σ around the response, plus absolute extremes.
	scaled := func(y []float64, us ...float64) func(int, []float64) []float64 {
		return func(i int, aux []float64) []float64 {
			var e []float64
			for _, u := range us {
				e = append(e, y[i]+aux[0]*u)
			}
			return append(e, -300, 300)
		}
	}
	sigmaStep := func(aux []float64) float64 { return 1e-3 * aux[0] }
	var cases []derivCase
	cases = append(cases,
		derivCase{
			name: "gaussian", f: must(NewGaussian(gy)),
			auxes: [][]float64{{1e-8}, {0.5}, {1}, {1e8}},
			etas:  scaled(gy, -300, -30, -1, 0, 0.5, 30), hEta: sigmaStep, tol: 1e-8,
		},
		derivCase{
			name: "gaussian_se", f: must(NewGaussianSE([]float64{28, 8, -3}, []float64{15, 10, 1e-6})),
			auxes: [][]float64{nil}, etas: fixed(-300, -30, 0, 5, 30, 300), hEta: unitStep, tol: 1e-8,
		},
		derivCase{
			name: "bernoulli_logit", f: must(NewBernoulliLogit([]float64{0, 1})),
			auxes: [][]float64{nil}, etas: fixed(extremes...), hEta: unitStep, tol: 1e-8,
		},
		derivCase{
			name: "bernoulli_probit", f: must(NewBernoulliProbit([]float64{0, 1})),
			auxes: [][]float64{nil},
			etas:  fixed(-300, -40, -38, -10, -5, -4, -2.5, -1, 0, 1, 2.5, 4, 5, 10, 38, 40, 300),
			hEta:  unitStep, tol: 1e-8,
		},
		derivCase{
			name:  "binomial_logit",
			f:     must(NewBinomialLogit([]float64{0, 0, 3, 10, 517}, []float64{0, 5, 10, 10, 1000})),
			auxes: [][]float64{nil}, etas: fixed(extremes...), hEta: unitStep, tol: 1e-8,
		},
		derivCase{
			name: "poisson_log", f: must(NewPoissonLog([]float64{0, 1, 7, 1000})),
			auxes: [][]float64{nil}, etas: fixed(-300, -30, 0, 2, 6.9, 30, 300, 700), hEta: unitStep, tol: 1e-8,
		},
		derivCase{
			name: "neg_binomial_2_log", f: must(NewNegBinomialLog([]float64{0, 3, 100})),
			auxes: [][]float64{{1e-6}, {0.01}, {0.5}, {5}, {9.99}, {10.01}, {100}, {1e4}},
			etas:  fixed(-30, -2, 0, 1, 5, 30, 300), hEta: unitStep, tol: 1e-7,
		},
		// At φ = 1e8 ∂ℓ/∂φ ≈ 1e-16 while ℓ carries ~1e-14 of rounding
		// noise from terms ≈ y log φ that cancel; the difference quotient
		// is then good to ~1e-18 absolute. TestNegBinomialLargePhi checks
		// this regime against the asymptotic expansion instead.
		derivCase{
			name: "neg_binomial_2_log/large_phi", f: must(NewNegBinomialLog([]float64{0, 3, 100})),
			auxes: [][]float64{{1e8}}, etas: fixed(-30, -2, 0, 1, 5, 30, 300), hEta: unitStep,
			tol: 1e-7, atol: 1e-18,
		},
		derivCase{
			name: "student_t", f: must(NewStudentT(sy, 0)),
			auxes: [][]float64{
				{1e-6, 1e-2}, {1e-6, 4}, {1, 1e-2}, {1, 0.5}, {1, 1}, {1, 4}, {1, 19.99},
				{1, 20.01}, {1, 1e3}, {1, 1e8}, {1e6, 0.5}, {1e6, 1e3},
			},
			etas: scaled(sy, -1e3, -30, -1.5, 0, 0.5, 2, 30), hEta: sigmaStep, tol: 1e-7,
		},
		derivCase{
			name: "student_t/fixed_nu", f: must(NewStudentT(sy, 3.5)),
			auxes: [][]float64{{1e-6}, {1}, {1e6}},
			etas:  scaled(sy, -1e3, -30, -1.5, 0, 0.5, 2, 30), hEta: sigmaStep, tol: 1e-7,
		},
		derivCase{
			name: "student_t/huge_fixed_nu", f: must(NewStudentT(sy, 1e9)),
			auxes: [][]float64{{1}},
			etas:  scaled(sy, -30, -1.5, 0, 0.5, 2, 30), hEta: sigmaStep, tol: 1e-7,
		},
	)
	return cases
}

func TestDerivatives(t *testing.T) {
	for _, c := range derivCases(t) {
		for i := 0; i < c.f.Len(); i++ {
			for _, aux := range c.auxes {
				for _, eta := range c.etas(i, aux) {
					checkDerivs(t, c.name, c.f, i, eta, aux, c.hEta(aux), c.tol, c.atol)
				}
			}
		}
	}
}

// logistic and normal CDF references for distuv comparisons.
func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func TestLogDensityReference(t *testing.T) {
	etas := []float64{-3, -0.4, 0, 1.1, 2.5}
	type ref struct {
		name string
		got  func(eta float64) float64
		want func(eta float64) float64
		tol  float64
	}
	ll := func(f likelihood, i int, aux []float64) func(float64) float64 {
		return func(eta float64) float64 { l, _, _ := f.LogLik(i, eta, aux, nil); return l }
	}
	g := must(NewGaussian([]float64{1.7}))
	gse := must(NewGaussianSE([]float64{1.7}, []float64{0.3}))
	bl := must(NewBernoulliLogit([]float64{0, 1}))
	bp := must(NewBernoulliProbit([]float64{0, 1}))
	bin := must(NewBinomialLogit([]float64{3, 0, 12}, []float64{10, 4, 12}))
	poi := must(NewPoissonLog([]float64{0, 4, 250}))
	st := must(NewStudentT([]float64{1.7}, 0))
	st3 := must(NewStudentT([]float64{1.7}, 3))
	nb := must(NewNegBinomialLog([]float64{0, 4, 250}))
	refs := []ref{
		{"gaussian", ll(g, 0, []float64{0.8}), func(e float64) float64 { return distuv.Normal{Mu: e, Sigma: 0.8}.LogProb(1.7) }, 1e-14},
		{"gaussian_se", ll(gse, 0, nil), func(e float64) float64 { return distuv.Normal{Mu: e, Sigma: 0.3}.LogProb(1.7) }, 1e-14},
		{"student_t", ll(st, 0, []float64{0.8, 2.5}), func(e float64) float64 {
			return distuv.StudentsT{Mu: e, Sigma: 0.8, Nu: 2.5}.LogProb(1.7)
		}, 1e-14},
		{"student_t/fixed", ll(st3, 0, []float64{0.8}), func(e float64) float64 {
			return distuv.StudentsT{Mu: e, Sigma: 0.8, Nu: 3}.LogProb(1.7)
		}, 1e-14},
		{"student_t/large_nu", ll(st, 0, []float64{0.8, 500}), func(e float64) float64 {
			return distuv.StudentsT{Mu: e, Sigma: 0.8, Nu: 500}.LogProb(1.7)
		}, 1e-12},
	}
	for y := 0; y < 2; y++ {
		refs = append(refs,
			ref{fmt.Sprintf("bernoulli_logit/y=%d", y), ll(bl, y, nil), func(e float64) float64 {
				return distuv.Bernoulli{P: sigmoid(e)}.LogProb(float64(y))
			}, 1e-14},
			ref{fmt.Sprintf("bernoulli_probit/y=%d", y), ll(bp, y, nil), func(e float64) float64 {
				return distuv.Bernoulli{P: normCDF(e)}.LogProb(float64(y))
			}, 1e-13})
	}
	for i, kn := range [][2]float64{{3, 10}, {0, 4}, {12, 12}} {
		refs = append(refs, ref{fmt.Sprintf("binomial_logit/k=%g,n=%g", kn[0], kn[1]), ll(bin, i, nil), func(e float64) float64 {
			return distuv.Binomial{N: kn[1], P: sigmoid(e)}.LogProb(kn[0])
		}, 1e-12})
	}
	for i, y := range []float64{0, 4, 250} {
		refs = append(refs, ref{fmt.Sprintf("poisson_log/y=%g", y), ll(poi, i, nil), func(e float64) float64 {
			return distuv.Poisson{Lambda: math.Exp(e)}.LogProb(y)
		}, 1e-12})
		for _, phi := range []float64{0.3, 7, 40} {
			// Stan's neg_binomial_2_log, term by term.
			refs = append(refs, ref{fmt.Sprintf("neg_binomial_2_log/y=%g,phi=%g", y, phi), ll(nb, i, []float64{phi}), func(e float64) float64 {
				mu := math.Exp(e)
				a, _ := math.Lgamma(y + phi)
				b, _ := math.Lgamma(phi)
				c, _ := math.Lgamma(y + 1)
				return a - b - c + phi*(math.Log(phi)-math.Log(phi+mu)) + y*(e-math.Log(phi+mu))
			}, 1e-12})
		}
	}
	for _, r := range refs {
		for _, eta := range etas {
			if got, want := r.got(eta), r.want(eta); !near(got, want, r.tol) {
				t.Errorf("%s at η=%g: ℓ = %.17g, want %.17g", r.name, eta, got, want)
			}
		}
	}
}

// TestDiscreteNormalization sums each pmf over its support.
func TestDiscreteNormalization(t *testing.T) {
	seq := func(n int) []float64 {
		y := make([]float64, n)
		for i := range y {
			y[i] = float64(i)
		}
		return y
	}
	sum := func(f likelihood, eta float64, aux []float64) float64 {
		var s float64
		for i := 0; i < f.Len(); i++ {
			l, _, _ := f.LogLik(i, eta, aux, nil)
			s += math.Exp(l)
		}
		return s
	}
	check := func(name string, got float64) {
		t.Helper()
		if math.Abs(got-1) > 1e-12 {
			t.Errorf("%s: pmf sums to 1 %+.3g", name, got-1)
		}
	}
	for _, eta := range []float64{-4, -0.3, 0, 1, 3} {
		check(fmt.Sprintf("bernoulli_logit η=%g", eta), sum(must(NewBernoulliLogit([]float64{0, 1})), eta, nil))
		check(fmt.Sprintf("bernoulli_probit η=%g", eta), sum(must(NewBernoulliProbit([]float64{0, 1})), eta, nil))
		for _, n := range []int{0, 1, 7, 60} {
			k := seq(n + 1)
			trials := make([]float64, n+1)
			for i := range trials {
				trials[i] = float64(n)
			}
			check(fmt.Sprintf("binomial_logit n=%d η=%g", n, eta), sum(must(NewBinomialLogit(k, trials)), eta, nil))
		}
		check(fmt.Sprintf("poisson_log η=%g", eta), sum(must(NewPoissonLog(seq(200))), eta, nil))
		for _, phi := range []float64{0.5, 3, 50, 1e6} {
			check(fmt.Sprintf("neg_binomial_2_log η=%g φ=%g", eta, phi),
				sum(must(NewNegBinomialLog(seq(2000))), eta, []float64{phi}))
		}
	}
}

// TestContinuousNormalization integrates exp ℓ over y, with y = η + σ sinh(u)
// so that the heavy Student t tails decay exponentially in u, by Simpson's
// rule on a fine grid.
func TestContinuousNormalization(t *testing.T) {
	const (
		umax = 45.0
		n    = 18000 // even
	)
	h := 2 * umax / n
	ys := make([]float64, n+1)
	ws := make([]float64, n+1)
	eta, sigma := 0.6, 1.7
	for j := range ys {
		u := -umax + float64(j)*h
		ys[j] = eta + sigma*math.Sinh(u)
		w := 2.0
		if j%2 == 1 {
			w = 4
		}
		if j == 0 || j == n {
			w = 1
		}
		ws[j] = w * h / 3 * sigma * math.Cosh(u)
	}
	integral := func(f likelihood, aux []float64) float64 {
		var s float64
		for j := range ys {
			l, _, _ := f.LogLik(j, eta, aux, nil)
			s += ws[j] * math.Exp(l)
		}
		return s
	}
	se := make([]float64, len(ys))
	for j := range se {
		se[j] = sigma
	}
	for _, c := range []struct {
		name string
		f    likelihood
		aux  []float64
	}{
		{"gaussian", must(NewGaussian(ys)), []float64{sigma}},
		{"gaussian_se", must(NewGaussianSE(ys, se)), nil},
		{"student_t nu=1", must(NewStudentT(ys, 0)), []float64{sigma, 1}},
		{"student_t nu=4", must(NewStudentT(ys, 0)), []float64{sigma, 4}},
		{"student_t nu=30", must(NewStudentT(ys, 30)), []float64{sigma}},
	} {
		if got := integral(c.f, c.aux); math.Abs(got-1) > 1e-8 {
			t.Errorf("%s: density integrates to 1 %+.3g", c.name, got-1)
		}
	}
}

// TestStability evaluates every likelihood and derivative at extreme η and
// parameters: nothing may be NaN, and the log pmf of discrete responses may
// not exceed 0.
func TestStability(t *testing.T) {
	etas := []float64{0, 1e-300, 1, 30, 40, 300, 700, 709, 710, 800, 1e4, 1e300}
	for _, e := range etas[:] {
		etas = append(etas, -e)
	}
	type tc struct {
		f        likelihood
		auxes    [][]float64
		discrete bool
	}
	cases := []tc{
		{must(NewGaussian([]float64{0, -5, 1e6})), [][]float64{{1e-300}, {1e-8}, {1}, {1e8}, {1e300}}, false},
		{must(NewGaussianSE([]float64{0, 1e6}, []float64{1e-8, 1e8})), [][]float64{nil}, false},
		{must(NewBernoulliLogit([]float64{0, 1})), [][]float64{nil}, true},
		{must(NewBernoulliProbit([]float64{0, 1})), [][]float64{nil}, true},
		{must(NewBinomialLogit([]float64{0, 3, 1e6}, []float64{10, 10, 1e6})), [][]float64{nil}, true},
		{must(NewPoissonLog([]float64{0, 3, 1e6})), [][]float64{nil}, true},
		{must(NewNegBinomialLog([]float64{0, 3, 1e6})), [][]float64{{1e-300}, {1e-8}, {1}, {1e8}, {1e15}, {1e300}}, true},
		{must(NewStudentT([]float64{0, -5, 1e6}, 0)), [][]float64{
			{1e-300, 1e-300}, {1e-8, 1e-8}, {1, 1}, {1, 1e15}, {1e8, 3}, {1e300, 1e300},
		}, false},
		{must(NewStudentT([]float64{0, 1e6}, 1e-8)), [][]float64{{1e-8}, {1}, {1e300}}, false},
	}
	for _, c := range cases {
		k := len(c.f.Aux())
		daux := make([]float64, k)
		deta := make([]float64, k)
		daa := make([]float64, k*k)
		for i := 0; i < c.f.Len(); i++ {
			for _, aux := range c.auxes {
				for _, eta := range etas {
					l, d1, d2 := c.f.LogLik(i, eta, aux, daux)
					vals := append([]float64{l, d1, d2}, daux...)
					if ah, ok := c.f.(auxHessian); ok {
						ah.LogLikAux2(i, eta, aux, deta, daa)
						vals = append(append(vals, deta...), daa...)
					}
					for _, v := range vals {
						if math.IsNaN(v) {
							t.Errorf("%T row %d η=%g aux=%v: NaN in %v", c.f, i, eta, aux, vals)
							break
						}
					}
					if math.IsInf(l, 1) || (c.discrete && l > 1e-12) {
						t.Errorf("%T row %d η=%g aux=%v: ℓ = %g", c.f, i, eta, aux, l)
					}
				}
			}
		}
	}
}

func TestExtremeValues(t *testing.T) {
	bl := must(NewBernoulliLogit([]float64{0, 1}))
	bp := must(NewBernoulliProbit([]float64{0, 1}))
	poi := must(NewPoissonLog([]float64{3}))
	inf := math.Inf(-1)
	for _, c := range []struct {
		name      string
		f         likelihood
		i         int
		eta       float64
		l, d1, d2 float64
		tol       float64
	}{
		{"logit y=1 η=800", bl, 1, 800, 0, 0, 0, 0},
		{"logit y=0 η=800", bl, 0, 800, -800, -1, 0, 0},
		{"logit y=1 η=-800", bl, 1, -800, -800, 1, 0, 0},
		{"logit y=0 η=-800", bl, 0, -800, 0, 0, 0, 0},
		{"logit y=1 η=-30", bl, 1, -30, -30 - math.Log1p(math.Exp(-30)), 1 / (1 + math.Exp(-30)), -math.Exp(-30) / ((1 + math.Exp(-30)) * (1 + math.Exp(-30))), 1e-15},
		// log Φ(−40) by the asymptotic series
		// −t²/2 − log t − ½ log 2π + log(1 − 1/t² + 3/t⁴ − 15/t⁶ + …);
		// the Mills ratio m = t + c with c = 1/t − 2/t³ + 10/t⁵ − …, and
		// ∂²ℓ/∂η² = −m·c.
		{"probit y=1 η=-40", bp, 1, -40, asymLogPhi(40), 40 + asymC(40), -(40 + asymC(40)) * asymC(40), 1e-15},
		{"probit y=0 η=40", bp, 0, 40, asymLogPhi(40), -(40 + asymC(40)), -(40 + asymC(40)) * asymC(40), 1e-15},
		{"probit y=1 η=-300", bp, 1, -300, asymLogPhi(300), 300 + asymC(300), -(300 + asymC(300)) * asymC(300), 1e-15},
		{"probit y=1 η=40", bp, 1, 40, 0, 0, 0, 0},
		{"poisson η=700", poi, 0, 700, 2100 - math.Exp(700) - math.Log(6), 3 - math.Exp(700), -math.Exp(700), 1e-15},
		// e^η overflows: documented −Inf.
		{"poisson η=710", poi, 0, 710, inf, inf, inf, 0},
	} {
		l, d1, d2 := c.f.LogLik(c.i, c.eta, nil, nil)
		if !nearRel(l, c.l, c.tol) || !nearRel(d1, c.d1, c.tol) || !nearRel(d2, c.d2, c.tol) {
			t.Errorf("%s: got (%.17g, %.17g, %.17g), want (%.17g, %.17g, %.17g)", c.name, l, d1, d2, c.l, c.d1, c.d2)
		}
	}
	if l, _, _ := bp.LogLik(1, -40, nil, nil); math.Abs(l-(-804.608)) > 5e-4 {
		t.Errorf("probit log Φ(−40) = %.6f, want ≈ −804.608", l)
	}
}

// asymLogPhi returns log Φ(−t) by its asymptotic series (A&S 26.2.12),
// accurate to double precision for t ≥ 40.
func asymLogPhi(t float64) float64 {
	u := 1 / (t * t)
	return -0.5*t*t - math.Log(t) - lnSqrt2Pi + math.Log(1-u*(1-u*(3-u*(15-u*(105-u*(945-u*10395))))))
}

// asymC returns m − t, where m = φ(t)/Φ(−t) is the Mills ratio at −t, by its
// asymptotic series Σ aₖ/t^{2k+1} (coefficients by inverting the series of
// Φ(−t)/φ(t); relative error 7e-19 at t = 40, checked against mpmath).
func asymC(t float64) float64 {
	u := 1 / (t * t)
	return (1 - u*(2-u*(10-u*(74-u*(706-u*(8162-u*(110410-u*1708394))))))) / t
}

// TestNegBinomialLargePhi checks the Poisson limit, where naive formulas lose
// all digits: with d = ((y − μ)² − y),
// ℓ_NB − ℓ_Pois = d/(2φ) + O(φ⁻²), φ²·∂ℓ/∂φ → −d/2, φ³·∂²ℓ/∂φ² → d and
// φ²·∂²ℓ/∂η∂φ → μ(y − μ).
func TestNegBinomialLargePhi(t *testing.T) {
	ys := []float64{0, 1, 3, 40}
	nb := must(NewNegBinomialLog(ys))
	poi := must(NewPoissonLog(ys))
	for i, y := range ys {
		for _, eta := range []float64{-1, 0, 1.2, 3} {
			mu := math.Exp(eta)
			d := (y-mu)*(y-mu) - y
			for _, phi := range []float64{1e8, 1e10, 1e12} {
				daux := []float64{0}
				deta, daa := []float64{0}, []float64{0}
				l, d1, d2 := nb.LogLik(i, eta, []float64{phi}, daux)
				nb.LogLikAux2(i, eta, []float64{phi}, deta, daa)
				lp, d1p, d2p := poi.LogLik(i, eta, nil, nil)
				at := fmt.Sprintf("y=%g η=%g φ=%g", y, eta, phi)
				// Rounding of ℓ itself, plus the next term of the expansion,
				// O(|y − μ|³/φ²).
				a := math.Abs(y-mu) + 1
				if got, want := l-lp, d/(2*phi); math.Abs(got-want) > 5e-16*(math.Abs(lp)+1)+a*a*a/(phi*phi) {
					t.Errorf("%s: ℓ_NB − ℓ_Pois = %.6g, want %.6g", at, got, want)
				}
				if !near(d1, d1p, 1e-6) || !near(d2, d2p, 1e-6) {
					t.Errorf("%s: η derivatives (%g, %g), Poisson (%g, %g)", at, d1, d2, d1p, d2p)
				}
				// Relative O(y/φ, μ/φ) corrections; 1e-5 is ample at φ ≥ 1e8.
				if got := phi * phi * daux[0]; math.Abs(got+d/2) > 1e-5*math.Max(1, math.Abs(d)) {
					t.Errorf("%s: φ²·∂ℓ/∂φ = %.12g, want %.12g", at, got, -d/2)
				}
				if got := phi * phi * phi * daa[0]; math.Abs(got-d) > 1e-5*math.Max(1, math.Abs(d)) {
					t.Errorf("%s: φ³·∂²ℓ/∂φ² = %.12g, want %.12g", at, got, d)
				}
				if got := phi * phi * deta[0]; math.Abs(got-mu*(y-mu)) > 1e-5*math.Max(1, math.Abs(mu*(y-mu))) {
					t.Errorf("%s: φ²·∂²ℓ/∂η∂φ = %.12g, want %.12g", at, got, mu*(y-mu))
				}
			}
		}
	}
}

// TestStudentTLargeNu checks the Gaussian limit: with z = (y − η)/σ,
// ℓ_t − ℓ_N = (z⁴ − 2z² − 1)/(4ν) + O(ν⁻²), ν²·∂ℓ/∂ν → −(z⁴ − 2z² − 1)/4 and
// ν³·∂²ℓ/∂ν² → (z⁴ − 2z² − 1)/2.
func TestStudentTLargeNu(t *testing.T) {
	ys := []float64{0.3, 2, -4}
	st := must(NewStudentT(ys, 0))
	g := must(NewGaussian(ys))
	for i, y := range ys {
		for _, sigma := range []float64{0.5, 2} {
			for _, nu := range []float64{1e8, 1e10} {
				eta := 0.1
				z := (y - eta) / sigma
				q := z*z*z*z - 2*z*z - 1
				aux := []float64{sigma, nu}
				daux := make([]float64, 2)
				deta, daa := make([]float64, 2), make([]float64, 4)
				l, _, _ := st.LogLik(i, eta, aux, daux)
				st.LogLikAux2(i, eta, aux, deta, daa)
				lg, _, _ := g.LogLik(i, eta, []float64{sigma}, nil)
				at := fmt.Sprintf("y=%g σ=%g ν=%g", y, sigma, nu)
				// The next term of the expansion is O((z² + 1)⁴/ν²).
				a := z*z + 1
				if got, want := l-lg, q/(4*nu); math.Abs(got-want) > 1e-14+a*a*a*a/(nu*nu) {
					t.Errorf("%s: ℓ_t − ℓ_N = %.6g, want %.6g", at, got, want)
				}
				if got := nu * nu * daux[1]; math.Abs(got+q/4) > 1e-5*math.Max(1, math.Abs(q)) {
					t.Errorf("%s: ν²·∂ℓ/∂ν = %.12g, want %.12g", at, got, -q/4)
				}
				if got := nu * nu * nu * daa[3]; math.Abs(got-q/2) > 1e-5*math.Max(1, math.Abs(q)) {
					t.Errorf("%s: ν³·∂²ℓ/∂ν² = %.12g, want %.12g", at, got, q/2)
				}
			}
		}
	}
}

func TestInvalidAux(t *testing.T) {
	g := must(NewGaussian([]float64{1}))
	nb := must(NewNegBinomialLog([]float64{1}))
	st := must(NewStudentT([]float64{1}, 0))
	for _, c := range []struct {
		f   likelihood
		aux []float64
	}{
		{g, []float64{0}}, {g, []float64{-1}}, {g, []float64{math.NaN()}},
		{nb, []float64{0}}, {st, []float64{1, 0}}, {st, []float64{-1, 3}},
	} {
		daux := make([]float64, len(c.aux))
		for k := range daux {
			daux[k] = 7
		}
		l, d1, d2 := c.f.LogLik(0, 0.5, c.aux, daux)
		if !math.IsInf(l, -1) || d1 != 0 || d2 != 0 {
			t.Errorf("%T aux=%v: got (%g, %g, %g), want (-Inf, 0, 0)", c.f, c.aux, l, d1, d2)
		}
		for _, v := range daux {
			if v != 0 {
				t.Errorf("%T aux=%v: daux = %v, want zeros", c.f, c.aux, daux)
			}
		}
	}
}

func TestConstructorErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	many := make([]float64, 15)
	for i := range many {
		many[i] = 0.5
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"bernoulli", errOf(NewBernoulliLogit([]float64{0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2})),
			"lik: bernoulli: row 17: y = 2 is not 0 or 1"},
		{"bernoulli several", errOf(NewBernoulliProbit([]float64{0, 0.5, 1, -1, 3})),
			"lik: bernoulli: row 2: y = 0.5 is not 0 or 1 (3 bad rows: 2, 4, 5)"},
		{"bernoulli many", errOf(NewBernoulliLogit(many)),
			"lik: bernoulli: row 1: y = 0.5 is not 0 or 1 (15 bad rows: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …)"},
		{"bernoulli NaN", errOf(NewBernoulliLogit([]float64{nan})), "lik: bernoulli: row 1: y = NaN is not 0 or 1"},
		{"gaussian", errOf(NewGaussian([]float64{1, nan, inf})),
			"lik: gaussian: row 2: y = NaN is not finite (2 bad rows: 2, 3)"},
		{"gaussian_se len", errOf(NewGaussianSE([]float64{1, 2}, []float64{1})),
			"lik: gaussian_se: len(y) = 2 but len(se) = 1"},
		{"gaussian_se se", errOf(NewGaussianSE([]float64{1, 2, 3}, []float64{1, 0, -2})),
			"lik: gaussian_se: row 2: se = 0 is not positive and finite (2 bad rows: 2, 3)"},
		{"gaussian_se y", errOf(NewGaussianSE([]float64{inf}, []float64{1})),
			"lik: gaussian_se: row 1: y = +Inf is not finite"},
		{"binomial len", errOf(NewBinomialLogit([]float64{1, 2}, []float64{3, 3, 3})),
			"lik: binomial: len(k) = 2 but len(n) = 3"},
		{"binomial k>n", errOf(NewBinomialLogit([]float64{1, 4}, []float64{3, 3})),
			"lik: binomial: row 2: k = 4 is not an integer between 0 and n = 3"},
		{"binomial n", errOf(NewBinomialLogit([]float64{0, 1}, []float64{-1, 2.5})),
			"lik: binomial: row 1: n = -1 is not a non-negative integer (2 bad rows: 1, 2)"},
		{"binomial k frac", errOf(NewBinomialLogit([]float64{0.5}, []float64{3})),
			"lik: binomial: row 1: k = 0.5 is not an integer between 0 and n = 3"},
		{"poisson", errOf(NewPoissonLog([]float64{1, -1})),
			"lik: poisson: row 2: y = -1 is not a non-negative integer"},
		{"poisson frac", errOf(NewPoissonLog([]float64{2.5, inf})),
			"lik: poisson: row 1: y = 2.5 is not a non-negative integer (2 bad rows: 1, 2)"},
		{"neg_binomial_2", errOf(NewNegBinomialLog([]float64{0, 1.5})),
			"lik: neg_binomial_2: row 2: y = 1.5 is not a non-negative integer"},
		{"student_t y", errOf(NewStudentT([]float64{nan}, 3)), "lik: student_t: row 1: y = NaN is not finite"},
		{"student_t nu", errOf(NewStudentT([]float64{1}, -1)),
			"lik: student_t: nu = -1 must be positive and finite (or 0 to estimate it)"},
		{"student_t nu inf", errOf(NewStudentT([]float64{1}, inf)),
			"lik: student_t: nu = +Inf must be positive and finite (or 0 to estimate it)"},
	} {
		if c.err == nil {
			t.Errorf("%s: no error, want %q", c.name, c.want)
			continue
		}
		if c.err.Error() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.err, c.want)
		}
	}
	// Valid edge cases.
	for _, err := range []error{
		errOf(NewBinomialLogit([]float64{0, 5}, []float64{0, 5})),
		errOf(NewPoissonLog([]float64{0, 1e9})),
		errOf(NewGaussian(nil)),
	} {
		if err != nil {
			t.Errorf("unexpected error: %v", err)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

// TestCopiesData checks that constructors do not alias the caller's slices.
func TestCopiesData(t *testing.T) {
	y := []float64{1}
	p := must(NewPoissonLog(y))
	y[0] = 5
	l, _, _ := p.LogLik(0, 0, nil, nil)
	if l != -1 {
		t.Errorf("ℓ = %g after changing the caller's slice, want −1", l)
	}
}

// TestPredictor compares sample means of Rand with Mean, and checks the
// support of the draws.
func TestPredictor(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	for _, c := range []struct {
		name     string
		f        likelihood
		i        int
		eta      float64
		aux      []float64
		mean, sd float64 // E[y], sd(y)
		integer  bool
	}{
		{"gaussian", must(NewGaussian([]float64{0})), 0, 1.5, []float64{2}, 1.5, 2, false},
		{"gaussian_se", must(NewGaussianSE([]float64{0, 0}, []float64{1, 3})), 1, -1, nil, -1, 3, false},
		{"bernoulli_logit", must(NewBernoulliLogit([]float64{0})), 0, 0.4, nil, sigmoid(0.4), 0.5, true},
		{"bernoulli_probit", must(NewBernoulliProbit([]float64{0})), 0, -0.3, nil, normCDF(-0.3), 0.5, true},
		{"binomial_logit", must(NewBinomialLogit([]float64{0, 0}, []float64{0, 40})), 1, 0.2, nil, 40 * sigmoid(0.2), 3.2, true},
		{"binomial_logit n=0", must(NewBinomialLogit([]float64{0}, []float64{0})), 0, 0.2, nil, 0, 0, true},
		{"poisson_log", must(NewPoissonLog([]float64{0})), 0, 2, nil, math.Exp(2), math.Exp(1), true},
		{"neg_binomial_2_log", must(NewNegBinomialLog([]float64{0})), 0, 1.5, []float64{2},
			math.Exp(1.5), math.Sqrt(math.Exp(1.5) + math.Exp(3)/2), true},
		{"student_t", must(NewStudentT([]float64{0}, 0)), 0, 3, []float64{0.5, 5}, 3, 0.5 * math.Sqrt(5.0/3), false},
		{"student_t fixed", must(NewStudentT([]float64{0}, 6)), 0, -3, []float64{0.5}, -3, 0.5 * math.Sqrt(1.5), false},
	} {
		p := c.f.(predictor)
		if got := p.Mean(c.i, c.eta, c.aux); !near(got, c.mean, 1e-14) {
			t.Errorf("%s: Mean = %.17g, want %.17g", c.name, got, c.mean)
		}
		var s float64
		for range n {
			v := p.Rand(c.i, c.eta, c.aux, rng)
			if c.integer && (v < 0 || v != math.Trunc(v)) {
				t.Errorf("%s: draw %g is not a count", c.name, v)
				break
			}
			s += v
		}
		if got := s / n; math.Abs(got-c.mean) > 5*c.sd/math.Sqrt(n) {
			t.Errorf("%s: sample mean %g, want %g ± %g", c.name, got, c.mean, 5*c.sd/math.Sqrt(n))
		}
	}
	// Overflowing means give +Inf draws, not a hang or a panic.
	if v := must(NewPoissonLog([]float64{0})).Rand(0, 800, nil, rng); !math.IsInf(v, 1) {
		t.Errorf("Poisson draw at η = 800: %g, want +Inf", v)
	}
	if v := must(NewNegBinomialLog([]float64{0})).Rand(0, 800, []float64{2}, rng); !math.IsInf(v, 1) {
		t.Errorf("negative binomial draw at η = 800: %g, want +Inf", v)
	}
}

func TestDegree(t *testing.T) {
	for _, p := range []polynomial{must(NewGaussian([]float64{1})), must(NewGaussianSE([]float64{1}, []float64{1}))} {
		if p.Degree() != 2 {
			t.Errorf("%T.Degree() = %d, want 2", p, p.Degree())
		}
	}
}

// allocCase is one likelihood with parameters for the allocation test and
// the benchmarks.
type allocCase struct {
	name string
	f    likelihood
	aux  []float64
}

func allocCases(t testing.TB) []allocCase {
	return []allocCase{
		{"Gaussian", must(NewGaussian([]float64{1.2})), []float64{0.7}},
		{"GaussianSE", must(NewGaussianSE([]float64{1.2}, []float64{0.3})), nil},
		{"BernoulliLogit", must(NewBernoulliLogit([]float64{1})), nil},
		{"BernoulliProbit", must(NewBernoulliProbit([]float64{1})), nil},
		{"BinomialLogit", must(NewBinomialLogit([]float64{3}, []float64{10})), nil},
		{"PoissonLog", must(NewPoissonLog([]float64{4})), nil},
		{"NegBinomialLog", must(NewNegBinomialLog([]float64{4})), []float64{3.5}},
		{"StudentT", must(NewStudentT([]float64{1.2}, 0)), []float64{0.7, 4}},
		{"StudentTFixedNu", must(NewStudentT([]float64{1.2}, 4)), []float64{0.7}},
	}
}

func TestNoAllocs(t *testing.T) {
	for _, c := range allocCases(t) {
		k := len(c.f.Aux())
		daux, deta, daa := make([]float64, k), make([]float64, k), make([]float64, k*k)
		ah, _ := c.f.(auxHessian)
		for _, eta := range []float64{-45, -3, 0.2, 3, 45} {
			allocs := testing.AllocsPerRun(50, func() {
				c.f.LogLik(0, eta, c.aux, daux)
				if ah != nil {
					ah.LogLikAux2(0, eta, c.aux, deta, daa)
				}
			})
			if allocs != 0 {
				t.Errorf("%s at η=%g: %g allocations per call", c.name, eta, allocs)
			}
		}
	}
}

func BenchmarkLogLik(b *testing.B) {
	for _, c := range allocCases(b) {
		k := len(c.f.Aux())
		daux := make([]float64, k)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var s float64
			for i := 0; b.Loop(); i++ {
				l, _, _ := c.f.LogLik(0, float64(i%64)/8-4, c.aux, daux)
				s += l
			}
			_ = s
		})
	}
}

// TestHighPrecisionReference compares ℓ and all derivatives with values from
// mpmath at 80 digits (loggamma and numerical differentiation of Stan's
// formulas), including the large-φ and large-ν regimes where naive double
// evaluation has no correct digits in the parameter derivatives.
func TestHighPrecisionReference(t *testing.T) {
	// y, η, φ, ℓ, ∂η, ∂η², ∂φ, ∂η∂φ, ∂φ²
	nbRef := [][9]float64{
		{0, 1.1999999999999999556, 1.0e+8, -3.3201168676206666588, -3.3201168125047871955, -3.3201167022730307087, -5.5115879463325798254e-16, -1.1023175648676948253e-15, 1.1023175648676948253e-23},
		{3.0, -1.0, 1.0e+8, -5.1596388907592043727, 2.6321205491455273112, -3.6787944950111982574e-1, -1.9640292718321249756e-16, 9.6830303315333868537e-17, 3.928058497392396432e-24},
		{4.0e+1, 3.0, 1.0e+8, -1.0406174855016355226e+1, 1.9914459076886301318e+1, -2.0085536888825770656e+1, -1.7829282176985936585e-14, 3.9999252275346375491e-14, 3.5658554549075788013e-22},
		{4.0e+1, 1.1999999999999999556, 1.0e+12, -6.5640756636841237636e+1, 3.6679883077141671157e+1, -3.3201169228473056662, -6.5270691126073543489e-22, 1.2178150052801163537e-22, 1.305413822501347398e-33},
		{3.0, 5.0e-1, 1.0e+15, -1.9404807399281837347, 1.3512787292998696253, -1.6487212707001276564, 5.8702289787086165581e-31, 2.2278819836413318589e-30, -1.1740457957417231446e-45},
		{7.0, 2.0, 2.5e+1, -2.0360304966434782862, -3.0029904062524935364e-1, -5.6348501005454388501, 4.3542131610341395521e-3, -2.7403409977214882965e-3, -3.1278776123346680269e-4},
		{7.0, 2.0, 9.5, -2.1894546069779671629, -2.188418889836712475e-1, -4.0605583606112264623, 2.26754380846153557e-2, -1.0078373175500097119e-2, -3.8283474868413127613e-3},
		{1.0e+2, 5.0, 1.0e+4, -1.2041847981810107335e+1, -4.770515187308138267e+1, -1.4554507148794771567e+2, -1.0920160461188324729e-5, -6.9765313886553449707e-5, 2.1547243703765295133e-9},
		{3.0, 3.0e+1, 1.0e+8, -1.1579328078924273888e+9, -9.99990642464314722e+7, -9.357448121806529024e+2, -1.0579337941162506665e+1, -9.9998128501647364153e-1, 9.9998125501675496759e-9},
		{5.0, 2.0, 1.0000000000000000208e-3, -8.5246950907325001531, -3.2327983264922028028e-4, -6.7662859562814441413e-4, 9.9349730012634736175e+2, -3.2323608740177945923e-1, -9.9900160032123662788e+5},
		{0, -2.0, 2.999999999999999889e-1, -1.1170020768181357171e-1, -9.3262794297600376877e-2, -6.4269631630278637889e-2, -6.1458044614043985034e-2, -9.6643875557739133538e-2, 3.2214625185913045705e-1},
	}
	ys := make([]float64, len(nbRef))
	for i, r := range nbRef {
		ys[i] = r[0]
	}
	nb := must(NewNegBinomialLog(ys))
	for i, r := range nbRef {
		aux := []float64{r[2]}
		daux, deta, daa := make([]float64, 1), make([]float64, 1), make([]float64, 1)
		l, d1, d2 := nb.LogLik(i, r[1], aux, daux)
		nb.LogLikAux2(i, r[1], aux, deta, daa)
		got := []float64{l, d1, d2, daux[0], deta[0], daa[0]}
		checkRef(t, fmt.Sprintf("neg_binomial_2_log y=%g η=%g φ=%g", r[0], r[1], r[2]),
			[]string{"ℓ", "∂η", "∂η²", "∂φ", "∂η∂φ", "∂φ²"}, got, r[3:])
	}

	// y, η, σ, ν, ℓ, ∂η, ∂η², ∂σ, ∂ν, ∂η∂σ, ∂η∂ν, ∂σ², ∂σ∂ν, ∂ν²
	stRef := [][14]float64{
		{2.0, 1.0000000000000000555e-1, 5.0e-1, 1.0e+8, -7.4457909060607723596, 7.5999989785601474737, -3.9999983072003996991, 2.6879996118528560316e+1, -4.4658391006114865987e-15, -3.039999152448181376e+1, 1.0214397050081918858e-14, -1.6927996003008801258e+2, 3.8814708790311291548e-14, 8.9316773018346078416e-23},
		{-4.0, 1.0000000000000000555e-1, 5.0e-1, 1.0e+8, -3.3845780388305681268e+1, -1.6399989136647304541e+1, -3.9999919712089617388, 1.3247991092050789741e+2, -1.0964334092512679447e-13, 6.5599912437208095384e+1, -1.0863345390968206716e-13, -8.028791038261221777e+2, 8.9079432205939295189e-13, 2.1928658277545551794e-21},
		{2.999999999999999889e-1, 1.0000000000000000555e-1, 2.0, 1.0e+10, -1.6170857137901155504, 5.0000000004949995837e-2, -2.5000000002425e-1, -4.9499999999950500083e-1, 2.5497499999999503251e-21, -5.0000000004899995837e-2, -4.9499999999900995962e-22, 2.4249999999926250125e-1, -4.949999999990099184e-23, -5.0994999999998509835e-31},
		{1.0, 0, 1.0, 1.0e+15, -1.4189385332046732418, 1.0, -9.99999999999998e-1, -1.6529221246413963911e-76, 4.9999999999999983333e-31, -1.999999999999998, -2.2896355558691167484e-85, -1.999999999999998, -2.2896351954642070286e-85, -9.999999999999995e-46},
		{3.0, 0, 1.0, 1.0000000000000000208e-2, -6.4383930752660531263, 3.3629300776914539407e-1, 1.1184883980187262643e-1, 8.8790233074361822046e-3, 9.6357186809483401097e+1, -7.4648836352751476373e-4, 2.9563895585248108833e-1, -1.1118488398018726496e-2, 8.86916867557443265e-1, -9.9493000506050444281e+3},
		{1.0e+3, 0, 1.0, 3.0, -2.6434691388206838554e+1, 3.999988000035999892e-3, 3.999964000179999244e-6, 2.999988000035999892, -5.6653054540798869194, -2.3999856000647997408e-8, 9.99993000032999865e-4, -3.00001199989200054, 9.99993000032999865e-1, 9.4198633247553427431e-2},
		{6.9999999999999995559e-1, -2.000000000000000111e-1, 1.3000000000000000444, 4.5, -1.5147521840694488048, 5.8823529411764700492e-1, -5.2776903987976651072e-1, -3.6199095022624438391e-1, 2.0284746510746018136e-2, -8.1786725385341293129e-1, -1.1184509454405648771e-2, -2.8776121403217478018e-1, -7.7431219299731409058e-3, -8.7432753943554012017e-3},
		{5.0, 0, 1.0000000000000000208e-3, 2.5e+1, -1.736228308461802858e+2, 5.1999948000051999948, 1.0399968800051999927, 2.4999974000025999454e+4, -6.387356617964250381, -1.0399979200031200175e-2, 1.9999959200061599918e-1, -2.5000025999921999089e+7, 9.9999796000307997506e+2, 1.9168010956497193884e-2},
	}
	for _, r := range stRef {
		st := must(NewStudentT([]float64{r[0]}, 0))
		aux := []float64{r[2], r[3]}
		daux, deta, daa := make([]float64, 2), make([]float64, 2), make([]float64, 4)
		l, d1, d2 := st.LogLik(0, r[1], aux, daux)
		st.LogLikAux2(0, r[1], aux, deta, daa)
		got := []float64{l, d1, d2, daux[0], daux[1], deta[0], deta[1], daa[0], daa[1], daa[3]}
		checkRef(t, fmt.Sprintf("student_t y=%g η=%g σ=%g ν=%g", r[0], r[1], r[2], r[3]),
			[]string{"ℓ", "∂η", "∂η²", "∂σ", "∂ν", "∂η∂σ", "∂η∂ν", "∂σ²", "∂σ∂ν", "∂ν²"}, got, r[4:])
	}
}

// checkRef compares got with high-precision values: ℓ to 1e-14 relative
// (absolute below 1), derivatives to 1e-9 relative. A derivative whose
// reference is far below the scale of its terms (∂σ = 1.7e-76 when z = 1)
// is compared with an absolute floor of 1e-15 times the largest term.
func checkRef(t *testing.T, at string, names []string, got, want []float64) {
	t.Helper()
	for k := range got {
		tol := 1e-9
		if k == 0 {
			tol = 1e-14
		}
		ok := nearRel(got[k], want[k], tol) || (k == 0 && near(got[k], want[k], tol))
		if !ok && math.Abs(want[k]) < 1e-60 {
			ok = math.Abs(got[k]) < 1e-15
		}
		if !ok {
			t.Errorf("%s: %s = %.17g, want %.17g (rel. error %.2g)", at, names[k], got[k], want[k], (got[k]-want[k])/want[k])
		}
	}
}
