// Core KSR functions for stateless forwarding (Kamailio's KEMI core): KSR.setdsturi,
// KSR.resetdsturi, KSR.isdsturiset, KSR.force_rport, KSR.forward, KSR.forward_uri.
#include <string_view>

#include "core/lua/builtin_exports.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/forward.h"
#include "core/route/msg_context.h"

namespace osprey::route {

namespace {

bool setDstUri(lua::Ctx& ctx, std::string_view uri) noexcept {
    return ctx.route != nullptr && ctx.route->setDstUri(uri);
}

int resetDstUri(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    ctx.route->resetDstUri();
    return 1;
}

bool isDstUriSet(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr && !ctx.route->dstUri.empty();
}

// RFC 3581 as if the top Via had ";rport": replies go to the source port, and the forwarded
// request's previous-hop Via gets received= and rport=.
bool forceRport(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return false;
    ctx.route->forceRport = true;
    return true;
}

int forward(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr && forwardRequest(*ctx.route) ? 1 : -1;
}

// To the address in uri; the Request-URI and $du stay as they are.
int forwardUri(lua::Ctx& ctx, std::string_view uri) noexcept {
    if (ctx.route == nullptr || uri.empty()) return -1;
    return forwardRequest(*ctx.route, uri) ? 1 : -1;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&setDstUri>("setdsturi", ""),   lua::fn<&resetDstUri>("resetdsturi", ""),
    lua::fn<&isDstUriSet>("isdsturiset", ""), lua::fn<&forceRport>("force_rport", ""),
    lua::fn<&forward>("forward", ""),       lua::fn<&forwardUri>("forward_uri", ""),
};

constexpr module::ModuleExport kExport{
    .name = "core.forward",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};

const lua::BuiltinExportRegistrar kRegister(kExport);

}  // namespace

}  // namespace osprey::route
