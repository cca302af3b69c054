// Size classes of qm's segregated free lists and the bitmap that finds the first non-empty
// one. Payload sizes up to 1 KiB (the bulk of SIP allocations) get one exact list per 16-byte
// step, so taking the head is a perfect fit; larger sizes get 8 lists per power of two.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

namespace osprey::mem::qm {

inline constexpr size_t kExactLimit = 1024;             // largest payload with an exact list
inline constexpr size_t kExactBins = kExactLimit / 16;  // payloads 16, 32, ..., 1024
inline constexpr int kSubBits = 3;                      // 8 lists per power of two above
inline constexpr int kFirstLog = 10;                    // 2^10 = kExactLimit
inline constexpr int kLastLog = 47;                     // payloads stay below 2^48
inline constexpr size_t kBins = kExactBins + (kLastLog - kFirstLog + 1) * (1u << kSubBits);
inline constexpr size_t kBinWords = (kBins + 63) / 64;

// The list a free payload of `size` bytes (a multiple of 16, >= 16) belongs to. A list above
// the exact range holds sizes in [lower bound of its class, lower bound of the next class).
inline size_t binOf(size_t size) {
    if (size <= kExactLimit) return size / 16 - 1;
    int log = 63 - std::countl_zero(static_cast<uint64_t>(size));
    size_t sub = (size >> (log - kSubBits)) & ((1u << kSubBits) - 1);
    return kExactBins + static_cast<size_t>(log - kFirstLog) * (1u << kSubBits) + sub;
}

// Which lists are non-empty.
class BinMap {
public:
    void set(size_t bin) { words_[bin / 64] |= uint64_t{1} << (bin % 64); }
    void clear(size_t bin) { words_[bin / 64] &= ~(uint64_t{1} << (bin % 64)); }
    bool test(size_t bin) const { return (words_[bin / 64] >> (bin % 64)) & 1; }
    // First non-empty list at or after `bin`, or kBins if there is none.
    size_t firstFrom(size_t bin) const {
        if (bin >= kBins) return kBins;
        size_t w = bin / 64;
        uint64_t bits = words_[w] & (~uint64_t{0} << (bin % 64));
        while (bits == 0) {
            if (++w == kBinWords) return kBins;
            bits = words_[w];
        }
        return w * 64 + static_cast<size_t>(std::countr_zero(bits));
    }
    // Last non-empty list, or kBins if all are empty.
    size_t last() const {
        for (size_t w = kBinWords; w-- > 0;)
            if (words_[w]) return w * 64 + 63 - static_cast<size_t>(std::countl_zero(words_[w]));
        return kBins;
    }

private:
    uint64_t words_[kBinWords] = {};
};

}  // namespace osprey::mem::qm
