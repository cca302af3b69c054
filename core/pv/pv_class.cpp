// The registry of module pseudo-variable classes (pv_class.h): filled in the master before
// fork, read-only afterwards, so lookups need no lock.
#include "core/pv/pv_class.h"

#include "core/log/log.h"
#include "core/pv/pv_name.h"

namespace osprey::pv {

namespace {

const PvClass* g_classes[kMaxPvClasses];
int32_t g_count = 0;

}  // namespace

bool registerPvClasses(std::span<const PvClass> classes) {
    for (const PvClass& c : classes) {
        PvSpec probe;
        const std::string name = std::string("$") + c.name + (c.plain ? "" : "(x)");
        if (findPvClass(c.name) >= 0 || parsePvName(name, probe) == PvNameError::Ok) {
            LM_ERR("pv: the class $%s(...) is defined twice", c.name);
            return false;
        }
        if (g_count >= kMaxPvClasses) {
            LM_ERR("pv: no room for the class $%s(...) (%d classes at most)", c.name,
                   kMaxPvClasses);
            return false;
        }
        g_classes[g_count++] = &c;
    }
    return true;
}

int32_t findPvClass(std::string_view name) {
    for (int32_t i = 0; i < g_count; ++i) {
        if (name == g_classes[i]->name) return i;
    }
    return -1;
}

const PvClass* pvClassAt(int32_t index) {
    return index >= 0 && index < g_count ? g_classes[index] : nullptr;
}

}  // namespace osprey::pv
