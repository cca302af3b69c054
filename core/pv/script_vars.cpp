// $var storage: a flat per-process table, names and texts in pkg.
#include "core/pv/script_vars.h"

#include <cstring>

#include "mem/pkg.h"

namespace osprey::pv {

namespace {

struct Var {
    const char* name;
    uint32_t nameLen;
    bool isInt;
    int64_t intValue;
    char* text;  // pkg; capacity textCap, kept when a shorter value replaces a longer one
    uint32_t textLen;
    uint32_t textCap;
};

Var g_vars[kMaxScriptVars];
int32_t g_count = 0;

bool valid(int32_t slot) {
    return slot >= 0 && slot < g_count;
}

}  // namespace

int32_t scriptVarSlot(std::string_view name) {
    for (int32_t i = 0; i < g_count; ++i) {
        const Var& v = g_vars[i];
        if (v.nameLen == name.size() && std::memcmp(v.name, name.data(), name.size()) == 0) {
            return i;
        }
    }
    if (g_count == kMaxScriptVars || name.empty()) return -1;
    char* copy = static_cast<char*>(mem::pkgAlloc(name.size()));
    if (copy == nullptr) return -1;
    std::memcpy(copy, name.data(), name.size());
    g_vars[g_count] = Var{copy, static_cast<uint32_t>(name.size()), true, 0, nullptr, 0, 0};
    return g_count++;
}

lua::PvValue scriptVarGet(int32_t slot) {
    if (!valid(slot)) return {};
    const Var& v = g_vars[slot];
    if (v.isInt) return v.intValue;
    return std::string_view(v.text != nullptr ? v.text : "", v.textLen);
}

bool scriptVarSetInt(int32_t slot, int64_t value) {
    if (!valid(slot)) return false;
    g_vars[slot].isInt = true;
    g_vars[slot].intValue = value;
    return true;
}

bool scriptVarSetStr(int32_t slot, std::string_view value) {
    if (!valid(slot)) return false;
    Var& v = g_vars[slot];
    if (value.size() > v.textCap) {
        const size_t cap = value.size() < 32 ? 32 : value.size();
        char* grown = static_cast<char*>(mem::pkgAlloc(cap));
        if (grown == nullptr) return false;
        if (v.text != nullptr) mem::pkgFree(v.text);
        v.text = grown;
        v.textCap = static_cast<uint32_t>(cap);
    }
    if (!value.empty()) std::memcpy(v.text, value.data(), value.size());
    v.textLen = static_cast<uint32_t>(value.size());
    v.isInt = false;
    return true;
}

void scriptVarsClear() {
    for (int32_t i = 0; i < g_count; ++i) {
        mem::pkgFree(const_cast<char*>(g_vars[i].name));
        if (g_vars[i].text != nullptr) mem::pkgFree(g_vars[i].text);
    }
    g_count = 0;
}

}  // namespace osprey::pv
