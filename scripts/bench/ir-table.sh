#!/usr/bin/env bash
# ir-table.sh: instructions per request (scripts/bench/ir-per-req.sh, callgrind) of Osprey and,
# when it is installed (scripts/deps.sh --bench), Kamailio 5.6 running the same routing, for
# the five router benchmarks. `make bench-ir` builds what it needs and runs it.
#
#   scenario          Osprey config                     Kamailio config                 load
#   stateless OPTIONS scripts/bench/stateless.cfg       kamailio/stateless.cfg          options 1000 100
#   stateful OPTIONS  scripts/bench/stateful.cfg        kamailio/stateful-lua.cfg       options 1000 100
#   INVITE call       scripts/bench/stateful.cfg        kamailio/stateful-lua.cfg       invite 500 50
#   REGISTER          scripts/bench/registrar.cfg       kamailio/registrar-lua.cfg      register 1000 100
#   lookup -> relay   scripts/bench/registrar.cfg       kamailio/registrar-lua.cfg      lookup 1000 100
# (The Kamailio configs run the same Lua scripts as Osprey, scripts/bench/*.lua, through KEMI;
# the stateless one is native Kamailio script, as Osprey's stateless.lua mirrors it.) Each
# measurement runs copies of the configs on two free ports (scripts/bench/router-setup.sh).
#
# Prints a table: scenario, Osprey instr/req, Kamailio instr/req, ratio (Osprey / Kamailio);
# a cell shows "(N failed)" when requests failed or timed out, which makes it suspect.
# Environment: BUILD [build/release-fm]  KAM_CHILDREN [1] (Kamailio's -n; Osprey's configs
#   have children = 1)  ONLY ["" = all; a space-separated subset of: stateless stateful invite
#   register lookup; also dispatcher (make bench-dispatcher), not in the default]  ROUTERS ["osprey kamailio"]  OUT [$TMPDIR/osprey-bench/ir-<timestamp>]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/release-fm}
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
KAM_CHILDREN=${KAM_CHILDREN:-1}
ONLY=${ONLY:-stateless stateful invite register lookup}
ROUTERS=${ROUTERS:-osprey kamailio}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/ir-$(date +%Y%m%d-%H%M%S)}
export BUILD
mkdir -p "$OUT"
bench=$root/scripts/bench
bench_dir=$bench
. "$bench/router-setup.sh"
osprey=$build_dir/osprey
[ -x "$osprey" ] || { echo "no $osprey (make -j2 osprey modules)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed: scripts/deps.sh --bench" >&2; exit 2; }
have_kam=0
if [[ " $ROUTERS " == *" kamailio "* ]]; then
    if command -v kamailio >/dev/null && kamailio -V 2>/dev/null | grep -q 'kamailio 5\.'; then
        have_kam=1
    else
        echo "kamailio 5.x not installed (scripts/deps.sh --bench): Osprey only" >&2
    fi
fi

# key, label, load arguments, benchmark config (scripts/bench/router-setup.sh)
rows=(
    "stateless|stateless OPTIONS|options 1000 100|stateless"
    "stateful|stateful OPTIONS|options 1000 100|stateful"
    "invite|INVITE call|invite 500 50|stateful"
    "register|REGISTER|register 1000 100|registrar"
    "lookup|lookup -> relay|lookup 1000 100|registrar"
    "dispatcher|INVITE call via ds_select_dst|invite 500 50|dispatcher"
)

# "instr" or "instr (N failed)" or "error" from one ir-per-req.sh run of $2 (osprey|kamailio)
# with config $3 and load $4; its log in $OUT/$1.log
measure() {
    local name=$1 router=$2 config=$3 load=$4 line children=1
    [ "$router" = kamailio ] && children=$KAM_CHILDREN
    unset PROXY_PORT UAS_PORT
    bench_pick_ports && bench_router_cmd "$router" "$config" "$OUT/$name.cfg" "$children" 256 ||
        { echo error; return; }
    line=$(OUT="$OUT/$name" PROXY_PORT=$PROXY_PORT UAS_PORT=$UAS_PORT "$bench/ir-per-req.sh" \
        $load "${router_cmd[@]}" 2>"$OUT/$name.log" | tail -1)
    echo "$line" >>"$OUT/$name.log"
    if [[ $line =~ instructions_per_request=(-?[0-9]+)\ failures=([0-9]+) ]]; then
        if [ "${BASH_REMATCH[2]}" = 0 ]; then echo "${BASH_REMATCH[1]}"
        else echo "${BASH_REMATCH[1]} (${BASH_REMATCH[2]} failed)"; fi
    else
        echo "error"
    fi
}

table="| scenario | Osprey instr/req | Kamailio instr/req | ratio |"$'\n'"|---|---:|---:|---:|"
for row in "${rows[@]}"; do
    IFS='|' read -r key label load config <<<"$row"
    [[ " $ONLY " == *" $key "* ]] || continue
    o="-" k="-" ratio="-"
    if [[ " $ROUTERS " == *" osprey "* ]]; then
        echo "== $label: osprey" >&2
        o=$(measure "osprey-$key" osprey "$config" "$load")
        echo "   $o" >&2
    fi
    if [ "$have_kam" = 1 ]; then
        echo "== $label: kamailio -n $KAM_CHILDREN" >&2
        k=$(measure "kamailio-$key" kamailio "$config" "$load")
        echo "   $k" >&2
    fi
    if [[ $o =~ ^[0-9]+$ && $k =~ ^[0-9]+$ && $k -gt 0 ]]; then
        ratio=$(awk -v a="$o" -v b="$k" 'BEGIN { printf "%.2f", a / b }')
    fi
    table+=$'\n'"| $label | $o | $k | $ratio |"
done
echo "$table" | tee "$OUT/table.md"
echo "(callgrind, user-space instructions per request; logs in $OUT)" >&2
# a cell that could not be measured fails the target (a failed request only marks its cell)
! grep -q '| error |' "$OUT/table.md"
