#!/usr/bin/env bash
# Flood protection (make bench-flood; docs/benchmarks.md "Flood"). Per router (Osprey with pike
# and early_drop, Kamailio 5.6 with pike + htable ban when installed), same Lua script
# (scripts/bench/flood.lua), 2 workers each:
#   1. cost of an answered OPTIONS: osprey-load sends OPTIONS at OPTIONS_RATE/s for 5 s from
#      127.0.0.1; router CPU (all its processes) divided by the OPTIONS answered;
#   2. a legitimate client (scripts/bench/flood-client.py, 127.0.0.77) registers and calls every
#      100 ms with RFC 3261 retransmissions for CLIENT_S seconds, while from its second second
#      osprey-flood (127.0.0.66) sends OPTIONS as fast as it can for FLOOD_S seconds: the
#      client's success % and latency, and the router CPU per flood message it received
#      (Osprey: pike:early_dropped + core:rcv_requests; Kamailio: core:rcv_requests).
#   BUILD [build/release-fm]  ROUTERS ["osprey kamailio"]  CLIENT_S [20]  FLOOD_S [14]
#   OPTIONS_RATE [5000]
set -uo pipefail
BUILD=${BUILD:-build/release-fm}
ROUTERS=${ROUTERS:-osprey kamailio}
CLIENT_S=${CLIENT_S:-20}
FLOOD_S=${FLOOD_S:-14}
OPTIONS_RATE=${OPTIONS_RATE:-5000}
PORT_WAIT=${PORT_WAIT:-30}
bench_dir=$(cd "$(dirname "$0")" && pwd)
build_dir=$(cd "$BUILD" && pwd)
. "$bench_dir/router-setup.sh"
bench_pick_ports || exit 1
ports_free || exit 1
work=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
ports="s/127\.0\.0\.1:5070/127.0.0.1:$PROXY_PORT/g; s/127\.0\.0\.1:5090/127.0.0.1:$UAS_PORT/g"

# counter ROUTER NAME: the router's statistic NAME (group:name) now.
counter() {
    case "$1" in
        osprey)
            "$build_dir/ospreyctl" -c "$work/osprey/flood.cfg" -j stats.get_statistics "$2" 2>/dev/null |
                python3 -c 'import json,sys
d=json.load(sys.stdin); v=d[0] if isinstance(d,list) else d
print(int(str(v).split("=")[-1].strip()) if not isinstance(v,dict) else int(list(v.values())[0]))' 2>/dev/null || echo 0 ;;
        kamailio)
            kamcmd -s "unix:$work/kamailio/ctl" stats.get_statistics all 2>/dev/null |
                awk -F' = ' -v n="$2" '$1 == n {print $2; exit}' ;;
    esac
}

run_router() {
    local router=$1 dir="$work/$1" rpid tree
    mkdir -p "$dir"
    case "$router" in
        osprey)
            sed -e "$ports" "$bench_dir/flood.cfg" >"$dir/flood.cfg"
            sed -e "$ports" "$bench_dir/flood.lua" >"$dir/flood.lua"
            "$build_dir/osprey" -D -E -f "$dir/flood.cfg" >"$dir/log" 2>&1 &
            rpid=$! ;;
        kamailio)
            command -v kamailio >/dev/null || { echo "kamailio: not installed, skipped"; return 0; }
            sed -e "$ports" -e "s/^#!define UAS_PORT 5090/#!define UAS_PORT $UAS_PORT/" \
                "$bench_dir/kamailio/common.inc" >"$dir/common.inc"
            sed -i 's/^children=4/children=2/' "$dir/common.inc"
            cp "$bench_dir/kamailio/flood-lua.cfg" "$dir/flood-lua.cfg"
            sed -e "$ports" "$bench_dir/flood.lua" >"$dir/flood.lua"
            kamailio -DD -E -f "$dir/flood-lua.cfg" -m 128 -M 16 -n 2 -x tlsf \
                -A "LUA_SCRIPT=\"$dir/flood.lua\"" -A "CTL_SOCKET=\"unix:$dir/ctl\"" \
                >"$dir/log" 2>&1 &
            rpid=$! ;;
    esac
    pids+=("$rpid")
    for _ in $(seq 1 100); do owns_port "$PROXY_PORT" "$rpid" && break; sleep 0.1; done
    if ! owns_port "$PROXY_PORT" "$rpid"; then
        echo "$router did not start:"; tail -20 "$dir/log"; return 1
    fi
    sleep 0.5
    tree=$(tree_of "$rpid")

    # 1. an answered OPTIONS
    local t0 t1 res ok cpu_opt
    t0=$(cpu_ticks $tree)
    res=$("$build_dir/bench/osprey-load" uac -t "127.0.0.1:$PROXY_PORT" -s options -b 127.0.0.1 \
        -r "$OPTIONS_RATE" -d 5 -w 256 2>&1 | grep '^RESULT')
    t1=$(cpu_ticks $tree)
    ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$res")
    cpu_opt=$(python3 -c "print(f'{($t1-$t0)/$hz*1e6/max(1,${ok:-0}):.2f}')")

    # 2. the legitimate client under a flood
    local c0 c1 d0 d1 f0 f1 flood client per_flood got
    python3 "$bench_dir/flood-client.py" -t "127.0.0.1:$PROXY_PORT" -d "$CLIENT_S" \
        >"$dir/client" 2>&1 &
    local cpid=$!
    pids+=("$cpid")
    sleep 1
    c0=$(counter "$router" core:rcv_requests)
    d0=0; [ "$router" = osprey ] && d0=$(counter osprey pike:early_dropped)
    f0=$(cpu_ticks $tree)
    flood=$("$build_dir/bench/osprey-flood" -t "127.0.0.1:$PROXY_PORT" -b 127.0.0.66 -d "$FLOOD_S")
    f1=$(cpu_ticks $tree)
    c1=$(counter "$router" core:rcv_requests)
    d1=0; [ "$router" = osprey ] && d1=$(counter osprey pike:early_dropped)
    wait "$cpid"
    client=$(cat "$dir/client")
    echo "   (counters: rcv_requests $c0 -> $c1, early_dropped $d0 -> $d1)" >&2
    got=$(( (c1 - c0) + (d1 - d0) ))
    per_flood=$(python3 -c "print(f'{($f1-$f0)/$hz*1e6/max(1,$got):.2f}')")
    echo "== $router"
    echo "   OPTIONS answered: ${ok:-0} in 5 s at $OPTIONS_RATE/s -> ${cpu_opt} us router CPU each"
    echo "   $flood; router received $got of them: $(python3 -c "print(f'{($f1-$f0)/$hz:.2f}')") s router CPU -> ${per_flood} us each ($(python3 -c "print(f'{100*$per_flood/max(0.001,$cpu_opt):.1f}')") % of an answered OPTIONS)"
    echo "   legitimate client: $client"
    grep -c "PIKE - BLOCKing\|ALERT: pike blocking" "$dir/log" | sed 's/^/   ban log lines: /'
    stop_tree "$rpid" $tree
}

"$build_dir/bench/osprey-load" uas -l "127.0.0.1:$UAS_PORT" -d 600 >"$work/uas.log" 2>&1 &
pids+=("$!")
for r in $ROUTERS; do run_router "$r"; done
exit 0
