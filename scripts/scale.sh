#!/usr/bin/env bash
# Measures govi at scale (issue 10) and prints the numbers docs/scale.md
# reports:
#   1. numeric CSV parsing, MB/s at GOMAXPROCS 1 and 2 (BenchmarkReadNumericCSV);
#   2. end to end `govi fit` on the 100,000 × 100 logistic regression CSV,
#      mean-field and full-rank: wall time, and the fit alone (summary.json);
#   3. a 10,000,000-row fit streamed from CSV and from Parquet
#      (--batch-size): wall time, peak RSS (/usr/bin/time -v), rows/s, and
#      its means and sds against the in-memory fit of the same rows (same
#      seed, 250 draws on both sides); then each file again with the
#      default draws, for the diagnostics' cost against the fit;
#   4. rows/s of the streamed fit at GOMAXPROCS 1 and 2 (1,000,000 rows,
#      3 epochs, 5 alternating rounds), and BenchmarkMinibatchStream;
#   5. a bad cell at data row 9,000,000 of a 10,000,000-row file, CSV and
#      Parquet: the message, the exit code, the time to it, and that no
#      output directory is left.
# Files are generated with tools/synth in a temporary directory, removed
# at the end; nothing is written to the repository. It takes 10–30
# minutes and about 3 GB of disk. Usage: scripts/scale.sh [rows]
# (default 10000000; a smaller number gives a quick run of the same steps).
set -euo pipefail
cd "$(dirname "$0")/.."
big=${1:-10000000}
# SCALE_SECTIONS="2 4" runs only those sections (default: all five).
sections=${SCALE_SECTIONS:-1 2 3 4 5}
want() { [[ " $sections " == *" $1 "* ]]; }
batch=8192

if [[ ! -x /usr/bin/time ]]; then
	echo "installing GNU time for peak RSS" >&2
	apt-get install -y time >/dev/null
fi
command -v jq >/dev/null || { echo "scale.sh needs jq" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/govi-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/govi" ./cmd/govi
go build -o "$tmp/synth" ./tools/synth
govi=$tmp/govi
synth=$tmp/synth

say() { printf '%s\n' "$*"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# spin: the CPU a program spinning on two goroutines for about a second
# gets ("200%" when both cores are free): what the machine, shared with
# others, gives a two-core run at the moment.
mkdir "$tmp/spin"
cat >"$tmp/spin/main.go" <<'EOF'
package main

import "sync"

func main() {
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0.0
			for i := 0; i < 1e9; i++ {
				x += 1e-9
			}
			_ = x
		}()
	}
	wg.Wait()
}
EOF
(cd "$tmp/spin" && go mod init spin >/dev/null 2>&1 && go build -o spin .)
spin() { /usr/bin/time -f %P "$tmp/spin/spin" 2>&1; }

# timed NAME CMD...: runs CMD under /usr/bin/time -v with stdout and
# stderr in $tmp/NAME.out and $tmp/NAME.err; sets rc, wall (s), rss (MB)
# and cpu (the CPU it got, "%": 200% is both cores throughout).
timed() {
	local name=$1
	shift
	rc=0
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = 60 * s + p[i]; print s}' "$tmp/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$tmp/$name.time")
	cpu=$(awk -F': ' '/Percent of CPU/ {print $2}' "$tmp/$name.time")
}

# fitsecs DIR: the fit phase's seconds in DIR/summary.json.
fitsecs() { jq -r '[.phases[] | select(.name == "fit") | .seconds][0] | . * 100 | round / 100' "$1/summary.json"; }
# phases FILE: the phases' seconds in a summary.json.
phases() { jq -c '[.phases[] | {(.name): (.seconds * 100 | round / 100)}] | add' "$1"; }

say "# govi scale measurements"
say "date: $(date -u +%FT%TZ)  host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)  load at start: $(load)"
say "go: $(go version | cut -d' ' -f3)  commit: $(git rev-parse --short HEAD)  two-core spin gets: $(spin)"
say

if want 1; then
say "## 1. Numeric CSV parsing (BenchmarkReadNumericCSV, 20000 × 101, target ≥ 200 MB/s)"
go test -run '^$' -bench 'ReadNumericCSV$' -benchtime 10x -count 3 -cpu 1,2 ./data/ |
	awk '/^BenchmarkReadNumericCSV/ {cpu = ($1 ~ /-2$/) ? 2 : 1; for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s") v[cpu] = v[cpu] " " $i}
	END {printf "GOMAXPROCS 1: MB/s%s\nGOMAXPROCS 2: MB/s%s\n", v[1], v[2]}'
say "load: $(load)"
say

fi
if want 2; then
say "## 2. End to end on the 100,000 × 100 logistic regression (target ≤ 4 s on 2 cores)"
"$synth" -rows 100000 -cols 100 -out "$tmp/l100k.csv" >/dev/null
say "file: $(du -m "$tmp/l100k.csv" | cut -f1) MB"
# Three rounds, the families alternating, so that both see the same load.
for rep in 1 2 3; do
	for approx in meanfield fullrank; do
		rm -rf "$tmp/e2e-$approx"
		timed "e2e-$approx" "$govi" fit --data "$tmp/l100k.csv" --formula "y ~ ." --family bernoulli --approx "$approx" --quiet --out "$tmp/e2e-$approx"
		[[ $rc == 0 ]] || { cat "$tmp/e2e-$approx.err"; exit 1; }
		s=$tmp/e2e-$approx/summary.json
		say "run $rep, $approx: wall ${wall} s (CPU $cpu), fit alone $(fitsecs "$tmp/e2e-$approx") s, peak RSS ${rss} MB, draws $(jq .draws "$s"), phases $(phases "$s"), verdict $(jq -r .diagnostics.verdict "$s"); load $(load)"
	done
done
rm -f "$tmp/l100k.csv"
say

fi

# The predictors by name: a Parquet file from tools/synth has its columns
# sorted by name, and "y ~ ." would order the coefficients, and so the
# draws, differently from the CSV file's.
f10="y ~ $(printf 'x%d + ' {1..9})x10"

if want 3; then
say "## 3. ${big} rows streamed (--batch-size $batch; targets: RSS < 500 MB, means within 0.2 sd, sds within 10%)"
"$synth" -rows "$big" -cols 10 -out "$tmp/big.csv" >/dev/null
"$synth" -rows "$big" -cols 10 -format parquet -out "$tmp/big.parquet" >/dev/null
say "files: CSV $(du -m "$tmp/big.csv" | cut -f1) MB, Parquet $(du -m "$tmp/big.parquet" | cut -f1) MB"
# The reference: the in-memory fit of the same rows (from Parquet, the
# faster read), with the same seed. The accuracy runs fix --draws 250 on
# both sides: the same seed then gives the same standard normals, so the
# draws' Monte Carlo error is common to both and the comparison measures
# the fits. A second streamed run of each file lets the command choose its
# draws (the default), which shows what the diagnostics cost against the fit.
timed ref "$govi" fit --data "$tmp/big.parquet" --formula "$f10" --family bernoulli --memory 1T --draws 250 --quiet --out "$tmp/ref"
[[ $rc == 0 ]] || { cat "$tmp/ref.err"; exit 1; }
say "in memory (reference, 250 draws): wall ${wall} s (CPU $cpu), fit $(fitsecs "$tmp/ref") s, peak RSS ${rss} MB, phases $(phases "$tmp/ref/summary.json"); load $(load)"
for fmt in csv parquet; do
	for draws in 250 auto; do
		flags=(--draws "$draws")
		[[ $draws == auto ]] && flags=()
		out=$tmp/s-$fmt-$draws
		timed "s-$fmt-$draws" "$govi" fit --data "$tmp/big.$fmt" --formula "$f10" --family bernoulli --batch-size "$batch" "${flags[@]}" --out "$out"
		[[ $rc == 0 ]] || { cat "$tmp/s-$fmt-$draws.err"; exit 1; }
		s=$out/summary.json
		fit=$(fitsecs "$out")
		epochs=$(grep -o '([0-9]* epochs*)' "$tmp/s-$fmt-$draws.err" | tr -dc 0-9)
		rate=$(jq -r --argjson b "$batch" --argjson f "$fit" '.iterations * $b / $f | round' "$s")
		line="$fmt, $draws draws: wall ${wall} s (CPU $cpu), fit $fit s, peak RSS ${rss} MB, $(jq -r .stop "$s") after $(jq .iterations "$s") batches ($epochs epochs), $rate rows/s"
		if [[ $draws == 250 ]]; then
			line+="; $(jq -r -s '(.[1].parameters | map({(.name): .}) | add) as $ref | .[0].parameters
				| map($ref[.name] as $r | {z: ((.mean - $r.mean) / $r.sd | fabs), r: ((.sd / $r.sd) - 1 | fabs)})
				| "max |Δmean|/sd \(map(.z) | max * 1000 | round / 1000), max |sd ratio − 1| \(map(.r) | max * 1000 | round / 1000)"' "$s" "$tmp/ref/summary.json")"
		else
			line+="; draws $(jq .draws "$s"), log p standard error $(jq -r '[(.notes + .warnings)[]? | capture("standard error at most (?<se>[^ ]+ nats)")? | .se] | first // "none (exact)"' "$s")"
		fi
		say "$line; phases $(phases "$s"), verdict $(jq -r .diagnostics.verdict "$s"); load $(load)"
	done
done
rm -f "$tmp/big.csv" "$tmp/big.parquet"
rm -rf "$tmp/ref" "$tmp"/s-*-250 "$tmp"/s-*-auto
say

fi
if want 4; then
say "## 4. Rows/s of the streamed fit at GOMAXPROCS 1 and 2 (1,000,000 rows, 3 epochs, best of 5 alternating runs; target ≥ 1.8×)"
"$synth" -rows 1000000 -cols 10 -format parquet -out "$tmp/m.parquet" >/dev/null
declare -A best all pct
for rep in 1 2 3 4 5; do
	for p in 1 2; do
		rm -rf "$tmp/p$p"
		timed "p$p" env GOMAXPROCS=$p "$govi" fit --data "$tmp/m.parquet" --formula "$f10" --family bernoulli --batch-size "$batch" --epochs 3 --quiet --out "$tmp/p$p"
		[[ $rc == 0 ]] || { cat "$tmp/p$p.err"; exit 1; }
		f=$(fitsecs "$tmp/p$p")
		r=$(jq -r --argjson b "$batch" --argjson f "$f" '.iterations * $b / $f | round' "$tmp/p$p/summary.json")
		all[$p]="${all[$p]:-} $r"
		pct[$p]=$cpu
		if ((r > ${best[$p]:-0})); then best[$p]=$r; fi
	done
	a=$(echo "${all[1]}" | awk '{print $NF}') b=$(echo "${all[2]}" | awk '{print $NF}')
	say "run $rep: GOMAXPROCS 1 $a rows/s (CPU ${pct[1]}), GOMAXPROCS 2 $b rows/s (CPU ${pct[2]}), ratio $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}'); two-core spin gets $(spin)"
done
say "best: GOMAXPROCS 1 ${best[1]} rows/s, GOMAXPROCS 2 ${best[2]} rows/s; ratio $(awk -v a="${best[1]}" -v b="${best[2]}" 'BEGIN {printf "%.2f", b / a}')"
rm -f "$tmp/m.parquet"
# The same fit in memory, without the file's decoding (BenchmarkMinibatchStream).
go test -run '^$' -bench 'MinibatchStream$' -benchtime 2x -count 3 -cpu 1,2 . |
	awk '/^BenchmarkMinibatchStream/ {cpu = ($1 ~ /-2$/) ? 2 : 1; for (i = 1; i <= NF; i++) if ($(i+1) == "rows/s") {v[cpu] = v[cpu] " " $i; if ($i > b[cpu]) b[cpu] = $i}}
	END {printf "BenchmarkMinibatchStream rows/s: GOMAXPROCS 1%s; GOMAXPROCS 2%s; best ratio %.2f\n", v[1], v[2], b[2] / b[1]}'
say

fi
if want 5; then
say "## 5. A bad cell at data row 9,000,000 (line 9,000,001)"
bad=$((big * 9 / 10))
for fmt in csv parquet; do
	"$synth" -rows "$big" -cols 10 -format "$fmt" -bad-row "$bad" -out "$tmp/bad.$fmt" >/dev/null
	timed "bad-$fmt" "$govi" fit --data "$tmp/bad.$fmt" --formula "y ~ ." --family bernoulli --batch-size "$batch" --quiet --out "$tmp/bad-out-$fmt"
	left=no
	[[ -e $tmp/bad-out-$fmt ]] && left=yes
	say "$fmt: exit $rc after ${wall} s, output directory left: $left"
	say "  $(tail -n 1 "$tmp/bad-$fmt.err")"
	rm -f "$tmp/bad.$fmt"
done
say
fi
say "load at end: $(load)  two-core spin gets: $(spin)"
