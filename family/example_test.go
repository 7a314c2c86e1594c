package family_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/family"
)

// A full-rank Gaussian: draws by reparameterization θ = μ + Lε, its
// entropy, and its closed-form KL divergence to a Gaussian prior.
func ExampleFullRank() {
	q := family.NewFullRank(2)
	q.SetMeanCov([]float64{1, -1}, mat.NewSymDense(2, []float64{1, 0.5, 0.5, 2}))
	theta := make([]float64, 2)
	q.Transform(theta, []float64{1, 0}) // one sd along the first axis of L
	fmt.Printf("θ(ε=(1,0)) = (%.4f, %.4f)\n", theta[0], theta[1])
	fmt.Printf("entropy %.4f, %d variational parameters\n", q.Entropy(nil), q.Len())
	p, _ := family.NewDiagNormal([]float64{0, 0}, []float64{1, 1})
	fmt.Printf("KL(q ‖ N(0, I)) = %.4f\n", q.KL(nil, 1, p))
	// Output:
	// θ(ε=(1,0)) = (2.0000, -0.5000)
	// entropy 3.1177, 5 variational parameters
	// KL(q ‖ N(0, I)) = 1.2202
}
