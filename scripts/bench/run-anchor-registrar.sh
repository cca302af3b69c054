#!/usr/bin/env bash
# run-anchor-registrar.sh: Osprey against Kamailio 5.6 as a registrar: REGISTER of K AORs and
# lookup -> relay (run-anchor.sh registers the K AORs first), each at a fixed offered rate
# (router CPU per request) and closed loop (max req/s), Osprey and Kamailio interleaved. Every
# run goes through scripts/bench/run-anchor.sh, so both routers get the same pinning (router on
# core 0, load tool on core 1) and window. Osprey runs scripts/bench/registrar.cfg, Kamailio
# scripts/bench/kamailio/registrar-lua.cfg; both run scripts/bench/registrar.lua (Kamailio
# through KEMI), with -n $CHILDREN. The relay floor is not a row: it cannot answer a REGISTER.
#
#   scripts/bench/run-anchor-registrar.sh          # build, RUNS rounds, table at the end
#   OUT=<dir> scripts/bench/run-anchor-registrar.sh --table   # only the table of <dir>/runs.log
#
# Environment (defaults in brackets):
#   BUILD [build/regbench]   Osprey build directory (built here with MODE=release)
#   RUNS [3]  RATE [15000]  DURATION [12]  K [1000]  CHILDREN [1]
#   SCENARIOS ["register lookup"]   MODES ["rate closed"]
#   QUIET_MAX [15]     seconds run-anchor.sh waits for quiet cores before each run
#                      (its default of 120 makes a run look hung on a busy machine)
#   OUT [$TMPDIR/osprey-bench/registrar-<timestamp>]   every run's files, runs.log, table.md
#   CONFIG [registrar]  MODULES ["sl maxfwd siputils rr tm usrloc registrar"]   another config
#                      of run-anchor.sh and the modules it loads (run-anchor-dispatcher.sh)
#
# The table: CPU us/request = router CPU % x 10^4 / req/s (per run, then the median of the
# runs); failures = fail + timeout of osprey-load; load avg = 1-minute load average at the start of
# each run (median, and the range).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/regbench}
RUNS=${RUNS:-3}
RATE=${RATE:-15000}
DURATION=${DURATION:-12}
K=${K:-1000}
CHILDREN=${CHILDREN:-1}
SCENARIOS=${SCENARIOS:-register lookup}
MODES=${MODES:-rate closed}
QUIET_MAX=${QUIET_MAX:-15}
CONFIG=${CONFIG:-registrar}
MODULES=${MODULES:-sl maxfwd siputils rr tm usrloc registrar}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/$CONFIG-$(date +%Y%m%d-%H%M%S)}

table_only=0
[ "${1:-}" = "--table" ] && table_only=1
if [ "$table_only" = 0 ]; then
command -v kamailio >/dev/null || { echo "kamailio missing: scripts/deps.sh --bench" >&2; exit 2; }
mkdir -p "$OUT"
export QUIET_MAX DURATION K BUILD SUMMARY=$OUT/all-runs.log
anchor=$root/scripts/bench/run-anchor.sh

echo "== building Osprey (release) in $BUILD" >&2
# only what registrar.cfg loads, so work in progress in other modules cannot stop it
mods=""
for m in $MODULES; do mods+=" $BUILD/modules/$m/$m.so"; done
make -C "$root" -j2 BUILD="$BUILD" MODE=release "$BUILD/osprey" $mods "$BUILD/bench/osprey-load" \
    >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; exit 1; }
git -C "$root" rev-parse --short HEAD >"$OUT/commit" 2>/dev/null

# one run-anchor.sh run; $1 = label, $2 = scenario, $3 = rate; appends its ANCHOR line (with
# the load average of the moment) to $OUT/runs.log
run_one() {
    local label=$1 scen=$2 rate=$3 line load
    load=$(cut -d' ' -f1 /proc/loadavg)
    case "$label" in
        osprey)   line=$(ROUTER=osprey CHILDREN=$CHILDREN RATE=$rate \
                             "$anchor" "$CONFIG" "$scen" 2>>"$OUT/errors.log") ;;
        kamailio) line=$(ROUTER=kamailio CHILDREN=$CHILDREN RATE=$rate \
                             "$anchor" "$CONFIG" "$scen" 2>>"$OUT/errors.log") ;;
    esac
    line=$(echo "$line" | grep '^ANCHOR' | tail -1)
    if [ -z "$line" ]; then
        echo "  $label $scen rate=$rate: no result (see $OUT/errors.log)" >&2
        return
    fi
    echo "$line label=$label load1=$load" >>"$OUT/runs.log"
    echo "  $label $scen rate=$rate: $(echo "$line" | grep -o 'rps=[^ ]*\|p99_us=[^ ]*\|router_cpu_pct=[^ ]*\|fail=[^ ]*\|timeout=[^ ]*' | tr '\n' ' ')load=$load" >&2
}

for i in $(seq 1 "$RUNS"); do
    for s in $SCENARIOS; do
        for m in $MODES; do
            r=$RATE; [ "$m" = closed ] && r=0
            echo "== $s rate=$r, round $i/$RUNS" >&2
            run_one osprey "$s" "$r"
            run_one kamailio "$s" "$r"
        done
    done
done
fi

awk -v rate="$RATE" -v scens="$SCENARIOS" '
function med(s,   a, n, i, j, t) { n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (n == 0) return -1; return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function mn(s,   a, n, i, m) { n = split(s, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
function mx(s,   a, n, i, m) { n = split(s, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
/^ANCHOR / {
    delete f
    for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2]
    k = f["scenario"] SUBSEP f["label"]
    load[k] = load[k] " " f["load1"]
    if (f["rate"] + 0 > 0) {
        if (f["rps"] + 0 > 0) us[k] = us[k] " " sprintf("%.1f", f["router_cpu_pct"] * 10000 / f["rps"])
        p99[k] = p99[k] " " f["p99_us"]; rps[k] = rps[k] " " f["rps"]
        fails[k] += f["fail"] + f["timeout"]; n[k]++; other[k] = other[k] " " f["other_router_core_pct"]
    } else {
        crps[k] = crps[k] " " f["rps"]; cn[k]++; cfails[k] += f["fail"] + f["timeout"]
    }
}
END {
    printf "| scenario | router | CPU us/req at %s req/s (runs) | ratio to Kamailio | req/s achieved | p99 us | failures | closed-loop req/s (runs) | ratio to Kamailio | closed-loop failures | load avg median (range) | other load on router core %% |\n", rate
    printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    ns = split(scens, so, " ")
    for (s = 1; s <= ns; s++) {
        ko = so[s] SUBSEP "osprey"; kk = so[s] SUBSEP "kamailio"
        for (r = 1; r <= 2; r++) {
            k = (r == 1) ? ko : kk
            printf "| %s | %s | %.1f (%s) | %s | %.0f | %.0f | %d | %.0f (%s) | %s | %d | %s (%s–%s) | %s |\n",
                so[s], r == 1 ? "osprey" : "kamailio", med(us[k]), substr(us[k], 2),
                (r == 1 && med(us[kk]) > 0) ? sprintf("%.2fx", med(us[ko]) / med(us[kk])) : "-",
                med(rps[k]), med(p99[k]), fails[k] + 0, med(crps[k]), substr(crps[k], 2),
                (r == 1 && med(crps[kk]) > 0) ? sprintf("%.2fx", med(crps[ko]) / med(crps[kk])) : "-",
                cfails[k] + 0, med(load[k]), mn(load[k]), mx(load[k]), med(other[k])
        }
    }
}' "$OUT/runs.log" | tee "$OUT/table.md"
echo "runs: $OUT/runs.log" >&2
