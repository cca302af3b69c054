// The per-process cache from a pseudo-variable name to its parsed spec. Scripts call
// KSR.pv.get with the same literals for every message, so a name is parsed (and a $var's slot
// resolved) once; later lookups hash the text and compare it with the cached copy. Names and
// specs live in the pkg heap; no system allocation on any path. When the cache is full (or
// pkg is), names are parsed on every call instead: slower, never wrong.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/pv/pv_name.h"

namespace osprey::pv {

inline constexpr uint32_t kPvCacheSlots = 1024;  // a power of two; at most 3/4 used
inline constexpr size_t kPvCacheMaxName = 256;   // longer names are not cached

struct PvLookup {
    PvNameError error = PvNameError::Ok;
    PvSpec spec;          // valid when error == Ok; views point into the cache or the name
    bool cached = false;  // the spec came from (or went into) the cache
};

// Parses or finds name. A $var's slot is resolved here (spec.slot -1: no room for it).
PvLookup pvLookup(std::string_view name);

uint32_t pvCacheSize();
void pvCacheClear();  // tests

}  // namespace osprey::pv
