#!/usr/bin/env bash
# Runs govi's benchmarks: one ELBO-and-gradient evaluation per estimator,
# family and likelihood (N = 5000, d = 21), the large passes (N = 100000,
# d = 101), and whole fits (wells; the anchors' N = 100000, d = 101
# logistic regression; one problem under three optimizers). Numbers go to
# stdout in `go test -bench` format (benchstat reads it).
# Usage: scripts/bench.sh [count]   (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1}
go test -run '^$' -bench 'ELBOGrad|Likelihoods|LargePasses' -benchmem -count "$count" ./elbo/
go test -run '^$' -bench 'FitWells|FitMethods|FitLogistic100k' -benchtime 3x -count "$count" .
