#!/usr/bin/env bash
# Runs test binaries, OSPREY_TEST_JOBS (default 2) at a time, and sums their results.
#   GoogleTest binaries: their XML report gives the counts; extra gtest flags for every binary
#     go in OSPREY_GTEST_ARGS (e.g. "--gtest_shuffle --gtest_random_seed=42").
#   Script tests (*.sh): one test each, passed when the script exits 0.
# Each binary's output is printed in one piece when it ends (never interleaved with another's).
# A binary that crashes, times out (OSPREY_TEST_TIMEOUT s, default 300) or exits non-zero
# without a failure in its report counts as one failure.
# The last line is always "N passed, N failed"; the exit status is non-zero on any failure.
set -u
jobs=${OSPREY_TEST_JOBS:-2}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || jobs=2
timeout_s=${OSPREY_TEST_TIMEOUT:-300}
read -r -a gtest_args <<<"${OSPREY_GTEST_ARGS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs test number $1 (path $2); writes its report to $work/$1.report and
# "passed failed" to $work/$1.counts.
run_one() {
    local i=$1 bin=$2 name out xml rc t f d run p=0 fl=0
    name=$(basename "$bin")
    out=$work/$i.out
    xml=$work/$i.xml
    {
        if [[ ! -x "$bin" ]]; then
            echo "missing test binary: $bin"
            fl=1
        elif [[ "$bin" == *.sh ]]; then
            timeout --kill-after=10 "$timeout_s" "$bin" >"$out" 2>&1
            rc=$?
            if [[ $rc -eq 0 ]]; then
                p=1
                echo "ok   $name (script)"
            else
                fl=1
                echo "---- $name (exit $rc)"
                tail -40 "$out"
            fi
        else
            timeout --kill-after=10 "$timeout_s" "$bin" "${gtest_args[@]}" \
                --gtest_output="xml:$xml" >"$out" 2>&1
            rc=$?
            if [[ -s "$xml" ]]; then
                t=$(grep -o '<testsuites [^>]*' "$xml" | grep -o ' tests="[0-9]*"' | grep -o '[0-9]*')
                f=$(grep -o '<testsuites [^>]*' "$xml" | grep -o ' failures="[0-9]*"' | grep -o '[0-9]*')
                d=$(grep -o '<testsuites [^>]*' "$xml" | grep -o ' disabled="[0-9]*"' | grep -o '[0-9]*')
                t=${t:-0}; f=${f:-0}; d=${d:-0}
                run=$((t - d))
                p=$((run - f))
                fl=$f
                if [[ $f -gt 0 || $rc -ne 0 ]]; then
                    [[ $f -eq 0 ]] && fl=1
                    echo "---- $name (exit $rc)"
                    grep -E '^Note: Randomizing|^\[  FAILED  \]|Failure|error|Expected|Which is|Value of|Actual' \
                        "$out" | head -60
                else
                    echo "ok   $name ($run tests)"
                fi
            else
                fl=1
                echo "---- $name crashed or timed out (exit $rc)"
                tail -40 "$out"
            fi
        fi
    } >"$work/$i.report"
    echo "$p $fl" >"$work/$i.counts"
}

passed=0
failed=0
failed_names=()
declare -A index_of  # pid -> test number
names=()

# Prints and counts the test whose job (pid $1) ended.
collect() {
    local i=${index_of[$1]} p fl
    cat "$work/$i.report"
    read -r p fl <"$work/$i.counts" || { p=0; fl=1; }
    passed=$((passed + p))
    failed=$((failed + fl))
    [[ $fl -gt 0 ]] && failed_names+=("${names[$i]}")
}

i=0
running=0
for bin in "$@"; do
    names[i]=$(basename "$bin")
    run_one "$i" "$bin" &
    index_of[$!]=$i
    i=$((i + 1))
    running=$((running + 1))
    if [[ $running -ge $jobs ]]; then
        wait -n -p done_pid
        collect "$done_pid"
        running=$((running - 1))
    fi
done
while [[ $running -gt 0 ]]; do
    wait -n -p done_pid
    collect "$done_pid"
    running=$((running - 1))
done

[[ ${#failed_names[@]} -gt 0 ]] && echo "failing: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
