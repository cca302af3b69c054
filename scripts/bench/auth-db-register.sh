#!/usr/bin/env bash
# auth-db-register.sh: what auth_db's subscriber lookup costs a REGISTER end to end. The real
# osprey (one SIP worker) answers digest-authenticated REGISTERs from sipp twice: once with
# the password given by the script (KSR.auth.pv_auth_check, the auth module alone), once with
# it read from a 10,000-row SQLite subscriber table (KSR.auth_db.auth_check). Each REGISTER is
# challenged (401) and sent again with credentials (200); the script answers 200 itself, so
# nothing but authentication differs. Reported: the worker tree's CPU per authenticated
# REGISTER (both messages) from /proc, and the difference.
#   scripts/bench/auth-db-register.sh [CALLS] [RATE]        (default 20000 at 2000/s)
set -euo pipefail
calls=${1:-20000}
rate=${2:-2000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench_dir=$here
source "$here/router-setup.sh"
build=${BUILD:-$root/build/release-fm}
osprey=$build/osprey
ctl=$build/ospreyctl
[ -x "$osprey" ] && [ -x "$ctl" ] || { echo "build osprey and ospreyctl first (make)" >&2; exit 1; }
command -v sipp >/dev/null || { echo "sipp is needed (scripts/deps.sh)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (CLI) is needed" >&2; exit 1; }

work=$(mktemp -d /tmp/osprey-authdb-bench.XXXXXX)
router_pid=""
cleanup() {
    [ -n "$router_pid" ] && stop_tree "$router_pid" $(tree_of "$router_pid")
    rm -rf "$work"
}
trap cleanup EXIT

# 10,000 subscribers, alice among them.
db=$work/subscriber.db
"$ctl" -d "sqlite://$db" subscriber add alice@example.com secret >/dev/null
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
  INSERT INTO subscriber (username, domain, password) SELECT 'user' || i, 'example.com', 'pw' || i FROM n;"

cat >"$work/register.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="REGISTER with digest">
  <send retrans="500"><![CDATA[
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@example.com>;tag=[pid]t[call_number]
To: <sip:alice@example.com>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@example.com>;tag=[pid]t[call_number]
To: <sip:alice@example.com>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
[authentication username=alice password=secret]
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
XML

# run MODE CHECK: one measured run; prints "MODE us_per_register ok_calls".
run() {
    local mode=$1 check=$2 port
    PROXY_PORT="" UAS_PORT=""
    bench_pick_ports
    port=$PROXY_PORT
    cat >"$work/$mode.lua" <<LUA
function ksr_request_route()
    local rc = $check
    if rc < 0 then
        KSR.auth.auth_challenge("example.com", 0)
        return
    end
    KSR.sl.send_reply(200, "OK")
end
LUA
    cat >"$work/$mode.cfg" <<CFG
listen = ( "udp:127.0.0.1:$port" );
children = 1;
shm_size = 64;
log_level = "warn";
script = "$mode.lua";
modules = (
    { name = "sl"; }, { name = "auth"; },
    { name = "auth_db"; params = { db_url = "sqlite://$db"; calculate_ha1 = true;
                                   password_column = "password"; }; }
);
CFG
    "$osprey" -f "$work/$mode.cfg" -D -E -P "$work/$mode.pid" >"$work/$mode.log" 2>&1 &
    router_pid=$!
    for _ in $(seq 1 100); do [ -s "$work/$mode.pid" ] && break; sleep 0.05; done
    [ -s "$work/$mode.pid" ] || { echo "osprey did not start:" >&2; cat "$work/$mode.log" >&2; exit 1; }
    owns_port "$port" "$router_pid" || { echo "port $port is not ours" >&2; exit 1; }
    local tree before after
    tree=$(tree_of "$router_pid")
    before=$(cpu_ticks $tree)
    sipp "127.0.0.1:$port" -sf "$work/register.xml" -m "$calls" -r "$rate" -i 127.0.0.1 \
        -trace_stat -stf "$work/$mode.csv" -timeout 120s </dev/null >/dev/null 2>&1 || true
    after=$(cpu_ticks $tree)
    local ok
    # SuccessfulCall(C), found by its header (the column set varies between sipp versions)
    ok=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") c = i }
                    END { print $c + 0 }' "$work/$mode.csv")
    stop_tree "$router_pid" $tree
    router_pid=""
    local hz
    hz=$(getconf CLK_TCK)
    awk -v m="$mode" -v t=$((after - before)) -v hz="$hz" -v ok="$ok" \
        'BEGIN { printf "%-8s %8.1f us CPU per authenticated REGISTER (%d ok)\n", m, t * 1e6 / hz / (ok > 0 ? ok : 1), ok }'
}

echo "osprey: one SIP worker; sipp: $calls REGISTERs at $rate/s, each 401 then 200"
a=$(run auth 'KSR.auth.pv_auth_check("example.com", "secret", 0, 1)')
echo "$a"
b=$(run auth_db 'KSR.auth_db.auth_check("example.com", "subscriber", 1)')
echo "$b"
awk -v a="$(echo "$a" | awk '{print $2}')" -v b="$(echo "$b" | awk '{print $2}')" \
    'BEGIN { printf "the subscriber lookup: %+.1f us per REGISTER\n", b - a }'
