package bnn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
	"github.com/govi-dev/govi/internal/rng"
)

// Initial values of q (InitFamily).
const (
	// initRelSD is the initial sd of every weight and bias times the
	// square root of its layer's fan-in: the noise it puts on a
	// pre-activation is then about a hundredth of the signal, whatever
	// the width. Starting wider (a tenth) let stochastic optimization
	// fall into a mode where the network explains little and the noise sd
	// is large (in TestGoviFit: ELBO −138
	// against −73), the "pruned" optimum mean-field networks are prone
	// to; narrow starts fit the mean first.
	initRelSD = 0.01
	// initNoiseMu and initNoiseSD are the initial mean and sd of log σ.
	initNoiseMu = -1
	initNoiseSD = 0.1
)

// InitMean returns the initial mean of θ: weights drawn as He et al.
// (2015) for ReLU, N(0, 2/fan-in), and as Glorot & Bengio (2010) for tanh,
// N(0, 2/(fan-in + fan-out)), from a ChaCha8 stream keyed by seed; biases
// zero; log σ at −1 (σ ≈ 0.37 of the response's sd). Starting at θ = 0
// would leave every hidden unit of a layer identical.
func (n *Network) InitMean(seed uint64) []float64 {
	mean := make([]float64, n.dim)
	st := rng.NewStream(seed, rng.Init, 0, 0)
	for _, ly := range n.layers {
		v := 2 / float64(ly.In)
		if n.act == Tanh {
			v = 2 / float64(ly.In+ly.Out)
		}
		sd := math.Sqrt(v)
		for j := ly.W; j < ly.B; j++ {
			mean[j] = sd * st.NormFloat64()
		}
	}
	if n.noise >= 0 {
		mean[n.noise] = initNoiseMu
	}
	return mean
}

// InitSD returns the initial sd of θ under q: 0.01/√(fan-in) for the
// weights and biases of each layer and 0.1 for log σ.
func (n *Network) InitSD() []float64 {
	sd := make([]float64, n.dim)
	for _, ly := range n.layers {
		s := initRelSD / math.Sqrt(float64(ly.In))
		for j := ly.W; j < ly.B+ly.Out; j++ {
			sd[j] = s
		}
	}
	if n.noise >= 0 {
		sd[n.noise] = initNoiseSD
	}
	return sd
}

// InitFamily sets q to the starting point of a fit, mean InitMean(seed)
// and sds InitSD(): directly for a *family.MeanField, and through
// MatchMoments with a diagonal covariance for any other family.Matcher
// (family.LowRank's costs O(d³): use it on small networks). Other families
// give an error.
func (n *Network) InitFamily(q family.Family, seed uint64) error {
	if q.Dim() != n.dim {
		return fmt.Errorf("bnn: family of dimension %d for a network with %d coordinates", q.Dim(), n.dim)
	}
	mean, sd := n.InitMean(seed), n.InitSD()
	switch f := q.(type) {
	case *family.MeanField:
		f.SetMeanSD(mean, sd)
		return nil
	case family.Matcher:
		v := make([]float64, len(sd))
		for i, s := range sd {
			v[i] = s * s
		}
		return f.MatchMoments(mean, mat.NewDiagDense(len(v), v))
	}
	return fmt.Errorf("bnn: cannot set the moments of a %T (it is not a family.Matcher)", q)
}
