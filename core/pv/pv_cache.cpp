// Open-addressing hash table (linear probing) of parsed pseudo-variable names.
#include "core/pv/pv_cache.h"

#include <cstring>

#include "core/hash/fnv1a.h"
#include "core/pv/script_vars.h"
#include "core/pv/shared_vars.h"
#include "mem/pkg.h"

namespace osprey::pv {

namespace {

struct Entry {
    const char* name = nullptr;  // pkg copy; nullptr = empty slot
    uint32_t len = 0;
    uint32_t hash = 0;
    PvSpec spec;
};

Entry g_table[kPvCacheSlots];
uint32_t g_used = 0;

uint32_t fnv1a(std::string_view s) {
    return hash::fnv1a32(s);
}

void resolveSlot(PvSpec& spec) {
    if (spec.kind == PvKind::Var) spec.slot = scriptVarSlot(spec.arg);
    if (spec.kind == PvKind::SharedVar) spec.slot = sharedVarSlot(spec.arg);
}

}  // namespace

PvLookup pvLookup(std::string_view name) {
    PvLookup r;
    const uint32_t h = fnv1a(name);
    uint32_t i = h & (kPvCacheSlots - 1);
    for (; g_table[i].name != nullptr; i = (i + 1) & (kPvCacheSlots - 1)) {
        const Entry& e = g_table[i];
        if (e.hash == h && e.len == name.size() &&
            std::memcmp(e.name, name.data(), name.size()) == 0) {
            r.spec = e.spec;
            r.cached = true;
            return r;
        }
    }
    // Not cached: parse; only valid names are remembered (a script looping over bad names
    // must not fill the table).
    r.error = parsePvName(name, r.spec);
    if (r.error != PvNameError::Ok) return r;
    char* copy = nullptr;
    if (name.size() <= kPvCacheMaxName && g_used < kPvCacheSlots / 4 * 3) {
        copy = static_cast<char*>(mem::pkgAlloc(name.size()));
    }
    if (copy == nullptr) {
        resolveSlot(r.spec);
        return r;
    }
    std::memcpy(copy, name.data(), name.size());
    Entry& e = g_table[i];
    e.name = copy;
    e.len = static_cast<uint32_t>(name.size());
    e.hash = h;
    (void)parsePvName(std::string_view(copy, name.size()), e.spec);  // views into the copy
    resolveSlot(e.spec);
    ++g_used;
    r.spec = e.spec;
    r.cached = true;
    return r;
}

uint32_t pvCacheSize() {
    return g_used;
}

void pvCacheClear() {
    for (Entry& e : g_table) {
        if (e.name != nullptr) mem::pkgFree(const_cast<char*>(e.name));
        e = Entry{};
    }
    g_used = 0;
}

}  // namespace osprey::pv
