// Core KSR functions on the Request-URI and "is it me" tests of other URIs (Kamailio's KEMI
// core): KSR.seturi / setuser / sethost (1 ok, -1 bad value; the same rewrites as $ru, $rU,
// $rd), KSR.is_myself_furi / is_myself_turi / is_myself_duri / is_myself_srcip.
#include <string_view>

#include "core/lua/builtin_exports.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/pv/pv_access.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "core/sip/from_to.h"
#include "core/sip/name_addr.h"
#include "core/sip/uri.h"

namespace osprey::route {

namespace {

int rewrite(lua::Ctx& ctx, pv::PvKind k, std::string_view value) {
    if (ctx.route == nullptr) return -1;
    pv::PvSpec spec;
    spec.kind = k;
    return pv::pvSetStr(*ctx.route, spec, value) ? 1 : -1;
}

int setUri(lua::Ctx& ctx, std::string_view uri) noexcept {
    return rewrite(ctx, pv::PvKind::RUri, uri);
}

int setUser(lua::Ctx& ctx, std::string_view user) noexcept {
    return rewrite(ctx, pv::PvKind::RUser, user);
}

int setHost(lua::Ctx& ctx, std::string_view host) noexcept {
    return rewrite(ctx, pv::PvKind::RHost, host);
}

bool addrIsMyself(lua::Ctx& ctx, bool to) {
    if (ctx.msg == nullptr) return false;
    auto* b = const_cast<sip::FromToBody*>(to ? sip::getTo(*ctx.msg) : sip::getFrom(*ctx.msg));
    if (b == nullptr) return false;
    const sip::SipUri* u = sip::nameAddrUri(*ctx.msg, b->addr);
    return u != nullptr && isMyselfUri(*u);
}

bool isMyselfFuri(lua::Ctx& ctx) noexcept {
    return addrIsMyself(ctx, false);
}

bool isMyselfTuri(lua::Ctx& ctx) noexcept {
    return addrIsMyself(ctx, true);
}

bool isMyselfDuri(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr || ctx.route->dstUri.empty()) return false;
    sip::SipUri u;
    return sip::parseUri(ctx.route->dstUri, u) == sip::UriError::Ok && isMyselfUri(u);
}

bool isMyselfSrcip(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr && isMyself(ctx.route->srcIp(), 0);
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&setUri>("seturi", ""),
    lua::fn<&setUser>("setuser", ""),
    lua::fn<&setHost>("sethost", ""),
    lua::fn<&isMyselfFuri>("is_myself_furi", ""),
    lua::fn<&isMyselfTuri>("is_myself_turi", ""),
    lua::fn<&isMyselfDuri>("is_myself_duri", ""),
    lua::fn<&isMyselfSrcip>("is_myself_srcip", ""),
};

constexpr module::ModuleExport kExport{
    .name = "core.ruri",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};

const lua::BuiltinExportRegistrar kRegister(kExport);

}  // namespace

}  // namespace osprey::route
