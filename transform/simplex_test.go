package transform

import (
	"github.com/govi-dev/govi/internal/mathx"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// randU returns n draws from N(0, sd²).
func randU(rng *rand.Rand, n int, sd float64) []float64 {
	u := make([]float64, n)
	for i := range u {
		u[i] = sd * rng.NormFloat64()
	}
	return u
}

func TestSimplexForwardIsOnSimplex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		sd   float64 // spread of the random u
	}{
		{"moderate", 1},
		{"wide", 5},
		{"extreme", 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for K := 2; K <= 10; K++ {
				s := Simplex{K}
				x := make([]float64, K)
				for range 200 {
					u := randU(rng, K-1, tc.sd)
					s.Forward(x, u)
					sum := 0.0
					for i, xi := range x {
						if !(xi >= 0) {
							t.Fatalf("K=%d u=%v: x[%d] = %g, want ≥ 0", K, u, i, xi)
						}
						sum += xi
					}
					if math.Abs(sum-1) > 1e-15 {
						t.Fatalf("K=%d u=%v: sum(x) = %.17g, want 1 within 1e-15", K, u, sum)
					}
				}
			}
		})
	}
}

func TestSimplexUniformAtZero(t *testing.T) {
	// The log(K−k) offset centres u = 0 on the uniform simplex.
	for K := 2; K <= 8; K++ {
		x := make([]float64, K)
		Simplex{K}.Forward(x, make([]float64, K-1))
		for i, xi := range x {
			checkClose(t, "x["+itoa(i)+"] at u=0, K="+itoa(K), xi, 1/float64(K), 1e-15, 0)
		}
	}
}

func TestSimplexRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for K := 2; K <= 8; K++ {
		s := Simplex{K}
		x := make([]float64, K)
		u2 := make([]float64, K-1)
		for range 100 {
			u := randU(rng, K-1, 2)
			s.Forward(x, u)
			if err := s.Inverse(u2, x); err != nil {
				t.Fatalf("K=%d: Inverse(Forward(%v)): %v", K, u, err)
			}
			for i := range u {
				checkClose(t, "Inverse(Forward(u))["+itoa(i)+"] K="+itoa(K), u2[i], u[i], 1e-13, 1e-13)
			}
		}
		// Forward(Inverse(x)) for x drawn from a flat Dirichlet.
		x2 := make([]float64, K)
		for range 100 {
			sum := 0.0
			for i := range x {
				x[i] = rng.ExpFloat64()
				sum += x[i]
			}
			for i := range x {
				x[i] /= sum
			}
			if err := s.Inverse(u2, x); err != nil {
				t.Fatalf("K=%d: Inverse(%v): %v", K, x, err)
			}
			s.Forward(x2, u2)
			for i := range x {
				checkClose(t, "Forward(Inverse(x))["+itoa(i)+"] K="+itoa(K), x2[i], x[i], 1e-14, 0)
			}
		}
	}
	// Tiny components survive the round trip with relative accuracy.
	s := Simplex{4}
	x := []float64{1e-200, 0.5, 1e-300, 0.5}
	u := make([]float64, 3)
	if err := s.Inverse(u, x); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 4)
	s.Forward(got, u)
	for i := range x {
		checkClose(t, "Forward(Inverse(tiny))["+itoa(i)+"]", got[i], x[i], 1e-13, 0)
	}
}

func TestSimplexInverseRejects(t *testing.T) {
	s := Simplex{3}
	u := make([]float64, 2)
	for _, tc := range []struct {
		x     []float64
		wants []string
	}{
		{[]float64{0.5, 0.6, 0.1}, []string{"simplex[3]", "sum(x)", "1.2"}},
		{[]float64{0.3, 0.3, 0.3}, []string{"sum(x)", "within 1e-08"}},
		{[]float64{0.5, -0.1, 0.6}, []string{"simplex[3]", "x[1]", "x[1] > 0"}},
		{[]float64{0, 0.5, 0.5}, []string{"x[0]", "x[0] > 0"}},
		{[]float64{0.5, 0.5, math.NaN()}, []string{"x[2]", "NaN"}},
		{[]float64{math.Inf(1), 0.5, 0.5}, []string{"x[0]", "+Inf"}},
	} {
		checkSupportError(t, "Inverse("+fmtSlice(tc.x)+")", s.Inverse(u, tc.x), tc.wants...)
	}
	// Sums within tolerance are accepted and treated as normalised.
	if err := s.Inverse(u, []float64{0.2, 0.3, 0.5 + 5e-9}); err != nil {
		t.Errorf("Inverse with sum 1+5e-9: %v", err)
	}
}

// simplexHead is u ↦ x[0:K−1], the map whose Jacobian determinant LogJacGrad
// reports.
func simplexHead(s Simplex) func(y, u []float64) {
	x := make([]float64, s.K)
	return func(y, u []float64) {
		s.Forward(x, u)
		copy(y, x[:s.K-1])
	}
}

func TestSimplexLogJacMatchesNumericalDeterminant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for K := 2; K <= 6; K++ {
		s := Simplex{K}
		for trial := range 5 {
			u := randU(rng, K-1, 1.5)
			if trial == 0 {
				u = make([]float64, K-1) // include the centre
			}
			J := mat.NewDense(K-1, K-1, nil)
			fd.Jacobian(J, simplexHead(s), u, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
			logDet, sign := mat.LogDet(J)
			if sign == 0 {
				t.Fatalf("K=%d: numerical Jacobian is singular", K)
			}
			got := s.LogJacGrad(nil, u)
			checkClose(t, "LogJacGrad vs log|det fd.Jacobian| K="+itoa(K), got, logDet, 0, 1e-6)
		}
	}
}

func TestSimplexLogJacGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for K := 2; K <= 6; K++ {
		s := Simplex{K}
		for range 5 {
			u := randU(rng, K-1, 2)
			grad := make([]float64, K-1)
			lj := s.LogJacGrad(grad, u)
			if lj2 := s.LogJacGrad(nil, u); lj2 != lj {
				t.Errorf("K=%d: LogJacGrad value %g with grad, %g without", K, lj, lj2)
			}
			num := fd.Gradient(nil, func(u []float64) float64 { return s.LogJacGrad(nil, u) }, u, central)
			for i := range grad {
				checkClose(t, "LogJacGrad gradient["+itoa(i)+"] K="+itoa(K), grad[i], num[i], 1e-7, 1e-8)
			}
		}
	}
}

func TestSimplexBackprop(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for K := 2; K <= 6; K++ {
		s := Simplex{K}
		for range 5 {
			u := randU(rng, K-1, 1.5)
			g := randU(rng, K, 1)
			J := mat.NewDense(K, K-1, nil)
			fd.Jacobian(J, s.Forward, u, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
			var want mat.VecDense
			want.MulVec(J.T(), mat.NewVecDense(K, g))
			// Backprop adds to dst, so start from a non-zero dst.
			dst := make([]float64, K-1)
			for i := range dst {
				dst[i] = float64(i) + 0.5
			}
			s.Backprop(dst, u, g)
			for i := range dst {
				checkClose(t, "Backprop["+itoa(i)+"] K="+itoa(K), dst[i]-(float64(i)+0.5), want.AtVec(i), 1e-7, 1e-8)
			}
		}
	}
}

func TestSimplexBackpropLarge(t *testing.T) {
	// K above the stack buffer exercises the allocating path; compare with
	// the O(K²) direct sum Σ_j g_j ∂x_j/∂u_k from the closed forms.
	const K = 40
	s := Simplex{K}
	rng := rand.New(rand.NewPCG(11, 12))
	u := randU(rng, K-1, 1)
	g := randU(rng, K, 1)
	x := make([]float64, K)
	s.Forward(x, u)
	dst := make([]float64, K-1)
	s.Backprop(dst, u, g)
	for k := range K - 1 {
		z := mathx.Logistic(u[k] - math.Log(float64(K-1-k)))
		want := g[k] * x[k] * (1 - z)
		for j := k + 1; j < K; j++ {
			want -= g[j] * x[j] * z
		}
		checkClose(t, "Backprop["+itoa(k)+"] K=40", dst[k], want, 1e-12, 1e-14)
	}
}

func TestSimplexExtremeU(t *testing.T) {
	// Far-out u must give finite log-Jacobians and gradients, not NaN.
	s := Simplex{4}
	for _, u := range [][]float64{{800, -800, 800}, {-800, -800, -800}, {800, 800, 800}, {1e6, 0, -1e6}} {
		grad := make([]float64, 3)
		lj := s.LogJacGrad(grad, u)
		dst := make([]float64, 3)
		s.Backprop(dst, u, []float64{1, -2, 3, -4})
		x := make([]float64, 4)
		s.Forward(x, u)
		for _, v := range append(append(append([]float64{lj}, grad...), dst...), x...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("u=%v: lj=%g grad=%v backprop=%v x=%v contain non-finite values", u, lj, grad, dst, x)
				break
			}
		}
	}
}

func TestSimplexValidateAndPanics(t *testing.T) {
	for _, tc := range []struct {
		k  int
		ok bool
	}{{-1, false}, {0, false}, {1, false}, {2, true}, {10, true}} {
		s, err := NewSimplex(tc.k)
		if (err == nil) != tc.ok {
			t.Errorf("NewSimplex(%d) error = %v, want ok=%v", tc.k, err, tc.ok)
		}
		if s.K != tc.k {
			t.Errorf("NewSimplex(%d).K = %d", tc.k, s.K)
		}
	}
	s := Simplex{3}
	checkPanics(t, "Forward short x", func() { s.Forward(make([]float64, 2), make([]float64, 2)) })
	checkPanics(t, "Forward long u", func() { s.Forward(make([]float64, 3), make([]float64, 3)) })
	checkPanics(t, "Inverse short u", func() { _ = s.Inverse(make([]float64, 1), []float64{0.2, 0.3, 0.5}) })
	checkPanics(t, "LogJacGrad grad", func() { s.LogJacGrad(make([]float64, 3), make([]float64, 2)) })
	checkPanics(t, "Backprop g", func() { s.Backprop(make([]float64, 2), make([]float64, 2), make([]float64, 2)) })
}

func itoa(i int) string { return fmtFloat(float64(i)) }

func fmtSlice(v []float64) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmtFloat(x)
	}
	return s + "]"
}

func TestSimplexNoAllocs(t *testing.T) {
	// The hot-path methods run inside optimisation loops and must not
	// allocate for moderate K.
	s := Simplex{6}
	u, x, g, dst, grad := make([]float64, 5), make([]float64, 6), make([]float64, 6), make([]float64, 5), make([]float64, 5)
	for name, f := range map[string]func(){
		"Forward":    func() { s.Forward(x, u) },
		"LogJacGrad": func() { s.LogJacGrad(grad, u) },
		"Backprop":   func() { s.Backprop(dst, u, g) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", name, n)
		}
	}
}
