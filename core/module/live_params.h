// Parameters that can change while the server runs (RPC cfg.get / cfg.set / cfg.list, with
// Kamailio's group and variable names). A module keeps its parameters in a struct of ints the
// loader fills; at init it copies that struct to shm with shareParams, naming the ones that
// may change, and from then on every process reads them from the shm copy through liveRead:
//
//     g_shared = module::shareParams("tm", g_params, kParams, {"fr_timer", "wt_timer"});
//     uint32_t fr = module::liveRead(g_shared->frTimer);
//
// cfg.set writes the shm int (liveWrite), so the next read in any process sees the new value;
// limits and help come from the parameter's ParamSpec. The core registers its own (the log
// level) with get/set functions instead.
#pragma once
#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/module/param_spec.h"

namespace osprey::module {

struct LiveParam {
    std::string group;  // "tm", "registrar", "core"
    std::string name;   // "fr_timer"
    std::string doc;
    int64_t min = 0;
    int64_t max = 0;
    int* shared = nullptr;   // in shm; or
    int (*get)() = nullptr;  // accessors (core settings)
    bool (*set)(int) = nullptr;
};

inline int liveRead(const int& v) {
    return std::atomic_ref<int>(const_cast<int&>(v)).load(std::memory_order_relaxed);
}
inline void liveWrite(int& v, int x) {
    std::atomic_ref<int>(v).store(x, std::memory_order_relaxed);
}

void addLiveParam(LiveParam p);
void clearLiveParams();
std::span<const LiveParam> liveParams();
const LiveParam* findLiveParam(std::string_view group, std::string_view name);
int liveValue(const LiveParam& p);
// False when value is outside [min, max] (nothing changed).
bool setLiveValue(const LiveParam& p, int64_t value);

// Copies `bytes` of the module's parameter struct at `local` to shm and registers the named
// int parameters (each must be an Int ParamSpec whose target lies inside the struct). nullptr
// (logged) when shm is exhausted or a name is not such a parameter.
void* shareParamBlock(std::string_view group, const void* local, size_t bytes,
                      std::span<const ParamSpec> specs, std::initializer_list<const char*> live);

template <class S>
S* shareParams(std::string_view group, const S& local, std::span<const ParamSpec> specs,
               std::initializer_list<const char*> live) {
    static_assert(std::is_trivially_copyable_v<S>, "a parameter block in shm is plain data");
    return static_cast<S*>(shareParamBlock(group, &local, sizeof(S), specs, live));
}

}  // namespace osprey::module
