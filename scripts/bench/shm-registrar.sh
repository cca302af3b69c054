#!/usr/bin/env bash
# shm-registrar.sh: shm per registration, Osprey and Kamailio side by side: shm in use before
# and after registering N distinct AORs once each (osprey-load uac -s register -n N -K N),
# divided by N. Osprey: real_used of the master's
# "shm:" line, logged on SIGUSR1. Kamailio: real_used of `kamcmd core.shmmem` (a copy of
# scripts/bench/kamailio/registrar-lua.cfg with the ctl module added, so kamcmd can ask it).
# Both run registrar.lua with usrloc in memory (hash_size 12), one worker, on their own ports.
#
#   scripts/bench/shm-registrar.sh        # after run-anchor-registrar.sh has built $BUILD
#
# Environment: BUILD [build/regbench]  N [100000]  PORT [5170] (proxy)  UAS_PORT [5190]
#   OUT [$TMPDIR/osprey-bench/shm-<timestamp>]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/regbench}
N=${N:-100000}
PORT=${PORT:-5170}
UAS_PORT=${UAS_PORT:-5190}
OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/shm-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
LOAD=$build_dir/bench/osprey-load
make -C "$root" -j2 BUILD="$BUILD" MODE=release "$BUILD/bench/osprey-load" >"$OUT/build.log" 2>&1 ||
    { tail -20 "$OUT/build.log" >&2; exit 1; }
for p in "$PORT" "$UAS_PORT"; do
    ss -Hlun "sport = :$p" | grep -q . && { echo "UDP port $p in use (set PORT/UAS_PORT)" >&2; exit 2; }
done

router_pid=""
stop() { [ -n "$router_pid" ] && kill -TERM "$router_pid" 2>/dev/null && wait "$router_pid" 2>/dev/null; router_pid=""; }
trap stop EXIT
wait_port() { for _ in $(seq 1 100); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }
register() {
    "$LOAD" uac -t "127.0.0.1:$PORT" -s register -n "$N" -K "$N" -w 32 -u "127.0.0.1:$UAS_PORT" \
        -d 120 >"$OUT/$1-register.log" 2>&1
    grep '^RESULT' "$OUT/$1-register.log" | tail -1 >&2
}

# --- Osprey
sed -e "s/127.0.0.1:5070/127.0.0.1:$PORT/" -e "s|\"registrar.lua\"|\"$root/scripts/bench/registrar.lua\"|" \
    "$root/scripts/bench/registrar.cfg" >"$OUT/osprey.cfg"
"$build_dir/osprey" -D -E -f "$OUT/osprey.cfg" >"$OUT/osprey.log" 2>&1 &
router_pid=$!
wait_port "$PORT" || { tail -5 "$OUT/osprey.log" >&2; exit 1; }
sleep 1
shm_osprey() {  # real_used of the master's newest shm line, after a SIGUSR1
    local before; before=$(grep -c 'master\[.*shm:' "$OUT/osprey.log")
    kill -USR1 "$router_pid"
    for _ in $(seq 1 50); do
        [ "$(grep -c 'master\[.*shm:' "$OUT/osprey.log")" -gt "$before" ] && break; sleep 0.1
    done
    grep 'master\[.*shm:' "$OUT/osprey.log" | tail -1 | sed 's/.* real_used \([0-9]*\).*/\1/'
}
o1=$(shm_osprey); register osprey; o2=$(shm_osprey)
stop

# --- Kamailio
mkdir -p "$OUT/kam"
sed "s/127.0.0.1:5070/127.0.0.1:$PORT/" "$root/scripts/bench/kamailio/common.inc" >"$OUT/kam/common.inc"
sed -e "s|^cfgengine|loadmodule \"ctl.so\"\nmodparam(\"ctl\", \"binrpc\", \"unix:$OUT/kam/ctl.sock\")\ncfgengine|" \
    "$root/scripts/bench/kamailio/registrar-lua.cfg" >"$OUT/kam/registrar-lua.cfg"
kamailio -DD -E -f "$OUT/kam/registrar-lua.cfg" -m 256 -M 16 -n 1 -x tlsf \
    -A "LUA_SCRIPT=\"$root/scripts/bench/registrar.lua\"" >"$OUT/kamailio.log" 2>&1 &
router_pid=$!
wait_port "$PORT" || { tail -5 "$OUT/kamailio.log" >&2; exit 1; }
sleep 1
shm_kam() { kamcmd -s "unix:$OUT/kam/ctl.sock" core.shmmem | awk '$1 == "real_used:" { print $2 }'; }
k1=$(shm_kam); register kamailio; k2=$(shm_kam)
stop

awk -v o1="$o1" -v o2="$o2" -v k1="$k1" -v k2="$k2" -v n="$N" 'BEGIN {
    o = (o2 - o1) / n; k = (k2 - k1) / n
    printf "shm per registration (%d AORs): osprey %.0f B (real_used %d -> %d), kamailio %.0f B (%d -> %d), ratio %.2fx\n",
        n, o, o1, o2, k, k1, k2, (k > 0 ? o / k : -1) }' | tee "$OUT/shm.txt"
