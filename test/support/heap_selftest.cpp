// The heap self-test of the test workers (heap_selftest.h).
#include "test/support/heap_selftest.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::testsupport {

namespace {

constexpr unsigned kBlocks = 64;

struct HeapOps {
    const char* name;
    void* (*alloc)(size_t, mem::AllocSite);
    void (*free)(void*, mem::AllocSite);
    void* (*realloc)(void*, size_t, mem::AllocSite);
};

uint32_t nextRandom(uint32_t& state) {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

// Sizes like a SIP worker's: mostly small, some up to a few KiB, a few large.
size_t pickSize(uint32_t& rng, size_t maxBlock) {
    uint32_t r = nextRandom(rng);
    size_t n;
    switch (r % 8) {
        case 0:
            n = r % 17;
            break;
        case 1:
        case 2:
        case 3:
            n = 16 + r % 240;
            break;
        case 4:
        case 5:
            n = 256 + r % 3840;
            break;
        case 6:
            n = 4096 + r % 28672;
            break;
        default:
            n = 32768 + r % 32768;
            break;
    }
    return n > maxBlock ? n % (maxBlock + 1) : n;
}

uint8_t pattern(unsigned block, size_t i) {
    return static_cast<uint8_t>(block * 31 + i * 7 + 1);
}

bool verify(const uint8_t* p, size_t n, unsigned block) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != pattern(block, i)) return false;
    return true;
}

void fill(uint8_t* p, size_t n, unsigned block) {
    for (size_t i = 0; i < n; ++i) p[i] = pattern(block, i);
}

// maxBlock keeps the worst case (every block grown to twice the maximum) under half the heap.
bool exercise(const HeapOps& ops, size_t heapTotal, uint32_t& rng, unsigned rounds, unsigned& count,
              SelfTestResult& r) {
    const size_t maxBlock = heapTotal / (kBlocks * 4) < 65536 ? heapTotal / (kBlocks * 4) : 65536;
    void* blocks[kBlocks] = {};
    size_t sizes[kBlocks] = {};
    auto fail = [&](const char* what, unsigned b) {
        snprintf(r.error, sizeof r.error, "%s: %s (block %u, %zu bytes)", ops.name, what, b,
                 sizes[b]);
        for (unsigned i = 0; i < kBlocks; ++i) ops.free(blocks[i], mem::AllocSite::current());
        return false;
    };
    for (unsigned round = 0; round < rounds; ++round) {
        for (unsigned b = 0; b < kBlocks; ++b) {
            sizes[b] = pickSize(rng, maxBlock);
            blocks[b] = ops.alloc(sizes[b], mem::AllocSite::current());
            if (!blocks[b]) return fail("allocation failed", b);
            if (reinterpret_cast<uintptr_t>(blocks[b]) % 16 != 0)
                return fail("misaligned block", b);
            fill(static_cast<uint8_t*>(blocks[b]), sizes[b], b);
            ++count;
        }
        // Grow every other block: content must move with it.
        for (unsigned b = 0; b < kBlocks; b += 2) {
            size_t grown = sizes[b] * 2 + 8;
            void* p = ops.realloc(blocks[b], grown, mem::AllocSite::current());
            if (!p) return fail("realloc failed", b);
            if (!verify(static_cast<uint8_t*>(p), sizes[b], b)) {
                blocks[b] = p;
                return fail("realloc lost content", b);
            }
            blocks[b] = p;
            sizes[b] = grown;
            fill(static_cast<uint8_t*>(p), grown, b);
        }
        for (unsigned b = 0; b < kBlocks; ++b) {
            if (!verify(static_cast<uint8_t*>(blocks[b]), sizes[b], b))
                return fail("content overwritten", b);
        }
        // Free in an interleaved order so neighbours coalesce in different orders.
        for (unsigned pass = 0; pass < 2; ++pass)
            for (unsigned b = pass; b < kBlocks; b += 2) {
                ops.free(blocks[b], mem::AllocSite::current());
                blocks[b] = nullptr;
            }
    }
    return true;
}

}  // namespace

SelfTestResult runHeapSelfTest(unsigned seed, unsigned sharers, unsigned rounds) {
    SelfTestResult r;
    uint32_t rng = seed * 2654435761u + 1;
    const HeapOps pkg{"pkg", mem::pkgAlloc, mem::pkgFree, mem::pkgRealloc};
    const HeapOps shm{"shm", mem::shmAlloc, mem::shmFree, mem::shmRealloc};
    size_t pkgUsedBefore = mem::pkgStats().used;
    if (!exercise(pkg, mem::pkgStats().total, rng, rounds, r.pkgAllocs, r) ||
        !exercise(shm, mem::shmStats().total / (sharers ? sharers : 1), rng, rounds, r.shmAllocs,
                  r)) {
        r.ok = false;
        return r;
    }
    // pkg is private and unlocked: everything freed must show as freed.
    size_t pkgUsedAfter = mem::pkgStats().used;
    if (pkgUsedAfter != pkgUsedBefore) {
        snprintf(r.error, sizeof r.error, "pkg: used %zu bytes after the test, %zu before",
                 pkgUsedAfter, pkgUsedBefore);
        r.ok = false;
    }
    return r;
}

}  // namespace osprey::testsupport
