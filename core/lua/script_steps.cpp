// The routing script's start-up steps: in the Check stage the script is compiled and then loaded
// once into a throw-away engine with the real KSR table (so `osprey -c` reports syntax errors,
// top-level errors and a missing ksr_request_route with file:line); before fork the master
// publishes the text it checked as generation 1 (core/lua/script_release.h); every process that
// routes messages creates its own engine from the published text in its child init. Settings:
// lua_memory_limit (MiB per process, 0 = none), lua_jit (default true).
#include "core/lua/script_steps.h"

#include "core/log/log.h"
#include "core/lua/builtin_exports.h"
#include "core/lua/process_engine.h"
#include "core/lua/script_check.h"
#include "core/lua/script_reload.h"
#include "core/module/module_set.h"
#include "core/proc/child.h"
#include "core/proc/supervisor.h"

namespace osprey::lua {

namespace {

struct DeclareSettings {
    DeclareSettings() {
        config::declareSetting("lua_memory_limit", config::ParamType::Int);
        config::declareSetting("lua_jit", config::ParamType::Bool);
    }
} const kDeclare;

// The text the Check stage accepted: the master publishes exactly this, not a second read.
std::string g_checkedText;

// Processes that run routes: SIP and TCP workers, and the timer process (failure routes on
// transaction timeouts).
bool routesMessages(proc::Rank r) {
    return r == proc::Rank::SipWorker || r == proc::Rank::TcpWorker || r == proc::Rank::Timer;
}

void reloadOnHangup() {
    reloadScript();  // logs either outcome
}

}  // namespace

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
    if (!readScriptFile(options.scriptPath, &g_checkedText, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (!checkScriptText(options, g_checkedText, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    return true;
}

bool publishScriptStep(const app::HookContext& ctx) {
    if (ctx.cfg.script.empty()) return true;
    uint64_t generation = 0;
    if (!createScriptRelease() || !publishScript(ctx.cfg.script, g_checkedText, &generation)) {
        LM_ERR("lua: out of shared memory for the published script");
        return false;
    }
    g_checkedText = std::string();
    proc::setHangupAction(reloadOnHangup);
    return true;
}

bool unpublishScriptStep(const app::HookContext&) {
    destroyScriptRelease();
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
    std::string text;
    uint64_t generation = 0;
    if (!copyPublishedScript(&options.scriptPath, &text, &generation)) {
        LM_ERR("lua: no published script in shared memory");
        return false;
    }
    if (!startProcessEngine(options, std::move(text), mods, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    startedProcessScript(generation);
    proc::setWakeWork(syncProcessScript);
    LM_INFO("lua: running script generation %lu", static_cast<unsigned long>(generation));
    return true;
}

bool stopEngineStep(const app::HookContext& ctx) {
    if (processEngine() != nullptr && ctx.child != nullptr) clearProcessRow(ctx.child->slot);
    proc::setWakeWork(nullptr);
    stopProcessEngine();
    return true;
}

}  // namespace osprey::lua
