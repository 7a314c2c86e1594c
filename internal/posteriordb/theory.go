package posteriordb

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/govi-dev/govi/lik"
	"github.com/govi-dev/govi/model"
)

// This file predicts what the optimal Gaussian q gives where that can be
// worked out, so that the tests can hold govi's fits to the prediction
// instead of to the posterior itself (which a Gaussian does not always
// match).

// FlatGaussian reports whether p is a Gaussian linear regression
// y ~ normal(Xβ, σ) with flat priors on every β and on σ > 0 and no
// group-level terms, and returns its N and number of columns k.
func (p *Posterior) FlatGaussian() (n, k int, ok bool) {
	n, k, ok = p.gaussian()
	if !ok {
		return n, k, false
	}
	t := p.Model.(*model.Linear).Terms()
	for _, c := range t.Coef {
		if c != nil {
			return n, k, false
		}
	}
	for _, a := range t.Aux {
		if a != nil {
			return n, k, false
		}
	}
	return n, k, true
}

// gaussian reports whether p is a Gaussian linear regression without
// group-level terms (any priors), with its N and number of columns.
func (p *Posterior) gaussian() (n, k int, ok bool) {
	m, isLin := p.Model.(*model.Linear)
	if !isLin {
		return 0, 0, false
	}
	t := m.Terms()
	if _, g := t.Lik.(*lik.Gaussian); !g || len(t.Groups) > 0 || t.X == nil {
		return 0, 0, false
	}
	n, k = t.X.Dims()
	return n, k, true
}

// FlatGaussianRatios returns the sd ratios r = sd_q/sd_posterior that the
// optimal Gaussian q (full-rank or mean-field) has for a coefficient
// (rBeta, full-rank; mean-field divides it further, see
// MeanFieldRDesign) and for σ (rSigma), when y ~ normal(Xβ, σ) with N rows,
// k columns and flat priors on β and σ > 0, with q on (β, u = log σ).
//
// Derivation. With α = (N − k − 1)/2 and S the residual sum of squares at
// the least-squares β̂, the posterior is σ² ~ inv-gamma(α, S/2) and
// β | σ ~ normal(β̂, σ²(XᵀX)⁻¹), so Var β = S/(2(α − 1))·(XᵀX)⁻¹. The log
// density on (β, u) is −(N − 1)u − S(β)e^{−2u}/2. By the symmetry
// β − β̂ → β̂ − β the optimal q has no β–u covariance; maximizing the ELBO
// over Σ_β gives Σ_β = (XᵀX)⁻¹/E_q[e^{−2u}], then over u ~ normal(m, s²)
// gives s² = 1/(2(N − 1)) and E_q[e^{−2u}] = 2α/S. Hence
//
//	rBeta² = (S/(2α))/(S/(2(α − 1))) = (α − 1)/α,
//
// and, with E_q σ = √(S/(2α))·e^{3s²/2}, sd_q σ = E_q σ·√(e^{s²} − 1),
// E σ = √(S/2)·Γ(α − ½)/Γ(α) and E σ² = S/(2(α − 1)), S cancels from
//
//	rSigma = sd_q σ / √(E σ² − (E σ)²).
//
// Both are below 1: a Gaussian cannot represent the t-shaped marginal of
// β (a scale mixture over σ), and its log σ is narrower than the
// log-gamma posterior. For N = 46, k = 7 (mesquite) rSigma ≈ 0.89.
func FlatGaussianRatios(n, k int) (rBeta, rSigma float64, err error) {
	a := float64(n-k-1) / 2
	if !(a > 1) {
		return 0, 0, fmt.Errorf("posteriordb: N = %d, k = %d leave too few degrees of freedom", n, k)
	}
	rBeta = math.Sqrt((a - 1) / a)
	s2 := 1 / (2 * float64(n-1))
	eq := math.Sqrt(1/(2*a)) * math.Exp(1.5*s2)
	sdq := eq * math.Sqrt(math.Expm1(s2))
	lg1, _ := math.Lgamma(a - 0.5)
	lg2, _ := math.Lgamma(a)
	ep := math.Sqrt(0.5) * math.Exp(lg1-lg2)
	sdp := math.Sqrt(1/(2*(a-1)) - ep*ep)
	return rBeta, sdq / sdp, nil
}

// MeanFieldRDesign returns, for each column j of X, the factor
// 1/√((XᵀX)ⱼⱼ((XᵀX)⁻¹)ⱼⱼ) by which the optimal mean-field q narrows the sd
// of β_j relative to the optimal full-rank q in a Gaussian linear
// regression: mean-field keeps the diagonal of the precision, XᵀX·E_q[σ⁻²],
// while the posterior covariance is proportional to (XᵀX)⁻¹. This equals
// √(1 − R²ⱼ), with R²ⱼ the squared multiple correlation of β_j with the
// other coefficients.
func MeanFieldRDesign(x mat.Matrix) ([]float64, error) {
	_, k := x.Dims()
	var xtx mat.SymDense
	xtx.SymOuterK(1, x.T())
	var ch mat.Cholesky
	if !ch.Factorize(&xtx) {
		return nil, fmt.Errorf("posteriordb: XᵀX is not positive definite")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, err
	}
	f := make([]float64, k)
	for j := range f {
		f[j] = 1 / math.Sqrt(xtx.At(j, j)*inv.At(j, j))
	}
	return f, nil
}

// MeanFieldR returns, for each reference parameter, the sd ratio r that
// the optimal mean-field Gaussian has when the posterior is Gaussian with
// the reference's correlation matrix C: minimizing KL(q ‖ p) over
// factorized Gaussians gives each coordinate the conditional sd 1/√Λᵢᵢ,
// Λ = Σ⁻¹, so that r_i = 1/√((C⁻¹)ᵢᵢ) = √(1 − R²ᵢ), with R²ᵢ the squared
// multiple correlation of parameter i with all the others (Bishop 2006,
// §10.1.2). It applies where q's coordinates are the reference's
// parameters up to elementwise maps (not, e.g., to theta = mu + tau·z).
func MeanFieldR(ref *Reference) ([]float64, error) {
	var ch mat.Cholesky
	if !ch.Factorize(ref.Corr) {
		return nil, fmt.Errorf("posteriordb: %s: the reference correlation matrix is not positive definite", ref.Name)
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, err
	}
	r := make([]float64, len(ref.Names))
	for i := range r {
		r[i] = 1 / math.Sqrt(inv.At(i, i))
	}
	return r, nil
}
