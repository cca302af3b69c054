#!/usr/bin/env bash
# run-anchor.sh: one bounded throughput run of a SIP router under osprey-load, printing one
# line (req/s, failures, latency p50/p99, router CPU %, router memory). The router runs pinned
# to one core (ROUTER_CPU), the load tool (UAC and UAS) to the other (LOAD_CPU), so runs of
# different routers on this machine compare.
#
#   scripts/bench/run-anchor.sh CONFIG [SCENARIO]
#     CONFIG    stateless | stateful | registrar: Osprey runs scripts/bench/CONFIG.cfg,
#               Kamailio scripts/bench/kamailio/{stateless,stateful-lua,registrar-lua}.cfg
#               (copies on two free ports: scripts/bench/router-setup.sh)
#     SCENARIO  options | message | register | lookup | invite (osprey-load uac -s);
#               default register for registrar, options otherwise; lookup first registers K AORs
#   Prints: ANCHOR router=... config=... scenario=... rps=... fail=... timeout=... p50_us=...
#           p99_us=... router_cpu_pct=... router_peak_pss_kb=... (and more key=value fields)
#
# Environment (defaults in brackets):
#   ROUTER [osprey]   osprey | kamailio | relay (osprey-load relay: the floor, forwards only)
#   ROUTER_CMD        any other router, run in the FOREGROUND on UDP 127.0.0.1:$PROXY_PORT
#                     [5070] relaying to 127.0.0.1:$UAS_PORT [5090]; ROUTER_LABEL [custom]
#                     names it in the output
#   BUILD [build/release-fm]   CHILDREN [1] (-n of Osprey and Kamailio)
#   WINDOW [64]  RATE [0 = closed loop]  DURATION [20]  WARMUP [3]  TIMEOUT_MS [2000]  K [1000]
#   ROUTER_CPU [0]  LOAD_CPU [1]
#   QUIET_PCT [10] QUIET_MAX [30]: first wait up to QUIET_MAX s for both cores to be below
#                     QUIET_PCT % busy (a shared machine skews runs badly)
#   READY_MAX [30]    seconds to wait for the router to answer an OPTIONS
#   PORT_WAIT [300]   seconds to wait for the ports to be free
#   OUT [$TMPDIR/osprey-bench/anchor-<timestamp>-<config>-<scenario>-<pid>]   logs of the run
#   SUMMARY [$TMPDIR/osprey-bench/runs.log]   one ANCHOR line appended per run
# Everything started here is recorded by PID and stopped by PID.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/scripts/bench
config=${1:?usage: run-anchor.sh CONFIG [SCENARIO]}
case "$config" in registrar*) def_scen=register ;; *) def_scen=options ;; esac
scenario=${2:-$def_scen}

ROUTER=${ROUTER:-osprey}
BUILD=${BUILD:-build/release-fm}
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
CHILDREN=${CHILDREN:-1}
WINDOW=${WINDOW:-64}
RATE=${RATE:-0}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
TIMEOUT_MS=${TIMEOUT_MS:-2000}
K=${K:-1000}
ROUTER_CPU=${ROUTER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
QUIET_PCT=${QUIET_PCT:-10}
QUIET_MAX=${QUIET_MAX:-30}
READY_MAX=${READY_MAX:-30}
PORT_WAIT=${PORT_WAIT:-300}
results=${TMPDIR:-/tmp}/osprey-bench
OUT=${OUT:-$results/anchor-$(date +%Y%m%d-%H%M%S)-$config-$scenario-$$}
SUMMARY=${SUMMARY:-$results/runs.log}
LOAD=${OSPREY_LOAD:-$build_dir/bench/osprey-load}
mkdir -p "$OUT" "$(dirname "$SUMMARY")"
[ -x "$LOAD" ] || { echo "no load tool at $LOAD (make $BUILD/bench/osprey-load)" >&2; exit 2; }
# this script's own sampling stays off the router's core
taskset -cp "$LOAD_CPU" $$ >/dev/null 2>&1 || true

# ---- the router command and its ports
bench_dir=$bench
. "$bench/router-setup.sh"
if [ -n "${ROUTER_CMD:-}" ]; then
    PROXY_PORT=${PROXY_PORT:-5070} UAS_PORT=${UAS_PORT:-5090}
    router_cmd=(bash -c "exec $ROUTER_CMD")
    label=${ROUTER_LABEL:-custom}
else
    bench_pick_ports || exit 1
    case "$ROUTER" in
        osprey|kamailio)
            bench_router_cmd "$ROUTER" "$config" "$OUT/cfg" "$CHILDREN" 4096 || exit 2
            label=$ROUTER
            [ "$ROUTER" = kamailio ] &&
                label="kamailio-$(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')" ;;
        relay)
            router_cmd=("$LOAD" relay -l 127.0.0.1:$PROXY_PORT -u 127.0.0.1:$UAS_PORT
                        -d $((DURATION + WARMUP + 300)))
            label=relay ;;
        *) echo "ROUTER must be osprey, kamailio or relay" >&2; exit 2 ;;
    esac
fi
PROXY=127.0.0.1:$PROXY_PORT
UAS=127.0.0.1:$UAS_PORT
printf '%q ' "${router_cmd[@]}" >"$OUT/router.cmd"

# Given ports (ROUTER_CMD) may be held by another benchmark for a while.
ports_free || exit 1

# ---- /proc sampling
# busy and total jiffies of one core
core_jiffies() {
    awk -v c="cpu$1" '$1 == c { idle = $5 + $6; t = 0; for (i = 2; i <= NF; i++) t += $i; print t - idle, t }' /proc/stat
}
# memory of a process tree in kB: summed Pss, summed Rss, largest VmHWM
mem_sample() {
    local p pss=0 v
    for p in "$@"; do
        v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) && pss=$((pss + ${v:-0}))
    done
    local rss_hwm
    rss_hwm=$(for p in "$@"; do cat "/proc/$p/status" 2>/dev/null; done |
        awk '/^VmRSS:/ { r += $2 } /^VmHWM:/ { if ($2 > h) h = $2 } END { print r + 0, h + 0 }')
    echo "$pss $rss_hwm"
}
pct() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { if (s <= 0) print 0; else printf "%.1f", 100 * (b - a) / s }'; }

router_pid="" uas_pid="" uac_pid="" tree=""
stop_all() {
    [ -n "$uac_pid" ] && kill -TERM "$uac_pid" 2>/dev/null
    if [ -n "$router_pid" ]; then
        [ -z "$tree" ] && tree=$(tree_of "$router_pid")
        stop_tree "$router_pid" $tree
    fi
    [ -n "$uas_pid" ] && kill -TERM "$uas_pid" 2>/dev/null
    wait 2>/dev/null
    router_pid="" uas_pid="" uac_pid=""
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

# ---- wait for quiet cores (bounded)
quiet_wait=0
while [ "$quiet_wait" -lt "$QUIET_MAX" ]; do
    read -r a0 t0 < <(core_jiffies "$ROUTER_CPU"); read -r a1 t1 < <(core_jiffies "$LOAD_CPU")
    sleep 1
    read -r b0 u0 < <(core_jiffies "$ROUTER_CPU"); read -r b1 u1 < <(core_jiffies "$LOAD_CPU")
    q0=$((100 * (b0 - a0) / (u0 - t0 + 1))) q1=$((100 * (b1 - a1) / (u1 - t1 + 1)))
    [ "$q0" -lt "$QUIET_PCT" ] && [ "$q1" -lt "$QUIET_PCT" ] && break
    quiet_wait=$((quiet_wait + 1))
done
[ "$quiet_wait" -ge "$QUIET_MAX" ] && echo "warning: cores still busy ($q0% / $q1%) after ${QUIET_MAX}s; running anyway" >&2

# ---- UAS first (a stateless router's readiness answer comes from it), then the router
taskset -c "$LOAD_CPU" "$LOAD" uas -l $UAS -d $((DURATION + WARMUP + 300)) >"$OUT/uas.log" 2>&1 &
uas_pid=$!
for _ in $(seq 1 50); do owns_port $UAS_PORT "$uas_pid" && break; sleep 0.1; done
owns_port $UAS_PORT "$uas_pid" || { echo "the UAS could not take UDP $UAS_PORT" >&2; exit 1; }
taskset -c "$ROUTER_CPU" "${router_cmd[@]}" >"$OUT/router.log" 2>&1 &
router_pid=$!
ready=0
for _ in $(seq 1 $((READY_MAX * 5))); do
    kill -0 "$router_pid" 2>/dev/null || break
    if owns_port $PROXY_PORT "$router_pid"; then
        res=$("$LOAD" uac -t $PROXY -s options -n 1 -w 1 -T 1000 -d 2 2>&1 | grep '^RESULT')
        if [[ $res =~ \ ok=([0-9]+)\ fail=([0-9]+) ]] && [ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -gt 0 ]; then
            ready=1
            break
        fi
    else
        sleep 0.2
    fi
done
if [ "$ready" = 0 ]; then
    echo "the router did not answer an OPTIONS on $PROXY; see $OUT/router.log" >&2
    tail -5 "$OUT/router.log" >&2
    exit 1
fi
if [ "$scenario" = lookup ]; then
    taskset -c "$LOAD_CPU" "$LOAD" uac -t $PROXY -s register -n "$K" -K "$K" -w 32 -u $UAS -d 60 \
        >"$OUT/prefill.log" 2>&1
fi
tree=$(tree_of "$router_pid")
nprocs=$(echo $tree | wc -w)

# ---- load; measure CPU and memory inside the UAC's measured window
taskset -c "$LOAD_CPU" "$LOAD" uac -t $PROXY -s "$scenario" -w "$WINDOW" -r "$RATE" \
    -d "$DURATION" -W "$WARMUP" -T "$TIMEOUT_MS" -K "$K" -u $UAS >"$OUT/uac.log" 2>&1 &
uac_pid=$!
sleep "$WARMUP"
w1=$(date +%s.%N)
r1=$(cpu_ticks $tree); a1=$(cpu_ticks "$uac_pid"); s1=$(cpu_ticks "$uas_pid")
read -r c0b1 c0t1 < <(core_jiffies "$ROUTER_CPU"); read -r c1b1 c1t1 < <(core_jiffies "$LOAD_CPU")
peak_pss=0 peak_rss=0 peak_hwm=0
sample_mem() {
    read -r pss rss hwm < <(mem_sample $tree)
    [ "$pss" -gt "$peak_pss" ] && peak_pss=$pss
    [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
    [ "$hwm" -gt "$peak_hwm" ] && peak_hwm=$hwm
}
end=$(awk -v t="$w1" -v d="$DURATION" 'BEGIN { w = d - 1; if (w < 1) w = d * 0.8; printf "%.3f", t + w }')
while kill -0 "$uac_pid" 2>/dev/null &&
      awk -v n="$(date +%s.%N)" -v e="$end" 'BEGIN { exit !(n < e) }'; do
    sample_mem
    sleep 1
done
w2=$(date +%s.%N)
r2=$(cpu_ticks $tree); a2=$(cpu_ticks "$uac_pid"); s2=$(cpu_ticks "$uas_pid")
read -r c0b2 c0t2 < <(core_jiffies "$ROUTER_CPU"); read -r c1b2 c1t2 < <(core_jiffies "$LOAD_CPU")
sample_mem
# the UAC ends by itself after DURATION and at most one timeout of draining
if ! owns_port $PROXY_PORT "$router_pid" || ! owns_port $UAS_PORT "$uas_pid"; then
    echo "another process bound UDP $PROXY_PORT or $UAS_PORT during the run; discarded" >&2
    exit 1
fi
for _ in $(seq 1 $(((TIMEOUT_MS / 1000 + 10) * 10))); do kill -0 "$uac_pid" 2>/dev/null || break; sleep 0.1; done
wait "$uac_pid" 2>/dev/null
uac_pid=""
stop_all
trap - EXIT INT TERM

result=$(grep '^RESULT' "$OUT/uac.log" | tail -1)
if [ -z "$result" ]; then
    echo "no RESULT from osprey-load; see $OUT/uac.log" >&2
    exit 1
fi
get() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
hz=$(getconf CLK_TCK)
ticks=$(awk -v a="$w1" -v b="$w2" -v h="$hz" 'BEGIN { print (b - a) * h }')
router_cpu=$(pct "$r1" "$r2" "$ticks")
uac_cpu=$(pct "$a1" "$a2" "$ticks")
uas_cpu=$(pct "$s1" "$s2" "$ticks")
core0=$(pct "$c0b1" "$c0b2" $((c0t2 - c0t1)))
core1=$(pct "$c1b1" "$c1b2" $((c1t2 - c1t1)))
other0=$(awk -v b="$core0" -v r="$router_cpu" 'BEGIN { printf "%.1f", b - r }')
other1=$(awk -v b="$core1" -v u="$uac_cpu" -v s="$uas_cpu" 'BEGIN { printf "%.1f", b - u - s }')

line="ANCHOR router=$label config=$config scenario=$scenario children=$CHILDREN window=$WINDOW"
line+=" proxy_port=$PROXY_PORT"
line+=" rate=$RATE duration_s=$(get duration_s) sent=$(get sent) ok=$(get ok) fail=$(get fail)"
line+=" timeout=$(get timeout) fail_pct=$(get fail_pct) rps=$(get rps) p50_us=$(get p50_us)"
line+=" p99_us=$(get p99_us) max_us=$(get max_us) router_cpu_pct=$router_cpu router_procs=$nprocs"
line+=" core${ROUTER_CPU}_busy_pct=$core0 core${LOAD_CPU}_busy_pct=$core1 uac_cpu_pct=$uac_cpu"
line+=" uas_cpu_pct=$uas_cpu router_peak_pss_kb=$peak_pss router_peak_rss_sum_kb=$peak_rss"
line+=" router_max_proc_hwm_kb=$peak_hwm other_router_core_pct=$other0 other_load_core_pct=$other1"
line+=" quiet_wait_s=$quiet_wait"
echo "$line" | tee "$OUT/summary.txt"
echo "$(date -u +%FT%TZ) $line" >>"$SUMMARY"
