#!/usr/bin/env bash
# natping.sh: what NAT keepalives cost (make bench-natping, docs/benchmarks.md "NAT keepalives").
#
# Osprey starts with usrloc (db_mode 2) loading N pinged bindings (default 100,000, every one
# with the sipping_bflag) from an SQLite file written here, and nathelper pinging every
# INTERVAL seconds (default 30). Once the pinger runs, its process's CPU time (utime + stime
# from /proc/<pid>/stat) is read over one full interval, along with how many pings it sent
# (nathelper:natping_sent over the control socket). The target: at most 5 % of one core.
# The bindings point at a local UDP port nobody reads, so the pings cost the pinger what they
# would cost it in production (build + sendmsg) and nothing else.
#   N [100000], INTERVAL [30], BUILD [build/release-fm]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/router-setup.sh
BUILD=${BUILD:-build/release-fm}
N=${N:-100000}
INTERVAL=${INTERVAL:-30}
OSPREY=$PWD/$BUILD/osprey
[ -x "$OSPREY" ] || { echo "no $OSPREY (make osprey modules)" >&2; exit 1; }

dir=$(mktemp -d /tmp/osprey-natping-XXXXXX)
router_pid="" tree=""
cleanup() {
    if [ -n "$router_pid" ]; then
        [ -z "$tree" ] && tree=$(tree_of "$router_pid")
        stop_tree "$router_pid" $tree || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PROXY_PORT="" UAS_PORT=""
bench_pick_ports
now=$(date +%s)
sqlite3 "$dir/ul.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE location (aor TEXT NOT NULL, contact TEXT NOT NULL, expires INTEGER, q INTEGER,
  callid TEXT, cseq INTEGER, path TEXT, received TEXT, user_agent TEXT, instance TEXT,
  reg_id INTEGER, flags INTEGER, last_modified INTEGER, socket TEXT,
  PRIMARY KEY (aor, contact)) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO location SELECT 'u' || i, 'sip:u' || i || '@192.168.' || (i % 250) || '.' || (i % 200 + 2) || ':5060',
  $now + 7200, -1, 'cid-' || i, 1, '', 'sip:127.0.0.1:$UAS_PORT', 'bench', '', 0, 128,
  $now * 1000, 'udp:127.0.0.1:$PROXY_PORT' FROM n;
SQL
cat >"$dir/natping.lua" <<'LUA'
function ksr_request_route()
    KSR.sl.sl_send_reply(404, "Not Here")
end
LUA
cat >"$dir/osprey.cfg" <<CFG
listen = ( "udp:127.0.0.1:$PROXY_PORT" );
children = 1;
shm_size = 256;
pkg_size = 16;
log_level = "info";
script = "natping.lua";
ctl_socket = "osprey_ctl";
jsonrpc_socket = "osprey_rpc.sock";
modules = (
  { name = "sl"; },
  { name = "usrloc"; params = { hash_size = 12; db_mode = 2; db_url = "sqlite://$dir/ul.db"; }; },
  { name = "nathelper"; params = { natping_interval = $INTERVAL; sipping_bflag = 7;
      sipping_from = "sip:pinger@osprey.example"; }; }
);
CFG
"$OSPREY" -f "$dir/osprey.cfg" -D -E >"$dir/log" 2>&1 &
router_pid=$!
pinger=""
for _ in $(seq 1 300); do
    pinger=$(grep -o 'natping process [0-9]*' "$dir/log" | head -1 | awk '{print $3}') || true
    [ -n "$pinger" ] && break
    kill -0 "$router_pid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$pinger" ] || { echo "the natping process did not start" >&2; cat "$dir/log" >&2; exit 1; }
tree=$(tree_of "$router_pid")
loaded=$(grep -o 'loaded [0-9]* bindings' "$dir/log" | awk '{print $2}')

sent() {
    python3 - "$dir/osprey_rpc.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "method": "stats.get_statistics",
                      "params": ["nathelper:natping_sent"], "id": 1}).encode() + b"\n")
b = b""
while not b.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    b += c
r = json.loads(b)["result"]
print(r[0].split("=")[-1].strip() if isinstance(r, list) else r)
PY
}
hz=$(getconf CLK_TCK)
s0=$(sent)
c0=$(cpu_ticks "$pinger")
t0=$(date +%s.%N)
sleep "$INTERVAL"
c1=$(cpu_ticks "$pinger")
t1=$(date +%s.%N)
s1=$(sent)
python3 - "$loaded" "$s0" "$s1" "$c0" "$c1" "$hz" "$t0" "$t1" "$INTERVAL" <<'PY'
import sys
loaded, s0, s1, c0, c1, hz = (int(x) for x in sys.argv[1:7])
t0, t1, interval = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
secs = t1 - t0
cpu = (c1 - c0) / hz
pct = 100.0 * cpu / secs
print(f"natping: {loaded} bindings, interval {interval} s: {s1 - s0} pings in {secs:.1f} s "
      f"({(s1 - s0) / secs:.0f}/s), pinger CPU {cpu:.2f} s = {pct:.2f} % of one core "
      f"(target <= 5 %): {'ok' if pct <= 5.0 else 'OVER'}")
if s1 - s0 < 0.9 * loaded * secs / interval:
    print("natping: fewer pings than bindings per interval", file=sys.stderr); sys.exit(1)
PY
