package lik

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// StudentT is the Student t likelihood with identity link, scale σ and
// degrees of freedom ν:
//
//	ℓ = lgamma((ν+1)/2) − lgamma(ν/2) − ½ log(νπ) − log σ
//	    − (ν+1)/2 · log1p(z²/ν),  z = (y − η)/σ.
//
// Its auxiliary parameters are {"sigma", "nu"}, or {"sigma"} when ν is fixed.
type StudentT struct {
	y  []float64
	nu float64 // fixed ν, or 0 when ν is a parameter
	c  float64 // lgamma((ν+1)/2) − lgamma(ν/2) − ½ log(νπ) for fixed ν
}

// NewStudentT returns the Student t likelihood of y, which must be finite.
// nu > 0 fixes the degrees of freedom; nu == 0 makes ν the second auxiliary
// parameter. y is copied.
func NewStudentT(y []float64, nu float64) (*StudentT, error) {
	if !(nu >= 0) || math.IsInf(nu, 1) {
		return nil, fmt.Errorf("lik: student_t: nu = %s must be positive and finite (or 0 to estimate it)", num(nu))
	}
	if err := checkFinite("student_t", y); err != nil {
		return nil, err
	}
	t := &StudentT{y: clone(y), nu: nu}
	if nu > 0 {
		t.c = studentConst(nu)
	}
	return t, nil
}

// studentConst returns lgamma((ν+1)/2) − lgamma(ν/2) − ½ log(νπ), with the
// lgamma difference from Stirling's series for large ν.
func studentConst(nu float64) float64 {
	return lgammaDiff(nu/2, 0.5) - 0.5*(math.Log(nu)+lnPi)
}

// Len returns the number of rows.
func (t *StudentT) Len() int { return len(t.y) }

// Y returns the response y the likelihood holds: its copy, not the slice
// given to the constructor. It must not be changed.
func (t *StudentT) Y() []float64 { return t.y }

// Aux returns {"sigma", "nu"}, or {"sigma"} when ν is fixed.
func (t *StudentT) Aux() []string {
	if t.nu > 0 {
		return []string{"sigma"}
	}
	return []string{"sigma", "nu"}
}

// Nu returns the fixed degrees of freedom, or 0 when ν is a parameter.
func (t *StudentT) Nu() float64 { return t.nu }

// stTerms holds the scale-free quantities shared by LogLik and LogLikAux2,
// with z = (y − η)/σ and d = ν + z².
type stTerms struct {
	nu   float64
	zd   float64 // z/d (0 when d overflows)
	v    float64 // z²/d ∈ [0, 1]
	b    float64 // ν/d = 1 − v
	invd float64 // 1/d
	l1   float64 // log1p(z²/ν)
}

// stCompute returns the stTerms at row response y.
func stCompute(y, eta, sigma, nu float64) stTerms {
	z := (y - eta) / sigma
	z2 := z * z
	d := nu + z2
	// z/d = 1/(z + ν/z) is 0, not NaN, when z is 0 or ±Inf; v and b are
	// written so that they stay in [0, 1] when z² or d overflows or z = 0.
	t := stTerms{nu: nu, zd: 1 / (z + nu/z), invd: 1 / d}
	t.v = 1 / (1 + nu/z2)
	w := z2 / nu
	t.b = 1 / (1 + w)
	if w < 1e300 {
		t.l1 = math.Log1p(w)
	} else {
		// log1p(w) = log w + log1p(1/w), and 1/w is negligible; log|z| is
		// log|y − η| − log σ, finite even when z or y − η overflows.
		t.l1 = 2*(logAbsDiff(y, eta)-math.Log(sigma)) - math.Log(nu)
	}
	return t
}

// logAbsDiff returns log|a − b| without overflow in a − b.
func logAbsDiff(a, b float64) float64 {
	if r := a - b; !math.IsInf(r, 0) {
		return math.Log(math.Abs(r))
	}
	return math.Log(math.Abs(a/2-b/2)) + math.Ln2
}

// params returns σ and ν, and whether they are in the parameter space.
func (t *StudentT) params(aux []float64) (sigma, nu float64, ok bool) {
	sigma, nu = aux[0], t.nu
	if nu == 0 {
		nu = aux[1]
	}
	return sigma, nu, sigma > 0 && nu > 0 && !math.IsInf(nu, 1)
}

// LogLik returns ℓ, ∂ℓ/∂η = (ν+1)z/(σd) and ∂²ℓ/∂η² = (ν+1)(z² − ν)/(σ²d²),
// d = ν + z², and stores ∂ℓ/∂σ = ((ν+1)z²/d − 1)/σ = (νv − b)/σ, with
// v = z²/d and b = ν/d = 1 − v, and, when ν is a parameter,
//
//	∂ℓ/∂ν = ½[ψ((ν+1)/2) − ψ(ν/2)] − 1/(2ν) − ½ log1p(z²/ν) + (ν+1)z²/(2νd)
//
// in daux. The ν derivative is O(1/ν²) for large ν; it is evaluated as
// ½ log1pmx(1/ν) + ½[ψ(ν/2+½) − ψ(ν/2) − log1p(1/ν)] + ½ log1pmx(−v) + v/(2ν),
// v = z²/d, whose terms have no cancellation. For σ ≤ 0 or ν ≤ 0 it returns
// −Inf and zero derivatives.
func (t *StudentT) LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64) {
	var cache [2]float64
	t.PrepareAux(cache[:], aux)
	return t.LogLikPrepared(i, eta, aux, cache[:], daux)
}

// AuxCacheLen returns 2: the normalizing constant and the ν-derivative
// terms that depend on ν alone.
func (t *StudentT) AuxCacheLen() int { return 2 }

// PrepareAux computes the terms of LogLik that depend on ν only, which are
// the expensive ones (lgamma and digamma differences) when ν is estimated.
func (t *StudentT) PrepareAux(cache, aux []float64) {
	_, nu, ok := t.params(aux)
	if !ok {
		cache[0], cache[1] = math.NaN(), math.NaN()
		return
	}
	cache[0] = t.c
	if t.nu == 0 {
		cache[0] = studentConst(nu)
		cache[1] = 0.5*log1pmx(1/nu) + 0.5*digammaDiff(nu/2, 0.5)
	}
}

// LogLikPrepared is LogLik with the terms of PrepareAux.
func (t *StudentT) LogLikPrepared(i int, eta float64, aux, cache, daux []float64) (l, d1, d2 float64) {
	sigma, nu, ok := t.params(aux)
	if !ok {
		zero(daux)
		return math.Inf(-1), 0, 0
	}
	s := stCompute(t.y[i], eta, sigma, nu)
	n1 := nu + 1
	l = cache[0] - math.Log(sigma) - 0.5*n1*s.l1
	d1 = n1 * s.zd / sigma
	d2 = n1 * (s.v - s.b) * s.invd / sigma / sigma
	if daux != nil {
		daux[0] = (nu*s.v - s.b) / sigma
		if t.nu == 0 {
			daux[1] = stDNuCached(s, cache[1])
		}
	}
	return l, d1, d2
}

// stDNuCached returns ∂ℓ/∂ν given g0, its part that depends on ν alone
// (computed by PrepareAux).
func stDNuCached(s stTerms, g0 float64) float64 {
	nu, v := s.nu, s.v
	g := g0 + v/(2*nu)
	if v <= 0.25 {
		return g + 0.5*log1pmx(-v)
	}
	return g + 0.5*(v-s.l1)
}

// LogLikAux2 stores the mixed and auxiliary second derivatives. With
// v = z²/d, b = ν/d:
//
//	∂²ℓ/∂η∂σ = −2(ν+1)·b·(z/d)/σ²
//	∂²ℓ/∂η∂ν = (z/d)(v − 1/d)/σ
//	∂²ℓ/∂σ²  = (1 − (ν+1)·v·(1 + 2b))/σ² = (b(1 − 2v) − νv(1 + 2b))/σ²
//	∂²ℓ/∂σ∂ν = v(v − 1/d)/σ
//	∂²ℓ/∂ν²  = ¼[ψ'(ν/2+½) − ψ'(ν/2) + 2/(ν(ν+1))] + (1/(ν+1) + v((ν−1)v − 2b))/(2ν²)
//
// (the last regrouped so that the O(1/ν²) terms cancel analytically).
func (t *StudentT) LogLikAux2(i int, eta float64, aux, deta, daa []float64) {
	sigma, nu, ok := t.params(aux)
	if !ok {
		zero(deta)
		zero(daa)
		return
	}
	s := stCompute(t.y[i], eta, sigma, nu)
	n1 := nu + 1
	// Dividing by σ twice rather than by σ² avoids 0/0 when σ² underflows.
	deta[0] = -2 * n1 * s.b * (s.zd / sigma) / sigma
	// 1 − (ν+1)v(1 + 2b) = b(1 − 2v) − νv(1 + 2b), using 1 − v = b.
	daa[0] = (s.b*(1-2*s.v) - nu*s.v*(1+2*s.b)) / sigma / sigma
	if t.nu > 0 {
		return
	}
	deta[1] = s.zd * (s.v - s.invd) / sigma
	daa[1] = s.v * (s.v - s.invd) / sigma
	daa[2] = daa[1]
	// ν²·¼[ψ'…] = (ν/2)²·[ψ'…]; the sum is multiplied by ν² so that tiny ν
	// gives −Inf rather than Inf − Inf.
	daa[3] = (trigammaDiff2(nu/2, 0.5) + 0.5*(1/n1+s.v*((nu-1)*s.v-2*s.b))) / nu / nu
}

// Mean returns the location η (the mean when ν > 1).
func (t *StudentT) Mean(i int, eta float64, aux []float64) float64 { return eta }

// Rand returns a draw from the Student t with location η, scale σ and ν
// degrees of freedom.
func (t *StudentT) Rand(i int, eta float64, aux []float64, rng *rand.Rand) float64 {
	sigma, nu, _ := t.params(aux)
	return distuv.StudentsT{Mu: eta, Sigma: sigma, Nu: nu, Src: rng}.Rand()
}
