#!/usr/bin/env bash
# Instructions per pike check, counted by callgrind: the benchmark binary does N checks
# (RateTable::hit for a message's source: key, coarse clock, one bucket) inside pikeCheckLoop()
# and N early-drop probes of a blocked source inside pikeBlockedLoop(); callgrind collects
# inside one function per run.
#   BUILD [build/release-fm]   N [100000]
set -euo pipefail
BUILD=${BUILD:-build/release-fm}
N=${N:-100000}
command -v valgrind >/dev/null || { echo "valgrind is needed (scripts/deps.sh --bench)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {  # $1 function
    valgrind --tool=callgrind --toggle-collect="$1" --callgrind-out-file="$out/cg" \
        "$BUILD/bench/pike_bench" --check-loop="$N" >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
    local ir
    ir=$(awk '/^totals:/ {print $2}' "$out/cg")
    [[ -n "$ir" ]] || { echo "no callgrind total" >&2; exit 1; }
    echo $((ir / N))
}
echo "pike check (4096 sources): $(count pikeCheckLoop) instructions per request (callgrind, $N checks; budget 300)"
echo "pike early-drop probe of a blocked source: $(count pikeBlockedLoop) instructions per message (callgrind, $N probes)"
