// Test-only module for the module loader tests: one parameter of each type, functions that
// report them to Lua, and lifecycle hooks that write "a:<event>" lines to the trace_fd param.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "test/modules/testmod_api.h"

namespace {

using namespace osprey;

int g_traceFd = -1;
int g_count = 0;
std::string g_label;
bool g_enabled = false;
double g_ratio = 0;

void trace(const char* event) {
    if (g_traceFd < 0) return;
    char line[64];
    const int n = std::snprintf(line, sizeof line, "a:%s\n", event);
    (void)!::write(g_traceFd, line, static_cast<size_t>(n));
}

bool modInit() {
    trace("init");
    return true;
}

bool modChildInit(proc::Rank rank) {
    char ev[32];
    std::snprintf(ev, sizeof ev, "child%d", static_cast<int>(rank));
    trace(ev);
    return true;
}

void modDestroy() {
    trace("destroy");
}

int count() noexcept {
    return g_count;
}
std::string_view label() noexcept {
    return g_label;
}
bool enabled() noexcept {
    return g_enabled;
}
double ratio() noexcept {
    return g_ratio;
}
int add(int a, int b) noexcept {
    return a + b;
}

int twice(int x) {
    return 2 * x;
}
const testmod::Api kApi{&twice};

constexpr module::ParamSpec kParams[] = {
    module::intParam("trace_fd", &g_traceFd, -1, -1, 1 << 20),
    module::intParam("count", &g_count, 5, 1, 100),
    module::stringParam("label", &g_label, "none"),
    module::boolParam("enabled", &g_enabled, false),
    module::floatParam("ratio", &g_ratio, 0.5, 0.0, 1.0),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&count>("count"), lua::fn<&label>("label"), lua::fn<&enabled>("enabled"),
    lua::fn<&ratio>("ratio"), lua::fn<&add>("add"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "testmod_a",
    .version = "1.0",
    .params = kParams,
    .functions = kFunctions,
    .api = &kApi,
    .init = &modInit,
    .childInit = &modChildInit,
    .destroy = &modDestroy,
};
