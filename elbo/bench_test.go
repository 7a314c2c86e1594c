package elbo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/internal/testmodel"
	"github.com/govi-dev/govi/model"
)

// benchLogistic is a logistic regression with N rows and d = p+1
// coefficients (intercept and p correlated predictors).
func benchLogistic(n, p int) *model.Linear {
	rng := rand.New(rand.NewPCG(42, 1))
	x := mat.NewDense(n, p+1, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		common := rng.NormFloat64()
		eta := -0.5
		for j := 1; j <= p; j++ {
			v := 0.6*common + 0.8*rng.NormFloat64()
			x.Set(i, j, v)
			eta += 0.15 * v * float64(j%3-1)
		}
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	pr := make([]model.Prior, p+1)
	for j := range pr {
		pr[j] = testmodel.Normal{Mu: 0, Sigma: 2.5}
	}
	m, err := model.NewLinear(model.Terms{Lik: testmodel.Logit{Y: y}, X: x, Coef: pr})
	if err != nil {
		panic(err)
	}
	return m
}

// BenchmarkELBOGrad measures one ELBO-and-gradient evaluation on logistic
// regression with N = 5000 and d = 21.
func BenchmarkELBOGrad(b *testing.B) {
	m := benchLogistic(5000, 20)
	for _, fam := range []struct {
		name string
		q    func() family.Family
	}{
		{"meanfield", func() family.Family { return family.NewMeanField(m.Dim()) }},
		{"fullrank", func() family.Family { return family.NewFullRank(m.Dim()) }},
	} {
		for _, est := range []struct {
			name string
			e    func() elbo.Estimator
		}{
			{"quadrature16", func() elbo.Estimator { return &elbo.Quadrature{} }},
			{"mc10", func() elbo.Estimator { return &elbo.MonteCarlo{Draws: 10, Seed: 1} }},
		} {
			b.Run(est.name+"/"+fam.name, func(b *testing.B) {
				q := fam.q()
				e := est.e()
				if err := e.Init(m, q); err != nil {
					b.Fatal(err)
				}
				q.ScaleBy(0.1)
				g := make([]float64, q.Len())
				e.ELBO(g, q)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					e.ELBO(g, q)
				}
			})
		}
	}
}

// BenchmarkLargePasses times one value-and-gradient pass and one
// expected-Hessian pass on the scaling problem (N = 100000, d = 101).
func BenchmarkLargePasses(b *testing.B) {
	m := synth.LogisticModel(100000, 100, 1)
	q := family.NewFullRank(m.Dim())
	q.ScaleBy(0.01)
	e := &elbo.Quadrature{}
	if err := e.Init(m, q); err != nil {
		b.Fatal(err)
	}
	g := make([]float64, q.Len())
	h := mat.NewSymDense(m.Dim(), nil)
	b.Run("elbo-grad", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			e.ELBO(g, q)
		}
	})
	b.Run("elbo", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e.ELBO(nil, q)
		}
	})
	eg := make([]float64, m.Dim())
	b.Run("grad-hessian", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := e.ExpectedGradHess(eg, h, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
