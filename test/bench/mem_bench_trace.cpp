// Trace bookkeeping and the adversarial workloads of docs/alloc-workloads.md (burst_*,
// random_frag, realloc_grow); sip_mix lives in mem_bench_sip_mix.cpp.
#include "test/bench/mem_bench_trace.h"

#include <algorithm>

namespace osprey::membench {

void generateSipMix(Trace& t, double scale);  // mem_bench_sip_mix.cpp

uint32_t TraceBuilder::alloc(uint32_t size, uint8_t heap) {
    uint32_t id = t_.ids++;
    size_.push(size);
    heap_.push(heap);
    t_.ops.push(Op{id, size, OpKind::Alloc, heap});
    ++t_.allocs;
    account(heap, size);
    return id;
}

void TraceBuilder::free(uint32_t id) {
    t_.ops.push(Op{id, 0, OpKind::Free, heap_[id]});
    account(heap_[id], -static_cast<int64_t>(size_[id]));
    size_[id] = 0;
}

void TraceBuilder::realloc(uint32_t id, uint32_t size) {
    t_.ops.push(Op{id, size, OpKind::Realloc, heap_[id]});
    account(heap_[id], static_cast<int64_t>(size) - size_[id]);
    size_[id] = size;
}

void TraceBuilder::account(uint8_t heap, int64_t delta) {
    live_ += delta;
    liveHeap_[heap] += delta;
    t_.peakLive = std::max(t_.peakLive, live_);
    t_.peakLiveHeap[heap] = std::max(t_.peakLiveHeap[heap], liveHeap_[heap]);
}

namespace {

uint64_t scaled(double base, double scale) {
    return static_cast<uint64_t>(base * scale + 0.5);
}

// (a) many same-size blocks, then all freed in allocation order.
void burst(Trace& t, uint64_t n, uint8_t heap, uint32_t lo, uint32_t hi) {
    SplitMix64 r(kSeed);
    TraceBuilder b(t);
    for (uint64_t i = 0; i < n; ++i) b.alloc(lo == hi ? lo : r.uniform(lo, hi), heap);
    for (uint32_t id = 0; id < n; ++id) b.free(id);
    t.units = t.allocs;
}

void burstSmall(Trace& t, double scale) {
    burst(t, scaled(1'000'000, scale), kPkg, 64, 64);
}
// TLS connection buffers live in shm (the sr-dev report: tcp_main freeing them at once).
void burstLargeExact(Trace& t, double scale) {
    burst(t, scaled(10'000, scale), kShm, 36'000, 36'000);
}
void burstLargeNear(Trace& t, double scale) {
    burst(t, scaled(10'000, scale), kShm, 33'000, 40'000);
}

// (b) a live set kept between target/2 and target, random victims, sizes over three decades.
void randomFrag(Trace& t, double scale) {
    SplitMix64 r(kSeed);
    TraceBuilder b(t);
    const uint64_t ops = scaled(3'000'000, scale);
    const uint64_t target = scaled(50'000, scale);
    MappedArray<uint32_t> live;
    live.reserve(target + 1);
    auto size = [&r] {
        double u = r.unit();
        if (u < 0.6) return r.uniform(16, 256);
        if (u < 0.9) return r.uniform(257, 4096);
        return r.uniform(4097, 65536);
    };
    for (uint64_t i = 0; i < ops; ++i) {
        bool doAlloc = live.size() < target / 2 ? true
                       : live.size() > target   ? false
                                                : r.chance(0.5);
        if (doAlloc) {
            live.push(b.alloc(size(), kPkg));
        } else {
            uint32_t k = r.uniform(0, static_cast<uint32_t>(live.size() - 1));
            b.free(live[k]);
            live[k] = live[live.size() - 1];
            live.pop();
        }
    }
    for (uint32_t id : live) b.free(id);
    t.units = t.allocs;
}

// (d) 16 buffers grown by realloc, each growth with a small neighbour so growing in place is
// not free; a buffer that reaches its target is freed with its neighbours and starts again.
void reallocGrow(Trace& t, double scale) {
    SplitMix64 r(kSeed);
    TraceBuilder b(t);
    constexpr int kBuffers = 16;
    constexpr int kMaxNeighbours = 16384 / 64 + 1;
    struct Buffer {
        bool active = false;
        uint32_t id = 0, size = 0, target = 0, neighbours = 0;
        uint32_t neighbour[kMaxNeighbours];
    };
    Buffer buf[kBuffers];
    const uint64_t steps = scaled(2'000'000, scale);
    for (uint64_t s = 0; s < steps; ++s) {
        Buffer& x = buf[r.uniform(0, kBuffers - 1)];
        if (!x.active) {
            x = Buffer{};
            x.active = true;
            x.size = r.uniform(64, 256);
            x.target = r.uniform(1024, 16384);
            x.id = b.alloc(x.size, kPkg);
        } else if (x.size < x.target) {
            x.size += r.uniform(64, 512);
            b.realloc(x.id, x.size);
            x.neighbour[x.neighbours++] = b.alloc(r.uniform(32, 128), kPkg);
        } else {
            b.free(x.id);
            for (uint32_t i = 0; i < x.neighbours; ++i) b.free(x.neighbour[i]);
            x.active = false;
        }
    }
    for (Buffer& x : buf) {
        if (!x.active) continue;
        b.free(x.id);
        for (uint32_t i = 0; i < x.neighbours; ++i) b.free(x.neighbour[i]);
    }
    t.units = steps;
}

const WorkloadDef kWorkloads[] = {
    {"sip_mix", 0.1, generateSipMix},
    {"burst_small", 0.5, burstSmall},
    {"burst_large_exact", 0.5, burstLargeExact},
    {"burst_large_near", 0.5, burstLargeNear},
    {"random_frag", 0.1, randomFrag},
    {"realloc_grow", 0.2, reallocGrow},
};

}  // namespace

const WorkloadDef* workloads(size_t* count) {
    *count = std::size(kWorkloads);
    return kWorkloads;
}

const WorkloadDef* findWorkload(std::string_view name) {
    for (const WorkloadDef& w : kWorkloads)
        if (name == w.name) return &w;
    return nullptr;
}

uint32_t transactionSize(SplitMix64& r) {
    double u = r.unit();
    if (u < 0.2) return 9664;
    if (u < 0.4) return 2024 + r.uniform(1500, 4000);
    if (u < 0.7) return r.uniform(500, 3500);
    return r.uniform(16, 256);
}

}  // namespace osprey::membench
