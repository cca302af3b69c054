// siputils: Kamailio's siputils KEMI functions that routing scripts reach for first.
//   KSR.siputils.has_totag()      1 the To header has a non-empty tag (in-dialog); -1 no tag,
//                                 no To, or a To that does not parse
//   KSR.siputils.is_request()     1 / -1;   KSR.siputils.is_reply(): 1 / -1
//   KSR.siputils.uri_param(name)  1 the Request-URI has that parameter; -1 not
//   KSR.siputils.options_reply()  answers an OPTIONS addressed to the proxy itself (R-URI
//                                 without a user part) with 200 and its capabilities; -1 when
//                                 it is not such a request
#include <string_view>

#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"

namespace {

using namespace osprey;

int hasTotag(lua::Ctx& ctx) noexcept {
    if (ctx.msg == nullptr) return -1;
    const sip::FromToBody* to = sip::getTo(*ctx.msg);
    return to != nullptr && !to->tag.empty() ? 1 : -1;
}

int isRequest(lua::Ctx& ctx) noexcept {
    return ctx.msg != nullptr && ctx.msg->isRequest() ? 1 : -1;
}

int isReply(lua::Ctx& ctx) noexcept {
    return ctx.msg != nullptr && !ctx.msg->isRequest() ? 1 : -1;
}

// The Request-URI as it will be forwarded (a rewritten one included).
int uriParam(lua::Ctx& ctx, std::string_view name) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || name.empty()) return -1;
    sip::SipUri u;
    if (sip::parseUri(mc->requestUri(), u) != sip::UriError::Ok) return -1;
    std::string_view value;
    return sip::findUriParam(u.params, name, &value) ? 1 : -1;
}

// Kamailio's options_reply: the capabilities headers of its siputils defaults.
constexpr std::string_view kOptionsHeaders =
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, MESSAGE, INFO, "
    "UPDATE, PRACK, REFER, PUBLISH\r\n"
    "Accept: */*\r\n"
    "Accept-Encoding: \r\n"
    "Accept-Language: en\r\n"
    "Supported: \r\n";

int optionsReply(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || mc->msg.method() != sip::Method::Options) {
        return -1;
    }
    sip::SipUri u;
    if (sip::parseUri(mc->requestUri(), u) != sip::UriError::Ok || !u.user.empty()) return -1;
    return route::sendReply(*mc, 200, "OK", kOptionsHeaders) ? 1 : -1;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&hasTotag>("has_totag"),         lua::fn<&isRequest>("is_request"),
    lua::fn<&isReply>("is_reply"),           lua::fn<&uriParam>("uri_param"),
    lua::fn<&optionsReply>("options_reply"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "siputils",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};
