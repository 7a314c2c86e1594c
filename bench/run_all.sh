#!/usr/bin/env bash
# The side-by-side benchmark: govi against Stan (rstanarm, rstan) on the
# shared posteriordb posteriors and generated logistic regressions, and
# against PyTorch on the digits network (bench/bnn.sh). See docs/benchmark.md.
#
# Usage: bench/run_all.sh [--quick] [--results DIR] [--seeds N] [--budget MIN]
#                         [--no-big-sampling] [--no-bnn] [--no-install]
#   --quick            1 seed, a handful of posteriors, the N = 1e4 regressions
#                      (about 6 minutes on 2 cores); the report goes to DIR only
#   --results DIR      raw results, problems and the report (default /tmp/govi-bench)
#   --seeds N          seeds per VI method (default 5)
#   --budget MIN       stop starting new fits after MIN minutes (default 90);
#                      fits not run are recorded as skipped and reported
#   --no-big-sampling  no NUTS on the regressions with N*d > 1e6 (their
#                      reference is then missing: say so, see the report)
# A full run (not --quick) writes docs/benchmark.md and docs/benchmark.svg.
# Rerunning with the same DIR resumes: fits already in DIR/runs.jsonl are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 res=/tmp/govi-bench seeds=5 budget=90 big_sampling=TRUE bnn=1 install=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--results) res=$2; shift ;;
	--seeds) seeds=$2; shift ;;
	--budget) budget=$2; shift ;;
	--no-big-sampling) big_sampling=FALSE ;;
	--no-bnn) bnn=0 ;;
	--no-install) install=0 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "run_all.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
start=$(date +%s)
deadline=$((start + budget * 60))

# Install what is missing (Debian). rstanarm's models come precompiled;
# rstan compiles the programs of bench/stan/ with the system's Boost.
if [ "$install" = 1 ]; then
	pkgs=()
	if ! Rscript -e 'library(rstanarm); library(rstan); library(loo); library(jsonlite); library(data.table)' >/dev/null 2>&1; then
		pkgs+=(r-base-core r-cran-rstanarm r-cran-rstan r-cran-loo r-cran-jsonlite r-cran-data.table libboost-dev)
	fi
	if [ "$bnn" = 1 ] && ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
		pkgs+=(python3-torch python3-numpy)
	fi
	if [ ${#pkgs[@]} -gt 0 ]; then
		echo "== installing ${pkgs[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"
	fi
fi

mkdir -p "$res/bin"
res=$(cd "$res" && pwd)
echo "== results in $res"
go build -o "$res/bin/govi" ./cmd/govi

if [ "$quick" = 1 ]; then
	seeds=1
	only=eight_schools-eight_schools_centered,kidiq-kidscore_momiq,kilpisjarvi_mod-kilpisjarvi,wells_data-wells_dist,radon_mn-radon_variable_intercept_centered,seeds_data-seeds_stanified_model
	synth=10000x20,10000x100
else
	only=
	synth=10000x20,10000x100,100000x20,100000x100
fi
go run ./bench/govibench -out "$res/problems" -only "$only" -synth "$synth"

# What else ran on the machine: the benchmark shares it.
{
	echo "start $(date -u +%FT%TZ)"
	echo "nproc $(nproc)"
	echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "go $(go version)"
	echo "settings quick=$quick seeds=$seeds budget_min=$budget big_sampling=$big_sampling bnn=$bnn"
} >"$res/machine.txt"

Rscript bench/run.R "$res" "$res/bin/govi" seeds="$seeds" chains=4 deadline="$deadline" big_sampling="$big_sampling" 2>&1 | tee -a "$res/run.log"

if [ "$bnn" = 1 ]; then
	echo "== neural network: govi against PyTorch Bayes by Backprop (bench/bnn.sh)"
	bench/bnn.sh "$([ "$quick" = 1 ] && echo 1 || echo 3)" 2>&1 | tee "$res/bnn.txt"
fi
echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$res/machine.txt"
echo "end $(date -u +%FT%TZ) elapsed_s $(($(date +%s) - start))" >>"$res/machine.txt"

if [ "$quick" = 1 ]; then
	go run ./bench/report -results "$res" -o "$res/benchmark.md" -svg "$res/benchmark.svg"
else
	go run ./bench/report -results "$res" -o docs/benchmark.md -svg docs/benchmark.svg
fi
