// $shv table in shm: fixed slots, names inline, texts in shm blocks.
#include "core/pv/shared_vars.h"

#include <cstring>

#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"
#include "mem/shm.h"

namespace osprey::pv {

namespace {

struct SharedVar {
    char name[kMaxSharedVarName + 1];
    uint8_t nameLen;
    bool isInt;
    int64_t intValue;
    char* text;  // shm block of textCap bytes, or null
    uint32_t textLen;
    uint32_t textCap;
};

struct SharedVarTable {
    mem::FutexMutex lock;
    int32_t count;
    SharedVar vars[kMaxSharedVars];
};

SharedVarTable* g_table = nullptr;  // set in the master, inherited by fork
char g_readBuf[kMaxSharedVarText];  // per process: where reads are copied out

bool valid(int32_t slot) {
    return g_table != nullptr && slot >= 0 && slot < kMaxSharedVars;
}

}  // namespace

bool sharedVarsInit() {
    if (g_table != nullptr) return true;
    if (!mem::shmReady()) return false;
    // All-zero bytes: an unlocked mutex, no variables.
    g_table = static_cast<SharedVarTable*>(mem::shmAllocZero(sizeof(SharedVarTable)));
    return g_table != nullptr;
}

bool sharedVarsReady() {
    return g_table != nullptr;
}

int32_t sharedVarSlot(std::string_view name) {
    if (g_table == nullptr || name.empty() || name.size() > kMaxSharedVarName) return -1;
    mem::LockGuard guard(g_table->lock);
    for (int32_t i = 0; i < g_table->count; ++i) {
        const SharedVar& v = g_table->vars[i];
        if (v.nameLen == name.size() && std::memcmp(v.name, name.data(), name.size()) == 0) {
            return i;
        }
    }
    if (g_table->count == kMaxSharedVars) return -1;
    SharedVar& v = g_table->vars[g_table->count];
    std::memcpy(v.name, name.data(), name.size());
    v.nameLen = static_cast<uint8_t>(name.size());
    v.isInt = true;
    v.intValue = 0;
    return g_table->count++;
}

lua::PvValue sharedVarGet(int32_t slot) {
    if (!valid(slot)) return {};
    mem::LockGuard guard(g_table->lock);
    const SharedVar& v = g_table->vars[slot];
    if (v.isInt) return v.intValue;
    if (v.textLen > 0) std::memcpy(g_readBuf, v.text, v.textLen);
    return std::string_view(g_readBuf, v.textLen);
}

bool sharedVarSetInt(int32_t slot, int64_t value) {
    if (!valid(slot)) return false;
    mem::LockGuard guard(g_table->lock);
    g_table->vars[slot].isInt = true;
    g_table->vars[slot].intValue = value;
    return true;
}

bool sharedVarSetStr(int32_t slot, std::string_view value) {
    if (!valid(slot) || value.size() > kMaxSharedVarText) return false;
    mem::LockGuard guard(g_table->lock);
    SharedVar& v = g_table->vars[slot];
    if (value.size() > v.textCap) {
        const size_t cap = value.size() < 32 ? 32 : value.size();
        char* grown = static_cast<char*>(mem::shmAlloc(cap));
        if (grown == nullptr) return false;
        if (v.text != nullptr) mem::shmFree(v.text);
        v.text = grown;
        v.textCap = static_cast<uint32_t>(cap);
    }
    if (!value.empty()) std::memcpy(v.text, value.data(), value.size());
    v.textLen = static_cast<uint32_t>(value.size());
    v.isInt = false;
    return true;
}

}  // namespace osprey::pv
