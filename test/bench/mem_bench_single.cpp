// One (allocator, single-process workload) measurement, run in a fresh process: replays the
// trace three times on the same heap — pass 0 cold (with the RSS high-water mark for the
// fragmentation metric), pass 1 warm (the main number), pass 2 with lfence;rdtsc around every
// op for the latency percentiles — and prints one RESULT line.
#include "test/bench/mem_bench_single.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "test/bench/mem_bench_allocators.h"

namespace osprey::membench {

namespace {

uint64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint64_t cpuNs() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint64_t minorFaults() {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<uint64_t>(ru.ru_minflt);
}

uint64_t tsc() {
    _mm_lfence();
    return __rdtsc();
}

// VmHWM / VmRSS of this process in bytes (read without malloc).
uint64_t procStatusKb(const char* key) {
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    const char* p = strstr(buf, key);
    return p ? strtoull(p + strlen(key), nullptr, 10) : 0;
}

bool resetPeakRss() {
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd < 0) return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

struct Measurement {
    bool ok = true;
    uint64_t failedOp = 0;
    double ns[2] = {0, 0};  // per unit, pass 0 and 1
    double cpuNs1 = 0;      // pass 1 in process CPU time: unlike wall time, blind to preemption
    uint64_t faults1 = 0;   // page faults in pass 1: memory the allocator gave back and took again
    double p50 = 0, p99 = 0, p999 = 0, max = 0;  // ns, pass 2
    double tscPerNs = 0;
    double frag = -1;      // (VmHWM - VmRSS before pass 0) / peak live requested
    double heapPeak = -1;  // heap's own maxRealUsed / peak live requested (arena heaps)
    bool leak = false;     // arena heap reports bytes still used after the last pass
};

// Returns the index of the op that failed, or ops.size().
template <class A, bool kTimed>
size_t replay(A& a, const Trace& t, void** slot, uint32_t* cycles) {
    const Op* ops = t.ops.data();
    const size_t n = t.ops.size();
    for (size_t i = 0; i < n; ++i) {
        const Op& op = ops[i];
        uint64_t t0 = 0;
        if constexpr (kTimed) t0 = tsc();
        switch (op.kind) {
            case OpKind::Alloc: {
                void* p = a.alloc(op.heap, op.size);
                if (!p) return i;
                touchBlock(p, op.size);
                slot[op.id] = p;
                break;
            }
            case OpKind::Free:
                a.free(op.heap, slot[op.id]);
                break;
            case OpKind::Realloc: {
                void* p = a.realloc(op.heap, slot[op.id], op.size);
                if (!p) return i;
                touchBlock(p, op.size);
                slot[op.id] = p;
                break;
            }
        }
        if constexpr (kTimed) {
            uint64_t d = tsc() - t0;
            cycles[i] = d > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(d);
        }
    }
    return n;
}

double quantile(uint32_t* v, size_t n, double q) {
    size_t k = std::min(n - 1, static_cast<size_t>(q * static_cast<double>(n)));
    std::nth_element(v, v + k, v + n);
    return v[k];
}

template <class A>
Measurement measure(A& a, const Trace& t) {
    Measurement m;
    MappedArray<void*> slot;
    MappedArray<uint32_t> cycles;
    if (!slot.resizeTouched(t.ids) || !cycles.resizeTouched(t.ops.size()) || !a.init(t)) {
        m.ok = false;
        return m;
    }
    bool rssOk = resetPeakRss();
    uint64_t rss0 = procStatusKb("VmRSS:");
    for (int pass = 0; pass < 2; ++pass) {
        uint64_t flt0 = minorFaults(), cpu0 = cpuNs(), start = nowNs();
        size_t done = replay<A, false>(a, t, slot.data(), nullptr);
        uint64_t end = nowNs(), cpu1 = cpuNs();
        m.faults1 = minorFaults() - flt0;
        if (done != t.ops.size()) {
            m.ok = false;
            m.failedOp = done;
            return m;
        }
        m.ns[pass] = static_cast<double>(end - start) / static_cast<double>(t.units);
        m.cpuNs1 = static_cast<double>(cpu1 - cpu0) / static_cast<double>(t.units);
        if (pass == 0) {
            uint64_t hwm = procStatusKb("VmHWM:");
            if (rssOk && hwm >= rss0)
                m.frag = static_cast<double>((hwm - rss0) * 1024) / static_cast<double>(t.peakLive);
            mem::HeapStats s;
            if (a.stats(&s))
                m.heapPeak = static_cast<double>(s.maxRealUsed) / static_cast<double>(t.peakLive);
        }
    }
    uint64_t wall0 = nowNs(), tsc0 = tsc();
    size_t done = replay<A, true>(a, t, slot.data(), cycles.data());
    uint64_t tsc1 = tsc(), wall1 = nowNs();
    if (done != t.ops.size()) {
        m.ok = false;
        m.failedOp = done;
        return m;
    }
    m.tscPerNs = static_cast<double>(tsc1 - tsc0) / static_cast<double>(wall1 - wall0);
    uint32_t* c = cycles.data();
    size_t n = t.ops.size();
    m.max = *std::max_element(c, c + n) / m.tscPerNs;
    m.p999 = quantile(c, n, 0.999) / m.tscPerNs;
    m.p99 = quantile(c, n, 0.99) / m.tscPerNs;
    m.p50 = quantile(c, n, 0.50) / m.tscPerNs;
    mem::HeapStats s;
    if (a.stats(&s)) m.leak = s.used != 0;
    return m;
}

template <class A>
int measureAndPrint(const char* alloc, const WorkloadDef& w, const Trace& t) {
    A a;
    Measurement m = measure(a, t);
    printf("RESULT kind=single alloc=%s workload=%s ok=%d", alloc, w.name, m.ok ? 1 : 0);
    if (!m.ok) {
        printf(" error=alloc_failed_at_op_%llu\n", static_cast<unsigned long long>(m.failedOp));
        return 1;
    }
    printf(
        " units=%llu allocs=%llu ops=%zu peak_live=%llu ns0=%.2f ns1=%.2f p50=%.1f p99=%.1f"
        " p999=%.1f max=%.1f frag=%.4f heap_peak=%.4f leak=%d tsc_ghz=%.3f cpu1=%.2f"
        " faults1=%llu\n",
        static_cast<unsigned long long>(t.units), static_cast<unsigned long long>(t.allocs),
        t.ops.size(), static_cast<unsigned long long>(t.peakLive), m.ns[0], m.ns[1], m.p50, m.p99,
        m.p999, m.max, m.frag, m.heapPeak, m.leak ? 1 : 0, m.tscPerNs, m.cpuNs1,
        static_cast<unsigned long long>(m.faults1));
    return m.leak ? 1 : 0;
}

}  // namespace

const char* const kSingleAllocators[] = {
    "glibc", "floor",
#ifdef MEM_BENCH_HAVE_FM
    "fm",
#endif
#ifdef MEM_BENCH_HAVE_QM
    "qm",
#endif
#ifdef MEM_BENCH_HAVE_TLSF
    "tlsf",
#endif
    nullptr,
};

int runSingle(std::string_view alloc, const WorkloadDef& w, double scaleFactor) {
    Trace t;
    w.generate(t, w.recordedScale * scaleFactor);
    fflush(stdout);
    if (alloc == "glibc") return measureAndPrint<GlibcAlloc>("glibc", w, t);
    if (alloc == "floor") return measureAndPrint<FloorAlloc>("floor", w, t);
#ifdef MEM_BENCH_HAVE_FM
    if (alloc == "fm") return measureAndPrint<ArenaAlloc<mem::FmHeap>>("fm", w, t);
#endif
#ifdef MEM_BENCH_HAVE_QM
    if (alloc == "qm") return measureAndPrint<ArenaAlloc<mem::QmHeap<true>>>("qm", w, t);
#endif
#ifdef MEM_BENCH_HAVE_TLSF
    if (alloc == "tlsf") return measureAndPrint<ArenaAlloc<mem::TlsfHeap>>("tlsf", w, t);
#endif
    fprintf(stderr, "mem_bench: allocator '%.*s' is not built in\n", static_cast<int>(alloc.size()),
            alloc.data());
    return 2;
}

}  // namespace osprey::membench
