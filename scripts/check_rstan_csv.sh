#!/usr/bin/env bash
# Checks that R's rstan reads govi's draws.csv without a warning and sees
# the group-level effects as arrays: fits the radon example (varying
# intercepts by county, then varying intercepts and slopes) with the
# command and runs check_rstan_csv.R on each draws.csv. Needs Go, R and the
# R packages rstan, loo and jsonlite; not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/govi" ./cmd/govi
"$dir/govi" fit --example radon --quiet --out "$dir/intercepts" >/dev/null
Rscript scripts/check_rstan_csv.R "$dir/intercepts/draws.csv" "$dir/intercepts/summary.json" county 85 1
"$dir/govi" fit --example radon --formula "log_radon ~ floor + (1 + floor | county)" --quiet --out "$dir/slopes" >/dev/null
Rscript scripts/check_rstan_csv.R "$dir/slopes/draws.csv" "$dir/slopes/summary.json" county 85 2
echo "check_rstan_csv: ok"
