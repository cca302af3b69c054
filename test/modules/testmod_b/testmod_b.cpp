// Test-only module that depends on testmod_a; its init can be told to fail.
#include <unistd.h>

#include "core/module/module_export.h"

namespace {

using namespace osprey;

int g_traceFd = -1;
bool g_failInit = false;

void trace(const char* line, size_t n) {
    if (g_traceFd >= 0) (void)!::write(g_traceFd, line, n);
}

bool modInit() {
    trace("b:init\n", 7);
    return !g_failInit;
}

void modDestroy() {
    trace("b:destroy\n", 10);
}

constexpr const char* kDeps[] = {"testmod_a"};
constexpr module::ParamSpec kParams[] = {
    module::intParam("trace_fd", &g_traceFd, -1, -1, 1 << 20),
    module::boolParam("fail_init", &g_failInit, false),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "testmod_b",
    .deps = kDeps,
    .params = kParams,
    .init = &modInit,
    .destroy = &modDestroy,
};
