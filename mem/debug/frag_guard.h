// Guards that prove a debug fragment record is intact: a check word over the fields a
// diagnosis must trust (size, allocation site), and a tail guard pattern written from the
// end of the caller's bytes so that even a one-byte overrun is seen.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mem/alloc_site.h"

namespace osprey::mem {

static_assert(sizeof(AllocSite) == sizeof(uint64_t), "AllocSite is one pointer");

inline uint64_t siteBits(AllocSite site) {
    return std::bit_cast<uint64_t>(site);
}

// A 32-bit mix of two words. A header whose check matches can be believed (its size can be
// followed and its site pointer dereferenced) even if a canary next to it is broken.
inline uint32_t fragCheck(uint64_t a, uint64_t b) {
    uint64_t x = (a ^ 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
    x ^= b + 0x632BE59BD9B4E019ull + (x >> 29);
    x *= 0x94D049BB133111EBull;
    return static_cast<uint32_t>(x ^ (x >> 32));
}

// Tail guard: the byte at address a holds pattern byte (a & 7), so any 8-byte window can be
// compared with one rotated constant. No byte is 0x00 or 0xff, the values stray writes
// (memset, off-by-one terminators) most often leave.
inline constexpr uint64_t kGuardPattern = 0x1EE169A53C96C35Aull;

inline uint64_t guardWord(uintptr_t address) {
    return std::rotr(kGuardPattern, static_cast<int>(8 * (address & 7)));
}

// Fills [p, p+len) with the guard pattern; len >= 8.
inline void fillGuard(char* p, size_t len) {
    size_t off = 0;
    for (; off + 8 <= len; off += 8) {
        uint64_t w = guardWord(reinterpret_cast<uintptr_t>(p + off));
        memcpy(p + off, &w, 8);
    }
    if (off < len) {
        uint64_t w = guardWord(reinterpret_cast<uintptr_t>(p + len - 8));
        memcpy(p + len - 8, &w, 8);
    }
}

// Returns the offset of the first byte of [p, p+len) that no longer holds the pattern, or
// len if the guard is intact; len >= 8.
inline size_t guardBreak(const char* p, size_t len) {
    auto windowOk = [](const char* at) {
        uint64_t v;
        memcpy(&v, at, 8);
        return v == guardWord(reinterpret_cast<uintptr_t>(at));
    };
    bool ok = true;
    size_t off = 0;
    for (; ok && off + 8 <= len; off += 8) ok = windowOk(p + off);
    if (ok && off < len) ok = windowOk(p + len - 8);
    if (ok) return len;
    for (size_t i = 0; i < len; ++i) {
        uintptr_t a = reinterpret_cast<uintptr_t>(p + i);
        if (static_cast<unsigned char>(p[i]) != ((kGuardPattern >> (8 * (a & 7))) & 0xff)) return i;
    }
    return len;  // unreachable: a window differed, so some byte does
}

}  // namespace osprey::mem
