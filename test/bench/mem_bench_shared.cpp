// Shared-heap workloads (docs/alloc-workloads.md, shm_contend*): two workers pinned to CPUs 0 and 1.
//   <heap>-lock: Kamailio's arrangement — one MAP_SHARED arena initialised before fork(), every
//                op under one process-shared test-and-set lock (spin 1024 x pause, then
//                sched_yield: FAST_LOCK + ADAPTIVE_WAIT).
//   shm:         Osprey's real path — shmInit before fork, shmChildInit in each worker,
//                shmAlloc/shmFree with the per-process cache; the allocator is this build's
//                MEMMNG, so the script runs one binary per MEMMNG.
//   glibc:       malloc cannot span processes, so the same code runs as two threads.
// Workloads: shm_contend_1p / _2p (each worker: FIFO of 4096 live blocks, alloc new + free
// oldest) and shm_prodcons (A allocates and pushes through a 64 Ki-slot SPSC ring, B frees).
#include "test/bench/mem_bench_shared.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <new>
#include <string>

#include "mem/shm.h"
#include "test/bench/mem_bench_allocators.h"

namespace osprey::membench {

namespace {

constexpr uint32_t kFifo = 4096;
constexpr uint64_t kRingSlots = 65536;

uint64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Kamailio's FAST_LOCK with ADAPTIVE_WAIT: test-and-set; 1024 failed attempts spin with pause,
// after that every failed attempt yields the CPU.
class TasLock {
public:
    void lock() {
        int spins = 1024;
        while (v_.exchange(1, std::memory_order_acquire)) {
            do {
                if (spins > 0) {
                    --spins;
                    _mm_pause();
                } else {
                    sched_yield();
                }
            } while (v_.load(std::memory_order_relaxed));
        }
    }
    void unlock() { v_.store(0, std::memory_order_release); }

private:
    std::atomic<int> v_{0};
};
static_assert(std::atomic<int>::is_always_lock_free);

// Lives in a MAP_SHARED mapping made before fork (or in private memory for threads).
struct Control {
    alignas(64) std::atomic<uint32_t> ready{0};
    alignas(64) std::atomic<uint64_t> head{0};  // ring: written by the producer
    alignas(64) std::atomic<uint64_t> tail{0};  // ring: written by the consumer
    alignas(64) TasLock lock;
    // Per pass (0 cold, 1 warm) and worker.
    alignas(64) uint64_t start[2][2] = {};
    uint64_t end[2][2] = {};
    uint64_t faults[2][2] = {};  // page faults inside the timed loop
    uint64_t ringMax[2] = {};    // prodcons: most blocks in flight (the producer's lead)
    uint32_t failed[2] = {0, 0};
    alignas(64) void* ring[kRingSlots];
};

template <mem::Heap H>
struct LockedHeapOps {
    H* heap;
    TasLock* lock;
    void* alloc(size_t n) {
        lock->lock();
        void* p = heap->alloc(n, kBenchSite);
        lock->unlock();
        return p;
    }
    void free(void* p) {
        lock->lock();
        heap->free(p, kBenchSite);
        lock->unlock();
    }
};

struct ShmPathOps {
    void* alloc(size_t n) { return mem::shmAlloc(n, kBenchSite); }
    void free(void* p) { mem::shmFree(p, kBenchSite); }
};

// The harness floor: each worker bumps through its own private, pre-faulted ring about the
// size of a worker's live set (never read, so wrapping over live blocks is harmless) and frees
// nothing. Nothing is shared, so its 2p/1p is the best scaling this machine allows the
// harness (memory bandwidth, shared caches, the other CPU).
class FloorOps {
public:
    static constexpr size_t kRing = size_t{16} << 20;
    FloorOps() : base_(static_cast<char*>(mapBytes(kRing))) {
        if (base_) memset(base_, 0, kRing);
    }
    FloorOps(FloorOps&& o) noexcept : base_(o.base_), top_(o.top_) { o.base_ = nullptr; }
    FloorOps(const FloorOps&) = delete;
    FloorOps& operator=(const FloorOps&) = delete;
    ~FloorOps() {
        if (base_) munmap(base_, kRing);
    }
    void* alloc(size_t n) {
        n = (n + 15) & ~size_t{15};
        if (!base_) return nullptr;
        if (top_ + n > kRing) top_ = 0;
        void* p = base_ + top_;
        top_ += n;
        return p;
    }
    void free(void*) {}

private:
    char* base_;
    size_t top_ = 0;
};

struct GlibcOps {
    void* alloc(size_t n) { return malloc(n); }
    void free(void* p) { ::free(p); }
};

// Minor page faults of the calling thread (a worker is a process or one of two threads).
uint64_t threadFaults() {
    rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return static_cast<uint64_t>(ru.ru_minflt);
}

void pinTo(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);  // best effort: fewer CPUs only means noisier
}

// Round r (1, 2, ...) lets everybody through once all workers have arrived r times.
void barrier(Control& c, uint32_t workers, uint32_t round) {
    c.ready.fetch_add(1, std::memory_order_acq_rel);
    while (c.ready.load(std::memory_order_acquire) < workers * round) _mm_pause();
}

struct Job {
    Control* c;
    uint32_t workers;  // taking part in the barrier
    uint32_t index;    // this worker: 0 or 1
    bool prodcons;
    const uint32_t* sizes;  // contend: kFifo + pairs entries; prodcons: pairs entries
    uint64_t pairs;
};

// Times one pass of a worker: both workers start together (barrier), each records its own
// start, end and page faults.
class PassClock {
public:
    PassClock(const Job& j, int pass) : j_(j), pass_(pass) {
        barrier(*j.c, j.workers, static_cast<uint32_t>(pass + 1));
        faults0_ = threadFaults();
        j.c->start[pass][j.index] = nowNs();
    }
    ~PassClock() {
        j_.c->end[pass_][j_.index] = nowNs();
        j_.c->faults[pass_][j_.index] = threadFaults() - faults0_;
    }

private:
    const Job& j_;
    int pass_;
    uint64_t faults0_;
};

// Pass 0 runs on a fresh segment (first-touch page faults included), pass 1 repeats the same
// sizes on the warm heap — the main number, as for the single-process workloads.
template <class Ops>
void contend(Ops& ops, const Job& j) {
    Control& c = *j.c;
    void* fifo[kFifo];
    for (uint32_t i = 0; i < kFifo; ++i) {
        fifo[i] = ops.alloc(j.sizes[i]);
        if (!fifo[i])
            ++c.failed[j.index];
        else
            touchBlock(fifo[i], j.sizes[i]);
    }
    for (int pass = 0; pass < 2; ++pass) {
        PassClock clock(j, pass);
        for (uint64_t i = 0; i < j.pairs; ++i) {
            uint32_t size = j.sizes[kFifo + i];
            void* p = ops.alloc(size);
            if (p)
                touchBlock(p, size);
            else
                ++c.failed[j.index];
            void*& oldest = fifo[(pass * j.pairs + i) % kFifo];
            ops.free(oldest);
            oldest = p;
        }
    }
    for (void* p : fifo) ops.free(p);
}

template <class Ops>
void produce(Ops& ops, const Job& j) {
    Control& c = *j.c;
    uint64_t head = 0;
    for (int pass = 0; pass < 2; ++pass) {
        PassClock clock(j, pass);
        for (uint64_t i = 0; i < j.pairs; ++i) {
            void* p = ops.alloc(j.sizes[i]);
            if (p)
                touchBlock(p, j.sizes[i]);
            else
                ++c.failed[j.index];  // the consumer frees nullptr: a no-op
            uint64_t inFlight;
            while ((inFlight = head - c.tail.load(std::memory_order_acquire)) == kRingSlots)
                _mm_pause();
            if (inFlight >= c.ringMax[pass]) c.ringMax[pass] = inFlight + 1;
            c.ring[head % kRingSlots] = p;
            c.head.store(++head, std::memory_order_release);
        }
    }
}

// The consumer leaves a pass only after freeing all its blocks, so the ring is empty when the
// next pass starts.
template <class Ops>
void consume(Ops& ops, const Job& j) {
    Control& c = *j.c;
    uint64_t tail = 0;
    for (int pass = 0; pass < 2; ++pass) {
        PassClock clock(j, pass);
        for (uint64_t i = 0; i < j.pairs; ++i) {
            while (c.head.load(std::memory_order_acquire) == tail) _mm_pause();
            void* p = c.ring[tail % kRingSlots];
            c.tail.store(++tail, std::memory_order_release);
            ops.free(p);
        }
    }
}

template <class Ops>
void work(Ops& ops, const Job& j) {
    pinTo(static_cast<int>(j.index));
    if (!j.prodcons)
        contend(ops, j);
    else if (j.index == 0)
        produce(ops, j);
    else
        consume(ops, j);
}

// Forks one process per job; `childOps` builds the worker's Ops after fork.
// The mapping [lo, hi) that holds p, from /proc/self/maps; false if none does.
bool mappingOf(const void* p, uintptr_t* lo, uintptr_t* hi) {
    FILE* f = fopen("/proc/self/maps", "r");
    if (!f) return false;
    char line[512];
    bool found = false;
    auto a = reinterpret_cast<uintptr_t>(p);
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long l = 0, h = 0;
        found = sscanf(line, "%lx-%lx", &l, &h) == 2 && l <= a && a < h;
        *lo = l;
        *hi = h;
    }
    fclose(f);
    return found;
}

// A fork child maps shared pages into its own page tables one fault at a time, and in this
// kind of VM a fault costs ~20 us: a worker that has run for a while has them all. So each
// worker maps the whole segment before the clock starts (the pages stay shared).
struct Segment {
    uintptr_t lo = 0, hi = 0;
    void mapInto() const {
        if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);
    }
};

template <class MakeOps>
bool runProcesses(Job* jobs, uint32_t n, MakeOps childOps, Segment seg = {}) {
    pid_t pid[2] = {-1, -1};
    for (uint32_t w = 0; w < n; ++w) {
        pid[w] = fork();
        if (pid[w] < 0) return false;
        if (pid[w] == 0) {
            seg.mapInto();
            auto ops = childOps(w);
            work(ops, jobs[w]);
            _exit(0);
        }
    }
    bool ok = true;
    for (uint32_t w = 0; w < n; ++w) {
        int st = 0;
        if (waitpid(pid[w], &st, 0) != pid[w] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) ok = false;
    }
    return ok;
}

bool runThreads(Job* jobs, uint32_t n) {
    pthread_t th[2];
    auto body = [](void* arg) -> void* {
        GlibcOps ops;
        work(ops, *static_cast<Job*>(arg));
        return nullptr;
    };
    for (uint32_t w = 0; w < n; ++w)
        if (pthread_create(&th[w], nullptr, body, &jobs[w]) != 0) return false;
    for (uint32_t w = 0; w < n; ++w) pthread_join(th[w], nullptr);
    return true;
}

template <mem::Heap H>
bool runLocked(Job* jobs, uint32_t n, size_t segmentBytes, Control* c, size_t* heapPeak) {
    void* seg = mapBytes(segmentBytes, true);
    if (!seg) return false;
    H* heap = H::create(seg, segmentBytes);
    Segment whole{reinterpret_cast<uintptr_t>(seg),
                  reinterpret_cast<uintptr_t>(seg) + segmentBytes};
    bool ok = heap && runProcesses(
                          jobs, n,
                          [&](uint32_t) {
                              return LockedHeapOps<H>{heap, &c->lock};
                          },
                          whole);
    if (heap) {
        mem::HeapStats st;
        heap->stats(st);
        *heapPeak = st.maxRealUsed;
    }
    munmap(seg, segmentBytes);
    return ok;
}

bool runShmPath(Job* jobs, uint32_t n, size_t segmentBytes, size_t* heapPeak) {
    if (!mem::shmInit(segmentBytes)) return false;
    // shm.h does not say where the segment is: find the mapping that holds a block of it.
    Segment whole;
    void* probe = mem::shmAlloc(16, kBenchSite);
    if (!probe || !mappingOf(probe, &whole.lo, &whole.hi)) whole = Segment{};
    mem::shmFree(probe, kBenchSite);
    mem::shmFlushCache();
    bool ok = runProcesses(
        jobs, n,
        [](uint32_t w) {
            mem::shmChildInit(w + 1);
            return ShmPathOps{};
        },
        whole);
    *heapPeak = mem::shmStats().maxRealUsed;  // blocks parked in caches count as used here
    mem::shmDestroy();
    return ok;
}

}  // namespace

const char* const kSharedWorkloads[] = {"shm_contend_1p", "shm_contend_2p", "shm_prodcons",
                                        nullptr};
const char* const kSharedAllocators[] = {
    "floor",     "glibc",
#ifdef MEM_BENCH_HAVE_FM
    "fm-lock",
#endif
#ifdef MEM_BENCH_HAVE_QM
    "qm-lock",
#endif
#ifdef MEM_BENCH_HAVE_TLSF
    "tlsf-lock",
#endif
    "shm",       nullptr,
};

bool isSharedWorkload(std::string_view w) {
    for (const char* const* p = kSharedWorkloads; *p; ++p)
        if (w == *p) return true;
    return false;
}

int runShared(std::string_view alloc, std::string_view workload, double scaleFactor) {
    const bool prodcons = workload == "shm_prodcons";
    const uint32_t workers = workload == "shm_contend_1p" ? 1 : 2;
    const uint64_t pairs = static_cast<uint64_t>(1'000'000 * 0.2 * scaleFactor + 0.5);

    // Size sequences per worker, drawn before the clock starts.
    MappedArray<uint32_t> sizes[2];
    for (uint32_t w = 0; w < workers; ++w) {
        if (prodcons && w == 1) break;  // the consumer only frees
        SplitMix64 r(kSeed + w);
        uint64_t n = prodcons ? pairs : kFifo + pairs;
        if (!sizes[w].reserve(n)) return 1;
        for (uint64_t i = 0; i < n; ++i) sizes[w].push(transactionSize(r));
    }
    auto* c = static_cast<Control*>(mapBytes(sizeof(Control), true));
    if (!c) return 1;
    new (c) Control();
    Job jobs[2];
    for (uint32_t w = 0; w < workers; ++w)
        jobs[w] = Job{c, workers, w, prodcons, sizes[prodcons ? 0 : w].data(), pairs};

    // Live set: contend 4096 blocks per worker; prodcons up to a full ring (~3.5 KB average).
    const size_t segment = prodcons ? size_t{512} << 20 : size_t{128} << 20;
    std::string name(alloc);
    bool ok = false;
    size_t heapPeak = 0;  // the shared heap's maxRealUsed (arena arrangements)
    if (alloc == "glibc") {
        ok = runThreads(jobs, workers);
    } else if (alloc == "floor") {
        ok = runProcesses(jobs, workers, [](uint32_t) { return FloorOps{}; });
    } else if (alloc == "shm") {
        name = std::string(OSPREY_MEMMNG_NAME) + "-shm";
        ok = runShmPath(jobs, workers, segment, &heapPeak);
#ifdef MEM_BENCH_HAVE_FM
    } else if (alloc == "fm-lock") {
        ok = runLocked<mem::FmHeap>(jobs, workers, segment, c, &heapPeak);
#endif
#ifdef MEM_BENCH_HAVE_QM
    } else if (alloc == "qm-lock") {
        ok = runLocked<mem::QmHeap<true>>(jobs, workers, segment, c, &heapPeak);
#endif
#ifdef MEM_BENCH_HAVE_TLSF
    } else if (alloc == "tlsf-lock") {
        ok = runLocked<mem::TlsfHeap>(jobs, workers, segment, c, &heapPeak);
#endif
    } else {
        fprintf(stderr, "mem_bench: shared allocator '%s' is not built in\n", name.c_str());
        return 2;
    }
    uint32_t failed = c->failed[0] + (workers > 1 ? c->failed[1] : 0);
    double rate[2];
    uint64_t faults[2];
    bool timed = true;
    for (int pass = 0; pass < 2; ++pass) {
        uint64_t start = c->start[pass][0], end = c->end[pass][0];
        faults[pass] = c->faults[pass][0];
        for (uint32_t w = 1; w < workers; ++w) {
            start = std::min(start, c->start[pass][w]);
            end = std::max(end, c->end[pass][w]);
            faults[pass] += c->faults[pass][w];
        }
        timed = timed && end > start;
        rate[pass] = end > start ? static_cast<double>(pairs * (prodcons ? 1 : workers)) * 1e3 /
                                       static_cast<double>(end - start)
                                 : 0;
    }
    ok = ok && failed == 0 && timed;
    printf("RESULT kind=shared alloc=%s workload=%.*s ok=%d", name.c_str(),
           static_cast<int>(workload.size()), workload.data(), ok ? 1 : 0);
    if (!ok) {
        printf(" error=%s\n", failed ? "alloc_failed" : "worker_failed");
        return 1;
    }
    printf(" pairs=%llu mpairs=%.3f mpairs0=%.3f faults=%llu faults0=%llu",
           static_cast<unsigned long long>(pairs * (prodcons ? 1 : workers)), rate[1], rate[0],
           static_cast<unsigned long long>(faults[1]), static_cast<unsigned long long>(faults[0]));
    if (heapPeak) printf(" heap_peak_mb=%.1f", static_cast<double>(heapPeak) / (1 << 20));
    if (prodcons)
        printf(" ring_max=%llu ring_max0=%llu", static_cast<unsigned long long>(c->ringMax[1]),
               static_cast<unsigned long long>(c->ringMax[0]));
    printf("\n");
    munmap(c, sizeof(Control));
    return 0;
}

}  // namespace osprey::membench
