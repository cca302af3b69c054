// The registry of module-provided pseudo-variables: a fixed array filled before fork.
#include "core/pv/pv_provider.h"

#include <cstring>

namespace osprey::pv {

namespace {

constexpr int32_t kMaxProviders = 64;
const PvProvider* g_providers[kMaxProviders];
int32_t g_count = 0;

}  // namespace

bool addPvProviders(std::span<const PvProvider> list) {
    for (const PvProvider& p : list) {
        int32_t ignored;
        // The same table again (a module initialised twice in one process) is fine.
        if (const PvProvider* had = findPvProvider(p.name, p.isClass, &ignored)) {
            if (had == &p) continue;
            return false;
        }
        if (g_count == kMaxProviders) return false;
        g_providers[g_count++] = &p;
    }
    return true;
}

const PvProvider* findPvProvider(std::string_view name, bool isClass, int32_t* index) {
    for (int32_t i = 0; i < g_count; ++i) {
        const PvProvider* p = g_providers[i];
        if (p->isClass == isClass && name == p->name) {
            *index = i;
            return p;
        }
    }
    return nullptr;
}

const PvProvider* pvProviderAt(int32_t index) {
    return index >= 0 && index < g_count ? g_providers[index] : nullptr;
}

}  // namespace osprey::pv
