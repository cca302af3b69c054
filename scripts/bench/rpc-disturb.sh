#!/usr/bin/env bash
# rpc-disturb.sh: does the control plane disturb SIP? (make bench-rpc, docs/benchmarks.md)
#
# Osprey runs scripts/bench/stateful.cfg (with usrloc, ctl_socket, jsonrpc_socket and
# rpc_http_listen added) pinned to ROUTER_CPU; osprey-load (UAC and UAS) and the RPC client
# (scripts/bench/rpc-load.py) run on LOAD_CPU. The UAC sends stateful OPTIONS at a fixed RATE.
# Each pair of runs is one without RPC and one with RPC_RATE calls/s mixed (stats.fetch all
# over JSON-RPC on the unix socket, ul.dump brief pages of PAGE_SLOTS slots, GET /metrics over
# HTTP), in alternating order (ABBA) since the machine is shared; RUNS pairs, medians printed.
# Measured per run: CPU of the SIP worker processes (utime + stime from /proc/<pid>/stat, the
# processes core.psx lists as "sip#N (sip)") per request, and the UAC's p99, with the workers'
# voluntary and involuntary context switches per second, the control process's CPU and the
# RPC client's (on the load core).
#
# Then, on a fresh router under the same SIP load: DUMP_AORS AoRs added with ul.add
# (pipelined), a paged `ul.dump` of all of them (brief, then full) (the longest slot visit, i.e. lock hold
# upper bound, is ul.dump's Stats: Max-Slot-Us), and METRICS_GETS sequential GET /metrics.
#
# Environment [default]: BUILD [build/release-fm] RUNS [3] RATE [15000] RPC_RATE [100]
#   DURATION [20] WARMUP [3] WINDOW [256] CHILDREN [1] FILL [10000] PAGE_SLOTS [16]
#   DUMP_AORS [100000] DUMP_SLOTS [64] METRICS_GETS [200] ROUTER_CPU [0] LOAD_CPU [1]
#   OUT [$TMPDIR/osprey-bench/rpc-<timestamp>-<pid>]
#   CTL_CPU [unset]: pin the control process to this core instead of ROUTER_CPU
# Everything started here is recorded by PID and stopped by PID.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/scripts/bench
BUILD=${BUILD:-build/release-fm}
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
RUNS=${RUNS:-3}
RATE=${RATE:-15000}
RPC_RATE=${RPC_RATE:-100}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
WINDOW=${WINDOW:-256}
CHILDREN=${CHILDREN:-1}
FILL=${FILL:-10000}
PAGE_SLOTS=${PAGE_SLOTS:-16}
DUMP_AORS=${DUMP_AORS:-100000}
DUMP_SLOTS=${DUMP_SLOTS:-64}
METRICS_GETS=${METRICS_GETS:-200}
ROUTER_CPU=${ROUTER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PORT_WAIT=${PORT_WAIT:-300}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/rpc-$(date +%Y%m%d-%H%M%S)-$$}
LOAD=$build_dir/bench/osprey-load
RPCLOAD=$bench/rpc-load.py
mkdir -p "$OUT"
[ -x "$LOAD" ] || { echo "no load tool at $LOAD" >&2; exit 2; }
[ -x "$build_dir/osprey" ] || { echo "no osprey at $build_dir/osprey" >&2; exit 2; }
taskset -cp "$LOAD_CPU" $$ >/dev/null 2>&1 || true

bench_dir=$bench
. "$bench/router-setup.sh"

free_tcp_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 20000))
        ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
    done
    return 1
}
# voluntary and involuntary context switches (two numbers) of a list of pids
ctx_switches() {
    local p v=0 n=0 a b
    for p in "$@"; do
        read -r a b < <(awk '/^voluntary_ctxt/ { v = $2 } /^nonvoluntary_ctxt/ { n = $2 }
                             END { print v + 0, n + 0 }' "/proc/$p/status" 2>/dev/null)
        v=$((v + ${a:-0})) n=$((n + ${b:-0}))
    done
    echo "$v $n"
}
rpc() { python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "method": sys.argv[2], "params": sys.argv[3:], "id": 1}).encode() + b"\n")
b = b""
while not b.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    b += c
print(b.decode().strip())' "$@"; }

router_pid="" uas_pid="" uac_pid="" rpc_pid="" tree=""
stop_all() {
    local p
    for p in $uac_pid $rpc_pid; do kill -TERM "$p" 2>/dev/null; done
    if [ -n "$router_pid" ]; then
        [ -z "$tree" ] && tree=$(tree_of "$router_pid")
        stop_tree "$router_pid" $tree
    fi
    [ -n "$uas_pid" ] && kill -TERM "$uas_pid" 2>/dev/null
    wait 2>/dev/null
    router_pid="" uas_pid="" uac_pid="" rpc_pid="" tree=""
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

# start_router DIR: UAS and router up and answering; sets JSON_SOCK, HTTP, workers.
start_router() {
    local dir=$1 cfg
    unset PROXY_PORT UAS_PORT
    bench_pick_ports || return 1
    bench_router_cmd osprey stateful "$dir" "$CHILDREN" 0 || return 1
    cfg=$dir/stateful.cfg
    HTTP=127.0.0.1:$(free_tcp_port) || return 1
    JSON_SOCK=$dir/osprey_rpc.sock
    sed -i -e 's/{ name = "sl"; },/{ name = "sl"; }, { name = "usrloc"; },/' "$cfg"
    cat >>"$cfg" <<EOF
ctl_socket = "osprey_ctl";
jsonrpc_socket = "osprey_rpc.sock";
rpc_http_listen = "$HTTP";
EOF
    ports_free || return 1
    taskset -c "$LOAD_CPU" "$LOAD" uas -l 127.0.0.1:$UAS_PORT -d 3600 >"$dir/uas.log" 2>&1 &
    uas_pid=$!
    for _ in $(seq 1 50); do owns_port $UAS_PORT "$uas_pid" && break; sleep 0.1; done
    taskset -c "$ROUTER_CPU" "${router_cmd[@]}" >"$dir/router.log" 2>&1 &
    router_pid=$!
    for _ in $(seq 1 150); do
        kill -0 "$router_pid" 2>/dev/null || break
        if owns_port $PROXY_PORT "$router_pid" && [ -S "$JSON_SOCK" ] &&
            "$LOAD" uac -t 127.0.0.1:$PROXY_PORT -s options -n 1 -w 1 -T 1000 -d 2 2>&1 |
            grep -q '^RESULT.* ok=1 '; then
            tree=$(tree_of "$router_pid")
            # the SIP workers: core.psx's "sip#N (sip)" processes
            workers=$(rpc "$JSON_SOCK" core.psx | python3 -c '
import json, sys
print(" ".join(str(p["PID"]) for p in json.load(sys.stdin)["result"] if p["DSC"].endswith("(sip)")))')
            ctl=$(rpc "$JSON_SOCK" core.psx | python3 -c '
import json, sys
print(" ".join(str(p["PID"]) for p in json.load(sys.stdin)["result"] if p["DSC"].endswith("(ctl)")))')
            # CTL_CPU: the control process on another core (where does a slowdown come from?)
            [ -n "${CTL_CPU:-}" ] && taskset -cp "$CTL_CPU" $ctl >/dev/null
            [ -n "$workers" ] && return 0
        fi
        sleep 0.2
    done
    echo "the router did not come up; see $dir/router.log" >&2
    grep -E 'ERROR|CRIT' "$dir/router.log" | tail -5 >&2
    stop_all
    return 1
}

# one_run LABEL on|off: prints "RUN label=... rpc=... cpu_us_per_req=... p99_us=... rps=..."
one_run() {
    local label=$1 with=$2 dir=$OUT/$1 w1 w2 r1 r2 v1 v2 n1 n2 c1 c2 k1 k2 res rps p99 fail
    mkdir -p "$dir"
    start_router "$dir" || return 1
    taskset -c "$LOAD_CPU" python3 "$RPCLOAD" fill --json "$JSON_SOCK" --count "$FILL" \
        >"$dir/fill.log" 2>&1
    taskset -c "$LOAD_CPU" "$LOAD" uac -t 127.0.0.1:$PROXY_PORT -s options -w "$WINDOW" \
        -r "$RATE" -d "$DURATION" -W "$WARMUP" -T 2000 -u 127.0.0.1:$UAS_PORT \
        >"$dir/uac.log" 2>&1 &
    uac_pid=$!
    if [ "$with" = on ]; then
        taskset -c "$LOAD_CPU" python3 "$RPCLOAD" mix --json "$JSON_SOCK" --http "$HTTP" \
            --rate "$RPC_RATE" --slots "$PAGE_SLOTS" --duration $((DURATION + WARMUP)) \
            >"$dir/rpc.log" 2>&1 &
        rpc_pid=$!
    fi
    sleep "$WARMUP"
    w1=$(date +%s.%N); r1=$(cpu_ticks $workers); read -r v1 n1 < <(ctx_switches $workers)
    c1=$(cpu_ticks $ctl); k1=$(cpu_ticks $rpc_pid)
    sleep $((DURATION - 1))
    w2=$(date +%s.%N); r2=$(cpu_ticks $workers); read -r v2 n2 < <(ctx_switches $workers)
    c2=$(cpu_ticks $ctl); k2=$(cpu_ticks $rpc_pid)
    wait "$uac_pid"; uac_pid=""
    [ -n "$rpc_pid" ] && { wait "$rpc_pid"; rpc_pid=""; }
    stop_all
    printf '%s\n' "$workers" >"$dir/workers"
    res=$(grep '^RESULT' "$dir/uac.log" | tail -1)
    [ -n "$res" ] || { echo "no RESULT in $dir/uac.log" >&2; return 1; }
    rps=$(echo "$res" | sed -n 's/.* rps=\([0-9.]*\).*/\1/p')
    p99=$(echo "$res" | sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p')
    fail=$(echo "$res" | sed -n 's/.* fail=\([0-9]*\).*/\1/p')
    awk -v l="$label" -v w="$with" -v a="$w1" -v b="$w2" -v r1="$r1" -v r2="$r2" -v hz="$(getconf CLK_TCK)" \
        -v rps="$rps" -v p99="$p99" -v fail="$fail" -v v="$((v2 - v1))" -v n="$((n2 - n1))" \
        -v c="$((c2 - c1))" -v k="$((k2 - k1))" 'BEGIN {
        us = (r2 - r1) / hz * 1e6 / (rps * (b - a))
        printf "RUN label=%s rpc=%s cpu_us_per_req=%.2f p99_us=%s rps=%s fail=%s", l, w, us, p99, rps, fail
        printf " worker_vcs_per_s=%.0f worker_ivcs_per_s=%.0f ctl_cpu_pct=%.1f rpc_client_cpu_pct=%.1f\n",
               v / (b - a), n / (b - a), 100 * c / hz / (b - a), 100 * k / hz / (b - a) }'
    [ "$with" = on ] && sed 's/^/    /' "$dir/rpc.log"
    return 0
}

echo "rpc-disturb: RATE=$RATE stateful OPTIONS, RPC_RATE=$RPC_RATE mixed, $RUNS pairs of ${DURATION}s runs; logs in $OUT"
for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then order="off on"; else order="on off"; fi
    # not in a pipeline: one_run's PIDs must stay in this shell for the traps
    for w in $order; do
        one_run "run$i-$w" "$w" >"$OUT/run.txt" || exit 1
        cat "$OUT/run.txt" | tee -a "$OUT/runs.txt"
    done
done
awk '
    function median(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    /^RUN / { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
              w = f["rpc"]; n[w]++; cpu[w, n[w]] = f["cpu_us_per_req"]; p99[w, n[w]] = f["p99_us"] }
    END {
        for (w in n) { for (i = 1; i <= n[w]; i++) { c[i] = cpu[w, i]; p[i] = p99[w, i] }
                       mc[w] = median(c, n[w]); mp[w] = median(p, n[w]) }
        printf "MEDIAN rpc=off cpu_us_per_req=%.2f p99_us=%.0f\n", mc["off"], mp["off"]
        printf "MEDIAN rpc=on cpu_us_per_req=%.2f p99_us=%.0f\n", mc["on"], mp["on"]
        printf "RATIO cpu_per_req=%.3f (target <= 1.02) p99=%.3f (target <= 1.10)\n",
               mc["on"] / mc["off"], mp["on"] / mp["off"]
    }' "$OUT/runs.txt" | tee "$OUT/summary.txt"

# ---- ul.dump of DUMP_AORS and GET /metrics, under the same SIP load
dir=$OUT/dump
mkdir -p "$dir"
start_router "$dir" || exit 1
taskset -c "$LOAD_CPU" "$LOAD" uac -t 127.0.0.1:$PROXY_PORT -s options -w "$WINDOW" -r "$RATE" \
    -d 600 -T 2000 -u 127.0.0.1:$UAS_PORT >"$dir/uac.log" 2>&1 &
uac_pid=$!
taskset -c "$LOAD_CPU" python3 "$RPCLOAD" fill --json "$JSON_SOCK" --count "$DUMP_AORS" | tee -a "$OUT/summary.txt"
for mode in brief full; do
    taskset -c "$LOAD_CPU" python3 "$RPCLOAD" dump --json "$JSON_SOCK" --slots "$DUMP_SLOTS" \
        --dump-mode $mode | tee -a "$OUT/summary.txt"
done
taskset -c "$LOAD_CPU" python3 "$RPCLOAD" metrics --http "$HTTP" --count "$METRICS_GETS" | tee -a "$OUT/summary.txt"
stop_all
trap - EXIT INT TERM
