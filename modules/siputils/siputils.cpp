// siputils: Kamailio's siputils KEMI functions that routing scripts reach for first.
//   KSR.siputils.has_totag()      1 the To header has a non-empty tag (in-dialog); -1 no tag,
//                                 no To, or a To that does not parse
//   KSR.siputils.is_request()     1 / -1;   KSR.siputils.is_reply(): 1 / -1
//   KSR.siputils.uri_param(name)  1 the Request-URI has that parameter; -1 not
//   KSR.siputils.is_first_hop()   Kamailio's: a request with a single Via (sent by the UA
//                                 itself) 1, else -1; a reply whose top Record-Route is
//                                 ours (an IP address of ours, and not where the reply came
//                                 from) or that has no Record-Route 1, else -1
//   KSR.siputils.options_reply()  answers an OPTIONS addressed to the proxy itself (R-URI
//                                 without a user part) with 200 and its capabilities; -1 when
//                                 it is not such a request
#include <string_view>

#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/sock_addr.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "core/route/send_reply.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/route.h"
#include "core/sip/uri.h"
#include "core/sip/via.h"

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

bool hasSecondVia(sip::SipMsg& msg) {
    if (msg.topVia == nullptr) return false;
    if (msg.topVia->next != nullptr) return true;
    sip::HeaderField* first = sip::findHeader(msg, sip::HeaderKind::Via);
    sip::HeaderField* second = first != nullptr ? sip::nextHeader(msg, *first) : nullptr;
    return second != nullptr && sip::parseVia(msg, *second) != nullptr;
}

int isFirstHop(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    sip::SipMsg& msg = mc->msg;
    if (msg.isRequest()) return hasSecondVia(msg) ? -1 : 1;
    sip::HeaderField* rr = sip::findHeader(msg, sip::HeaderKind::RecordRoute);
    if (rr == nullptr) return 1;
    const sip::RouteBody* top = sip::parseRoute(msg, *rr);
    if (top == nullptr) return -1;
    sip::SipUri u;
    if (sip::parseUri(top->addr.uriText, u) != sip::UriError::Ok) return -1;
    std::string_view host = u.host;
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    net::SockAddr ip;
    if (!net::parseIp(host, u.hasPort ? u.port : 5060, ip)) return -1;  // an IP, as mode 0
    if (!route::isMyselfUri(u)) return -1;
    // Our own Record-Route and from our own address: a loop, not the first hop.
    if (ip == mc->recv.src) return -1;
    return 1;
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
    lua::fn<&optionsReply>("options_reply"), lua::fn<&isFirstHop>("is_first_hop"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "siputils",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};
