package diagnose_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/diagnose"
)

// Checking a variational approximation q = N(0, 0.9²) to the posterior
// p(θ | D) = N(1, 1), correcting the posterior mean with the smoothed
// weights, and estimating log p(D), which is 0 here since p is normalized.
func ExamplePSIS() {
	rnd := rand.New(rand.NewPCG(1, 2))
	const s = 4000
	draws := mat.NewDense(s, 1, nil)
	logRatios := make([]float64, s)
	for i := range logRatios {
		theta := 0.9 * rnd.NormFloat64() // θ ~ q
		draws.Set(i, 0, theta)
		// log p(θ, D) − log q(θ); the log sqrt(2π) terms cancel.
		logRatios[i] = -0.5*(theta-1)*(theta-1) + 0.5*(theta/0.9)*(theta/0.9) + math.Log(0.9)
	}

	res, err := diagnose.PSIS(logRatios)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("k-hat %.2f (%v), tail %d draws\n", res.K, diagnose.Assess(res.K), res.TailLen)
	fmt.Printf("ESS %.0f of %d\n", res.ESS, s)

	mean, sd, err := diagnose.WeightedMoments(draws, res.LogWeights)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("posterior mean %.2f, sd %.2f\n", mean[0], sd[0])

	lme, se := diagnose.LogMeanExp(logRatios)
	fmt.Printf("log p(D) ≈ %.2f ± %.2f\n", lme, se)
	// Output:
	// k-hat 0.32 (good), tail 190 draws
	// ESS 1017 of 4000
	// posterior mean 1.00, sd 0.97
	// log p(D) ≈ 0.02 ± 0.03
}
