#!/usr/bin/env bash
# run-anchor-stateless.sh: Osprey against Kamailio and the relay floor (osprey-load relay, a
# forwarder that parses nothing) on stateless OPTIONS forwarding, with scripts/bench/run-anchor.sh
# doing every run so all routers get the same pinning (router on core 0, load tool on core 1)
# and window.
#
#   scripts/bench/run-anchor-stateless.sh            # build, 3 interleaved runs at 15k req/s,
#                                                    # 3 closed-loop runs, table at the end
#   scripts/bench/run-anchor-stateless.sh --ir       # also instructions per request (callgrind)
#
# Environment (defaults in brackets):
#   BUILD [build/release-fm]   Osprey build directory (built here with MODE=release)
#   RUNS [3]  RATE [15000]  DURATION [20]
#   CLOSED_RUNS [3] (0 skips the closed loop)  CLOSED_DURATION [$DURATION]
#   KAM_CHILDREN ["1 2"]  Kamailio's -n, one row each (Osprey's scripts/bench/stateless.cfg
#                has children = 1, so -n 1 is the like-for-like row; the ratio is against
#                the first value)
#   QUIET_MAX [15]     seconds run-anchor.sh waits for quiet cores before each run
#   OUT [$TMPDIR/osprey-bench/<timestamp>]   every run's files, runs.log and table.md
#   IR_N [1000] IR_RATE [100]   requests and rate of ir-per-req.sh (with --ir)
#
# The table: CPU us/request = router CPU % x 10^4 / req/s (per run, then the median of the
# runs); "above floor" subtracts the relay's median; failures = fail + timeout of osprey-load.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/release-fm}
RUNS=${RUNS:-3}
RATE=${RATE:-15000}
CLOSED_RUNS=${CLOSED_RUNS:-3}
DURATION=${DURATION:-20}
CLOSED_DURATION=${CLOSED_DURATION:-$DURATION}
KAM_CHILDREN=${KAM_CHILDREN:-1 2}
QUIET_MAX=${QUIET_MAX:-15}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/$(date +%Y%m%d-%H%M%S)}
IR_N=${IR_N:-1000}
IR_RATE=${IR_RATE:-100}
with_ir=0
[ "${1:-}" = "--ir" ] && with_ir=1

command -v kamailio >/dev/null || { echo "kamailio missing: scripts/deps.sh --bench" >&2; exit 2; }
mkdir -p "$OUT"
export QUIET_MAX DURATION BUILD SUMMARY=$OUT/all-runs.log
anchor=$root/scripts/bench/run-anchor.sh

echo "== building Osprey (release) in $BUILD" >&2
# only what the benchmark config loads, so work in progress in other modules cannot stop it
make -C "$root" -j2 BUILD="$BUILD" MODE=release "$BUILD/osprey" "$BUILD/modules/sl/sl.so" \
    "$BUILD/modules/maxfwd/maxfwd.so" "$BUILD/bench/osprey-load" >"$OUT/build.log" 2>&1 ||
    { tail -20 "$OUT/build.log" >&2; exit 1; }
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac

# one run-anchor.sh run; $1 = label, $2 = rate; appends its ANCHOR line (with the load
# average of the moment) to $OUT/runs.log
run_one() {
    local label=$1 rate=$2 line load dur=$DURATION
    [ "$rate" = 0 ] && dur=$CLOSED_DURATION
    load=$(cut -d' ' -f1 /proc/loadavg)
    case "$label" in
        osprey)   line=$(ROUTER=osprey CHILDREN=1 RATE=$rate DURATION=$dur \
                             "$anchor" stateless options 2>>"$OUT/errors.log") ;;
        kamailio-n*) line=$(ROUTER=kamailio CHILDREN=${label#kamailio-n} RATE=$rate DURATION=$dur \
                             "$anchor" stateless options 2>>"$OUT/errors.log") ;;
        relay)    line=$(ROUTER=relay CHILDREN=1 RATE=$rate DURATION=$dur \
                             "$anchor" stateless options 2>>"$OUT/errors.log") ;;
    esac
    line=$(echo "$line" | grep '^ANCHOR' | tail -1)
    if [ -z "$line" ]; then
        echo "  $label rate=$rate: no result (see $OUT/errors.log)" >&2
        return
    fi
    echo "$line label=$label load1=$load" >>"$OUT/runs.log"
    echo "  $label rate=$rate: $(echo "$line" | grep -o 'rps=[^ ]*\|p99_us=[^ ]*\|router_cpu_pct=[^ ]*\|fail=[^ ]*\|timeout=[^ ]*' | tr '\n' ' ')load=$load" >&2
}

routers="osprey"
for c in $KAM_CHILDREN; do routers+=" kamailio-n$c"; done
routers+=" relay"
kam_ref=kamailio-n${KAM_CHILDREN%% *}
for i in $(seq 1 "$RUNS"); do
    echo "== fixed rate $RATE, round $i/$RUNS" >&2
    for r in $routers; do run_one "$r" "$RATE"; done
done
for i in $(seq 1 "$CLOSED_RUNS"); do
    echo "== closed loop, round $i/$CLOSED_RUNS" >&2
    for r in $routers; do run_one "$r" 0; done
done

ir_osprey="-" ir_kam="-"
if [ "$with_ir" = 1 ]; then
    echo "== instructions per request (callgrind, $IR_N requests at $IR_RATE/s)" >&2
    # each router on two free ports, with copies of the configs (scripts/bench/router-setup.sh)
    bench_dir=$root/scripts/bench
    . "$bench_dir/router-setup.sh"
    ir() {  # $1 router, $2 children
        unset PROXY_PORT UAS_PORT
        bench_pick_ports && bench_router_cmd "$1" stateless "$OUT/ir-$1" "$2" 256 || return
        PROXY_PORT=$PROXY_PORT UAS_PORT=$UAS_PORT "$bench_dir/ir-per-req.sh" options "$IR_N" \
            "$IR_RATE" "${router_cmd[@]}" 2>&1 | tail -1
    }
    o=$(ir osprey 1)
    k=$(ir kamailio "${KAM_CHILDREN%% *}")
    echo "  osprey:   $o" >&2
    echo "  kamailio: $k" >&2
    brief() { [[ $1 =~ instructions_per_request=([0-9]+)\ failures=([0-9]+) ]] &&
        echo "${BASH_REMATCH[1]} (failures ${BASH_REMATCH[2]})"; }
    ir_osprey=$(brief "$o")
    ir_kam=$(brief "$k")
    echo "IR osprey=$o kamailio=$k" >>"$OUT/runs.log"
fi

awk -v ir_o="$ir_osprey" -v ir_k="$ir_kam" -v rate="$RATE" -v routers="$routers" -v kref="$kam_ref" '
function med(s,   a, n, i, j, t) { n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (n == 0) return -1; return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
/^ANCHOR / {
    delete f
    for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2]
    l = f["label"]
    if (f["rate"] + 0 > 0) {
        if (f["rps"] + 0 > 0) us[l] = us[l] " " f["router_cpu_pct"] * 10000 / f["rps"]
        p99[l] = p99[l] " " f["p99_us"]; rps[l] = rps[l] " " f["rps"]
        fails[l] += f["fail"] + f["timeout"]; n[l]++; load[l] = load[l] " " f["load1"]
        other[l] = other[l] " " f["other_router_core_pct"]
    } else {
        crps[l] = crps[l] " " f["rps"]; cn[l]++; cfails[l] += f["fail"] + f["timeout"]
    }
}
END {
    floor = med(us["relay"])
    printf "| router | runs | CPU us/req | above floor | vs %s above floor | p99 us | failures | closed-loop req/s (runs) | load avg | other load on router core %% |\n", kref
    printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    k = med(us[kref]) - floor
    nr = split(routers, order, " ")
    for (i = 1; i <= nr; i++) { l = order[i]
        u = med(us[l]); a = u - floor
        ratio = (l == "relay" || k <= 0) ? "-" : sprintf("%.2fx", a / k)
        printf "| %s | %d | %.1f | %s | %s | %.0f | %d | %.0f (%d) | %s | %s |\n", l, n[l], u,
            l == "relay" ? "-" : sprintf("%.1f", a), ratio, med(p99[l]), fails[l] + 0,
            med(crps[l]), cn[l], med(load[l]), med(other[l])
    }
    printf "\nfixed rate %s req/s, medians; instructions per request (callgrind): osprey %s, kamailio %s\n", rate, ir_o, ir_k
}' "$OUT/runs.log" | tee "$OUT/table.md"
echo "runs: $OUT/runs.log" >&2
