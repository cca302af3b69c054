#!/usr/bin/env bash
# Runs each libFuzzer binary given (make fuzz builds them) for FUZZ_SECONDS (default 60) on its
# seed corpus test/fuzz/corpus/<name>/ (the RFC 4475 messages and more, URIs, streams, digest
# headers, messages with edit programs, session descriptions; sanity shares sip_msg's). New
# inputs go to $FUZZ_DIR/corpus/<name>/, crashes to $FUZZ_DIR/artifacts/. Exits non-zero if
# any target finds a crash, and names the reproducer.
set -u
seconds=${FUZZ_SECONDS:-60}
dir=${FUZZ_DIR:-build/fuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
failed=()
for bin in "$@"; do
    name=$(basename "$bin" _fuzz)          # sip_msg, tcp_stream, ...
    seeds="$root/test/fuzz/corpus/$name"
    work="$dir/corpus/$name"
    arts="$dir/artifacts"
    mkdir -p "$work" "$arts"
    dict=()
    [[ -f $root/test/fuzz/$name.dict ]] && dict=(-dict="$root/test/fuzz/$name.dict")
    echo "fuzz: $name for ${seconds}s"
    log="$dir/$name.log"
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$arts/$name-" "${dict[@]}" \
        "$work" "$seeds" >"$log" 2>&1
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | sed 's/^/    /'
    grep -E '^#[0-9]+ +DONE' "$log" | tail -1 | sed 's/^/    /'
    if [[ $rc -ne 0 ]]; then
        failed+=("$name")
        echo "---- $name failed (exit $rc); log: $log"
        grep -E 'ERROR|invariant broken|SUMMARY|Test unit written' "$log" | head -20
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in ${failed[*]} (reproduce: <binary> <artifact>)"
    exit 1
fi
echo "fuzz: no crashes"
