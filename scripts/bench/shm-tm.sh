#!/usr/bin/env bash
# shm-tm.sh: shm per transaction in tm's wait state (make bench-tm-shm). Osprey runs
# scripts/bench/stateful.cfg (stateful.lua unchanged) with wt_timer raised so that every
# finished transaction stays, and tm's budget off (max_shm_percent = 100); osprey-load sends N
# OPTIONS (one transaction each) and then N calls (INVITE/100/180/200/ACK/BYE/200: two
# transactions each, the INVITE and the BYE) to its UAS. Per scenario it prints the segment's
# real_used growth (the master's "shm:" line on SIGUSR1: what the allocator really gives out,
# headers and rounding included) per live transaction, tm's own count of requested bytes
# (tm.stats shm_bytes / current), and how many such transactions fit in tm's default budget
# (max_shm_percent 60) of the default 64 MiB segment and of the benchmark's 256 MiB.
#
#   scripts/bench/shm-tm.sh
#
# Environment: BUILD [build/release-fm]  N [20000]  PORT [5270] (proxy)  UAS_PORT [5290]
#   OUT [$TMPDIR/osprey-bench/shm-tm-<timestamp>]
#   TM_PARAMS [wt_timer = 600000; max_shm_percent = 100;]  tm's params (an older build without
#             the budget: TM_PARAMS="wt_timer = 600000;")
#   NO_BUILD [unset]: use the binaries in BUILD as they are (another tree's build)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/release-fm}
N=${N:-20000}
PORT=${PORT:-5270}
UAS_PORT=${UAS_PORT:-5290}
TM_PARAMS=${TM_PARAMS:-wt_timer = 600000; max_shm_percent = 100;}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/shm-tm-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
LOAD=$build_dir/bench/osprey-load
CTL=$build_dir/ospreyctl
[ -n "${NO_BUILD:-}" ] || make -C "$root" -j2 BUILD="$BUILD" "$BUILD/bench/osprey-load" "$BUILD/osprey" "$BUILD/ospreyctl" \
    modules >"$OUT/build.log" 2>&1 ||
    { tail -20 "$OUT/build.log" >&2; exit 1; }
for p in "$PORT" "$UAS_PORT"; do
    ss -Hlun "sport = :$p" | grep -q . && { echo "UDP port $p in use (set PORT/UAS_PORT)" >&2; exit 2; }
done

router_pid="" uas_pid=""
stop() {
    [ -n "$router_pid" ] && kill -TERM "$router_pid" 2>/dev/null && wait "$router_pid" 2>/dev/null
    [ -n "$uas_pid" ] && kill -TERM "$uas_pid" 2>/dev/null && wait "$uas_pid" 2>/dev/null
    router_pid="" uas_pid=""
}
trap stop EXIT
wait_port() { for _ in $(seq 1 100); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }

shm_used() {  # real_used of the master's newest shm line, after a SIGUSR1
    local before; before=$(grep -c 'master\[.*shm: total' "$OUT/osprey.log")
    kill -USR1 "$router_pid"
    for _ in $(seq 1 50); do
        [ "$(grep -c 'master\[.*shm: total' "$OUT/osprey.log")" -gt "$before" ] && break; sleep 0.1
    done
    grep 'master\[.*shm: total' "$OUT/osprey.log" | tail -1 | sed 's/.* real_used \([0-9]*\).*/\1/'
}
tm_field() {  # one field of tm.stats
    "$CTL" -s "$OUT/osprey_ctl" -j tm.stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

run() {  # scenario count
    local scen=$1 count=$2 s1 s2 cur bytes
    s1=$(shm_used)
    "$LOAD" uac -t "127.0.0.1:$PORT" -s "$scen" -n "$count" -w 32 -d 300 -u "127.0.0.1:$UAS_PORT" \
        >"$OUT/$scen.log" 2>&1
    grep '^RESULT' "$OUT/$scen.log" | tail -1 >&2
    s2=$(shm_used)
    cur=$(tm_field current)
    bytes=$(tm_field shm_bytes)
    echo "$scen $s1 $s2 $cur $bytes"
}

# One worker, as the throughput benchmarks; transactions stay 10 minutes.
sed -e "s/127.0.0.1:5070/127.0.0.1:$PORT/" -e "s/127.0.0.1:5090/127.0.0.1:$UAS_PORT/" \
    -e "s|\"stateful.lua\"|\"$OUT/stateful.lua\"|" \
    -e "s|params = { stats_log_interval = 5000; }|params = { $TM_PARAMS }|" \
    "$root/scripts/bench/stateful.cfg" >"$OUT/osprey.cfg"
echo 'ctl_socket = "osprey_ctl";' >>"$OUT/osprey.cfg"
sed "s/127.0.0.1:5090/127.0.0.1:$UAS_PORT/" "$root/scripts/bench/stateful.lua" >"$OUT/stateful.lua"

"$LOAD" uas -l "127.0.0.1:$UAS_PORT" -d 600 >"$OUT/uas.log" 2>&1 &
uas_pid=$!
"$build_dir/osprey" -D -E -f "$OUT/osprey.cfg" >"$OUT/osprey.log" 2>&1 &
router_pid=$!
wait_port "$PORT" || { tail -5 "$OUT/osprey.log" >&2; exit 1; }
wait_port "$UAS_PORT" || { echo "UAS did not start" >&2; exit 1; }
sleep 1

{ run options "$N"; run invite "$N"; } >"$OUT/raw.txt"
stop
awk '
    NR == 1 { prevCur = 0; prevBytes = 0 }
    {
        live = $4 - prevCur; real = ($3 - $2) / live; own = ($5 - prevBytes) / live
        printf "%s: %d transactions in the wait state, shm real_used %.0f B per transaction (tm counts %.0f B requested); tm budget (60%%) holds %d of them in 64 MiB, %d in 256 MiB\n",
            $1, live, real, own, 0.6 * 64 * 1048576 / own, 0.6 * 256 * 1048576 / own
        prevCur = $4; prevBytes = $5
    }' "$OUT/raw.txt" | tee "$OUT/shm.txt"
