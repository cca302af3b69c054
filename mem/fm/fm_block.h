// Block layout and size classes of the fast (fm) allocator.
//
// Every block starts with a 16-byte boundary tag, so payloads stay 16-byte aligned:
//   prevSize  size of the physical predecessor, meaningful only with kPrevFree
//   head      this block's size (a multiple of 16, tag included) | flags
// Free blocks keep their free-list links in the first 16 payload bytes, hence kMinBlock = 32.
//
// Two kinds of free block:
//   - "cached" (kFree | kCached): a small block freed by the hot path. Its neighbours are not
//     told (the successor's kPrevFree stays clear), so free is a push onto an exact-size LIFO
//     list and the next allocation of that size a pop - f_malloc's fast path. Cached blocks
//     are merged with their neighbours only by FmHeap::consolidate(), which runs before an
//     allocation would otherwise fail.
//   - "proper" (kFree alone): large blocks, split remainders and merge results. The successor
//     has kPrevFree set and prevSize = our size (boundary tags), so frees coalesce at once.
//     Two proper free blocks are never neighbours; the last one before the epilogue is the
//     "top", the untouched tail, which is kept out of the lists.
//
// Size classes: blocks below 4 KiB have exact classes 16 bytes apart (class = size / 16).
// Larger blocks use segregated-fit classes: 32 linear subdivisions per power of two, so a
// class spans < 1/32 of its sizes and a request is answered from the first non-empty class
// above it (found through a bitmap) without ever walking a list sorted by size.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

namespace osprey::mem::fm {

inline constexpr size_t kHeader = 16;
inline constexpr size_t kMinBlock = 32;
inline constexpr size_t kFree = 1;
inline constexpr size_t kPrevFree = 2;
inline constexpr size_t kCached = 4;
inline constexpr size_t kFlagMask = 15;

inline constexpr size_t kSmallLimit = 4096;                  // blocks below this: exact classes
inline constexpr unsigned kSmallClasses = kSmallLimit >> 4;  // 256 (0 and 1 stay unused)
inline constexpr unsigned kSmallLog2 = 12;
inline constexpr unsigned kSubLog2 = 5;                      // 32 subdivisions per power of two
inline constexpr unsigned kMaxLog2 = 48;                     // blocks stay below 2^48 bytes
inline constexpr unsigned kClasses = kSmallClasses + ((kMaxLog2 - kSmallLog2) << kSubLog2);
inline constexpr unsigned kBitmapWords = (kClasses + 63) / 64;
inline constexpr size_t kMaxBlock = (size_t{1} << kMaxLog2) - kSmallLimit;
inline constexpr size_t kMaxRequest = kMaxBlock - kHeader;
static_assert(kBitmapWords <= 64, "the summary bitmap is one word");

// may_alias: payload bytes are written by callers through any type and by us through Block.
struct __attribute__((may_alias)) Block {
    size_t prevSize;
    size_t head;
    Block* next;  // free blocks only
    Block* prev;  // free blocks only

    size_t size() const { return head & ~kFlagMask; }
    bool isFree() const { return head & kFree; }
    bool prevIsFree() const { return head & kPrevFree; }
    Block* at(size_t offset) { return reinterpret_cast<Block*>(reinterpret_cast<char*>(this) + offset); }
    Block* nextPhys() { return at(size()); }
    Block* prevPhys() {
        return reinterpret_cast<Block*>(reinterpret_cast<char*>(this) - prevSize);
    }
    void* payload() { return reinterpret_cast<char*>(this) + kHeader; }
    static Block* of(const void* payload) {
        return reinterpret_cast<Block*>(const_cast<char*>(static_cast<const char*>(payload)) -
                                        kHeader);
    }
};

// Block size for a request of n bytes (n <= kMaxRequest).
inline size_t blockSizeFor(size_t n) {
    size_t bs = (n + kHeader + 15) & ~size_t{15};
    return bs < kMinBlock ? kMinBlock : bs;
}

// The class a block of `size` bytes is filed under.
inline unsigned classOf(size_t size) {
    if (size < kSmallLimit) return static_cast<unsigned>(size >> 4);
    unsigned log2 = static_cast<unsigned>(std::bit_width(size)) - 1;
    unsigned sub = static_cast<unsigned>(size >> (log2 - kSubLog2)) & ((1u << kSubLog2) - 1);
    return kSmallClasses + ((log2 - kSmallLog2) << kSubLog2) + sub;
}

// Smallest block size filed under class c (every block in class c is at least this big).
inline size_t classFloor(unsigned c) {
    if (c < kSmallClasses) return size_t{c} << 4;
    unsigned rel = c - kSmallClasses;
    unsigned log2 = (rel >> kSubLog2) + kSmallLog2;
    size_t sub = rel & ((1u << kSubLog2) - 1);
    return (size_t{1} << log2) + (sub << (log2 - kSubLog2));
}

} // namespace osprey::mem::fm
