#include "core/rpc/lua_methods.h"

#include <string>

#include "core/lua/script_release.h"
#include "core/lua/script_reload.h"

namespace osprey::rpc {

namespace {

// Kamailio's app_lua.reload [pos]: Osprey has one script, so pos may only be -1 or 0. The
// check runs here, in the control process; an accepted script reaches every process within
// their next wake-up (at most 100 ms).
Result appLuaReload(std::optional<int64_t> pos) noexcept {
    if (pos && *pos != -1 && *pos != 0)
        return Result::fault(kInternal, "Reload Failed: there is one script (position 0)");
    const lua::ReloadResult r = lua::reloadScript();
    if (!r.ok) return Result::fault(kInternal, "Reload Failed: " + r.error);
    Value v = Value::structure();
    v.add("generation", static_cast<int64_t>(r.generation));
    return v;
}

Result appLuaList() noexcept {
    const lua::ScriptStatus s = lua::scriptStatus();
    Value out = Value::array();
    if (s.path.empty()) {
        out.push("No scripts loaded");
    } else {
        out.push("0: [" + s.path + "]");
    }
    return out;
}

Result appLuaStatus() noexcept {
    const lua::ScriptStatus s = lua::scriptStatus();
    Value v = Value::structure();
    v.add("generation", static_cast<int64_t>(s.generation));
    v.add("path", s.path);
    v.add("reloads", static_cast<int64_t>(s.reloads));
    v.add("refused", static_cast<int64_t>(s.refused));
    v.add("last_error", s.lastError);
    Value& procs = v.add("processes", Value::array());
    for (const lua::ScriptStatus::Process& p : s.processes) {
        Value e = Value::structure();
        e.add("IDX", static_cast<int64_t>(p.slot));
        e.add("PID", static_cast<int64_t>(p.pid));
        e.add("DSC", p.name);
        e.add("generation", static_cast<int64_t>(p.generation));
        e.add("failed_generation", static_cast<int64_t>(p.failedGeneration));
        e.add("failures", static_cast<int64_t>(p.failures));
        e.add("error", p.error);
        procs.push(std::move(e));
    }
    return v;
}

constexpr Method kMethods[] = {
    method<&appLuaReload>("app_lua.reload", "pos",
                          "Reload lua script: checked here, then run by every process."),
    method<&appLuaList>("app_lua.list", "", "list lua scripts", kReturnsArray),
    method<&appLuaStatus>("app_lua.status", "",
                          "The published script generation and the one each process runs."),
};

}  // namespace

std::span<const Method> luaMethods() {
    return kMethods;
}

}  // namespace osprey::rpc
