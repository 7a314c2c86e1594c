// radon_mn-radon_variable_intercept_noncentered (posteriordb's program,
// same posterior as the centred one's model.md): alpha = mu_alpha +
// sigma_alpha * alpha_raw.
data {
  int<lower=1> N;
  int<lower=1> J;
  int<lower=1, upper=J> county_idx[N];
  vector[N] floor_measure;
  vector[N] log_radon;
}
parameters {
  vector[J] alpha_raw;
  real beta;
  real mu_alpha;
  real<lower=0> sigma_alpha;
  real<lower=0> sigma_y;
}
transformed parameters {
  vector[J] alpha = mu_alpha + sigma_alpha * alpha_raw;
}
model {
  sigma_y ~ normal(0, 1);
  sigma_alpha ~ normal(0, 1);
  mu_alpha ~ normal(0, 10);
  beta ~ normal(0, 10);
  alpha_raw ~ normal(0, 1);
  log_radon ~ normal(alpha[county_idx] + beta * floor_measure, sigma_y);
}
