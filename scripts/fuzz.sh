#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for FUZZTIME each (default
# 60s): the CSV reader (data.ReadCSV, through its public API), the Parquet
# reader (data.ReadFile and data.Open on arbitrary bytes), the formula
# parser, the prior parser and the spec.json reader. A crashing input is
# kept by Go under the package's testdata/fuzz/<Target>/, where plain
# `go test` replays it from then on: commit it with the fix.
#
# Usage: scripts/fuzz.sh [FUZZTIME]     e.g. scripts/fuzz.sh 5m
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-${FUZZTIME:-60s}}
targets=(
	"./data FuzzReadCSV"
	"./data FuzzReadCSVPublic"
	"./data FuzzReadParquet"
	"./formula FuzzParse"
	"./prior FuzzParse"
	"./spec FuzzSpec"
)
status=0
for t in "${targets[@]}"; do
	set -- $t
	echo "== $2 in $1 for $time"
	if ! go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$time" -parallel 2; then
		echo "!! $2 in $1 found a failing input (kept under $1/testdata/fuzz/$2/)"
		status=1
	fi
done
exit $status
