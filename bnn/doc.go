// Package bnn fits Bayesian neural networks by variational inference: fully
// connected networks of any depth and width (ReLU or tanh hidden units)
// with Gaussian priors on the weights, for regression (Gaussian
// likelihood, learned noise) and classification (Bernoulli with a logit
// output, categorical with a softmax over K classes).
//
// # The model
//
// A Network (New) is the log density
//
//	log p(θ) + Σᵢ log p(yᵢ | f(xᵢ; θ))
//
// over the flattened vector θ of weights and biases, layer by layer (W row
// by row, then b), followed by log σ for a Gaussian likelihood. Inputs are
// standardized with the training data's column means and sds, and so is a
// Gaussian response; the network keeps that scaling and uses it in Predict
// and LogPredictive, which take and report values on the data's scale.
//
// The prior (Prior) puts N(0, s_l²) on every weight and bias of layer l,
// independently. The scale is fixed (s_l = Scale, or Scale/√fan-in with
// FanIn), or learned by empirical Bayes (Learn): log s_l is then a
// hyperparameter, one per layer, that Train optimizes with the ELBO
// jointly with q (its gradient is −n_l + Σⱼ(μⱼ² + σⱼ²)/s_l² over the
// layer's n_l coordinates), so the ELBO bounds log p(D | s). The noise sd
// σ of a Gaussian likelihood is a parameter, not a hyperparameter: log σ
// is the last coordinate of θ with the prior N(NoiseMu, NoiseSD²), N(0, 1)
// by default on the standardized response, so q and every prediction
// integrate over it.
//
// A Network implements model.Differentiable, model.Rows (minibatches of
// rows scaled by N/|B|) and model.GaussianPrior, so it is a model like any
// other of govi: govi.Fit accepts it with any family and estimator, and the
// conformance package checks it.
//
// # Families
//
// The estimators of this package need a mean-field q = N(μ, diag(σ²)):
// any family.Gaussian whose Factor has D = σ and no B (family.MeanField,
// or a family of the same shape with another parameterization); they read
// q only through Factor and return gradients through BackpropFactor and
// Entropy. The local reparameterization and the moment propagation both
// rest on the weights being independent under q: weights that q correlates
// make the pre-activations of all rows depend on each other through the
// shared weight draws, and a unit's inputs correlated with its weights.
//
// The low-rank family (family.LowRank, Σ = D² + BBᵀ) fits through the
// generic elbo.MonteCarlo, which draws θ whole (full reparameterization),
// with govi.Fit: it works with any family, at the cost of a full forward
// and backward pass per draw and of a gradient variance that grows with
// the batch (each draw's noise is shared by all rows; TestGradientVariance
// measures it). It fits small networks, where it can also represent
// correlations between weights that the mean-field family cannot
// (TestGoviFit fits a 1-10-1 network with it); it does not fit large
// ones: d(k+2) parameters, O(dk) work per draw, a whole network pass per
// draw, and InitFamily's moment matching (family.LowRank.MatchMoments)
// costs O(d³).
//
// # Estimators
//
// LocalReparam is the Monte Carlo ELBO with the local reparameterization
// trick (Kingma, Salimans & Welling 2015): each row's pre-activations are
// drawn from their exact Gaussian distribution given the layer below,
// z ~ N(aM + μ_b, a²Σ² + σ_b²), which removes the covariance between the
// rows of a batch from the gradient's variance.
//
// Moments is the deterministic ELBO of moment propagation (Wu et al. 2019):
// each layer's pre-activations are treated as independent Gaussians whose
// means and variances pass through ReLU in closed form and through tanh by
// Gauss-Hermite quadrature, and the expected log likelihood of the output
// is closed form (Gaussian), one-dimensional Gauss-Hermite (Bernoulli) or
// the Jensen bound E log Σ eᵃ ≤ log Σ e^{M+V/2} (categorical). It is exact
// for one hidden layer and a Gaussian likelihood, approximate otherwise.
//
// Both compute E_q[log p(θ)] in closed form and take q's entropy, both have
// hand-written gradients checked against finite differences, both run a
// batch in blocks of 32 rows split into at most 8 chunks on all cores with
// the products through blas64.Gemm, and both implement Estimator, which
// Train uses: SetRows for minibatches and ELBOHyper for the gradient in the
// prior scales.
//
// Measured on the tests' problems:
//
//   - gradient variance on one batch of 128 rows of an 8-50-50-4 network
//     after 5 epochs (TestGradientVariance, mean per coordinate): Moments
//     0; LocalReparam 1.64 for μ and 3.7e-4 for log σ; full
//     reparameterization (elbo.MonteCarlo, one draw of θ) 1.89 and
//     2.4e-3, 1.15 and 6.5 times more;
//   - the Moments ELBO against a 10⁶-draw Monte Carlo estimate
//     (TestMomentsVersusMonteCarlo, at a trained q): one hidden layer,
//     Gaussian: −0.002 ± 0.004 nats (zero, as it must be); one hidden
//     layer, Bernoulli: −0.017 ± 0.003 of −18.6, within the Taylor bound
//     1.7; two hidden layers, Gaussian: +0.31 of −68.2 (0.45%), against
//     +10.5 for the plug-in estimate at the mean weights;
//   - training throughput on the 64-100-100-10 digits network (17,610
//     weights), batches of 128, on a 2-core Xeon (BenchmarkTrainDigits,
//     bench/bnn.sh): LocalReparam 46,800 examples/s on one core and
//     69,100 on two, Moments 22,300 and 35,300, 0 allocations per batch;
//     PyTorch's Bayes by Backprop with the local reparameterization
//     (bench/bbb_digits.py, float32, Debian's python3-torch on the
//     reference BLAS) 21,100 on one thread and 20,800 on two.
//
// # Training and prediction
//
// Train runs minibatch Adam for a number of epochs (each a permutation of
// the rows drawn from a seeded stream, without replacement) or until a
// smoothed ELBO stops improving, rejecting steps whose ELBO is not finite
// and retrying them smaller, and records the per-epoch ELBO, the number of
// weights and epochs and the training time (TrainResult). A batch does not
// allocate, and results are bit-for-bit the same at any GOMAXPROCS.
// govi.Fit works too, with a whole-data objective: Moments with
// optim.LBFGS converges in a few hundred iterations on small networks.
//
// Predict draws θ from q and gives the predictive mean, sd and quantiles
// (regression) or the class probabilities and the predicted class;
// LogPredictive gives the log posterior predictive density of observed
// responses, log (1/S) Σₛ p(y | x, θₛ), as a stable log-sum-exp.
//
// New refuses, before allocating, a network whose estimated memory
// (EstimateBytes) exceeds the budget Spec.MaxBytes (by default the
// available memory, DefaultBudget).
package bnn
