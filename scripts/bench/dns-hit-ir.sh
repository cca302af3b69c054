#!/usr/bin/env bash
# Instructions per DNS cache hit (dns::lookup of a cached name), counted by callgrind: the
# benchmark binary does N hits inside dnsHitLoop() and callgrind collects inside it only.
#   BUILD [build/release-fm]   N [100000]
set -euo pipefail
BUILD=${BUILD:-build/release-fm}
N=${N:-100000}
command -v valgrind >/dev/null || { echo "valgrind is needed (scripts/deps.sh --bench)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --toggle-collect=dnsHitLoop --callgrind-out-file="$out/cg" \
    "$BUILD/bench/dns_bench" --hit-loop="$N" >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
ir=$(awk '/^totals:/ {print $2}' "$out/cg")
[[ -n "$ir" ]] || { echo "no callgrind total" >&2; exit 1; }
echo "dns cache hit: $((ir / N)) instructions per lookup (callgrind, $N hits)"
