#!/usr/bin/env bash
# Installs the Debian packages Osprey builds, tests and benchmarks with, only when missing.
# `make` runs it once, before it compiles anything or asks pkg-config for flags (the stamp
# build/.deps-ok records that it ran; delete it to run this again); `make deps` runs it alone.
set -euo pipefail

required=(
    g++ make pkg-config
    libconfig++-dev libluajit-5.1-dev luajit libssl-dev libunwind-dev libsqlite3-dev
    libgtest-dev googletest libbenchmark-dev
    sip-tester clang libclang-rt-14-dev
    kamailio curl  # the RPC tests drive the control plane with the real kamcmd and curl
    prometheus  # promtool: the statistics tests lint the /metrics text with it
    libc-ares-dev dnsmasq-base
    libhiredis-dev redis-server redis-sentinel redis-tools  # usrloc's store = "redis" and its tests
    python3  # make bench-rpc's RPC client (scripts/bench/rpc-load.py)
    sqlite3  # make bench-natping writes its 100,000 bindings with the sqlite3 CLI
    openssl  # the TLS tests run `openssl s_client`; make bench-tls makes certificates with it
    rtpengine-daemon  # the rtpengine and rtpproxy tests start the real media relay
    kamailio-tls-modules  # tls_kamailio_test: Kamailio's tls module as the TLS peer both ways
)
# Optional extras (benchmark anchors); install with `scripts/deps.sh --bench`.
bench=(kamailio kamailio-lua-modules kamailio-redis-modules valgrind)

want=("${required[@]}")
[[ "${1:-}" == "--bench" ]] && want+=("${bench[@]}")

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
