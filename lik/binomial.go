package lik

import (
	"fmt"
	"github.com/govi-dev/govi/internal/mathx"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// BinomialLogit is the binomial likelihood with logit link: kᵢ successes in
// nᵢ trials with success probability p = σ(η),
//
//	ℓ = log C(n, k) + k log σ(η) + (n − k) log σ(−η).
//
// It has no auxiliary parameters. Rows with n = 0 contribute ℓ = 0.
type BinomialLogit struct {
	k, n []float64
	c    []float64 // log C(nᵢ, kᵢ)
}

// NewBinomialLogit returns the binomial likelihood of successes k out of
// trials n: each nᵢ must be a non-negative integer and each kᵢ an integer in
// 0..nᵢ. The slices are copied.
func NewBinomialLogit(k, n []float64) (*BinomialLogit, error) {
	const family = "binomial"
	if err := checkLen(family, "k", "n", k, n); err != nil {
		return nil, err
	}
	e := rowErrors{family: family}
	c := make([]float64, len(k))
	for i := range k {
		switch {
		case !isCount(n[i]):
			e.add(i, fmt.Sprintf("n = %s is not a non-negative integer", num(n[i])))
		case !isCount(k[i]) || k[i] > n[i]:
			e.add(i, fmt.Sprintf("k = %s is not an integer between 0 and n = %s", num(k[i]), num(n[i])))
		default:
			c[i] = lchoose(n[i], k[i])
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return &BinomialLogit{k: clone(k), n: clone(n), c: c}, nil
}

// lchoose returns log C(n, k) = lgamma(n+1) − lgamma(k+1) − lgamma(n−k+1).
func lchoose(n, k float64) float64 {
	a, _ := math.Lgamma(n + 1)
	b, _ := math.Lgamma(k + 1)
	c, _ := math.Lgamma(n - k + 1)
	return a - b - c
}

// Len returns the number of rows.
func (b *BinomialLogit) Len() int { return len(b.k) }

// Y returns the successes k the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (b *BinomialLogit) Y() []float64 { return b.k }

// Aux returns nil.
func (b *BinomialLogit) Aux() []string { return nil }

// LogLik returns ℓ, ∂ℓ/∂η = k·σ(−η) − (n − k)·σ(η) and
// ∂²ℓ/∂η² = −n·σ(η)σ(−η), computed from e^{−|η|} so that they are finite for
// every finite η. daux is ignored.
func (b *BinomialLogit) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	k, n := b.k[i], b.n[i]
	f := n - k
	e := math.Exp(-math.Abs(eta))
	lp := math.Log1p(e)
	// logp = log σ(η), logq = log σ(−η); p, q likewise.
	var logp, logq, p, q float64
	if eta >= 0 {
		logp, logq = -lp, -eta-lp
		p, q = 1/(1+e), e/(1+e)
	} else {
		logp, logq = eta-lp, -lp
		p, q = e/(1+e), 1/(1+e)
	}
	l = b.c[i]
	if k > 0 {
		l += k * logp
	}
	if f > 0 {
		l += f * logq
	}
	return l, k*q - f*p, -n * e / ((1 + e) * (1 + e))
}

// LogLikValues implements model.RowValues with LogLik's value:
// k·log σ(η) + (n − k)·log σ(−η) + log C(n, k).
func (b *BinomialLogit) LogLikValues(dst []float64, i int, eta []float64) {
	k, f, c := b.k[i], b.n[i]-b.k[i], b.c[i]
	dst = dst[:len(eta)]
	for j, e := range eta {
		lp := math.Log1p(math.Exp(-math.Abs(e)))
		// log σ(η) = min(η, 0) − lp, log σ(−η) = min(−η, 0) − lp.
		l := c
		if k > 0 {
			l += k * (min(e, 0) - lp)
		}
		if f > 0 {
			l += f * (min(-e, 0) - lp)
		}
		dst[j] = l
	}
}

// Mean returns E[k | η] = n·σ(η).
func (b *BinomialLogit) Mean(i int, eta float64, aux []float64) float64 {
	return b.n[i] * mathx.Logistic(eta)
}

// Rand returns a draw from Binomial(nᵢ, σ(η)).
func (b *BinomialLogit) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	if b.n[i] == 0 {
		return 0
	}
	return distuv.Binomial{N: b.n[i], P: mathx.Logistic(eta), Src: rng}.Rand()
}
