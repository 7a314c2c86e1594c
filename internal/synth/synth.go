// Package synth simulates data for tests and benchmarks.
//
// Logistic is the scaling problem of the Stan ADVI anchors (shared/anchors,
// task C): a logistic regression with N rows and D predictors,
// X ~ N(0, 1) with columns 1–20 in four blocks of five whose within-block
// correlation is 0.8, α = −0.5, β_j ~ N(0, 0.15²), and priors α ~ N(0, 5),
// β ~ N(0, 2.5). The anchors' own data came from a Python script that is
// not shipped, so this is the same design, not the same draws. Collinear
// is a logistic regression with blocks of strongly correlated columns.
package synth

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
	"github.com/govi-dev/govi/prior"
)

// Logistic returns the data (with an intercept column first) and the
// coefficients used to simulate it.
func Logistic(n, d int, seed uint64) (x *mat.Dense, y, beta []float64) {
	g := NewLogisticRows(d, seed)
	x = mat.NewDense(n, d+1, nil)
	y = make([]float64, n)
	for i := 0; i < n; i++ {
		y[i] = g.Next(x.RawRowView(i))
	}
	return x, y, g.Beta
}

// LogisticRows generates the rows of Logistic one at a time, for data
// larger than memory (tools/synth): the same seed gives the same rows.
type LogisticRows struct {
	// Beta holds the coefficients, the intercept first.
	Beta []float64
	rng  *rand.Rand
}

// NewLogisticRows returns the generator of Logistic(·, d, seed).
func NewLogisticRows(d int, seed uint64) *LogisticRows {
	rng := rand.New(rand.NewPCG(seed, 20240611))
	beta := make([]float64, d+1)
	beta[0] = -0.5
	for j := 1; j <= d; j++ {
		beta[j] = 0.15 * rng.NormFloat64()
	}
	return &LogisticRows{Beta: beta, rng: rng}
}

// Next fills row (length d+1: 1, then the predictors) and returns y.
func (g *LogisticRows) Next(row []float64) float64 {
	const rho = 0.8
	rng := g.rng
	row[0] = 1
	var common float64
	for j := 1; j < len(row); j++ {
		if j <= 20 && (j-1)%5 == 0 {
			common = rng.NormFloat64()
		}
		z := rng.NormFloat64()
		if j <= 20 {
			// Equicorrelated block: √ρ·common + √(1−ρ)·own.
			row[j] = math.Sqrt(rho)*common + math.Sqrt(1-rho)*z
		} else {
			row[j] = z
		}
	}
	eta := 0.0
	for j, v := range row {
		eta += v * g.Beta[j]
	}
	if rng.Float64() < 1/(1+math.Exp(-eta)) {
		return 1
	}
	return 0
}

// LogisticModel returns the model with the anchors' priors.
func LogisticModel(n, d int, seed uint64) *model.Linear {
	x, y, _ := Logistic(n, d, seed)
	return logisticModel(x, y)
}

// logisticModel is the logistic regression of y on x (an intercept
// column first) with priors α ~ N(0, 5), β ~ N(0, 2.5).
func logisticModel(x *mat.Dense, y []float64) *model.Linear {
	_, p := x.Dims()
	l, err := lik.NewBernoulliLogit(y)
	if err != nil {
		panic(err)
	}
	pr := make([]model.Prior, p)
	pr[0] = prior.Normal{Mu: 0, Sigma: 5}
	for j := 1; j < p; j++ {
		pr[j] = prior.Normal{Mu: 0, Sigma: 2.5}
	}
	m, err := model.NewLinear(model.Terms{Lik: l, X: x, Coef: pr})
	if err != nil {
		panic(err)
	}
	return m
}

// Collinear returns a logistic regression with an intercept and d
// predictors of which the first blocks·size come in blocks of size
// equicorrelated columns (correlation rho) and the rest are independent
// N(0, 1); β_j ~ N(0, 0.3²), α = −0.3, priors α ~ N(0, 5), β ~ N(0, 2.5).
// Each block leaves size−1 directions (its contrasts) poorly determined,
// so the posterior is close to a diagonal plus blocks·(size−1) directions
// of large variance: the case the low-rank family is for.
func Collinear(n, d, blocks, size int, rho float64, seed uint64) *model.Linear {
	rng := rand.New(rand.NewPCG(seed, 20261203))
	beta := make([]float64, d+1)
	beta[0] = -0.3
	for j := 1; j <= d; j++ {
		beta[j] = 0.3 * rng.NormFloat64()
	}
	x := mat.NewDense(n, d+1, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		row[0] = 1
		var common float64
		for j := 1; j <= d; j++ {
			z := rng.NormFloat64()
			if j <= blocks*size {
				if (j-1)%size == 0 {
					common = rng.NormFloat64()
				}
				z = math.Sqrt(rho)*common + math.Sqrt(1-rho)*z
			}
			row[j] = z
		}
		eta := floats.Dot(row, beta)
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	return logisticModel(x, y)
}

// Poisson draws a Poisson(mu) variate by Knuth's multiplication method,
// exact and fine for the moderate means of simulated data (its cost grows
// with mu).
func Poisson(rng *rand.Rand, mu float64) float64 {
	l, k, p := math.Exp(-mu), 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// CSV renders columns (numbers in shortest round-trip form, or
// strings) under a header.
func CSV(header []string, cols ...any) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(header, ","))
	b.WriteByte('\n')
	n := 0
	switch c := cols[0].(type) {
	case []float64:
		n = len(c)
	case []string:
		n = len(c)
	}
	for i := 0; i < n; i++ {
		for j, c := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			switch c := c.(type) {
			case []float64:
				b.WriteString(strconv.FormatFloat(c[i], 'g', -1, 64))
			case []string:
				b.WriteString(c[i])
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Gamma draws a Gamma(shape, 1) variate by Marsaglia & Tsang (2000), with
// the boost u^{1/shape} for shape < 1.
func Gamma(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return Gamma(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if math.Log(rng.Float64()) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}
