// tmx: tm extensions (Kamailio's tmx module). KSR.tmx.t_precheck_trans():
//    1  the same request (a retransmission) is being processed right now by another worker
//       and has no transaction yet: the caller calls t_check_trans and exits
//   -1  not the case; -2 error
// KSR.tmx.t_is_failure_route() / t_is_branch_route() / t_is_reply_route() (a tm onreply
// route or ksr_reply_route, as Kamailio's ONREPLY_ROUTE mask) / t_is_request_route(): 1 when
// that kind of route is running, else -1.
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

int routeIs(lua::Ctx& ctx, lua::RouteType a, lua::RouteType b) {
    return ctx.routeType == a || ctx.routeType == b ? 1 : -1;
}
int tIsFailureRoute(lua::Ctx& ctx) noexcept {
    return routeIs(ctx, lua::RouteType::Failure, lua::RouteType::Failure);
}
int tIsBranchRoute(lua::Ctx& ctx) noexcept {
    return routeIs(ctx, lua::RouteType::Branch, lua::RouteType::Branch);
}
int tIsReplyRoute(lua::Ctx& ctx) noexcept {
    return routeIs(ctx, lua::RouteType::OnReply, lua::RouteType::Reply);
}
int tIsRequestRoute(lua::Ctx& ctx) noexcept {
    return routeIs(ctx, lua::RouteType::Request, lua::RouteType::Request);
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
    lua::fn<&tIsFailureRoute>("t_is_failure_route"),
    lua::fn<&tIsBranchRoute>("t_is_branch_route"),
    lua::fn<&tIsReplyRoute>("t_is_reply_route"),
    lua::fn<&tIsRequestRoute>("t_is_request_route"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "tmx",
    .version = OSPREY_VERSION,
    .deps = kDeps,
    .functions = kFunctions,
    .init = &modInit,
};
