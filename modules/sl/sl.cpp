// sl: stateless replies (Kamailio's sl module). KSR.sl.sl_send_reply(code, reason) and
// KSR.sl.send_reply (the same until tm is loaded: then a request with a transaction would be
// answered through it), KSR.sl.sl_reply_error() for the last error recorded on the message.
// Replies are built by the core (route/send_reply.h): To tag added for non-100, Via (with
// received/rport), From, To, Call-ID and CSeq copied; sent where RFC 3261 §18.2.2 says.
#include <string_view>

#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"

namespace {

using namespace osprey;

int slSendReply(lua::Ctx& ctx, int code, std::string_view reason) noexcept {
    if (ctx.route == nullptr) return -1;
    return route::sendReply(*ctx.route, code, reason) ? 1 : -1;
}

int slReplyError(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    return route::sendErrorReply(*ctx.route) ? 1 : -1;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&slSendReply>("sl_send_reply"),
    lua::fn<&slSendReply>("send_reply"),
    lua::fn<&slReplyError>("sl_reply_error"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "sl",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};
