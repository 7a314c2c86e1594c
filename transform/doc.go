// Package transform provides bijections between unconstrained real space and
// constrained parameter spaces, together with the log-Jacobian terms needed to
// move densities between the two.
//
// govi fits its Gaussian approximation q on the unconstrained space and
// reports summaries on the constrained scale by pushing draws through the
// Forward maps here. A density p(x) on the constrained scale becomes the
// density p(T(u))·|T'(u)| on the unconstrained scale; [Pullback] does this for
// scalars and [Vector.LogJacGrad] with [Vector.Backprop] for vectors.
//
// Every map follows the conventions of the Stan Reference Manual, chapter
// "Constraint Transforms" (https://mc-stan.org/docs/reference-manual/transforms.html),
// so unconstrained values are interchangeable with Stan's:
//
//	Identity   x = u
//	Lower{A}   x = A + exp(u)                  log|dx/du| = u
//	Upper{B}   x = B − exp(u)                  log|dx/du| = u
//	Interval   x = A + (B−A)·logistic(u)        log|dx/du| = log(B−A) − softplus(−u) − softplus(u)
//	Simplex{K} stick-breaking with the log(K−k) centring offset, u ∈ R^{K−1} → x ∈ Δ^{K−1}
//
// [Elementwise] applies one Scalar map to every coordinate of a vector, like
// Stan's vector<lower=…>[N].
//
// The simplex map is the stick-breaking transform documented in Stan 2.35 and
// earlier. Stan 2.36 and later use an isometric log-ratio transform instead,
// so simplex unconstrained values only agree with those older Stan versions.
//
// Supports are open sets: Inverse rejects values on a bound (whose
// unconstrained image would be ±Inf) as well as values beyond it. For finite
// u the scalar Forward maps never return a bound: when floating-point rounding
// would land on one, they return the nearest representable value inside.
//
// Methods of the concrete types do not validate their parameters, so that they
// stay cheap inside optimisation loops; use the constructors or Validate once
// when the transform is built. Slice-length mismatches are programming errors
// and panic.
package transform
