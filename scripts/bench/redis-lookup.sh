#!/usr/bin/env bash
# redis-lookup.sh (make bench-redis-lookup): lookup -> relay through a second node for AORs
# registered on the first, with usrloc's store = "redis", against one node with the memory
# store. K AORs are registered on node A (osprey-load register, contacts = osprey-load's UAS);
# osprey-load lookup then sends MESSAGEs for them to node B, which finds them in Redis once
# (the warm-up) and from its cache afterwards, and relays them (tm) to the UAS. The same
# lookup against a single memory-only node is the reference. Osprey runs
# scripts/bench/registrar.cfg + registrar.lua (copies with the ports and usrloc's settings
# replaced); a redis-server of its own on a free loopback port, no persistence.
#
# Environment: BUILD [build/release-fm] K [1000] DURATION [5] WARMUP [2] RUNS [3]
#              WINDOW [64] CHILDREN [1]
# Everything it starts is stopped by PID at exit.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/release-fm}
K=${K:-1000} DURATION=${DURATION:-5} WARMUP=${WARMUP:-2} RUNS=${RUNS:-3}
WINDOW=${WINDOW:-64} CHILDREN=${CHILDREN:-1}
build_dir=$root/$BUILD
bench_dir=$root/scripts/bench
source "$bench_dir/router-setup.sh"
load=$build_dir/bench/osprey-load
tmp=$(mktemp -d "${TMPDIR:-/tmp}/osprey-redis-lookup-XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do stop_tree "$p"; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

tcp_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
# A free four-digit port (UDP and TCP), not handed out before.
taken=" "
free_port() {
    local p
    for _ in $(seq 1 500); do
        p=$((5100 + RANDOM % 4800))
        [[ $taken == *" $p "* ]] && continue
        port_busy $p || tcp_busy $p && continue
        taken+="$p "
        echo $p
        return 0
    done
    return 1
}

redis_port=$(free_port) && uas_port=$(free_port) || { echo "no free ports" >&2; exit 1; }
/usr/bin/redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.05
done
"$load" uas -l "127.0.0.1:$uas_port" -d 3600 >"$tmp/uas.log" 2>&1 &
pids+=($!)

# start_node NAME PORT USRLOC_PARAMS: an osprey on PORT relaying to the UAS.
start_node() {
    local name=$1 port=$2 ul=$3
    mkdir -p "$tmp/$name"
    sed -e "s/127\.0\.0\.1:5070/127.0.0.1:$port/" -e "s|db_mode = 0;|$ul|" \
        "$bench_dir/registrar.cfg" >"$tmp/$name/registrar.cfg"
    cp "$bench_dir/registrar.lua" "$tmp/$name/registrar.lua"
    "$build_dir/osprey" -D -E -f "$tmp/$name/registrar.cfg" -n "$CHILDREN" \
        >"$tmp/$name/log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        port_busy "$port" && return 0
        sleep 0.05
    done
    echo "node $name did not start:" >&2
    cat "$tmp/$name/log" >&2
    return 1
}

rps_of() { sed -n 's/.* rps=\([0-9.]*\).*/\1/p' | head -1; }
fails_of() { sed -n 's/.* fail=\([0-9]*\) timeout=\([0-9]*\).*/\1+\2/p' | head -1; }

redis="db_mode = 0; store = \"redis\"; redis_url = \"redis://127.0.0.1:$redis_port/0\";"
echo "redis-lookup: lookup -> relay, $K AORs, window $WINDOW, $DURATION s (+$WARMUP s warm-up) x $RUNS, children $CHILDREN"
mem_all=() red_all=()
for run in $(seq 1 "$RUNS"); do
    redis-cli -p "$redis_port" flushall >/dev/null
    redis-cli -p "$redis_port" config resetstat >/dev/null
    m=$(free_port) a=$(free_port) b=$(free_port) || exit 1
    start_node "mem$run" "$m" "db_mode = 0;" || exit 1
    start_node "a$run" "$a" "$redis node_id = \"A\";" || exit 1
    start_node "b$run" "$b" "$redis node_id = \"B\";" || exit 1
    for target in "$m" "$a"; do
        "$load" uac -t "127.0.0.1:$target" -s register -K "$K" -n "$K" -w 32 \
            -u "127.0.0.1:$uas_port" >"$tmp/reg.log" 2>&1
    done
    mem=$("$load" uac -t "127.0.0.1:$m" -s lookup -K "$K" -w "$WINDOW" -d "$DURATION" \
        -W "$WARMUP" -u "127.0.0.1:$uas_port" 2>&1)
    red=$("$load" uac -t "127.0.0.1:$b" -s lookup -K "$K" -w "$WINDOW" -d "$DURATION" \
        -W "$WARMUP" -u "127.0.0.1:$uas_port" 2>&1)
    hits=$(redis-cli -p "$redis_port" info commandstats | grep -o 'cmdstat_hgetall:calls=[0-9]*')
    printf "  run %d  memory, one node: %8s req/s (fail+timeout %s)   redis, via node B: %8s req/s (fail+timeout %s)  Redis HGETALLs in all (one per AOR for A's first saves, one per AOR for B's first lookups): %s\n" \
        "$run" "$(rps_of <<<"$mem")" "$(fails_of <<<"$mem")" "$(rps_of <<<"$red")" \
        "$(fails_of <<<"$red")" "${hits#cmdstat_hgetall:calls=}"
    mem_all+=("$(rps_of <<<"$mem")") red_all+=("$(rps_of <<<"$red")")
    n=${#pids[@]}
    for p in "${pids[@]:n-3:3}"; do stop_tree "$p"; done
    pids=("${pids[@]:0:n-3}")
done
median() { printf "%s\n" "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mm=$(median "${mem_all[@]}") rm_=$(median "${red_all[@]}")
echo
echo "| lookup -> relay | req/s (median of $RUNS) | ratio |"
echo "|---|---:|---:|"
echo "| memory store, one node | $mm | 1.00 |"
awk -v a="$rm_" -v b="$mm" 'BEGIN { printf "| redis store, through node B (AORs registered on A) | %s | %.2f |\n", a, (b > 0 ? a / b : 0) }'
