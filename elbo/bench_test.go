package elbo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/elbo"
	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/synth"
	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// benchDesign is an N×(p+1) design with an intercept and p correlated
// predictors, and its linear predictor at a fixed β.
func benchDesign(n, p int) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(42, 1))
	x := mat.NewDense(n, p+1, nil)
	eta := make([]float64, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, 1)
		common := rng.NormFloat64()
		eta[i] = -0.5
		for j := 1; j <= p; j++ {
			v := 0.6*common + 0.8*rng.NormFloat64()
			x.Set(i, j, v)
			eta[i] += 0.15 * v * float64(j%3-1)
		}
	}
	return x, eta
}

// benchLikelihoods simulates a response for every likelihood family.
func benchLikelihoods(eta []float64) map[string]model.Likelihood {
	rng := rand.New(rand.NewPCG(7, 7))
	n := len(eta)
	y01 := make([]float64, n)
	cnt := make([]float64, n)
	k := make([]float64, n)
	trials := make([]float64, n)
	yg := make([]float64, n)
	se := make([]float64, n)
	for i, e := range eta {
		p := 1 / (1 + math.Exp(-e))
		if rng.Float64() < p {
			y01[i] = 1
		}
		cnt[i] = float64(rng.IntN(6))
		trials[i] = 10
		k[i] = float64(rng.IntN(11))
		yg[i] = e + rng.NormFloat64()
		se[i] = 1
	}
	out := map[string]model.Likelihood{}
	add := func(name string, l model.Likelihood, err error) {
		if err != nil {
			panic(err)
		}
		out[name] = l
	}
	l1, err := lik.NewGaussian(yg)
	add("gaussian", l1, err)
	l2, err := lik.NewGaussianSE(yg, se)
	add("gaussian_se", l2, err)
	l3, err := lik.NewBernoulliLogit(y01)
	add("bernoulli_logit", l3, err)
	l4, err := lik.NewBernoulliProbit(y01)
	add("bernoulli_probit", l4, err)
	l5, err := lik.NewBinomialLogit(k, trials)
	add("binomial_logit", l5, err)
	l6, err := lik.NewPoissonLog(cnt)
	add("poisson_log", l6, err)
	l7, err := lik.NewNegBinomialLog(cnt)
	add("negbinomial_log", l7, err)
	l8, err := lik.NewStudentT(yg, 0)
	add("student_t", l8, err)
	return out
}

// benchLogistic is a logistic regression with N rows and d = p+1
// coefficients (intercept and p correlated predictors).
func benchLogistic(n, p int) *model.Linear {
	x, eta := benchDesign(n, p)
	l := benchLikelihoods(eta)["bernoulli_logit"]
	return benchModel(l, x)
}

func benchModel(l model.Likelihood, x *mat.Dense) *model.Linear {
	_, p := x.Dims()
	pr := make([]model.Prior, p)
	for j := range pr {
		pr[j] = prior.Normal{Mu: 0, Sigma: 2.5}
	}
	var aux []model.Prior
	for range l.Aux() {
		aux = append(aux, prior.Exponential{Rate: 1})
	}
	m, err := model.NewLinear(model.Terms{Lik: l, X: x, Coef: pr, Aux: aux})
	if err != nil {
		panic(err)
	}
	return m
}

// BenchmarkLikelihoods measures one quadrature ELBO-and-gradient
// evaluation per likelihood at N = 5000, d = 21.
func BenchmarkLikelihoods(b *testing.B) {
	x, eta := benchDesign(5000, 20)
	liks := benchLikelihoods(eta)
	for _, name := range []string{"gaussian", "gaussian_se", "bernoulli_logit", "bernoulli_probit", "binomial_logit", "poisson_log", "negbinomial_log", "student_t"} {
		m := benchModel(liks[name], x)
		for _, fam := range []string{"meanfield", "fullrank"} {
			b.Run(name+"/"+fam, func(b *testing.B) {
				var q family.Family = family.NewFullRank(m.Dim())
				if fam == "meanfield" {
					q = family.NewMeanField(m.Dim())
				}
				benchEval(b, &elbo.Quadrature{}, m, q)
			})
		}
	}
}

// benchEval times ELBO-and-gradient evaluations of e at q with scale 0.1,
// after one untimed evaluation that allocates the workspace.
func benchEval(b *testing.B, e elbo.Estimator, m model.LogDensity, q family.Family) {
	b.Helper()
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
				benchEval(b, est.e(), m, fam.q())
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
