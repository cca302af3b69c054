#!/usr/bin/env bash
# make bench-tls: TLS with Osprey and Kamailio (+ kamailio-tls-modules) side by side on this
# machine (docs/tls.md "Benchmark"):
#   - full handshakes per second, ECDSA P-256 and RSA-2048 certificates (TLS 1.3)
#   - resumed handshakes per second (TLS 1.3 session tickets, ECDSA)
#   - churn: handshake/close cycles from 4 client processes; the server must still be alive and
#     hold no connection afterwards
#   - PSS per idle TLS connection with 2000 held: sum of Pss over the server's process tree
#     (/proc/<pid>/smaps_rollup), after minus before, divided by 2000
#   - kernel TLS (the `tls` TCP ULP) available or not
# Both servers get two TCP workers and the same load from osprey-tls-load (test/bench/tlsload/),
# which runs on the same two cores: the rates are what the pair does together.
# Env: BUILD (build dir), SECONDS_PER_RUN (default 10), HOLD (default 2000), ROUTERS
# ("osprey kamailio").
set -u
# Kamailio may crash under the churn (docs/tls.md): no core files of a few hundred MB.
ulimit -c 0
here=$(cd "$(dirname "$0")" && pwd)
bench_dir=$here
build_dir=$(cd "${BUILD:-build/release-fm}" && pwd)
source "$here/router-setup.sh"
load="$build_dir/bench/osprey-tls-load"
secs=${SECONDS_PER_RUN:-10}
hold=${HOLD:-2000}
routers=${ROUTERS:-osprey kamailio}
command -v kamailio >/dev/null || routers=${routers/kamailio/}
work=$(mktemp -d /tmp/osprey-bench-tls.XXXXXX)
[ -n "${KEEP:-}" ] && echo "keeping $work" >&2 || trap 'rm -rf "$work"' EXIT

# Two certificates, made here with the openssl command line.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -keyout "$work/ecdsa.key" -out "$work/ecdsa.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
    -subj /CN=localhost -keyout "$work/rsa.key" -out "$work/rsa.pem" 2>/dev/null

free_tcp_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 20000))
        ss -Hltn "sport = :$p" | grep -q . || { echo $p; return 0; }
    done
    return 1
}

# start ROUTER CERT: starts the server on a free port with that certificate; sets pid, port,
# dir. Tries again on another port when the server is gone (the port was taken meanwhile).
start() {
    local try
    for try in 1 2 3; do
        start_once "$@" && return 0
        echo "$1 did not start (see below); trying another port" >&2
        tail -3 "$dir/log" >&2
        stop
    done
    return 1
}

start_once() {
    local router=$1 cert=$2
    port=$(free_tcp_port)
    dir="$work/$router-$cert"
    mkdir -p "$dir"
    cp "$work/$cert.pem" "$dir/cert.pem"
    cp "$work/$cert.key" "$dir/key.pem"
    case $router in
        osprey)
            sed -e "s/127\.0\.0\.1:5071/127.0.0.1:$port/" "$here/tls.cfg" >"$dir/tls.cfg"
            cp "$here/tls.lua" "$dir/tls.lua"
            "$build_dir/osprey" -D -E -f "$dir/tls.cfg" >"$dir/log" 2>&1 &
            ;;
        kamailio)
            sed -e "s/127\.0\.0\.1:5071/127.0.0.1:$port/" "$here/kamailio/tls.cfg" >"$dir/kamailio.cfg"
            printf '[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\nprivate_key = %s\ncertificate = %s\n' \
                "$dir/key.pem" "$dir/cert.pem" >"$dir/kamailio-tls.cfg"
            kamailio -DD -E -f "$dir/kamailio.cfg" -m 512 -M 16 -Y "$dir" \
                -A "TLS_CONFIG=\"$dir/kamailio-tls.cfg\"" -A "CTL_SOCKET=\"unix:$dir/ctl\"" \
                >"$dir/log" 2>&1 &
            ;;
    esac
    pid=$!
    for _ in $(seq 1 100); do
        ss -Hltn "sport = :$port" | grep -q . && break
        sleep 0.1
    done
    sleep 0.5  # the workers after the listener
    # Listening, and by one of ours (the port may have been taken meanwhile).
    kill -0 "$pid" 2>/dev/null || return 1
    local holders p
    holders=$(ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | cut -d= -f2 | tr '\n' ' ')
    for p in $(tree_of "$pid"); do [[ " $holders " == *" $p "* ]] && return 0; done
    return 1
}

stop() {
    local tree
    tree=$(tree_of "$pid")
    stop_tree "$pid" $tree
    wait "$pid" 2>/dev/null
}

pss_kb() {
    local total=0 p v
    for p in $(tree_of "$1"); do
        v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        total=$((total + ${v:-0}))
    done
    echo $total
}

rate_of() { sed -n 's/.* rate \([0-9]*\)\/s.*/\1/p'; }

# run NAME ARGS...: one load run against the server started last; records the rate and the
# handshakes per second of server CPU (utime + stime of its process tree: on a shared machine
# the rate depends on what else runs, the CPU cost per handshake much less).
run() {
    local name=$1 tree b a out ticks
    shift
    tree=$(tree_of "$pid")
    b=$(cpu_ticks $tree)
    out=$("$load" handshakes "$port" "$@")
    a=$(cpu_ticks $tree)
    ticks=$((a - b))
    echo "$name: $out; server CPU $((ticks * 10)) ms"
    result[$name]=$(echo "$out" | rate_of)
    local n
    n=$(echo "$out" | sed -n 's/^handshakes \([0-9]*\).*/\1/p')
    result[$name-count]=$n
    result[$name-cpu]=$(awk -v n="$n" -v t="$ticks" 'BEGIN { if (t > 0) printf "%.0f", n * 100 / t; else print "-" }')
    result[$name-resumed]=$(echo "$out" | sed -n 's/.* resumed \([0-9]*\).*/\1/p')
    result[$name-failed]=$(echo "$out" | sed -n 's/.* failed \([0-9]*\).*/\1/p')
}

alive() { kill -0 "$pid" 2>/dev/null && echo alive || echo DEAD; }

declare -A result
for router in $routers; do
    for cert in ecdsa rsa; do
        start "$router" "$cert"
        run "$router-$cert" "$secs" --inflight 16 --procs 2
        if [ "$cert" = ecdsa ]; then
            run "$router-resumed" "$secs" --inflight 16 --procs 2 --resume
        fi
        result[$router-$cert-alive]=$(alive)
        stop
    done
    # Idle memory, on a fresh server: warm up, baseline, hold, measure.
    start "$router" ecdsa
    coproc warm { "$load" hold "$port" 50; }
    read -r _ <&"${warm[0]}"; exec {warm[1]}>&-; wait $warm_PID 2>/dev/null
    sleep 1
    before=$(pss_kb "$pid")
    coproc held { "$load" hold "$port" "$hold"; }
    read -r line <&"${held[0]}"
    sleep 1
    after=$(pss_kb "$pid")
    echo "$router hold: $line; PSS before $before KB, with $hold held $after KB"
    if [ "$(alive)" = alive ] && [ "${line#held $hold }" != "$line" ]; then
        result[$router-pss]=$(awk -v a="$after" -v b="$before" -v n="$hold" 'BEGIN { printf "%.1f", (a - b) / n }')
    fi
    exec {held[1]}>&-; wait $held_PID 2>/dev/null
    # Churn right after the held connections are torn down: CHURN handshake/close cycles from 4
    # client processes; then alive, and no connection left?
    sleep 1
    run "$router-churn" 120 --inflight 8 --procs 4 --count "${CHURN:-20000}"
    result[$router-churn-alive]=$(alive)
    stop
done

if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
    ktls="available (tcp_available_ulp lists tls)"
else
    ktls="not available: the kernel offers no 'tls' TCP ULP ($(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null))"
fi

echo
echo "TLS on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; ${secs}s per run"
printf '%-46s' "" ; for r in $routers; do printf '%16s' "$r"; done; echo
row() {
    printf '%-46s' "$1"
    for r in $routers; do printf '%16s' "${result[$r-$2]:--}"; done
    echo
}
row "full handshakes/s, ECDSA P-256" ecdsa
row "  per second of server CPU" ecdsa-cpu
row "full handshakes/s, RSA-2048" rsa
row "  per second of server CPU" rsa-cpu
row "resumed handshakes/s (TLS 1.3 tickets, ECDSA)" resumed
row "  per second of server CPU" resumed-cpu
row "  handshakes that resumed" resumed-resumed
row "PSS KB per idle connection ($hold held)" pss
row "churn: handshake/close cycles done" churn-count
row "  failed" churn-failed
row "  server after the churn" churn-alive
row "  server after the ECDSA runs" ecdsa-alive
echo "kernel TLS: $ktls"
