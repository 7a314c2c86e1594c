// Package lik provides the row likelihoods of generalized linear models as
// functions of the linear predictor η: for each row i, the fully normalized
// log density ℓ(yᵢ | η, aux) and its first and second derivatives in η and
// in the auxiliary parameters (σ, φ, ν).
//
// The quadrature ELBO integrates ℓ over η ~ N(m, s²) with Gauss–Hermite
// nodes, so every constant (−½ log 2π, −log y!, log C(n, k), lgamma terms) is
// kept: the ELBO is then a true lower bound on log p(D), comparable across
// models. Nodes can lie far in the tails, so every function is written to stay
// finite (or to return −Inf, never NaN) for finite η in the support: stable
// softplus, log Φ by a continued fraction in the lower tail, and asymptotic
// series where lgamma and digamma differences would cancel.
//
// Each type holds its own data and has the method set
//
//	Len() int
//	Aux() []string
//	LogLik(i int, eta float64, aux, daux []float64) (l, d1, d2 float64)
//
// Auxiliary parameters are positive and passed on their natural scale;
// LogLik stores ∂ℓ/∂aux[k] in daux when daux is not nil. Types with auxiliary
// parameters also implement
//
//	LogLikAux2(i int, eta float64, aux, deta, daa []float64)
//
// storing ∂²ℓ/∂η∂aux[k] in deta and ∂²ℓ/∂aux[k]∂aux[l] row-major in daa.
// Gaussian models implement Degree() int (ℓ is quadratic in η), and every type
// implements Mean and Rand for posterior predictive checks.
//
// LogLik and LogLikAux2 do not allocate and are safe for concurrent use.
package lik
