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
	q.MatchMoments([]float64{1, -1}, mat.NewSymDense(2, []float64{1, 0.5, 0.5, 2}))
	theta := make([]float64, 2)
	q.Transform(theta, []float64{1, 0}) // one sd along the first axis of L
	fmt.Printf("θ(ε=(1,0)) = (%.4f, %.4f)\n", theta[0], theta[1])
	fmt.Printf("entropy %.4f, %d variational parameters\n", q.Entropy(nil), q.Len())
	p, _ := family.NewDiagNormal([]float64{0, 0}, []float64{1, 1})
	fmt.Printf("KL(q ‖ N(0, I)) = %.4f\n", p.KL(nil, 1, q))
	// Output:
	// θ(ε=(1,0)) = (2.0000, -0.5000)
	// entropy 3.1177, 5 variational parameters
	// KL(q ‖ N(0, I)) = 1.2202
}

// A low-rank Gaussian Σ = D² + BBᵀ keeps d(k+2) parameters: here rank 1
// on R^3 holds a covariance with one strong common factor.
func ExampleLowRank() {
	q := family.NewLowRank(3, 1)
	cov := mat.NewSymDense(3, []float64{
		1.25, 1, 1,
		1, 1.25, 1,
		1, 1, 1.25,
	})
	q.MatchMoments([]float64{0, 0, 0}, cov)
	var got mat.SymDense
	q.Cov(&got)
	fmt.Printf("%d parameters; Σ = %.2f\n", q.Len(), mat.Formatted(&got, mat.Squeeze()))
	// Output:
	// 9 parameters; Σ = ⎡1.25  1.00  1.00⎤
	// ⎢1.00  1.25  1.00⎥
	// ⎣1.00  1.00  1.25⎦
}
