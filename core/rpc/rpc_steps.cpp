#include "core/rpc/rpc_steps.h"

#include "core/log/log.h"
#include "core/module/module_set.h"
#include "core/proc/pkg_publish.h"
#include "core/rpc/cfg_methods.h"
#include "core/rpc/control_process.h"
#include "core/rpc/core_methods.h"
#include "core/rpc/http_get.h"
#include "core/rpc/listeners.h"
#include "core/rpc/lua_methods.h"
#include "core/rpc/mod_stats.h"
#include "core/rpc/registry.h"
#include "core/rpc/stats_methods.h"
#include "core/rpc/tls_methods.h"

namespace osprey::rpc {

namespace {

// The core's method tables, registered before the modules' and listed in this order by
// system.listMethods. A part of the core with methods of its own (statistics: stats.*; the
// Lua engine: app_lua.*) adds its table here, declared with rpc::method<&f> like these.
struct CoreTable {
    std::span<const Method> (*methods)();
    const char* owner;
};
constexpr CoreTable kCoreTables[] = {
    {coreMethods, "core"},   {cfgMethods, "cfg"},     {modStatsMethods, "mod"},
    {statsMethods, "stats"}, {luaMethods, "app_lua"}, {tlsMethods, "tls"},
};

}  // namespace

bool checkRpcSettings(const app::HookContext& ctx) {
    RpcSettings s;
    std::string error;
    if (loadRpcSettings(ctx.cfg, &s, &error)) return true;
    LM_ERR("%s", error.c_str());
    return false;
}

bool startRpcStep(const app::HookContext& ctx) {
    RpcSettings s;
    std::string error;
    if (!loadRpcSettings(ctx.cfg, &s, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (!shareCoreSettings()) {
        LM_ERR("rpc: out of shared memory for the run-time settings");
        return false;
    }
    clearMethods();
    bool ok = true;
    for (const CoreTable& t : kCoreTables) {
        if (ok) ok = addMethods(t.methods(), t.owner, &error);
    }
    for (const module::LoadedModule& m : module::loadedModules().modules()) {
        if (ok) ok = addMethods(m.desc->rpc, m.desc->name, &error);
    }
    if (!ok) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    // A module may have registered its own /metrics (tests do); the statistics' is the default.
    if (httpGetHandler("/metrics") == nullptr && !registerMetricsPage()) {
        LM_ERR("rpc: cannot register the /metrics page");
        return false;
    }
    if (!openListeners(s, &error)) {
        LM_ERR("rpc: %s", error.c_str());
        return false;
    }
    if (listeners().empty()) {
        LM_NOTICE("rpc: no control socket configured; the control process is not started");
        return true;
    }
    for (const Listener& l : listeners()) LM_INFO("rpc: listening on %s", l.name.c_str());
    declareControlProcess(s);
    return true;
}

bool childRpcStep(const app::HookContext& ctx) {
    if (ctx.child != nullptr && ctx.child->rank != proc::Rank::Control) dropListenersInChild();
    return true;
}

bool publishPkgStep(const app::HookContext&) {
    proc::publishPkgStats(true);
    return true;
}

bool stopRpcStep(const app::HookContext&) {
    closeListeners();
    unshareCoreSettings();
    return true;
}

}  // namespace osprey::rpc
