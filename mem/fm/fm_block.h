// Block layout and size classes of the fast (fm) allocator.
//
// Every block starts with a 16-byte boundary tag, so payloads stay 16-byte aligned:
//   prevTag   size of the physical predecessor | kPrevFree while that one is free; 0 while
//             it is in use. Keeping the flag here, not in head, makes "tell the successor"
//             a plain store, which does not stall on a cache miss the way a read-modify-
//             write of the successor's head would.
//   head      this block's size (a multiple of 16, tag included) | kFree | kCached
// Free blocks keep their free-list links in the first 16 payload bytes, hence kMinBlock = 32.
//
// Every free block keeps the boundary tags right (its successor's prevTag holds its size and
// kPrevFree), so any free can see free neighbours. There are two kinds:
//   - "cached" (kFree | kCached): a small block freed by the hot path, pushed onto its
//     exact-size LIFO list without merging - f_malloc's fast path, so the next allocation
//     of that size is a pop. Cached blocks are swallowed when a neighbour is released (a
//     bounded number per release) and all merged by FmHeap::consolidate(), which runs before
//     the heap grows into its untouched tail while much is cached, and before it fails.
//   - "proper" (kFree alone): large blocks, split remainders and merge results, merged with
//     their free neighbours at once. Two proper free blocks are never neighbours; the last
//     one before the epilogue is the "top", the untouched tail, which is kept out of lists.
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
inline constexpr size_t kFree = 1;     // in head
inline constexpr size_t kCached = 4;   // in head
inline constexpr size_t kPrevFree = 2; // in prevTag
inline constexpr size_t kFlagMask = 15;

inline constexpr size_t kSmallLimit = 4096;                  // blocks below this: exact classes
// Blocks below kCacheLimit (up to 2 KiB, so Kamailio's 2024-byte sip_msg too) are cached
// when freed. A higher limit makes more frees a plain push but leaves more unmerged holes:
// measured on random_frag with 6 seeds, the touched span is ~1.20x the live bytes at 2 KiB,
// ~1.25x at 4 KiB, ~1.15x with nothing cached.
inline constexpr size_t kCacheLimit = 2064;
static_assert(kCacheLimit <= kSmallLimit && kCacheLimit % 16 == 0);
// Cached neighbours one release may swallow on each side: keeps a free O(1) while letting
// large frees reclaim the small holes around them (fewer than 32 measurably fragments more).
inline constexpr unsigned kSwallowBudget = 32;

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
    size_t prevTag;
    size_t head;
    Block* next;  // free blocks only
    Block* prev;  // free blocks only; stale while the block heads its list

    size_t size() const { return head & ~kFlagMask; }
    bool isFree() const { return head & kFree; }
    bool prevIsFree() const { return prevTag & kPrevFree; }
    void setPrevFree(size_t prevSize) { prevTag = prevSize | kPrevFree; }
    void setPrevUsed() { prevTag = 0; }
    Block* at(size_t offset) { return reinterpret_cast<Block*>(reinterpret_cast<char*>(this) + offset); }
    Block* prevPhys() {
        return reinterpret_cast<Block*>(reinterpret_cast<char*>(this) - (prevTag & ~kFlagMask));
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
