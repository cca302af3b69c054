// Size classes of the per-process shm cache (see shm_cache.h). Requests up to kMaxCachedSize
// are rounded up to a class; every block a class hands out has at least classSize() usable
// bytes, so blocks of one class are interchangeable whichever process allocated them.
//
// 16 classes 16 bytes apart up to 256 (headers, small strings, usrloc records), then 8 per
// doubling up to 16 KiB (< 12.5 % rounding) so the big SIP objects -- a tm cell of 9664
// bytes, a cloned request of 3-6 KiB, message buffers -- are cached too. Without those the
// transaction sizes would all go to the shared lock and two workers would serialize on it.
#pragma once
#include <bit>
#include <cstddef>

namespace osprey::mem::shmcache {

inline constexpr size_t kMaxCachedSize = 16384;
inline constexpr unsigned kSmallClasses = 16;  // 16, 32, ..., 256
inline constexpr unsigned kStepsPerDoubling = 8;
inline constexpr unsigned kClassCount = kSmallClasses + 6 * kStepsPerDoubling;  // to 16 KiB
inline constexpr unsigned kNoClass = ~0u;

constexpr size_t classSize(unsigned c) {
    if (c < kSmallClasses) return size_t{c + 1} * 16;
    unsigned group = (c - kSmallClasses) / kStepsPerDoubling;
    unsigned step = (c - kSmallClasses) % kStepsPerDoubling + 1;
    size_t base = size_t{256} << group;
    return base + step * (base / kStepsPerDoubling);
}

// The smallest class whose blocks hold n bytes; kNoClass when n is too big to cache.
constexpr unsigned classForRequest(size_t n) {
    if (n <= 256) return n == 0 ? 0 : static_cast<unsigned>((n + 15) / 16 - 1);
    if (n > kMaxCachedSize) return kNoClass;
    unsigned group = static_cast<unsigned>(std::bit_width(n - 1)) - 9;  // n in (base, 2 base]
    size_t base = size_t{256} << group;
    size_t stepBytes = base / kStepsPerDoubling;
    unsigned step = static_cast<unsigned>((n - base + stepBytes - 1) / stepBytes);
    return kSmallClasses + group * kStepsPerDoubling + step - 1;
}

// The largest class a block with `usable` bytes can serve; kNoClass below the smallest class
// or when the block is so much bigger than the largest class that caching it would waste it.
constexpr unsigned classForBlock(size_t usable) {
    if (usable < 16) return kNoClass;
    if (usable <= 256) return static_cast<unsigned>(usable / 16 - 1);
    if (usable >= kMaxCachedSize + kMaxCachedSize / kStepsPerDoubling) return kNoClass;
    if (usable >= kMaxCachedSize) return kClassCount - 1;
    unsigned group = static_cast<unsigned>(std::bit_width(usable - 1)) - 9;
    size_t base = size_t{256} << group;
    unsigned step = static_cast<unsigned>((usable - base) / (base / kStepsPerDoubling));
    return kSmallClasses + group * kStepsPerDoubling + step - 1;
}

static_assert(classSize(kClassCount - 1) == kMaxCachedSize);
static_assert(classForRequest(kMaxCachedSize) == kClassCount - 1);
static_assert(classForRequest(9664) != kNoClass && classSize(classForRequest(9664)) == 10240);
static_assert(classForBlock(256) == kSmallClasses - 1 && classForBlock(287) == kSmallClasses - 1);

} // namespace osprey::mem::shmcache
