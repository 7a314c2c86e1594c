package bnn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
)

// synthetic returns n rows of p inputs and a response for lik, from a
// smooth function of the inputs.
func synthetic(lik Likelihood, n, p, k int, seed uint64) (*mat.Dense, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := mat.NewDense(n, p, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < p; j++ {
			v := 2*r.Float64() - 1
			x.Set(i, j, 3*v+1) // not standardized
			if j == 0 && r.Float64() < 0.4 {
				x.Set(i, j, 0) // a sparse column
				v = -1.0 / 3
			}
			s += math.Sin(float64(j+1) * v)
		}
		switch lik {
		case Gaussian:
			y[i] = 10 + 5*s + r.NormFloat64()
		case Bernoulli:
			if r.Float64() < 1/(1+math.Exp(-2*s)) {
				y[i] = 1
			}
		case Categorical:
			c := int(math.Floor((s + float64(p)) / (2 * float64(p)) * float64(k)))
			if r.Float64() < 0.2 {
				c = r.IntN(k)
			}
			y[i] = float64(2 * min(max(c, 0), k-1)) // labels 0, 2, 4, …
		}
	}
	// Make sure every class occurs.
	if lik == Categorical {
		for c := 0; c < k && c < n; c++ {
			y[c] = float64(2 * c)
		}
	}
	return x, y
}

// smallNet returns a network on synthetic data.
func smallNet(t testing.TB, lik Likelihood, act Activation, hidden []int, n int, prior Prior) *Network {
	t.Helper()
	return smallNetP(t, lik, act, hidden, n, 3, prior)
}

// smallNetP is smallNet with p inputs.
func smallNetP(t testing.TB, lik Likelihood, act Activation, hidden []int, n, p int, prior Prior) *Network {
	t.Helper()
	x, y := synthetic(lik, n, p, 3, 7)
	net, err := New(Spec{Hidden: hidden, Activation: act, Likelihood: lik, Prior: prior}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// randomMeanField returns a mean-field family near the initial point of
// net, with random sds of moderate size.
func randomMeanField(net *Network, seed uint64) *family.MeanField {
	q := family.NewMeanField(net.Dim())
	mean := net.InitMean(seed)
	sd := net.InitSD()
	r := rand.New(rand.NewPCG(seed, 9))
	for i := range sd {
		mean[i] += 0.1 * r.NormFloat64()
		sd[i] *= math.Exp(r.NormFloat64())
	}
	q.SetMeanSD(mean, sd)
	return q
}

// newTestStream returns a ChaCha8 generator for tests.
func newTestStream(seed uint64) *rand.Rand {
	return rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 't', 'e', 's', 't'}))
}

// denseOf copies a matrix into a *mat.Dense.
func denseOf(x interface {
	Dims() (int, int)
	At(i, j int) float64
}) *mat.Dense {
	r, c := x.Dims()
	d := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Set(i, j, x.At(i, j))
		}
	}
	return d
}
