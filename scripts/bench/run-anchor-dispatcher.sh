#!/usr/bin/env bash
# run-anchor-dispatcher.sh: Osprey against Kamailio 5.6 on stateful INVITE calls through
# ds_select_dst + t_relay with failover armed (scripts/bench/dispatcher.lua, which both run;
# Osprey with scripts/bench/dispatcher.cfg, Kamailio with scripts/bench/kamailio/
# dispatcher-lua.cfg; set 1 of scripts/bench/dispatcher.list). A call is INVITE -> 200 -> ACK
# and BYE -> 200 (osprey-load uac -s invite). Each round runs both routers at a fixed offered
# rate (router CPU per call) and closed loop (max calls/s), through scripts/bench/run-anchor.sh
# (router on core 0, load tool on core 1); the table is run-anchor-registrar.sh's.
#
#   scripts/bench/run-anchor-dispatcher.sh
#   OUT=<dir> scripts/bench/run-anchor-dispatcher.sh --table
#
# Environment (defaults in brackets): BUILD [build/release-fm]  RUNS [3]  RATE [2000]
#   DURATION [10]  CHILDREN [1]  MODES ["rate closed"]  QUIET_MAX [15]  OUT
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONFIG=dispatcher SCENARIOS=invite
export MODULES="sl maxfwd pv siputils rr tm dispatcher"
export BUILD=${BUILD:-build/release-fm} RATE=${RATE:-2000} DURATION=${DURATION:-10}
export OUT=${OUT:-${TMPDIR:-/tmp}/osprey-bench/dispatcher-$(date +%Y%m%d-%H%M%S)}
exec "$root/scripts/bench/run-anchor-registrar.sh" "$@"
