// tmx: tm extensions (Kamailio's tmx module). KSR.tmx.t_precheck_trans():
//    1  the same request (a retransmission) is being processed right now by another worker
//       and has no transaction yet: the caller calls t_check_trans and exits
//   -1  not the case; -2 error
// The work is tm's (modules/tm/precheck.h), reached through tm's API.
#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "modules/tm/api.h"

namespace {

using namespace osprey;

const tm::TmApi* g_tm = nullptr;

int tPrecheckTrans(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr || g_tm == nullptr) return -2;
    return g_tm->precheckTrans(*ctx.route);
}

bool modInit() {
    g_tm = module::loadedModules().api<tm::TmApi>("tm");
    if (g_tm == nullptr) {
        LM_ERR("tmx: the tm module is not loaded");
        return false;
    }
    return true;
}

constexpr const char* kDeps[] = {"tm"};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&tPrecheckTrans>("t_precheck_trans"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "tmx",
    .version = OSPREY_VERSION,
    .deps = kDeps,
    .functions = kFunctions,
    .init = &modInit,
};
