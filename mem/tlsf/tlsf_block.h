// Block layout and the two-level size mapping of the TLSF allocator (Masmano, Ripoll,
// Crespo, Real: "TLSF: a new dynamic memory allocator for real-time systems", ECRTS 2004).
//
// Boundary tag of 16 bytes in front of every block (keeps payloads 16-byte aligned):
//   prevSize  size of the physical predecessor, meaningful only while that one is free
//   head      this block's size (a multiple of 16, tag included) | kFree | kPrevFree
// Free blocks hold their list links in the payload, so the smallest block is 32 bytes.
//
// Mapping: the first level is the power of two of the size, the second splits it into 32
// linear ranges. Sizes below 512 bytes share first level 0, split in 16-byte steps.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

namespace osprey::mem::tlsf {

inline constexpr size_t kHeader = 16;
inline constexpr size_t kMinBlock = 32;
inline constexpr size_t kFree = 1;
inline constexpr size_t kPrevFree = 2;
inline constexpr size_t kFlagMask = 15;

inline constexpr unsigned kSlLog2 = 5;
inline constexpr unsigned kSlCount = 1u << kSlLog2;
inline constexpr unsigned kAlignLog2 = 4;
inline constexpr unsigned kFlShift = kSlLog2 + kAlignLog2;  // sizes below 2^9 are "small"
inline constexpr size_t kSmallBlock = size_t{1} << kFlShift;
inline constexpr unsigned kFlMaxLog2 = 48;
inline constexpr unsigned kFlCount = kFlMaxLog2 - kFlShift + 1;
inline constexpr size_t kMaxBlock = (size_t{1} << kFlMaxLog2) - kSmallBlock;
inline constexpr size_t kMaxRequest = kMaxBlock - kHeader;
static_assert(kFlCount <= 64, "the first-level bitmap is one word");

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
    Block* prevPhys() {
        return reinterpret_cast<Block*>(reinterpret_cast<char*>(this) - prevSize);
    }
    void* payload() { return reinterpret_cast<char*>(this) + kHeader; }
    static Block* of(const void* payload) {
        return reinterpret_cast<Block*>(const_cast<char*>(static_cast<const char*>(payload)) -
                                        kHeader);
    }
};

struct Index {
    unsigned fl;
    unsigned sl;
};

inline size_t blockSizeFor(size_t n) {
    size_t bs = (n + kHeader + 15) & ~size_t{15};
    return bs < kMinBlock ? kMinBlock : bs;
}

// The list a free block of `size` bytes is filed in ("mapping_insert").
inline Index mappingInsert(size_t size) {
    if (size < kSmallBlock) return {0, static_cast<unsigned>(size >> kAlignLog2)};
    unsigned f = static_cast<unsigned>(std::bit_width(size)) - 1;
    return {f - (kFlShift - 1), static_cast<unsigned>(size >> (f - kSlLog2)) - kSlCount};
}

// The first list whose every block fits `size` ("mapping_search"): rounds the size up to the
// next list boundary. size must be at most kMaxBlock.
inline Index mappingSearch(size_t size) {
    if (size >= kSmallBlock) {
        unsigned f = static_cast<unsigned>(std::bit_width(size)) - 1;
        size += (size_t{1} << (f - kSlLog2)) - 1;
    }
    return mappingInsert(size);
}

} // namespace osprey::mem::tlsf
