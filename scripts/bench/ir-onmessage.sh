#!/usr/bin/env bash
# ir-onmessage.sh SCENARIO N RATE CMD...
# User-space instructions per request spent in the per-message path (route::onMessage: parse,
# Lua script, stateless forward or tm relay, reply handling), counted by callgrind with
# --toggle-collect, so start-up, idle loops, timers and shutdown do not enter and the load of
# the machine cannot move the figure (as long as no request fails: check fail= and timeout=).
# CMD runs the router in the foreground (listening on 127.0.0.1:$ROUTER_PORT, relaying to
# osprey-load's UAS on 127.0.0.1:$UAS_PORT) under valgrind with every child traced. It gets N
# requests at RATE/s; for `lookup`, 1000 registrations first, not counted.
#   SIPLOAD   the load tool [build/release-fm/bench/osprey-load, built by make]
#   ROUTER_PORT, UAS_PORT   default 5070 and 5090 (scripts/bench/*.cfg and *.lua use those)
# Prints: onmessage_ir_per_req=X and the load tool's RESULT line.
# Example: scripts/bench/ir-onmessage.sh options 1000 50 \
#              build/release-fm/osprey -D -E -f scripts/bench/stateless.cfg
set -u
[ $# -ge 4 ] || { sed -n '2,14p' "$0"; exit 2; }
SIPLOAD=${SIPLOAD:-$(cd "$(dirname "$0")/../.." && pwd)/build/release-fm/bench/osprey-load}
[ -x "$SIPLOAD" ] || { echo "no load tool at $SIPLOAD (make, or set SIPLOAD)"; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed"; exit 2; }
scen=$1 n=$2 rate=$3; shift 3
rport=${ROUTER_PORT:-5070} uport=${UAS_PORT:-5090}
work=$(mktemp -d)
valgrind --tool=callgrind --trace-children=yes --toggle-collect='osprey::route::onMessage*' \
    --callgrind-out-file="$work/cg.%p" "$@" >"$work/router.log" 2>&1 &
rp=$!
sleep 8
"$SIPLOAD" uas -l 127.0.0.1:$uport -d 200 >"$work/uas.log" 2>&1 &
up=$!
sleep 0.5
if [ "$scen" = lookup ]; then
    "$SIPLOAD" uac -t 127.0.0.1:$rport -u 127.0.0.1:$uport -s register -n 1000 -K 1000 -w 16 \
        -d 60 -T 5000 >/dev/null 2>&1
    # Counting starts after the registrations (this router's processes only).
    for pid in $rp $(pgrep -P $rp); do callgrind_control -z $pid >/dev/null 2>&1; done
fi
res=$("$SIPLOAD" uac -t 127.0.0.1:$rport -u 127.0.0.1:$uport -s "$scen" -r "$rate" -n "$n" \
    -d 100 -T 5000 -w 64 -K 1000 2>&1 | grep RESULT)
kill -TERM "$rp" 2>/dev/null
for _ in $(seq 1 150); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$rp" 2>/dev/null
kill -TERM "$up" 2>/dev/null
wait "$rp" "$up" 2>/dev/null
tot=$(cat "$work"/cg.* 2>/dev/null | awk '/^totals:/ {s += $2} END {print s + 0}')
echo "onmessage_ir_per_req=$((tot / n)) $res"
rm -rf "$work"
