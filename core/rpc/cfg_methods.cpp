#include "core/rpc/cfg_methods.h"

#include <new>

#include "core/log/log.h"
#include "core/module/live_params.h"
#include "mem/shm.h"

namespace osprey::rpc {

namespace {

std::atomic<int>* g_levelSlot = nullptr;

// Kamailio's debug numbers are the syslog levels minus 4.
int debugGet() {
    return static_cast<int>(log::level()) - 4;
}
bool debugSet(int v) {
    log::setLevel(static_cast<log::Level>(v + 4));
    return true;
}

Result cfgGet(std::string_view group, std::optional<std::string_view> var) noexcept {
    if (var) {
        const module::LiveParam* p = module::findLiveParam(group, *var);
        if (p == nullptr) return Result::fault(kBadRequest, "Failed to get the variable");
        return Value(int64_t{module::liveValue(*p)});
    }
    Value all = Value::structure();
    for (const module::LiveParam& p : module::liveParams()) {
        if (p.group == group) all.add(p.name, int64_t{module::liveValue(p)});
    }
    if (all.members().empty()) return Result::fault(kBadRequest, "Failed to get the group");
    return all;
}

Result cfgSet(std::string_view group, std::string_view var, int64_t value) noexcept {
    const module::LiveParam* p = module::findLiveParam(group, var);
    if (p == nullptr) return Result::fault(kBadRequest, "Failed to set the variable");
    if (!module::setLiveValue(*p, value))
        return Result::fault(kBadRequest, "Failed to set the variable: " + p->group + "." +
                                              p->name + " must be " + std::to_string(p->min) +
                                              ".." + std::to_string(p->max));
    return Result::empty();
}

Result cfgList(std::optional<std::string_view> group) noexcept {
    Value out = Value::array();
    for (const module::LiveParam& p : module::liveParams()) {
        if (!group || p.group == *group) out.push(p.group + ": " + p.name);
    }
    return out;
}

Result cfgHelp(std::string_view group, std::string_view var) noexcept {
    const module::LiveParam* p = module::findLiveParam(group, var);
    if (p == nullptr) return Result::fault(kBadRequest, "Failed to get the variable");
    Value v = Value::structure();
    v.add("desc", p->doc.empty() ? "none" : p->doc);
    v.add("type", "integer");
    v.add("min", p->min);
    v.add("max", p->max);
    return v;
}

constexpr Method kMethods[] = {
    method<&cfgGet>("cfg.get", "group var",
                    "Get the value of a run-time parameter (all of a group without var)."),
    method<&cfgSet>("cfg.set", "group var value",
                    "Set a run-time parameter; every process uses it from now on."),
    method<&cfgSet>("cfg.seti", "group var value", "Same as cfg.set."),
    method<&cfgList>("cfg.list", "group", "List the run-time parameters.", kReturnsArray),
    method<&cfgHelp>("cfg.help", "group var", "Describe a run-time parameter."),
};

}  // namespace

std::span<const Method> cfgMethods() {
    return kMethods;
}

bool shareCoreSettings() {
    void* p = mem::shmAlloc(sizeof(std::atomic<int>));
    if (p == nullptr) return false;
    g_levelSlot = new (p) std::atomic<int>(0);
    log::shareLevel(g_levelSlot);
    module::LiveParam debug;
    debug.group = "core";
    debug.name = "debug";
    debug.doc = "log level: -1 err, 0 warn, 1 notice, 2 info, 3 debug";
    debug.min = -1;
    debug.max = 3;
    debug.get = &debugGet;
    debug.set = &debugSet;
    module::addLiveParam(std::move(debug));
    return true;
}

void unshareCoreSettings() {
    if (g_levelSlot == nullptr) return;
    log::unshareLevel();
    mem::shmFree(g_levelSlot);
    g_levelSlot = nullptr;
}

}  // namespace osprey::rpc
