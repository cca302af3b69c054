#!/usr/bin/env bash
# run-rtpengine.sh: calls per second with media relay through rtpengine, Osprey against
# Kamailio 5.6 (its own rtpengine module) running the same KEMI Lua script
# (scripts/bench/rtpengine.lua), against the same rtpengine (user space, loopback).
#
# Each call: INVITE with SDP (rtpengine offer), 200 with SDP (answer), ACK, BYE (delete):
# three NG exchanges per call. sipp's built-in uac drives CALLS calls with at most LIMIT at a
# time against sipp's built-in uas; the router runs pinned to ROUTER_CPU with CHILDREN SIP
# workers (a worker waits for each NG answer, so several keep the router busy), sipp and
# rtpengine to LOAD_CPU. Prints one line per router:
#   RTPENGINE router=osprey calls=... failed=... seconds=... cps=... router_cpu_pct=...
# (router_cpu_us_per_call: the router's CPU time, all its processes, per completed call) and
# the ratio. Everything started here is stopped by PID.
#
# Routers alternate for ROUNDS rounds (the machine is shared; one run can catch a busy
# moment); the last lines give the median of each and the ratios of the medians.
#
# Environment: BUILD [build/release-fm]  CALLS [4000]  LIMIT [50]  RATE [4000]  ROUNDS [3]
#              CHILDREN [1]  ROUTER_CPU [0]  LOAD_CPU [1]  ROUTERS ["osprey kamailio"]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/scripts/bench
BUILD=${BUILD:-build/release-fm}
case $BUILD in /*) build_dir=$BUILD ;; *) build_dir=$root/$BUILD ;; esac
CALLS=${CALLS:-4000}
LIMIT=${LIMIT:-50}
RATE=${RATE:-4000}
ROUTER_CPU=${ROUTER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
ROUTERS=${ROUTERS:-osprey kamailio}
ROUNDS=${ROUNDS:-3}
CHILDREN=${CHILDREN:-1}
out=$(mktemp -d "${TMPDIR:-/tmp}/osprey-bench-rtpengine.XXXXXX")
pids=()

# Stops what this script started, children included (Kamailio's workers outlive their main
# process for a moment; a next router must not share the port with them), and waits until
# the ports are free again.
stop_all() {
    local all=() p
    for p in "${pids[@]}"; do all+=("$p" $(pgrep -P "$p")); done
    for p in "${all[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${all[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    pids=()
    for _ in $(seq 100); do
        ss -Huln 2>/dev/null | grep -qE '127\.0\.0\.1:(5170|5180|5190|22270)\b' || break
        sleep 0.1
    done
}
trap stop_all EXIT

wait_udp_answer() {  # port: until an OPTIONS gets any answer (bounded)
    python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1]); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKprobe\r\n"
       "From: <sip:p@x>;tag=1\r\nTo: <sip:p@x>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\n"
       "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % port).encode()
for _ in range(100):
    s.sendto(msg, ("127.0.0.1", port))
    try:
        s.recvfrom(4096); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

wait_ng_pong() {  # until rtpengine answers an NG ping (bounded), so no router starts against
    python3 - <<'PY'  # a relay that is not listening yet (Kamailio pings it once at start)
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
for _ in range(100):
    s.sendto(b"p1 d7:command4:pinge", ("127.0.0.1", 22270))
    try:
        if b"pong" in s.recvfrom(4096)[0]: sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() {  # the router and its children
    local t=0 c
    for c in $1 $(pgrep -P "$1"); do t=$((t + $(cpu_ticks "$c"))); done
    echo $t
}

run_one() {
    local router=$1 dir=$out/$1-$2
    mkdir -p "$dir"
    taskset -c "$LOAD_CPU" rtpengine --foreground --log-stderr --config-file=none --table=-1 \
        --interface=127.0.0.1 --listen-ng=127.0.0.1:22270 --port-min=40000 --port-max=44999 \
        --delete-delay=0 --log-level=3 >"$dir/rtpengine.log" 2>&1 &
    pids+=($!)
    wait_ng_pong || { echo "rtpengine did not start (see $dir/rtpengine.log)"; return 1; }
    # The UAS first: the readiness probe (an OPTIONS) is relayed to it.
    (cd "$dir" && exec taskset -c "$LOAD_CPU" sipp -sn uas -i 127.0.0.1 -p 5190 -nostdin \
        >/dev/null 2>&1) &
    pids+=($!)
    case $router in
        osprey)
            taskset -c "$ROUTER_CPU" "$build_dir/osprey" -D -E -n "$CHILDREN" \
                -f "$bench/rtpengine.cfg" \
                >"$dir/router.log" 2>&1 &
            ;;
        kamailio)
            [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/rtpengine.so ] ||
                { echo "RTPENGINE router=kamailio unavailable (no rtpengine.so)"; return 1; }
            taskset -c "$ROUTER_CPU" kamailio -DD -E -f "$bench/kamailio/rtpengine-lua.cfg" \
                -A "LUA_SCRIPT=\"$bench/rtpengine.lua\"" -m 256 -M 16 -n "$CHILDREN" -Y "$dir" \
                >"$dir/router.log" 2>&1 &
            ;;
    esac
    local rpid=$!
    pids+=($rpid)
    wait_udp_answer 5170 || { echo "router $router did not start (see $dir/router.log)"; return 1; }
    local t0 c0 t1 c1 rc
    c0=$(tree_ticks "$rpid")
    t0=$(date +%s.%N)
    (cd "$dir" && taskset -c "$LOAD_CPU" sipp -sn uac -i 127.0.0.1 -p 5180 127.0.0.1:5170 \
        -s bob -m "$CALLS" -l "$LIMIT" -r "$RATE" -d 0 -nostdin -trace_stat -stf stat.csv -trace_err \
        -timeout 120 >"$dir/uac.log" 2>&1)
    rc=$?
    t1=$(date +%s.%N)
    c1=$(tree_ticks "$rpid")
    python3 - "$router" "$dir/stat.csv" "$t0" "$t1" "$c0" "$c1" "$(getconf CLK_TCK)" "$rc" <<'PY'
import csv, sys
router, path, t0, t1, c0, c1, hz, rc = sys.argv[1:]
rows = list(csv.reader(open(path), delimiter=';'))
head, last = rows[0], rows[-1]
ok = int(last[head.index('SuccessfulCall(C)')]); failed = int(last[head.index('FailedCall(C)')])
secs = float(t1) - float(t0)
cpu = (int(c1) - int(c0)) / int(hz) / secs * 100
cpu_us = (int(c1) - int(c0)) / int(hz) * 1e6 / max(ok, 1)
print("RTPENGINE router=%s calls=%d failed=%d seconds=%.2f cps=%.0f router_cpu_pct=%.0f "
      "router_cpu_us_per_call=%.0f sipp_rc=%s" % (router, ok, failed, secs, ok / secs, cpu,
                                                   cpu_us, rc))
PY
    stop_all
    sleep 1
}

# Not in a pipe: run_one records what it starts in this shell's pids.
for round in $(seq "$ROUNDS"); do
    for r in $ROUTERS; do
        run_one "$r" "$round" >"$out/$r.line"
        stop_all
        cat "$out/$r.line" | tee -a "$out/summary"
    done
done
python3 - "$out/summary" <<'PY'
import re, statistics, sys
cps, cpu, failed = {}, {}, {}
for line in open(sys.argv[1]):
    m = re.search(r"router=(\w+) calls=\d+ failed=(\d+) .*cps=(\d+) .*"
                  r"router_cpu_us_per_call=(\d+)", line)
    if not m: continue
    r = m.group(1)
    failed[r] = failed.get(r, 0) + int(m.group(2))
    cps.setdefault(r, []).append(int(m.group(3)))
    cpu.setdefault(r, []).append(int(m.group(4)))
for r in cps:
    print("RTPENGINE median router=%s cps=%d router_cpu_us_per_call=%d failed_total=%d runs=%d"
          % (r, statistics.median(cps[r]), statistics.median(cpu[r]), failed[r], len(cps[r])))
if "osprey" in cps and "kamailio" in cps:
    print("RTPENGINE ratio osprey/kamailio cps=%.2f cpu_per_call=%.2f" % (
        statistics.median(cps["osprey"]) / statistics.median(cps["kamailio"]),
        statistics.median(cpu["osprey"]) / statistics.median(cpu["kamailio"])))
PY
echo "logs: $out"
