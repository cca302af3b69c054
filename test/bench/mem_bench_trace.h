// Deterministic allocation traces for the allocator benchmark (the workloads of
// docs/alloc-workloads.md). A trace is a list of ALLOC/FREE/REALLOC ops on dense ids,
// generated once from splitmix64 with a fixed seed and replayed against every allocator, so
// every allocator sees exactly the same requests.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

#include "test/bench/mem_bench_mapped.h"

namespace osprey::membench {

inline constexpr uint64_t kSeed = 0x6f73707265790001ULL;  // "osprey" 1

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence on every machine.
class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform integer in [lo, hi] (multiply-high, no modulo bias worth mentioning).
    uint32_t uniform(uint32_t lo, uint32_t hi) {
        uint64_t span = uint64_t{hi} - lo + 1;
        return lo + static_cast<uint32_t>((static_cast<unsigned __int128>(next()) * span) >> 64);
    }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    bool chance(double p) { return unit() < p; }
    // Log-uniform in [a, b]: timer-like lifetimes spread over decades.
    double logUniform(double a, double b) {
        return std::exp(std::log(a) + unit() * (std::log(b) - std::log(a)));
    }

private:
    uint64_t s_;
};

enum class OpKind : uint8_t { Alloc, Free, Realloc };
enum HeapId : uint8_t { kShm = 0, kPkg = 1 };

struct Op {
    uint32_t id;    // dense, one per ALLOC; REALLOC keeps the id
    uint32_t size;  // ALLOC/REALLOC: bytes requested
    OpKind kind;
    uint8_t heap;
};

struct Trace {
    MappedArray<Op> ops;
    uint32_t ids = 0;       // slot table size
    uint64_t allocs = 0;    // ALLOC ops
    uint64_t units = 0;     // denominator of "ns per pair" (allocs; steps for realloc_grow)
    uint64_t peakLive = 0;  // peak of live requested bytes, both heaps together
    uint64_t peakLiveHeap[2] = {0, 0};
};

// Records ops and keeps the live-byte accounting the fragmentation metric needs.
class TraceBuilder {
public:
    explicit TraceBuilder(Trace& t) : t_(t) {}
    uint32_t alloc(uint32_t size, uint8_t heap);
    void free(uint32_t id);
    void realloc(uint32_t id, uint32_t size);
    uint32_t sizeOf(uint32_t id) const { return size_[id]; }

private:
    void account(uint8_t heap, int64_t delta);
    Trace& t_;
    MappedArray<uint32_t> size_;
    MappedArray<uint8_t> heap_;
    uint64_t live_ = 0;
    uint64_t liveHeap_[2] = {0, 0};
};

struct WorkloadDef {
    const char* name;
    double recordedScale;
    void (*generate)(Trace&, double scale);
};

// The single-process workloads, in report order. nullptr if `name` is not one.
const WorkloadDef* findWorkload(std::string_view name);
const WorkloadDef* workloads(size_t* count);

// Request sizes of the shared workloads (shm_contend, shm_prodcons): 20 % tm cell, 20 % message
// clone, 30 % mid-size, 30 % small.
uint32_t transactionSize(SplitMix64& r);

}  // namespace osprey::membench
