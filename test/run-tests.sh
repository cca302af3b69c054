#!/usr/bin/env bash
# Runs GoogleTest binaries one after another and sums their results.
# A binary that crashes or exits non-zero without a gtest summary counts as one failure.
# The last line is always "N passed, N failed".
set -u
passed=0
failed=0
failed_names=()
timeout_s=${OSPREY_TEST_TIMEOUT:-300}
for bin in "$@"; do
    [[ -x "$bin" ]] || { echo "missing test binary: $bin"; failed=$((failed + 1)); continue; }
    name=$(basename "$bin")
    out=$(mktemp)
    xml=$(mktemp --suffix=.xml)
    timeout --kill-after=10 "$timeout_s" "$bin" --gtest_output="xml:$xml" >"$out" 2>&1
    rc=$?
    if [[ -s "$xml" ]]; then
        t=$(grep -o '<testsuites [^>]*' "$xml" | grep -o ' tests="[0-9]*"' | grep -o '[0-9]*')
        f=$(grep -o '<testsuites [^>]*' "$xml" | grep -o ' failures="[0-9]*"' | grep -o '[0-9]*')
        d=$(grep -o '<testsuites [^>]*' "$xml" | grep -o ' disabled="[0-9]*"' | grep -o '[0-9]*')
        t=${t:-0}; f=${f:-0}; d=${d:-0}
        run=$((t - d))
        passed=$((passed + run - f))
        failed=$((failed + f))
        if [[ $f -gt 0 || $rc -ne 0 ]]; then
            [[ $f -eq 0 ]] && { failed=$((failed + 1)); }
            failed_names+=("$name")
            echo "---- $name (exit $rc)"; grep -E '^\[  FAILED  \]|Failure|error|Expected|Which is|Value of|Actual' "$out" | head -60
        else
            echo "ok   $name ($run tests)"
        fi
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        echo "---- $name crashed or timed out (exit $rc)"; tail -40 "$out"
    fi
    rm -f "$out" "$xml"
done
[[ ${#failed_names[@]} -gt 0 ]] && echo "failing: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
