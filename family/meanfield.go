package family

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

var (
	_ Family = (*MeanField)(nil)
	_ Scale  = (*MeanField)(nil)
)

// MeanField is the Gaussian family with independent coordinates,
// q(θ) = Πᵢ N(θᵢ | μᵢ, σᵢ²). Its parameters are φ = (μ, ω) with σ = exp(ω),
// so that every φ in R^{2d} is valid (Kucukelbir et al. 2017, ADVI).
type MeanField struct {
	mu    []float64
	omega []float64
	sigma []float64
}

// NewMeanField returns the mean-field family on R^d with μ = 0 and σ = 1.
func NewMeanField(d int) *MeanField {
	m := &MeanField{
		mu:    make([]float64, d),
		omega: make([]float64, d),
		sigma: make([]float64, d),
	}
	for i := range m.sigma {
		m.sigma[i] = 1
	}
	return m
}

// Dim returns d.
func (m *MeanField) Dim() int { return len(m.mu) }

// Len returns 2d.
func (m *MeanField) Len() int { return 2 * len(m.mu) }

// IsDiagonal returns true.
func (m *MeanField) IsDiagonal() bool { return true }

// Params stores (μ, log σ) in dst.
func (m *MeanField) Params(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, m.Len())
	}
	d := len(m.mu)
	copy(dst[:d], m.mu)
	copy(dst[d:2*d], m.omega)
	return dst
}

// SetParams sets (μ, log σ) from phi.
func (m *MeanField) SetParams(phi []float64) {
	if len(phi) != m.Len() {
		panic(ErrDim)
	}
	d := len(m.mu)
	copy(m.mu, phi[:d])
	copy(m.omega, phi[d:])
	for i, w := range m.omega {
		m.sigma[i] = math.Exp(w)
	}
}

// SetMeanSD sets μ and σ directly.
func (m *MeanField) SetMeanSD(mean, sd []float64) {
	if len(mean) != len(m.mu) || len(sd) != len(m.mu) {
		panic(ErrDim)
	}
	copy(m.mu, mean)
	for i, s := range sd {
		m.sigma[i] = s
		m.omega[i] = math.Log(s)
	}
}

// ScaleBy multiplies σ by c.
func (m *MeanField) ScaleBy(c float64) {
	lc := math.Log(c)
	for i := range m.sigma {
		m.omega[i] += lc
		m.sigma[i] = math.Exp(m.omega[i])
	}
}

// SD returns σ. The slice is owned by the family; do not modify it.
func (m *MeanField) SD() []float64 { return m.sigma }

// Loc returns μ. The slice is owned by the family; do not modify it.
func (m *MeanField) Loc() []float64 { return m.mu }

// Transform stores θ = μ + σ⊙ε in theta.
func (m *MeanField) Transform(theta, eps []float64) {
	for i, e := range eps[:len(m.mu)] {
		theta[i] = m.mu[i] + m.sigma[i]*e
	}
}

// Backprop adds w·∂θ/∂φ g to dphi: ∂/∂μ = g, ∂/∂ωᵢ = gᵢεᵢσᵢ.
func (m *MeanField) Backprop(dphi []float64, w float64, g, eps []float64) {
	d := len(m.mu)
	dmu, dom := dphi[:d], dphi[d:2*d]
	for i, gi := range g[:d] {
		dmu[i] += w * gi
		dom[i] += w * gi * eps[i] * m.sigma[i]
	}
}

// BackpropLocScale adds the φ-gradient given ∂/∂μ and the diagonal of ∂/∂L.
func (m *MeanField) BackpropLocScale(dphi, gmu []float64, gL *mat.Dense) {
	d := len(m.mu)
	for i := 0; i < d; i++ {
		dphi[i] += gmu[i]
		dphi[d+i] += gL.At(i, i) * m.sigma[i]
	}
}

// BackpropDiag adds the φ-gradient given ∂/∂μ and ∂/∂σ (a vector), the
// cheap form structured estimators use for mean-field fits.
func (m *MeanField) BackpropDiag(dphi, gmu, gsigma []float64) {
	d := len(m.mu)
	for i := 0; i < d; i++ {
		dphi[i] += gmu[i]
		dphi[d+i] += gsigma[i] * m.sigma[i]
	}
}

// ScaleTri stores diag(σ) in dst.
func (m *MeanField) ScaleTri(dst *mat.TriDense) {
	dst.Zero()
	for i, s := range m.sigma {
		dst.SetTri(i, i, s)
	}
}

// Entropy returns Σᵢ (½log(2πe) + ωᵢ) and adds ∂H/∂ωᵢ = 1 to grad.
func (m *MeanField) Entropy(grad []float64) float64 {
	d := len(m.mu)
	h := 0.5 * float64(d) * (1 + log2Pi)
	for i, w := range m.omega {
		h += w
		if grad != nil {
			grad[d+i]++
		}
	}
	return h
}

// LogProb returns log q(θ).
func (m *MeanField) LogProb(theta []float64) float64 {
	lp := -0.5 * float64(len(m.mu)) * log2Pi
	for i, t := range theta[:len(m.mu)] {
		z := (t - m.mu[i]) / m.sigma[i]
		lp -= m.omega[i] + 0.5*z*z
	}
	return lp
}

// Mean stores μ in dst.
func (m *MeanField) Mean(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(m.mu))
	}
	copy(dst, m.mu)
	return dst
}

// Cov stores diag(σ²) in dst.
func (m *MeanField) Cov(dst *mat.SymDense) {
	d := len(m.mu)
	if dst.IsEmpty() {
		dst.ReuseAsSym(d)
	}
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			dst.SetSym(i, j, 0)
		}
		dst.SetSym(i, i, m.sigma[i]*m.sigma[i])
	}
}

// Rand stores a draw from q in theta.
func (m *MeanField) Rand(theta, eps []float64, rng *rand.Rand) {
	for i := range m.mu {
		eps[i] = rng.NormFloat64()
	}
	m.Transform(theta, eps)
}

// KL returns KL(q ‖ p) = ½[tr(P⁻¹Σ) + (μ−m)ᵀP⁻¹(μ−m) − d + log|P| − log|Σ|]
// for p = N(m, P) and adds alpha·∇φ KL to grad.
func (m *MeanField) KL(grad []float64, alpha float64, p *Normal) float64 {
	d := len(m.mu)
	diff, pd := p.offset(m.mu)
	kl := p.logDet - float64(d)
	for i := 0; i < d; i++ {
		s2 := m.sigma[i] * m.sigma[i]
		kl += p.pdiag[i]*s2 + diff[i]*pd[i] - 2*m.omega[i]
		if grad != nil {
			grad[i] += alpha * pd[i]
			grad[d+i] += alpha * (p.pdiag[i]*s2 - 1)
		}
	}
	return 0.5 * kl
}
