package optim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
)

func ones(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	return x
}

func maxAbsDiff(x, y []float64) float64 {
	d := 0.0
	for i := range x {
		d = math.Max(d, math.Abs(x[i]-y[i]))
	}
	return d
}

// checkResult checks what every result must satisfy: X is a new, finite
// slice of the right length, F is the objective there (for deterministic
// objectives), the trace has one finite value per iteration and the start
// was not modified.
func checkResult(t *testing.T, r Result, obj Objective, x0, x0copy []float64, deterministic bool) {
	t.Helper()
	if len(r.X) != len(x0) || !allFinite(r.X) {
		t.Fatalf("X = %v, want %d finite values", r.X, len(x0))
	}
	if len(x0) > 0 && &r.X[0] == &x0[0] {
		t.Error("X aliases the starting point")
	}
	if !slices.Equal(x0, x0copy) {
		t.Errorf("the starting point was modified: %v, was %v", x0, x0copy)
	}
	if deterministic {
		if f := obj.Eval(nil, r.X); !(math.Abs(f-r.F) <= 1e-12*math.Max(1, math.Abs(f))) {
			t.Errorf("F = %g, but the objective at X is %g", r.F, f)
		}
	}
	if len(r.Trace) != r.Iterations {
		t.Errorf("%d trace values for %d iterations", len(r.Trace), r.Iterations)
	}
	if !allFinite(r.Trace) {
		t.Error("non-finite value in the trace")
	}
	if r.Message == "" {
		t.Error("no message")
	}
}

// The deterministic methods find known maxima. Tolerances:
//   - on the quadratic, −∇²f = A has eigenvalues ≥ 1, so at convergence
//     ‖x − m‖∞ ≤ ‖A⁻¹∇f‖₂ ≤ √5·‖∇f‖∞ < √5·GradTol; GradTol = 1e-9 then
//     guarantees an error below 1e-8. A Newton step is exact on a
//     quadratic, so NaturalGradient's error is rounding only.
//   - at Rosenbrock's maximizer the smallest eigenvalue of −∇²f is 0.40
//     (2-d) and 0.48 (3-d), so near it the default GradTol of 1e-7 bounds
//     the error of LBFGS by √3·1e-7/0.4 ≈ 4e-7; 1e-5 leaves room for the
//     higher-order terms. Damped Newton steps converge quadratically, so
//     NaturalGradient ends at rounding level.
func TestDeterministicMethods(t *testing.T) {
	m := []float64{1, -2, 3, 0.5, -1}
	curved := func(s smooth) Objective { return newNewton(s) }
	for _, tc := range []struct {
		name   string
		method Method
		obj    Objective
		x0     []float64
		s      Settings
		want   []float64
		tol    float64
	}{
		{"LBFGS/quadratic", &LBFGS{}, quadratic(m), make([]float64, 5), Settings{GradTol: 1e-9}, m, 1e-8},
		{"NaturalGradient/quadratic", &NaturalGradient{}, curved(quadratic(m)), make([]float64, 5), Settings{}, m, 1e-12},
		{"LBFGS/rosenbrock2", &LBFGS{}, rosenbrock(2), []float64{-1.2, 1}, Settings{}, ones(2), 1e-5},
		{"LBFGS/rosenbrock3", &LBFGS{}, rosenbrock(3), []float64{-1.2, 1, -1.2}, Settings{}, ones(3), 1e-5},
		{"NaturalGradient/rosenbrock2", &NaturalGradient{}, curved(rosenbrock(2)), []float64{-1.2, 1}, Settings{}, ones(2), 1e-10},
		{"NaturalGradient/rosenbrock3", &NaturalGradient{}, curved(rosenbrock(3)), []float64{-1.2, 1, -1.2}, Settings{}, ones(3), 1e-10},
		// Natural gradient converges; L-BFGS never runs.
		{"Fallback/natural-first", &Fallback{Methods: []Method{&NaturalGradient{}, &LBFGS{}}}, curved(quadratic(m)), make([]float64, 5), Settings{}, m, 1e-12},
		// Natural gradient cannot run (the objective is not Curved):
		// L-BFGS starts from the start.
		{"Fallback/not-curved", &Fallback{Methods: []Method{&NaturalGradient{}, &LBFGS{}}}, quadratic(m), make([]float64, 5), Settings{GradTol: 1e-9}, m, 1e-8},
		// Gradient ascent with a negligible step reaches its iteration
		// limit; L-BFGS continues from there.
		{"Fallback/limit-then-lbfgs", &Fallback{Methods: []Method{&GradientAscent{Rate: 1e-9, Schedule: Constant{}}, &LBFGS{}}}, quadratic(m), make([]float64, 5), Settings{MaxIter: 50, Anneal: -1, GradTol: 1e-9}, m, 1e-8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x0copy := slices.Clone(tc.x0)
			r := tc.method.Maximize(context.Background(), tc.obj, tc.x0, tc.s)
			checkResult(t, r, tc.obj, tc.x0, x0copy, true)
			if r.Status != Converged || r.Err != nil {
				t.Fatalf("status %v (err %v): %s", r.Status, r.Err, r.Message)
			}
			if e := maxAbsDiff(r.X, tc.want); !(e < tc.tol) {
				t.Errorf("error %.3g, want below %g; X = %v", e, tc.tol, r.X)
			}
			t.Logf("%d iterations, %d evaluations, %d rejected: %s", r.Iterations, r.Evals, r.Rejected, r.Message)
		})
	}
}

// Fallback sums the counts of its methods and joins their messages.
func TestFallbackAccounting(t *testing.T) {
	m := []float64{1, -2, 3, 0.5, -1}
	obj := quadratic(m)
	s := Settings{MaxIter: 50, Anneal: -1}
	ga := &GradientAscent{Rate: 1e-9, Schedule: Constant{}}
	r1 := ga.Maximize(context.Background(), obj, make([]float64, 5), s)
	r2 := (&LBFGS{}).Maximize(context.Background(), obj, r1.X, s)
	fb := &Fallback{Methods: []Method{ga, &LBFGS{}}}
	r := fb.Maximize(context.Background(), obj, make([]float64, 5), s)
	if r1.Status != IterationLimit || r1.Iterations != 50 {
		t.Fatalf("gradient ascent: %v after %d iterations, want the iteration limit 50", r1.Status, r1.Iterations)
	}
	if r.Iterations != r1.Iterations+r2.Iterations || r.Evals != r1.Evals+r2.Evals {
		t.Errorf("%d iterations and %d evaluations, want %d and %d", r.Iterations, r.Evals, r1.Iterations+r2.Iterations, r1.Evals+r2.Evals)
	}
	if !slices.Equal(r.Trace, append(slices.Clone(r1.Trace), r2.Trace...)) || !slices.Equal(r.X, r2.X) || r.Status != r2.Status {
		t.Error("the trace, X or status is not that of the two runs in turn")
	}
	if want := "gradient ascent: " + r1.Message + "; then L-BFGS: " + r2.Message; r.Message != want {
		t.Errorf("message %q, want %q", r.Message, want)
	}
	if got, want := fb.String(), "gradient ascent, then L-BFGS"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if fb.Stochastic() != true || (&Fallback{Methods: []Method{&LBFGS{}}}).Stochastic() != false {
		t.Error("Stochastic() is not whether any method is stochastic")
	}
}

// A Fallback without methods, and NaturalGradient without a Curved
// objective, fail with their sentinel errors, a copy of the start and the
// objective there; they do not panic or return a nil X.
func TestCannotRun(t *testing.T) {
	obj := quadratic([]float64{1, 2})
	for _, tc := range []struct {
		name   string
		method Method
		err    error
	}{
		{"Fallback{}", &Fallback{}, ErrNoMethods},
		{"Fallback{Methods: []Method{}}", &Fallback{Methods: []Method{}}, ErrNoMethods},
		{"NaturalGradient/not-curved", &NaturalGradient{}, ErrNotCurved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x0 := []float64{0.5, -0.5}
			r := tc.method.Maximize(context.Background(), obj, x0, Settings{})
			checkResult(t, r, obj, x0, []float64{0.5, -0.5}, true)
			if r.Status != Failed || !errors.Is(r.Err, tc.err) || r.Message != tc.err.Error() {
				t.Errorf("status %v, err %v, message %q; want Failed with %v", r.Status, r.Err, r.Message, tc.err)
			}
			if !slices.Equal(r.X, x0) || r.Iterations != 0 || r.Evals != 1 {
				t.Errorf("X = %v after %d iterations and %d evaluations, want the start after 0 and 1", r.X, r.Iterations, r.Evals)
			}
			if !strings.HasPrefix(tc.err.Error(), "optim: ") {
				t.Errorf("error %q lacks the package prefix", tc.err)
			}
		})
	}
	if (&Fallback{}).Stochastic() || (&Fallback{}).String() != "" {
		t.Error("Fallback{} is stochastic or has a name")
	}
	// An empty start gives an empty, not nil, X.
	if r := (&Fallback{}).Maximize(context.Background(), funcObj(func(_, _ []float64) float64 { return 0 }), nil, Settings{}); r.X == nil {
		t.Error("nil X from an empty start")
	}
}

// The stochastic methods on a noisy quadratic f(x) = −½ Σᵢ hᵢ(xᵢ − mᵢ)²,
// whose gradient is observed with independent N(0, σ²) noise.
//
// The error bound. With a constant step η, summing the updates
// xₜ₊₁ = xₜ + η(−h(xₜ − m) + σεₜ) of one coordinate over the T iterates
// that are averaged gives
//
//	x̄ − m = (σ/h)·ε̄ − (x_T − x₀)/(ηhT),
//
// so the Polyak-Ruppert average has error sd σ/(h√T), whatever η, plus a
// boundary term that shrinks as 1/T. The same holds approximately for
// Adam, whose step is a smoothed gradient scaled by 1/√v̂. With the default Window of 50 and Anneal of 4, the
// average is over the last T = 2·50 = 100 iterates, so the scaled error
// z = (x̄ − m)·h√T/σ is about N(0, 1). Measured over 300 seeds (σ = 0.2,
// h = (0.5, 1, 2), 900 values of z per method), z has mean 0.02 and rms
// 1.03 for GradientAscent, mean 0.00 and rms 0.96 for Adam, and max |z|
// 3.1 and 3.2; without annealing or averaging the rms is 5.8 and 3.3.
//
// The test runs 20 seeds and requires every |z| < 4.5 (4.5 times the
// measured spread; P(|z| > 4.5) ≈ 7e-6 for a normal z), the rms of the 60
// values of z within [0.6, 1.4] (its sampling sd is about 1/√120 ≈ 0.09,
// so ±4.4 sd around 1), and their mean within ±0.55 (4.3 sd of a mean of
// 60 values): the iterates converge to the maximizer, without bias, and
// their average is as precise as the noise allows, and no more.
func TestStochasticNoisyQuadratic(t *testing.T) {
	const (
		sigma = 0.2
		seeds = 20
		T     = 2 * stochWindow // iterates averaged with the default Anneal
	)
	h := []float64{0.5, 1, 2}
	m := []float64{1, -2, 0.5}
	for _, tc := range []struct {
		name   string
		method Method
	}{
		// ηh ≤ 0.8 < 1, so the iterates do not oscillate, and the step is
		// halved four times while annealing.
		{"GradientAscent", &GradientAscent{Rate: 0.4, Schedule: Constant{}}},
		{"Adam", &Adam{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var zs []float64
			for k := 0; k < seeds; k++ {
				q := &noisyQuadratic{h: h, m: m, sigma: sigma, rng: rand.New(rand.NewChaCha8(seed("noisy quadratic %d", k)))}
				x0 := make([]float64, 3)
				r := tc.method.Maximize(context.Background(), q, x0, Settings{})
				checkResult(t, r, q, x0, make([]float64, 3), false)
				if r.Status != Converged {
					t.Errorf("seed %d: status %v: %s", k, r.Status, r.Message)
				}
				for i := range h {
					z := (r.X[i] - m[i]) * h[i] * math.Sqrt(T) / sigma
					if math.Abs(z) >= 4.5 {
						t.Errorf("seed %d, coordinate %d: error %.4g is %.2f times σ/(h√T)", k, i, r.X[i]-m[i], z)
					}
					zs = append(zs, z)
				}
			}
			mean := floats.Sum(zs) / float64(len(zs))
			rms := math.Sqrt(floats.Dot(zs, zs) / float64(len(zs)))
			if rms < 0.6 || rms > 1.4 || math.Abs(mean) > 0.55 {
				t.Errorf("scaled errors: mean %.3f, rms %.3f; want |mean| ≤ 0.55, rms in [0.6, 1.4]", mean, rms)
			}
			t.Logf("scaled errors: mean %.3f, rms %.3f, max %.2f", mean, rms, math.Max(floats.Max(zs), -floats.Min(zs)))
		})
	}
}

// Every method rejects steps where the objective is NaN (beyond a cliff
// near the maximum) and still converges, with nothing non-finite in the
// result.
func TestNonFiniteStepsRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method Method
		obj    smooth
		curved bool
		x0     []float64
		want   []float64
		tol    float64
	}{
		// L-BFGS's first step, of unit length, jumps the cliff at 3.
		{"LBFGS", &LBFGS{}, cliff(2), false, []float64{2.4, 2.4}, []float64{2.5, 2.5}, 1e-8},
		// The full Newton step from 2 goes to −8, beyond the cliff at −3.
		{"NaturalGradient", &NaturalGradient{}, huber(), true, []float64{2}, []float64{0}, 1e-8},
		// The first step, 0.019·250 ≈ 4.7, jumps the cliff.
		{"GradientAscent", &GradientAscent{Rate: 0.019, Schedule: Constant{}}, cliff(2), false, []float64{0, 0}, []float64{2.5, 2.5}, 1e-8},
		// Steps of about 0.5 gather momentum and overshoot the cliff.
		{"Adam", &Adam{Rate: 0.5}, cliff(2), false, []float64{0, 0}, []float64{2.5, 2.5}, 1e-8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var obj Objective = tc.obj
			if tc.curved {
				obj = newNewton(tc.obj)
			}
			x0copy := slices.Clone(tc.x0)
			r := tc.method.Maximize(context.Background(), obj, tc.x0, Settings{})
			checkResult(t, r, obj, tc.x0, x0copy, true)
			if *tc.obj.nonfinite == 0 || r.Rejected == 0 {
				t.Fatalf("%d NaN evaluations, %d rejected steps: the test does not reach the cliff", *tc.obj.nonfinite, r.Rejected)
			}
			if r.Status != Converged {
				t.Errorf("status %v: %s", r.Status, r.Message)
			}
			if e := maxAbsDiff(r.X, tc.want); !(e < tc.tol) {
				t.Errorf("error %.3g, want below %g", e, tc.tol)
			}
			t.Logf("%d NaN evaluations, %d rejected steps, %d iterations", *tc.obj.nonfinite, r.Rejected, r.Iterations)
		})
	}
}

// An objective that is not finite at the start fails at once.
func TestNonFiniteStart(t *testing.T) {
	for _, method := range []Method{&GradientAscent{}, &Adam{}, &LBFGS{}, &NaturalGradient{}} {
		obj := cliff(1)
		var o Objective = obj
		if _, ok := method.(*NaturalGradient); ok {
			o = newNewton(obj)
		}
		r := method.Maximize(context.Background(), o, []float64{4}, Settings{})
		if r.Status != Failed || r.Iterations != 0 || !slices.Equal(r.X, []float64{4}) {
			t.Errorf("%v: status %v after %d iterations at %v, want Failed after 0 at the start", method, r.Status, r.Iterations, r.X)
		}
	}
}

// allMethods returns fresh zero-valued methods (and a Fallback of two), with
// an objective each can use that takes more than a few iterations.
func allMethods() []struct {
	name   string
	method Method
	obj    Objective
} {
	rosen := func() Objective { return newNewton(rosenbrock(2)) }
	return []struct {
		name   string
		method Method
		obj    Objective
	}{
		{"GradientAscent", &GradientAscent{}, rosen()},
		{"Adam", &Adam{}, rosen()},
		{"LBFGS", &LBFGS{}, rosen()},
		{"NaturalGradient", &NaturalGradient{}, rosen()},
		{"Fallback", &Fallback{Methods: []Method{&NaturalGradient{}, &LBFGS{}}}, rosen()},
	}
}

// A canceled context stops every method: before it starts, or after the
// iteration in which it is canceled.
func TestCanceled(t *testing.T) {
	for _, tc := range allMethods() {
		t.Run(tc.name+"/before", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			x0 := []float64{-1.2, 1}
			r := tc.method.Maximize(ctx, tc.obj, x0, Settings{})
			checkResult(t, r, tc.obj, x0, []float64{-1.2, 1}, true)
			if r.Status != Canceled || !errors.Is(r.Err, context.Canceled) || r.Iterations != 0 {
				t.Errorf("status %v, err %v after %d iterations; want Canceled with context.Canceled after 0", r.Status, r.Err, r.Iterations)
			}
		})
		t.Run(tc.name+"/during", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := Settings{Callback: func(p Progress) error {
				if p.Iter == 3 {
					cancel()
				}
				return nil
			}}
			x0 := []float64{-1.2, 1}
			r := tc.method.Maximize(ctx, tc.obj, x0, s)
			checkResult(t, r, tc.obj, x0, []float64{-1.2, 1}, true)
			if r.Status != Canceled || !errors.Is(r.Err, context.Canceled) || r.Iterations != 3 {
				t.Errorf("status %v, err %v after %d iterations; want Canceled with context.Canceled after 3", r.Status, r.Err, r.Iterations)
			}
		})
	}
}

// A callback error stops every method after that iteration, with status
// Canceled and the error in the result.
func TestCallbackError(t *testing.T) {
	errStop := errors.New("stop here")
	for _, tc := range allMethods() {
		t.Run(tc.name, func(t *testing.T) {
			var iters []int
			s := Settings{Callback: func(p Progress) error {
				iters = append(iters, p.Iter)
				if p.Iter == 3 {
					return errStop
				}
				return nil
			}}
			x0 := []float64{-1.2, 1}
			r := tc.method.Maximize(context.Background(), tc.obj, x0, s)
			checkResult(t, r, tc.obj, x0, []float64{-1.2, 1}, true)
			if r.Status != Canceled || !errors.Is(r.Err, errStop) || !strings.Contains(r.Message, errStop.Error()) {
				t.Errorf("status %v, err %v, message %q; want Canceled with the callback's error", r.Status, r.Err, r.Message)
			}
			if r.Iterations != 3 || !slices.Equal(iters, []int{1, 2, 3}) {
				t.Errorf("%d iterations, callback at %v; want 3 and [1 2 3]", r.Iterations, iters)
			}
		})
	}
}
