// The routing script's start-up steps: in the Check stage the script is compiled and then loaded
// once into a throw-away engine with the real KSR table (so `osprey -c` reports syntax errors,
// top-level errors and a missing ksr_request_route with file:line); every process that routes
// messages creates its own engine in its child init. Settings: lua_memory_limit (MiB per process, 0
// = none), lua_jit (default true).
#include "core/lua/script_steps.h"

#include "core/log/log.h"
#include "core/lua/builtin_exports.h"
#include "core/lua/process_engine.h"
#include "core/lua/script_check.h"
#include "core/module/module_set.h"

namespace osprey::lua {

namespace {

struct DeclareSettings {
    DeclareSettings() {
        config::declareSetting("lua_memory_limit", config::ParamType::Int);
        config::declareSetting("lua_jit", config::ParamType::Bool);
    }
} const kDeclare;

bool engineOptions(const config::Config& cfg, EngineOptions* out) {
    out->scriptPath = cfg.script;
    if (const config::Param* p = cfg.setting("lua_memory_limit")) {
        const int64_t mib = std::get<int64_t>(p->value);
        if (mib < 0 || mib > 64 * 1024) {
            LM_ERR("%s: lua_memory_limit must be 0 (no limit) .. 65536 MiB",
                   p->where.text().c_str());
            return false;
        }
        out->memoryLimit = static_cast<size_t>(mib) << 20;
    }
    if (const config::Param* p = cfg.setting("lua_jit")) out->jit = std::get<bool>(p->value);
    return true;
}

// Processes that run routes: SIP and TCP workers, and the timer process (failure routes on
// transaction timeouts).
bool routesMessages(proc::Rank r) {
    return r == proc::Rank::SipWorker || r == proc::Rank::TcpWorker || r == proc::Rank::Timer;
}

}  // namespace

bool checkScriptStep(const app::HookContext& ctx) {
    if (ctx.cfg.script.empty()) {
        LM_WARN("no Lua script configured ('script'): requests will be dropped");
        return true;
    }
    EngineOptions options;
    if (!engineOptions(ctx.cfg, &options)) return false;
    std::string error;
    if (!checkScriptSyntax(options.scriptPath, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    std::vector<const module::ModuleExport*> exports(builtinExports().begin(),
                                                     builtinExports().end());
    for (const module::ModuleExport* m : module::loadedModules().exports()) exports.push_back(m);
    if (!Engine::create(options, exports, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    return true;
}

bool startEngineStep(const app::HookContext& ctx) {
    if (ctx.child == nullptr || !routesMessages(ctx.child->rank) || ctx.cfg.script.empty()) {
        return true;
    }
    EngineOptions options;
    std::string error;
    if (!engineOptions(ctx.cfg, &options)) return false;
    const std::vector<const module::ModuleExport*> mods = module::loadedModules().exports();
    if (startProcessEngine(options, mods, &error)) return true;
    LM_ERR("%s", error.c_str());
    return false;
}

bool stopEngineStep(const app::HookContext&) {
    stopProcessEngine();
    return true;
}

}  // namespace osprey::lua
