package bnn

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/model"
)

type netCase struct {
	lik    Likelihood
	act    Activation
	hidden []int
}

func (c netCase) String() string {
	return fmt.Sprintf("%v/%v/%v", c.lik, c.act, c.hidden)
}

// gradCases covers every layer type (ReLU, tanh, the linear output) and
// likelihood, with zero, one and two hidden layers.
var gradCases = []netCase{
	{Gaussian, ReLU, []int{5, 4}},
	{Gaussian, Tanh, []int{5, 4}},
	{Gaussian, ReLU, nil},
	{Bernoulli, ReLU, []int{6}},
	{Bernoulli, Tanh, []int{4, 3}},
	{Categorical, ReLU, []int{5, 4}},
	{Categorical, Tanh, []int{6}},
}

// worstRel returns the largest |a − b|/max(1, |b|).
func worstRel(a, b []float64) (float64, int) {
	w, at := 0.0, -1
	for i := range a {
		if e := math.Abs(a[i]-b[i]) / math.Max(1, math.Abs(b[i])); !(e <= w) {
			w, at = e, i
		}
	}
	return w, at
}

// TestModelGradient checks the log density's gradient in θ (forward and
// backward through every layer type) against central finite differences,
// with all rows and with a scaled subset.
func TestModelGradient(t *testing.T) {
	for _, c := range gradCases {
		t.Run(c.String(), func(t *testing.T) {
			net := smallNet(t, c.lik, c.act, c.hidden, 40, Prior{Scale: 1.5})
			q := randomMeanField(net, 3)
			theta := q.Mean(nil)
			if err := model.CheckGrad(net, theta, 1e-7); err != nil {
				t.Fatal(err)
			}
			rows := []int{3, 17, 5, 29}
			g := make([]float64, net.Dim())
			net.LogDensityRows(g, theta, rows, 10)
			num := fd.Gradient(nil, func(x []float64) float64 { return net.LogDensityRows(nil, x, rows, 10) }, theta, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			if w, i := worstRel(g, num); w > 1e-6 {
				t.Fatalf("rows: gradient[%d] = %g, finite differences %g", i, g[i], num[i])
			}
		})
	}
}

// TestEstimatorGradients checks the gradients in φ (and in the log prior
// scales) of Moments and of LocalReparam with fixed noise against central
// finite differences, for every layer type and likelihood, on all rows
// and on a minibatch.
func TestEstimatorGradients(t *testing.T) {
	ests := map[string]func() Estimator{
		"moments": func() Estimator { return &Moments{Nodes: 12} },
		"lrt":     func() Estimator { return &LocalReparam{Seed: 5, Fixed: true, Draws: 2} },
	}
	for _, c := range gradCases {
		for name, newEst := range ests {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				net := smallNet(t, c.lik, c.act, c.hidden, 70, Prior{Scale: 0.8, Learn: true})
				q := randomMeanField(net, 4)
				e := newEst()
				if err := e.Init(net, q); err != nil {
					t.Fatal(err)
				}
				for _, rows := range [][]int{nil, {1, 4, 9, 16, 25, 36, 49, 64, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 6, 8, 10, 12, 14, 15, 18}} {
					if err := e.SetRows(rows); err != nil {
						t.Fatal(err)
					}
					phi := q.Params(nil)
					g := make([]float64, q.Len())
					h := make([]float64, len(net.Hyper()))
					v := e.ELBOHyper(g, h, q)
					if v2 := e.ELBO(nil, q); v2 != v {
						t.Fatalf("ELBO with and without gradient: %.17g, %.17g", v, v2)
					}
					f := func(x []float64) float64 {
						q.SetParams(x)
						return e.ELBO(nil, q)
					}
					num := fd.Gradient(nil, f, phi, &fd.Settings{Formula: fd.Central, Step: 1e-6})
					q.SetParams(phi)
					if w, i := worstRel(g, num); w > 2e-6 {
						t.Errorf("rows %v: ∂ELBO/∂φ[%d] = %.10g, finite differences %.10g (rel. error %.2g)", rows != nil, i, g[i], num[i], w)
					}
					hyp := net.Hyper()
					hn := fd.Gradient(nil, func(x []float64) float64 {
						net.SetHyper(x)
						v := e.ELBO(nil, q)
						net.SetHyper(hyp)
						return v
					}, hyp, &fd.Settings{Formula: fd.Central, Step: 1e-6})
					if w, i := worstRel(h, hn); w > 2e-6 {
						t.Errorf("∂ELBO/∂log s[%d] = %.10g, finite differences %.10g", i, h[i], hn[i])
					}
				}
			})
		}
	}
}

// TestMomentFunctions checks the ReLU and tanh moment formulas against
// quadrature and their derivatives against finite differences, across
// the tails.
func TestMomentFunctions(t *testing.T) {
	for _, mv := range [][2]float64{{0, 1}, {2, 0.3}, {-2, 0.3}, {8, 0.01}, {-8, 0.01}, {30, 1}, {-30, 1}, {0.1, 1e-4}, {1, 25}} {
		M, V := mv[0], mv[1]
		m, v, dmM, dmV, dvM, dvV := reluMoments(M, V)
		// Reference: the moments by the trapezoid rule on a fine grid over
		// [max(0, M − 14S), M + 14S]; the derivatives by finite
		// differences.
		s := math.Sqrt(V)
		a, b := math.Max(0, M-14*s), math.Max(0, M+14*s)
		e1, e2 := 0.0, 0.0
		const steps = 200000
		dx := (b - a) / steps
		for k := 0; k <= steps && b > a; k++ {
			x := a + float64(k)*dx
			u := (x - M) / s
			wt := dx * math.Exp(-0.5*u*u) / (s * math.Sqrt(2*math.Pi))
			if k == 0 || k == steps {
				wt /= 2
			}
			e1 += wt * x
			e2 += wt * x * x
		}
		if math.Abs(e1-m) > 1e-8*math.Max(s, math.Abs(M)) || math.Abs(e2-e1*e1-v) > 1e-7*V {
			t.Errorf("relu(%g, %g): mean %.12g (numerical %.12g), var %.12g (%.12g)", M, V, m, e1, v, e2-e1*e1)
		}
		h := 1e-6 * math.Max(1, math.Abs(M))
		hv := 1e-6 * V
		m1, v1, _, _, _, _ := reluMoments(M+h, V)
		m0, v0, _, _, _, _ := reluMoments(M-h, V)
		m3, v3, _, _, _, _ := reluMoments(M, V+hv)
		m2, v2, _, _, _, _ := reluMoments(M, V-hv)
		check := func(what string, got, want, scale float64) {
			if math.Abs(got-want) > 1e-6*math.Max(scale, 1e-300) {
				t.Errorf("relu(%g, %g): %s = %g, finite differences %g", M, V, what, got, want)
			}
		}
		check("∂m/∂M", dmM, (m1-m0)/(2*h), 1)
		check("∂v/∂M", dvM, (v1-v0)/(2*h), math.Max(s, 1))
		check("∂m/∂V", dmV, (m3-m2)/(2*hv), 1/s)
		check("∂v/∂V", dvV, (v3-v2)/(2*hv), 1)

		zt, wt := elbo.GaussHermite(16)
		m, v, dmM, dmV, dvM, dvV = tanhMoments(M, V, zt, wt)
		m1, v1, _, _, _, _ = tanhMoments(M+h, V, zt, wt)
		m0, v0, _, _, _, _ = tanhMoments(M-h, V, zt, wt)
		m3, v3, _, _, _, _ = tanhMoments(M, V+hv, zt, wt)
		m2, v2, _, _, _, _ = tanhMoments(M, V-hv, zt, wt)
		if !(v >= 0 && v <= 1 && math.Abs(m) <= 1) {
			t.Errorf("tanh(%g, %g): mean %g, var %g", M, V, m, v)
		}
		check("tanh ∂m/∂M", dmM, (m1-m0)/(2*h), 1)
		check("tanh ∂v/∂M", dvM, (v1-v0)/(2*h), 1)
		check("tanh ∂m/∂V", dmV, (m3-m2)/(2*hv), 1/s)
		check("tanh ∂v/∂V", dvV, (v3-v2)/(2*hv), 1/s)
	}
}
