#!/usr/bin/env bash
# Instructions per dispatcher selection over a set of 100 destinations, per algorithm, counted
# by callgrind: the benchmark binary does N selections inside dsSelectLoop() and callgrind
# collects inside it only (test/bench/dispatcher_bench.cpp). The target is at most 1,000.
# Then the cost algorithm 10 adds per call outside the selection: tracking the call on its
# destination's count and taking it off (loadAssign + loadUnset, dsLoadLoop()).
#   BUILD [build/release-fm]   N [20000]   ALGS ["0 4 6 8 9 10 11 13"]
set -euo pipefail
BUILD=${BUILD:-build/release-fm}
N=${N:-20000}
ALGS=${ALGS:-0 4 6 8 9 10 11 13}
command -v valgrind >/dev/null || { echo "valgrind is needed (scripts/deps.sh --bench)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A names=([0]="hash Call-ID" [4]="round robin" [6]="random" [8]="priority"
                  [9]="weight" [10]="call load" [11]="relative weight" [13]="latency")
printf '| algorithm | instructions per selection (100 destinations) |\n|---|---:|\n'
for alg in $ALGS; do
    valgrind --tool=callgrind --toggle-collect=dsSelectLoop --callgrind-out-file="$out/cg.$alg" \
        "$BUILD/bench/dispatcher_bench" --select-loop="$alg:$N" >"$out/log.$alg" 2>&1 ||
        { cat "$out/log.$alg" >&2; exit 1; }
    ir=$(awk '/^totals:/ {print $2}' "$out/cg.$alg")
    [[ -n "$ir" ]] || { echo "no callgrind total for algorithm $alg" >&2; exit 1; }
    printf '| %s (%s) | %d |\n' "$alg" "${names[$alg]:-?}" $((ir / N))
done
valgrind --tool=callgrind --toggle-collect=dsLoadLoop --callgrind-out-file="$out/cg.load" \
    "$BUILD/bench/dispatcher_bench" --load-loop="$N" >"$out/log.load" 2>&1 ||
    { cat "$out/log.load" >&2; exit 1; }
ir=$(awk '/^totals:/ {print $2}' "$out/cg.load")
printf '\nalgorithm 10 call tracking (a call onto a count and off again): %d instructions per call\n' \
    $((ir / N))
