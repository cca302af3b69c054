#include "core/app/hooks.h"

#include <algorithm>
#include <vector>

namespace osprey::app {

namespace {

struct Hook {
    Stage stage;
    int order;
    const char* name;
    HookFn fn;
};

std::vector<Hook>& hooks() {
    static std::vector<Hook> h;
    return h;
}

bool isExitStage(Stage s) {
    return s == Stage::ChildExit || s == Stage::MasterExit;
}

}  // namespace

void addHook(Stage stage, int order, const char* name, HookFn fn) {
    hooks().push_back(Hook{stage, order, name, fn});
}

bool runHooks(Stage stage, const HookContext& ctx) {
    std::vector<Hook> selected;
    for (const Hook& h : hooks())
        if (h.stage == stage) selected.push_back(h);
    bool reverse = isExitStage(stage);
    std::stable_sort(selected.begin(), selected.end(), [reverse](const Hook& a, const Hook& b) {
        return reverse ? a.order > b.order : a.order < b.order;
    });
    for (const Hook& h : selected) {
        LM_DBG("running %s hook '%s'", reverse ? "exit" : "start-up", h.name);
        if (!h.fn(ctx) && !reverse) {
            LM_ERR("start-up step '%s' failed", h.name);
            return false;
        }
    }
    return true;
}

}  // namespace osprey::app
