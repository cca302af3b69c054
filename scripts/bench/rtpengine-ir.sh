#!/usr/bin/env bash
# Instructions Osprey adds per rtpengine offer/answer pair (flags parsed, NG request encoded,
# rtpengine's answer decoded, message rebuilt with the new SDP, for the INVITE and its 200),
# counted by callgrind inside offerAnswerLoop() of test/bench/rtpengine_bench.cpp. The three
# exchanges' system calls (sendmsg, poll, recvfrom) come on top.
#   BUILD [build/release-fm]   N [20000]
set -euo pipefail
BUILD=${BUILD:-build/release-fm}
N=${N:-20000}
command -v valgrind >/dev/null || { echo "valgrind is needed (scripts/deps.sh --bench)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --toggle-collect=offerAnswerLoop --callgrind-out-file="$out/cg" \
    "$BUILD/bench/rtpengine_bench" --ir-loop="$N" >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
ir=$(awk '/^totals:/ {print $2}' "$out/cg")
[[ -n "$ir" ]] || { echo "no callgrind total" >&2; exit 1; }
echo "rtpengine offer/answer pair: $((ir / (N + 1))) instructions in Osprey (callgrind, $N pairs)"
