#!/usr/bin/env bash
# Allocator benchmark (make bench-mem): builds test/bench/mem_bench in release mode once per
# shm allocator (fm; tlsf; qm with MEMDBG=1), runs every (allocator, workload) of
# docs/alloc-workloads.md in a fresh process, 3 repetitions interleaved (rep 1 of
# everything, then rep 2, ...), and prints the markdown tables and the PASS/FAIL target lines.
#
# Environment knobs:
#   MEM_BENCH_BUILD   build directory prefix (default build/bench -> build/bench-fm, ...)
#   MEM_BENCH_REPS    repetitions (default 3)
#   MEM_BENCH_SCALE   multiplier on the recorded scales (default 1; <1 for a quick look)
#   MEM_BENCH_ONLY    space-separated workloads to run (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."

prefix=${MEM_BENCH_BUILD:-build/bench}
reps=${MEM_BENCH_REPS:-3}
scale=${MEM_BENCH_SCALE:-1}
only=${MEM_BENCH_ONLY:-}
run_timeout=${MEM_BENCH_TIMEOUT:-300}

# A bench build must not inherit the caller's make variables (make MEMMNG=qm bench-mem).
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MEMMNG MEMDBG MODE BUILD

# --- build: one binary per shm allocator; the fm one also runs the single-process workloads.
declare -A bin
build() {  # name memmng memdbg
    local dir="$prefix-$1" log
    log=$(mktemp)
    echo "bench-mem: building $dir (MEMMNG=$2 MEMDBG=$3, release)" >&2
    if make -j2 MODE=release MEMMNG="$2" MEMDBG="$3" BUILD="$dir" "$dir/bench/mem_bench" \
        >"$log" 2>&1; then
        bin[$1]="$dir/bench/mem_bench"
    else
        echo "bench-mem: build of $dir failed:" >&2
        grep -E 'error|Error' "$log" | head -20 >&2
    fi
    rm -f "$log"
}
build fm fm 0
build tlsf tlsf 0
build qm-memdbg qm 1
main=${bin[fm]:-}
if [[ -z $main ]]; then
    echo "bench-mem: the fm build is required" >&2
    exit 1
fi

listed() { "$main" list | sed -n "s/^$1 //p"; }
single_workloads=$(listed single-workloads)
single_allocs=$(listed single-allocators)
shared_workloads=$(listed shared-workloads)
lock_allocs=$(listed shared-allocators | tr ' ' '\n' | grep -v '^shm$' | tr '\n' ' ')
wanted() { [[ -z $only ]] || [[ " $only " == *" $1 "* ]]; }

# Other processes (builds) on the machine stretch wall times. Where permitted (root or
# CAP_SYS_NICE), raise this session's scheduling weight for the runs — the autogroup nice,
# since with autogroups a plain nice only counts inside the session — and restore it on exit.
# MEM_BENCH_BOOST=0 turns this off.
boost_session() {
    local ag=/proc/$$/autogroup old
    [[ ${MEM_BENCH_BOOST:-1} == 1 && -w $ag ]] || return 0
    old=$(sed -n 's/.* nice //p' "$ag")
    if echo -20 2>/dev/null >"$ag"; then
        trap "echo '${old:-0}' >'$ag' 2>/dev/null" EXIT
        echo "bench-mem: session scheduling weight raised for the runs (autogroup nice -20)" >&2
    fi
    renice -n -20 -p $$ >/dev/null 2>&1 || true
}
boost_session

ncpu=$(nproc)
[[ $ncpu -ge 2 ]] || echo "bench-mem: only $ncpu CPU: the 2-worker numbers mean little" >&2
load=$(cut -d' ' -f1 /proc/loadavg)
echo "bench-mem: load average $load before the runs (others' builds make numbers noisy)" >&2

results="$prefix-fm/bench/mem_bench_results.txt"
: >"$results"

# One measurement in a fresh process; a crash or timeout still leaves a RESULT line.
run() {  # label binary alloc workload [taskset-prefix...]
    local label=$1 exe=$2 alloc=$3 workload=$4 out rc load
    shift 4
    load=$(cut -d' ' -f1 /proc/loadavg)  # kept with the result: a busy machine explains noise
    out=$(timeout --kill-after=5 "$run_timeout" "$@" "$exe" run "$alloc" "$workload" "$scale")
    rc=$?
    if grep -q '^RESULT ' <<<"$out"; then
        grep '^RESULT ' <<<"$out" | sed "s/\$/ load=$load/" >>"$results"
    else
        echo "RESULT alloc=$label workload=$workload ok=0 error=exit_$rc load=$load" >>"$results"
    fi
    printf ' %s' "$label" >&2
}

start=$SECONDS
for ((rep = 1; rep <= reps; rep++)); do
    for w in $single_workloads; do
        wanted "$w" || continue
        printf 'bench-mem: rep %d/%d %-18s' "$rep" "$reps" "$w" >&2
        for a in $single_allocs; do run "$a" "$main" "$a" "$w" taskset -c 0; done
        echo >&2
    done
    for w in $shared_workloads; do
        wanted "$w" || continue
        printf 'bench-mem: rep %d/%d %-18s' "$rep" "$reps" "$w" >&2
        for a in $lock_allocs; do run "$a" "$main" "$a" "$w"; done
        for b in fm tlsf qm-memdbg; do
            [[ -n ${bin[$b]:-} ]] || continue
            "${bin[$b]}" list | grep -q '^shared-allocators.* shm' || continue
            run "${b%-memdbg}-shm" "${bin[$b]}" shm "$w"
        done
        echo >&2
    done
done
echo "bench-mem: runs took $((SECONDS - start)) s; raw results in $results" >&2
echo >&2

report="$prefix-fm/bench/mem_bench_report.md"
{
    echo "## Allocator benchmark ($(date -u +%Y-%m-%d), $(nproc) CPUs, reps $reps, scale $scale)"
    echo
    # Which allocator sources were measured: the commit, and any uncommitted edits under mem/.
    if rev=$(git rev-parse --short HEAD 2>/dev/null); then
        dirty=$(git status --porcelain -- mem 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
        echo "Source: commit $rev${dirty:+, with uncommitted changes in: $dirty}"
        echo
    fi
    "$main" report "$results"
} | tee "$report"
