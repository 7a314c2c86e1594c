# Checks that rstan reads a draws.csv written by govi fit: with warnings
# turned into errors, rstan::read_stan_csv must read it, see the group-level
# effects r_g as an array of levels x coefficients, give the draws the file
# holds (the first row, the mean of the approximation, left out), and
# summarize them.
#
# Usage: Rscript check_rstan_csv.R draws.csv summary.json GROUP LEVELS COEFS
#
# Exits non-zero on any warning or failed check (scripts/check_rstan_csv.sh
# runs it on fits of the radon example).
options(warn = 2)
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 5)
csv_file <- args[1]
group <- args[3]
dims_want <- as.integer(args[4:5])
suppressPackageStartupMessages(library(rstan))

fit <- rstan::read_stan_csv(csv_file)

# Group-level effects are one array per grouping factor, levels x coefs.
r <- paste0("r_", group)
dims <- fit@par_dims[[r]]
if (!identical(as.integer(dims), dims_want)) {
  stop(sprintf("%s has dims %s, want %s", r, paste(dims, collapse = "x"), paste(dims_want, collapse = "x")))
}
for (p in c("b_Intercept", "sigma", paste0("sd_", group, "__Intercept"))) {
  if (!p %in% fit@model_pars) stop(sprintf("no parameter %s (have %s)", p, paste(fit@model_pars, collapse = ", ")))
}

# The draws are the file's rows after the first (the mean of q).
plain <- read.csv(csv_file, comment.char = "#")
draws <- as.matrix(fit)
if (nrow(draws) != nrow(plain) - 1) stop(sprintf("%d draws, the file has %d rows after the mean", nrow(draws), nrow(plain) - 1))
last <- sprintf("%s[%d,%d]", r, dims_want[1], dims_want[2])
col <- sprintf("%s.%d.%d", r, dims_want[1], dims_want[2])
if (!isTRUE(all.equal(unname(draws[, last]), plain[[col]][-1]))) stop(sprintf("%s differs from column %s", last, col))

# summary(). rstan 2.21 summarizes a fit whose CSV says method = variational
# (as CmdStan's and govi's do) with the PSIS diagnostics that rstan::vb keeps
# in memory and read_stan_csv cannot fill in (summary() fails with "dims do
# not match the length of object" on any CmdStan variational CSV). Add them
# from log_p__ and log_g__ as rstan::vb does without importance resampling.
as_vb <- function(fit) {
  s <- as.data.frame(fit@sim$samples[[1]])
  lr <- s$log_p__ - s$log_g__
  lr[lr == -Inf] <- -800
  khat <- suppressWarnings(sapply(s, function(col) {
    if (all(is.finite(col))) loo::psis(log1p(col^2) / 2 + lr, r_eff = 1)$diagnostics$pareto_k else NaN
  }))
  nan <- rep(NaN, length(khat))
  fit@sim$diagnostics <- list(theta_pareto_k = khat, mcse = nan, n_eff = nan)
  fit
}
s <- summary(as_vb(fit))$summary
want <- colMeans(plain[-1, gsub("[][,]", ".", sub("\\]$", "", rownames(s)))])
if (!isTRUE(all.equal(unname(s[, "mean"]), unname(want)))) stop("summary means differ from the means of the draws")

# And govi's own summary agrees.
js <- jsonlite::fromJSON(args[2])$parameters
m <- setNames(js$mean, js$name)
if (!isTRUE(all.equal(unname(s["b_Intercept", "mean"]), m[["b_Intercept"]]))) stop("b_Intercept mean differs from summary.json")

cat(sprintf("%s: read by rstan %s without warnings; %d draws, %d parameters, %s is %s; summary() ok\n",
  csv_file, packageVersion("rstan"), nrow(draws), length(fit@model_pars), r, paste(dims, collapse = " x ")))
print(round(s[c("b_Intercept", "b_floor", "sigma", paste0("sd_", group, "__Intercept"), sprintf("%s[1,1]", r)), c("mean", "sd", "2.5%", "50%", "97.5%", "khat")], 3))
