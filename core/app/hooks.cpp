// Running one stage of the start-up list (hooks.h).
#include "core/app/hooks.h"

#include "core/log/log.h"

namespace osprey::app {

bool runHooks(Stage stage, const HookContext& ctx) {
    const bool exit = stage == Stage::ChildExit || stage == Stage::MasterExit;
    for (const StartupStep& s : startupSteps()) {
        if (s.stage != stage) continue;
        LM_DBG("running %s step '%s'", exit ? "exit" : "start-up", s.name);
        if (!s.fn(ctx) && !exit) {
            LM_ERR("start-up step '%s' failed", s.name);
            return false;
        }
    }
    return true;
}

}  // namespace osprey::app
