#include "core/module/live_params.h"

#include <cstring>

#include "core/log/log.h"
#include "mem/shm.h"

namespace osprey::module {

namespace {

std::vector<LiveParam>& table() {
    static std::vector<LiveParam> t;
    return t;
}

}  // namespace

void addLiveParam(LiveParam p) {
    for (LiveParam& q : table()) {
        if (q.group == p.group && q.name == p.name) {
            q = std::move(p);
            return;
        }
    }
    table().push_back(std::move(p));
}

void clearLiveParams() {
    table().clear();
}

std::span<const LiveParam> liveParams() {
    return table();
}

const LiveParam* findLiveParam(std::string_view group, std::string_view name) {
    for (const LiveParam& p : table()) {
        if (p.group == group && p.name == name) return &p;
    }
    return nullptr;
}

int liveValue(const LiveParam& p) {
    return p.get != nullptr ? p.get() : liveRead(*p.shared);
}

bool setLiveValue(const LiveParam& p, int64_t value) {
    if (value < p.min || value > p.max) return false;
    if (p.set != nullptr) return p.set(static_cast<int>(value));
    liveWrite(*p.shared, static_cast<int>(value));
    return true;
}

void* shareParamBlock(std::string_view group, const void* local, size_t bytes,
                      std::span<const ParamSpec> specs, std::initializer_list<const char*> live) {
    void* shm = mem::shmAlloc(bytes);
    if (shm == nullptr) {
        LM_ERR("%.*s: out of shared memory for its run-time parameters",
               static_cast<int>(group.size()), group.data());
        return nullptr;
    }
    memcpy(shm, local, bytes);
    const char* base = static_cast<const char*>(local);
    for (const char* name : live) {
        const ParamSpec* spec = nullptr;
        for (const ParamSpec& s : specs) {
            if (std::string_view(s.name) == name) spec = &s;
        }
        const char* target = spec != nullptr ? static_cast<const char*>(spec->target) : nullptr;
        if (spec == nullptr || spec->type != ParamType::Int || target < base ||
            target + sizeof(int) > base + bytes) {
            LM_ERR("%.*s: '%s' is not an integer parameter of its shared block",
                   static_cast<int>(group.size()), group.data(), name);
            mem::shmFree(shm);
            return nullptr;
        }
        LiveParam p;
        p.group = std::string(group);
        p.name = name;
        p.doc = spec->doc;
        p.min = spec->intMin;
        p.max = spec->intMax;
        p.shared = reinterpret_cast<int*>(static_cast<char*>(shm) + (target - base));
        addLiveParam(std::move(p));
    }
    return shm;
}

}  // namespace osprey::module
