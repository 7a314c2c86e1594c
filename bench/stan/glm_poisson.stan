// GLM_Poisson_Data-GLM_Poisson_model, from its model.md: uniform priors on
// bounded intervals (no prior statements).
data {
  int<lower=0> n;
  int<lower=0> C[n];
  vector[n] year;
}
transformed data {
  vector[n] year2 = year .* year;
  vector[n] year3 = year .* year2;
}
parameters {
  real<lower=-20, upper=20> alpha;
  real<lower=-10, upper=10> beta1;
  real<lower=-10, upper=10> beta2;
  real<lower=-10, upper=10> beta3;
}
model {
  C ~ poisson_log(alpha + beta1 * year + beta2 * year2 + beta3 * year3);
}
