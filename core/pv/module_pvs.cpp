// The table of module-provided pseudo-variables (module_pvs.h).
#include "core/pv/module_pvs.h"

namespace osprey::pv {

namespace {

struct Entry {
    std::string_view name;
    ModulePvGetter get = nullptr;
};
Entry g_table[kMaxModulePvs];
int g_count = 0;

}  // namespace

bool registerModulePv(std::string_view name, ModulePvGetter get) {
    if (name.empty() || get == nullptr || g_count >= kMaxModulePvs || findModulePv(name) >= 0) {
        return false;
    }
    g_table[g_count++] = {name, get};
    return true;
}

int findModulePv(std::string_view name) {
    for (int i = 0; i < g_count; ++i) {
        if (g_table[i].name == name) return i;
    }
    return -1;
}

ModulePvGetter modulePvGetter(int slot) {
    return slot >= 0 && slot < g_count ? g_table[slot].get : nullptr;
}

}  // namespace osprey::pv
