// The module set's start-up steps: load and check parameters in the Check stage (so
// `osprey -c` reports unknown modules and bad parameters), init in the master before fork and
// then collect what modules plug into every message, childInit in every child, destroy in the
// master at shutdown.
#include "core/module/module_steps.h"

#include "core/log/log.h"
#include "core/module/module_set.h"
#include "core/route/msg_extension.h"

namespace osprey::module {

bool loadModules(const app::HookContext& ctx) {
    std::vector<std::string> errors;
    if (!loadedModules().load(ctx.cfg.modules, ctx.cfg.modulesPath, &errors)) {
        for (const std::string& e : errors) LM_ERR("%s", e.c_str());
        return false;
    }
    for (const LoadedModule& m : loadedModules().modules()) {
        LM_DBG("module %s %s loaded from %s", m.desc->name, m.desc->version, m.path.c_str());
    }
    return true;
}

bool initModules(const app::HookContext&) {
    std::string error;
    if (loadedModules().initAll(&error)) return true;
    LM_ERR("%s", error.c_str());
    return false;
}

bool installMsgExtensions(const app::HookContext&) {
    // Inherited by the processes forked after this.
    std::vector<const route::MsgExtension*> ext;
    for (const LoadedModule& m : loadedModules().modules()) {
        if (m.desc->msgExtension != nullptr) ext.push_back(m.desc->msgExtension);
    }
    if (route::installMsgExtensions(ext)) return true;
    LM_ERR("more than %u modules with per-message extensions", route::kMaxMsgExtensions);
    return false;
}

bool childInitModules(const app::HookContext& ctx) {
    std::string error;
    if (ctx.child == nullptr || loadedModules().childInitAll(ctx.child->rank, &error)) return true;
    LM_ERR("%s", error.c_str());
    return false;
}

bool destroyModules(const app::HookContext&) {
    loadedModules().destroyAll();
    return true;
}

}  // namespace osprey::module
