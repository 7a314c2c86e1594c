# The benchmark's driver (called by bench/run_all.sh): for every problem
# written by bench/govibench, every seed and every system, one fit, one
# JSON line in RESULTS/runs.jsonl. R drives govi too, so that the systems
# can alternate within a seed (machine drift then hits them alike) and so
# that R and rstanarm are loaded once: R's own start-up is reported apart
# (startup.json) and is not in any run's end-to-end time.
#
# Usage: Rscript bench/run.R RESULTS GOVI_BINARY [key=value ...]
#   seeds=5 chains=4 deadline=EPOCH_SECONDS big_sampling=TRUE
#   problems=a,b (default: RESULTS/problems/problems.txt)
t_start <- Sys.time()
suppressPackageStartupMessages({
  library(rstanarm)
  library(rstan)
  library(loo)
  library(jsonlite)
  library(data.table)
})
t_loaded <- Sys.time()

args <- commandArgs(trailingOnly = TRUE)
res_dir <- normalizePath(args[1])
govi_bin <- normalizePath(args[2])
opt <- list(seeds = "5", chains = "4", deadline = "Inf", big_sampling = "TRUE", problems = "")
for (a in args[-(1:2)]) {
  kv <- strsplit(a, "=", fixed = TRUE)[[1]]
  opt[[kv[1]]] <- paste(kv[-1], collapse = "=")
}
seeds <- seq_len(as.integer(opt$seeds))
chains <- as.integer(opt$chains)
deadline <- as.numeric(opt$deadline)
big_sampling <- as.logical(opt$big_sampling)
prob_dir <- file.path(res_dir, "problems")
problems <- if (nzchar(opt$problems)) strsplit(opt$problems, ",")[[1]] else readLines(file.path(prob_dir, "problems.txt"))
runs_file <- file.path(res_dir, "runs.jsonl")
rstan_options(auto_write = FALSE)
options(mc.cores = 2)

writeLines(toJSON(list(r_load_s = as.numeric(t_loaded - t_start, units = "secs"),
  r = R.version.string, rstanarm = as.character(packageVersion("rstanarm")),
  rstan = as.character(packageVersion("rstan")), loo = as.character(packageVersion("loo")),
  cores = parallel::detectCores()), auto_unbox = TRUE), file.path(res_dir, "startup.json"))

emit <- function(rec) {
  cat(toJSON(rec, auto_unbox = TRUE, digits = NA, na = "null", null = "null"), "\n", sep = "", file = runs_file, append = TRUE)
}
done <- character(0)
if (file.exists(runs_file)) {
  for (l in readLines(runs_file)) {
    r <- tryCatch(fromJSON(l), error = function(e) NULL)
    if (!is.null(r) && is.null(r$skipped)) done <- c(done, paste(r$problem, r$system, r$seed))
  }
}
secs <- function(t0) as.numeric(Sys.time() - t0, units = "secs")

# Means and sds of the reference parameters, each a sum of draw columns.
summarise <- function(draws, params, which) {
  m <- s <- list()
  for (i in seq_len(nrow(params))) {
    cols <- params[[which]][[i]]
    miss <- setdiff(cols, colnames(draws))
    if (length(miss)) stop("no draws of ", paste(miss, collapse = ", "))
    v <- rowSums(draws[, cols, drop = FALSE])
    m[[params$ref[i]]] <- mean(v)
    s[[params$ref[i]]] <- sd(v)
  }
  list(mean = m, sd = s)
}

# Stan's "may not have converged" and similar texts, from warnings and
# from what the C++ side printed.
nonconverged <- function(text) any(grepl("may not have converged|maximum number of iterations", text, ignore.case = TRUE))

# Compiled Stan programs, cached under RESULTS by the program's md5 so that
# a second run (e.g. after --quick) does not compile again.
compiled <- list()
stan_model_cached <- function(path) {
  if (!is.null(compiled[[path]])) return(compiled[[path]])
  cache <- file.path(res_dir, "stan-cache")
  dir.create(cache, showWarnings = FALSE)
  rds <- file.path(cache, paste0(tools::md5sum(path), ".rds"))
  t0 <- Sys.time()
  if (file.exists(rds)) {
    m <- readRDS(rds)
    cached <- TRUE
  } else {
    # Debian's BH is a virtual package without include/: point rstan at
    # the system's Boost headers (libboost-dev) instead.
    boost <- if (!file.exists(rstan_options("boost_lib")) && dir.exists("/usr/include/boost")) "/usr/include"
    m <- stan_model(path, boost_lib = boost)
    saveRDS(m, rds)
    cached <- FALSE
  }
  emit(list(kind = "compile", program = basename(path), seconds = secs(t0), cached = cached))
  compiled[[path]] <<- m
  m
}

khat_of <- function(sf) {
  k <- tryCatch(sf@sim$diagnostics$psis$pareto_k, error = function(e) NULL)
  if (is.null(k)) NA else k
}

run_stan <- function(p, alg, seed) {
  st <- p$stan
  rec <- list()
  out <- character(0)
  warns <- character(0)
  # Compile (or load the cached program) before the clock starts: compile
  # time is reported apart, in the "compile" records.
  m <- if (st$kind == "rstan") tryCatch(stan_model_cached(st$program), error = function(e) e)
  if (inherits(m, "error")) return(list(error = paste("compile:", conditionMessage(m))))
  t0 <- Sys.time()
  fit <- withCallingHandlers(tryCatch({
    if (st$kind == "rstanarm") {
      dat <- fread(file.path(prob_dir, p$data), data.table = FALSE)
      a <- list(formula = as.formula(st$formula), data = dat, family = eval(parse(text = st$family)),
                algorithm = alg, seed = seed)
      for (k in names(st$args)) a[[k]] <- eval(parse(text = st$args[[k]]))
      if (alg == "sampling") {
        a$chains <- chains; a$cores <- 2
        # The big regressions (N*d > 1e6): 2 chains of 300 warm-up + 300
        # draws, so that the reference fits in the time budget.
        if (p$rows * length(p$params$ref) > 1e6) { a$chains <- 2; a$iter <- 600 }
      }
      t1 <- Sys.time()
      out <- capture.output(f <- do.call(stan_glm, a))
      rec$fit_s <- secs(t1)
      draws <- as.matrix(f)
      sf <- f$stanfit
    } else {
      dat <- fromJSON(st$stan_data)
      t1 <- Sys.time()
      if (alg == "sampling") {
        out <- capture.output(sf <- sampling(m, data = dat, chains = chains, cores = 2, seed = seed))
      } else {
        out <- capture.output(sf <- vb(m, data = dat, algorithm = alg, seed = seed, importance_resampling = TRUE))
      }
      rec$fit_s <- secs(t1)
      draws <- as.matrix(sf)
    }
    rec$e2e_s <- secs(t0)
    s <- summarise(draws, p$params, "stan")
    rec$mean <- s$mean; rec$sd <- s$sd
    if (alg == "sampling") {
      rec$divergences <- get_num_divergent(sf)
      rh <- summary(sf)$summary[, "Rhat"]
      rec$rhat_max <- max(rh, na.rm = TRUE)
      rec$draws <- nrow(draws)
      rec$nonconverged <- rec$rhat_max > 1.01 || rec$divergences > 0
    } else {
      rec$khat <- khat_of(sf)
      rec$nonconverged <- nonconverged(c(out, warns))
    }
    TRUE
  }, error = function(e) {
    rec$error <<- conditionMessage(e)
    rec$e2e_s <<- secs(t0)
    FALSE
  }), warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  rec$warnings <- unique(warns)
  rec
}

run_govi <- function(p, cfg, seed) {
  g <- p$govi
  dir <- tempfile("govi-")
  a <- c("fit", "--data", file.path(prob_dir, p$data), "--formula", g$formula, "--family", g$family)
  for (pr in g$priors) a <- c(a, "--prior", pr)
  a <- c(a, g$flags, "--seed", seed, "--out", dir, "--quiet")
  if (cfg != "default") {
    a <- c(a, "--approx", cfg)
    if (!is.null(g$centered)) a <- c(a, "--parameterization", if (isTRUE(g$centered)) "centered" else "noncentered")
  }
  rec <- list()
  t0 <- Sys.time()
  out <- suppressWarnings(system2(govi_bin, shQuote(a), stdout = TRUE, stderr = TRUE))
  rec$e2e_s <- secs(t0)
  status <- attr(out, "status")
  if (!is.null(status) && status != 0) {
    rec$error <- paste0("exit ", status, ": ", paste(tail(out, 5), collapse = " | "))
    unlink(dir, recursive = TRUE)
    return(rec)
  }
  r <- tryCatch({
    sm <- fromJSON(file.path(dir, "summary.json"), simplifyVector = FALSE)
    d <- read.csv(file.path(dir, "draws.csv"), comment.char = "#", check.names = FALSE)
    d <- as.matrix(d[, -(1:3), drop = FALSE])  # lp__, log_p__, log_g__
    pn <- vapply(sm$parameters, function(x) x$name, "")
    if (ncol(d) != length(pn)) stop("draws.csv has ", ncol(d), " parameters, summary.json ", length(pn))
    colnames(d) <- pn
    s <- summarise(d, p$params, "govi")
    fit_s <- sm$seconds
    for (ph in sm$phases) if (ph$name == "fit") fit_s <- ph$seconds
    list(fit_s = fit_s, mean = s$mean, sd = s$sd, khat = sm$diagnostics$khat,
         khat_summaries = sm$diagnostics$khat_summaries, verdict = sm$diagnostics$verdict,
         approx = sm$approx, nonconverged = !isTRUE(sm$converged), iterations = sm$iterations,
         warnings = unlist(sm$warnings))
  }, error = function(e) list(error = paste("reading the output:", conditionMessage(e))))
  unlink(dir, recursive = TRUE)
  c(rec, r)
}

for (name in problems) {
  p <- fromJSON(file.path(prob_dir, name, "problem.json"))
  pre <- if (p$stan$kind == "rstanarm") "rstanarm" else "rstan"
  stan_sys <- paste0(pre, "-", c("meanfield", "fullrank"))
  govi_sys <- paste0("govi-", c("default", "meanfield", "fullrank"))
  big <- p$rows * length(p$params$ref) > 1e6
  for (seed in seeds) {
    # Alternate: Stan and govi interleaved, the order rotated by the seed.
    a <- c(stan_sys, if (seed == 1) paste0(pre, "-sampling"))
    n <- max(length(a), length(govi_sys))
    sys <- c(rbind(a[seq_len(n)], govi_sys[seq_len(n)]))
    sys <- sys[!is.na(sys)]
    k <- (seed - 1) %% length(sys)
    if (k > 0) sys <- c(sys[-(1:k)], sys[1:k])
    for (s in sys) {
      key <- paste(name, s, seed)
      if (key %in% done) next
      base <- list(kind = "run", problem = name, system = s, seed = seed, time = format(Sys.time(), "%Y-%m-%dT%H:%M:%S"))
      if (as.numeric(Sys.time()) > deadline) {
        emit(c(base, list(skipped = "time budget")))
        next
      }
      if (grepl("sampling", s) && big && !big_sampling) {
        emit(c(base, list(skipped = "sampling dropped for the big regressions")))
        next
      }
      parts <- strsplit(s, "-", fixed = TRUE)[[1]]
      rec <- if (parts[1] == "govi") run_govi(p, parts[2], seed) else run_stan(p, parts[2], seed)
      emit(c(base, rec))
      cat(sprintf("%s %-46s %-18s seed %d  e2e %6.2f s%s\n", format(Sys.time(), "%H:%M:%S"), name, s, seed,
                  if (is.null(rec$e2e_s)) NA else rec$e2e_s, if (!is.null(rec$error)) paste("  ERROR:", substr(rec$error, 1, 80)) else ""))
    }
  }
}
