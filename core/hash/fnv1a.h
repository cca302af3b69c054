// FNV-1a over bytes: the one string hash the tables share (Call-ID buckets in tm, htable keys,
// the pv cache, relay instance choice, dispatcher's hashes). Cheap and good enough for keys an
// attacker does not pick freely; tables fed by peers salt the seed or mix the result further.
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::hash {

inline constexpr uint32_t kFnv32Offset = 2166136261u;
inline constexpr uint64_t kFnv64Offset = 0xcbf29ce484222325ull;

constexpr uint32_t fnv1a32(std::string_view s, uint32_t h = kFnv32Offset) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
}

// `h` continues a hash over several pieces (start with kFnv64Offset).
constexpr uint64_t fnv1a64(std::string_view s, uint64_t h = kFnv64Offset) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return h;
}

}  // namespace osprey::hash
