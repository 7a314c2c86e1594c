#!/usr/bin/env bash
# Training throughput of the 64-100-100-10 ReLU network (17,610 weights)
# on shared/data/digits.csv, batches of 128 rows:
#   - govi: BenchmarkTrainDigits (package bnn), one Adam step and one
#     ELBO-and-gradient evaluation per op, for LocalReparam and Moments at
#     GOMAXPROCS 1 and 2 (the best of COUNT runs);
#   - PyTorch: bench/bbb_digits.py, Bayes by Backprop with the local
#     reparameterization trick, at torch.set_num_threads(1) and (2);
# then the ratio of govi's best to PyTorch's best, and both held-out
# accuracies and test log-likelihoods (TestDigits; bbb_digits.py's
# 200-epoch run).
# Usage: bench/bnn.sh [count]   (default 3; PYTHON overrides /usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
py=${PYTHON:-/usr/bin/python3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== govi (go test -bench TrainDigits -cpu 1,2 -count $count ./bnn)"
go test -run '^$' -bench 'TrainDigits' -benchtime 3s -count "$count" -cpu 1,2 ./bnn | tee "$out"
echo
echo "== PyTorch ($py bench/bbb_digits.py)"
"$py" bench/bbb_digits.py | tee -a "$out"
echo
echo "== held-out accuracy of govi (go test -run TestDigits ./bnn)"
go test -run 'TestDigits$' -v ./bnn | grep -E 'accuracy|SKIP|ok|FAIL' || true
echo
awk '
/^BenchmarkTrainDigits\// {
	split($1, a, "/"); name = a[2]; procs = 1
	if (name ~ /-[0-9]+$/) { n = split(name, b, "-"); procs = b[n]; name = b[1] }
	for (i = 1; i <= NF; i++) if ($(i+1) == "examples/s") v = $i + 0
	k = name " " procs
	if (v > best[k]) best[k] = v
	if (name == "lrt" && v > govi) govi = v
}
/^threads [0-9]+:/ { t = $2; sub(":", "", t); v = $3 + 0; torch[t] = v; if (v > pt) pt = v }
END {
	printf "%-24s %14s %14s\n", "examples/s", "1 core/thread", "2 cores/threads"
	printf "%-24s %14.0f %14.0f\n", "govi LocalReparam", best["lrt 1"], best["lrt 2"]
	printf "%-24s %14.0f %14.0f\n", "govi Moments", best["moments 1"], best["moments 2"]
	printf "%-24s %14.0f %14.0f\n", "PyTorch BBB (LRT)", torch[1], torch[2]
	if (pt > 0) printf "govi LocalReparam best / PyTorch best: %.2f\n", govi / pt
}' "$out"
