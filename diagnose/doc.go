// Package diagnose checks how well a variational approximation q(θ) matches a
// target p(θ | D) using importance sampling, and turns the resulting draws into
// evidence and posterior estimates.
//
// The central tool is Pareto-smoothed importance sampling (PSIS; Vehtari,
// Simpson, Gelman, Yao and Gabry, "Pareto Smoothed Importance Sampling", JMLR
// 25(72), 2024, arXiv:1507.02646). Given log importance ratios
// log p(θ_s, D) − log q(θ_s) for draws θ_s ~ q, PSIS fits a generalized Pareto
// distribution to the largest ratios. The fitted shape k̂ is the diagnostic of
// Yao, Vehtari, Simpson and Gelman, "Yes, but did it work?: Evaluating
// variational inference" (ICML 2018): the smaller k̂, the closer q is to the
// target, and importance-weighted estimates are unreliable once k̂ exceeds 0.7.
//
// PSIS follows R's loo package, version 2.5.1, with relative efficiency
// r_eff = 1 (independent draws, as from a variational approximation), and the
// tests compare against output of that version.
package diagnose
