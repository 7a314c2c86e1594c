package family

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

var (
	_ Natural = (*MeanField)(nil)
	_ Matcher = (*MeanField)(nil)
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

// NoiseDim returns d.
func (m *MeanField) NoiseDim() int { return len(m.mu) }

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

// MatchMoments sets μ = mean and σᵢ² = covᵢᵢ.
func (m *MeanField) MatchMoments(mean []float64, cov mat.Symmetric) error {
	d := len(m.mu)
	if len(mean) != d || cov.SymmetricDim() != d {
		return ErrDim
	}
	sd := make([]float64, d)
	for i := range sd {
		v := cov.At(i, i)
		if !(v > 0) || math.IsInf(v, 0) {
			return errNotPD
		}
		sd[i] = math.Sqrt(v)
	}
	m.SetMeanSD(mean, sd)
	return nil
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

// Factor returns μ and D = σ, with no B.
func (m *MeanField) Factor() Factor { return Factor{Mu: m.mu, D: m.sigma} }

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

// BackpropFactor adds the φ-gradient given ∂/∂μ and ∂/∂σ (gD); gB is
// ignored.
func (m *MeanField) BackpropFactor(dphi, gmu, gD, _ []float64) {
	d := len(m.mu)
	for i := 0; i < d; i++ {
		dphi[i] += gmu[i]
	}
	if gD != nil {
		for i := 0; i < d; i++ {
			dphi[d+i] += gD[i] * m.sigma[i]
		}
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

// NaturalStep takes the step of Natural keeping σ diagonal: the new
// precision is Λ = (1−ρ)diag(σ⁻²) − ρh, σᵢ² = 1/Λᵢᵢ, and the mean step
// μ += ρΛ⁻¹g uses the whole of Λ (a damped Newton step in μ, which
// converges where the diagonal alone would zigzag).
func (m *MeanField) NaturalStep(dst []float64, rho float64, g []float64, h mat.Symmetric) bool {
	d := len(m.mu)
	if len(g) != d || h.SymmetricDim() != d || len(dst) != m.Len() {
		panic(ErrDim)
	}
	lam := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			v := -rho * h.At(i, j)
			if i == j {
				v += (1 - rho) / (m.sigma[i] * m.sigma[i])
			}
			lam.SetSym(i, j, v)
		}
	}
	delta, ok := solvePD(lam, g)
	if !ok {
		return false
	}
	for i := 0; i < d; i++ {
		p := lam.At(i, i)
		if !(p > 0) {
			return false
		}
		dst[i] = m.mu[i] + rho*delta[i]
		dst[d+i] = -0.5 * math.Log(p)
	}
	return allFinite(dst)
}
