#!/usr/bin/env bash
# ir-per-req.sh SCENARIO N RATE CMD...
# User-space instructions per request of a SIP router, counted by callgrind: exact and
# repeatable however busy the machine is, so it is the number to optimise and to guard.
# CMD runs the router in the foreground on UDP 127.0.0.1:$PROXY_PORT [5070], relaying to the UAS
# (osprey-load uas) on 127.0.0.1:$UAS_PORT [5090]; it runs under valgrind with every child
# traced. (scripts/bench/ir-table.sh gives each router free ports and configs that use them.)
# The router gets N requests at RATE/s, then in a second run 2N at 2*RATE/s (same duration):
# the difference of the two totals divided by N cancels start-up, timers and shutdown.
# SCENARIO: options | message | register | lookup | invite (osprey-load uac -s); lookup first
# registers the K=1000 AORs it then sends to (in both runs, so that cancels too).
# Prints one line: instructions_per_request=X failures=Y (failures: fail + timeout of both runs)
# Example:
#   scripts/bench/ir-per-req.sh options 1000 100 build/release-fm/osprey -D -E -f scripts/bench/stateless.cfg
# Environment: BUILD [build/release-fm] (where osprey-load is; `make bench-ir` builds it)
#   OSPREY_LOAD [$BUILD/bench/osprey-load]  READY_MAX [180] seconds to wait for the router
#   PROXY_PORT [5070] UAS_PORT [5090]   the router's port and the UAS's, as CMD has them
#   PORT_WAIT [600] seconds to wait for both ports to be free (before each run)
#   OUT [$TMPDIR/osprey-bench/ir-<pid>] logs and callgrind files (kept only on failure)
set -u
[ $# -ge 4 ] || { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/release-fm}
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
LOAD=${OSPREY_LOAD:-$build_dir/bench/osprey-load}
READY_MAX=${READY_MAX:-180}
PORT_WAIT=${PORT_WAIT:-600}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/ir-$$}
PROXY_PORT=${PROXY_PORT:-5070}
UAS_PORT=${UAS_PORT:-5090}
PROXY=127.0.0.1:$PROXY_PORT
UAS=127.0.0.1:$UAS_PORT
K=1000
scen=$1 n=$2 rate=$3
shift 3
[[ $n =~ ^[1-9][0-9]*$ && $rate =~ ^[1-9][0-9]*$ ]] || { echo "N and RATE must be positive integers" >&2; exit 2; }
[ -x "$LOAD" ] || { echo "no load tool at $LOAD (make $BUILD/bench/osprey-load)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (scripts/deps.sh --bench)" >&2; exit 2; }
mkdir -p "$OUT"

. "$root/scripts/bench/router-setup.sh"  # port_busy, owns_port, ports_free

router_pid="" uas_pid=""
stop_all() {
    if [ -n "$router_pid" ]; then
        kill -TERM "$router_pid" 2>/dev/null
        # valgrind writes each process's file on exit: give it time, bounded
        for _ in $(seq 1 300); do kill -0 "$router_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$router_pid" 2>/dev/null
        wait "$router_pid" 2>/dev/null
    fi
    if [ -n "$uas_pid" ]; then kill -TERM "$uas_pid" 2>/dev/null; wait "$uas_pid" 2>/dev/null; fi
    router_pid="" uas_pid=""
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

# Sends one OPTIONS at a time until the router answers (any final response), bounded.
wait_ready() {
    local deadline=$((SECONDS + READY_MAX)) res
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$router_pid" 2>/dev/null || return 1
        if port_busy $PROXY_PORT && ! owns_port $PROXY_PORT "$router_pid"; then
            echo "another process holds UDP $PROXY_PORT" >&2
            return 1
        fi
        if owns_port $PROXY_PORT "$router_pid"; then
            res=$("$LOAD" uac -t $PROXY -s options -n 1 -w 1 -T 3000 -d 5 2>&1 | grep '^RESULT')
            [[ $res =~ \ ok=([0-9]+)\ fail=([0-9]+) ]] &&
                [ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -gt 0 ] && return 0
        else
            sleep 0.2
        fi
    done
    return 1
}

# The callgrind total of a run: the "totals:" line of each process's file, once per file.
run_total() {
    awk '/^totals:/ && !seen[FILENAME]++ { s += $2 } END { printf "%d\n", s }' "$1"/cg.*
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Both runs start their load at the same time after the router's launch (start_ms, set by the
# first run from its readiness time, with a margin): the router's timers tick while it waits, so an
# unequal wait would not cancel in the difference.
start_ms=0
fails=0
for k in 1 2; do
    cg=$OUT/cg.$k
    rm -rf "$cg"
    mkdir -p "$cg"
    ports_free || exit 2
    "$LOAD" uas -l $UAS -d 1800 >"$cg/uas.log" 2>&1 &
    uas_pid=$!
    for _ in $(seq 1 50); do owns_port $UAS_PORT "$uas_pid" && break; sleep 0.1; done
    owns_port $UAS_PORT "$uas_pid" || { echo "the UAS could not take UDP $UAS_PORT" >&2; exit 1; }
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$cg/cg.%p" "$@" \
        >"$cg/router.log" 2>&1 &
    router_pid=$!
    launched=$(now_ms)
    if ! wait_ready; then
        echo "the router did not answer an OPTIONS within ${READY_MAX}s; see $cg/router.log" >&2
        tail -5 "$cg/router.log" >&2
        exit 1
    fi
    ready=$(($(now_ms) - launched))
    [ $k = 1 ] && start_ms=$((ready * 3 / 2 + 2000))
    if [ $ready -gt $start_ms ]; then
        echo "warning: run 2 was ready $((ready - start_ms)) ms later than run 1 started its load;" \
             "the difference includes that much more idle time" >&2
    else
        sleep "$(awk -v ms=$((start_ms - ready)) 'BEGIN { printf "%.3f", ms / 1000 }')"
    fi
    if [ "$scen" = lookup ]; then
        "$LOAD" uac -t $PROXY -s register -n $K -K $K -w 16 -T 5000 -d 120 -u $UAS \
            >"$cg/prefill.log" 2>&1
    fi
    count=$((n * k))
    bound=$((2 * n / rate + 60))
    "$LOAD" uac -t $PROXY -s "$scen" -r $((rate * k)) -n $count -w 64 -T 5000 -K $K -u $UAS \
        -d $bound >"$cg/uac.log" 2>&1
    if ! owns_port $PROXY_PORT "$router_pid" || ! owns_port $UAS_PORT "$uas_pid"; then
        echo "another process bound UDP $PROXY_PORT or $UAS_PORT during the run: the count is" \
             "not the router's alone" >&2
        exit 1
    fi
    res=$(grep '^RESULT' "$cg/uac.log")
    if [[ $res =~ \ fail=([0-9]+)\ timeout=([0-9]+) ]]; then
        fails=$((fails + BASH_REMATCH[1] + BASH_REMATCH[2]))
    else
        fails=$((fails + count))
    fi
    stop_all
    files=$(ls "$cg"/cg.* 2>/dev/null | wc -l)
    with_totals=$(grep -l '^totals:' "$cg"/cg.* 2>/dev/null | wc -l)
    if [ "$files" = 0 ] || [ "$files" != "$with_totals" ]; then
        echo "run $k: $((files - with_totals)) of $files callgrind files have no total" \
             "(a process did not exit cleanly); see $cg" >&2
        exit 1
    fi
    tot[$k]=$(run_total "$cg")
done
echo "instructions_per_request=$(((tot[2] - tot[1]) / n)) failures=$fails"
[ "$fails" = 0 ] && rm -rf "$OUT"
exit 0
