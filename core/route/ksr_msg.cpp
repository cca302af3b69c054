// Core KSR functions that test the message (Kamailio's KEMI core): KSR.is_method,
// KSR.is_method_in("IRS": Kamailio's method letters),
// KSR.is_INVITE/ACK/..., KSR.is_myself_ruri, KSR.is_myself. For a response the method is the
// CSeq method, as in Kamailio.
#include <string_view>

#include "core/log/log.h"
#include "core/lua/builtin_exports.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "core/sip/cseq.h"
#include "core/sip/sip_lex.h"
#include "core/sip/uri.h"

namespace osprey::route {

namespace {

using sip::Method;

// The message's method as text and enum (the CSeq's for a response); false when unknown.
bool methodOf(lua::Ctx& ctx, std::string_view* text, Method* m) {
    sip::SipMsg* msg = ctx.msg;
    if (msg == nullptr) return false;
    if (msg->isRequest()) {
        *text = msg->start.methodText;
        *m = msg->method();
        return true;
    }
    const sip::CSeqBody* cseq = sip::getCSeq(*msg);
    if (cseq == nullptr) return false;
    *text = cseq->methodText;
    *m = cseq->method;
    return true;
}

bool isMethodEnum(lua::Ctx& ctx, Method want) {
    std::string_view text;
    Method m;
    return methodOf(ctx, &text, &m) && m == want;
}

// "INVITE", or a list "INVITE|SUBSCRIBE|REFER": true when any matches (case-insensitive).
bool isMethod(lua::Ctx& ctx, std::string_view list) noexcept {
    std::string_view text;
    Method m;
    if (!methodOf(ctx, &text, &m)) return false;
    while (!list.empty()) {
        const size_t bar = list.find('|');
        std::string_view one = list.substr(0, bar);
        while (!one.empty() && (one.front() == ' ' || one.front() == '\t')) one.remove_prefix(1);
        while (!one.empty() && (one.back() == ' ' || one.back() == '\t')) one.remove_suffix(1);
        if (!one.empty() && sip::lex::equalsNoCase(one, text)) return true;
        if (bar == std::string_view::npos) break;
        list.remove_prefix(bar + 1);
    }
    return false;
}

// Kamailio's method letters: any letter (either case) whose method the message has. The HTTP
// methods and KDMQ are not SIP methods Osprey parses into the enum: compared by text.
bool isMethodIn(lua::Ctx& ctx, std::string_view letters) noexcept {
    std::string_view text;
    Method m;
    if (letters.empty() || !methodOf(ctx, &text, &m)) return false;
    for (const char c : letters) {
        Method want = Method::Other;
        std::string_view other;
        switch (c | 0x20) {
            case 'i':
                want = Method::Invite;
                break;
            case 'a':
                want = Method::Ack;
                break;
            case 'b':
                want = Method::Bye;
                break;
            case 'c':
                want = Method::Cancel;
                break;
            case 'm':
                want = Method::Message;
                break;
            case 'r':
                want = Method::Register;
                break;
            case 'e':
                want = Method::Prack;
                break;
            case 'p':
                want = Method::Publish;
                break;
            case 's':
                want = Method::Subscribe;
                break;
            case 'n':
                want = Method::Notify;
                break;
            case 'o':
                want = Method::Options;
                break;
            case 'f':
                want = Method::Refer;
                break;
            case 'u':
                want = Method::Update;
                break;
            case 'g':
                other = "GET";
                break;
            case 'k':
                other = "KDMQ";
                break;
            case 'd':
                other = "DELETE";
                break;
            case 't':
                other = "POST";
                break;
            case 'v':
                other = "PUT";
                break;
            default:
                LM_WARN("KSR.is_method_in: unsupported method letter '%c'", c);
                continue;
        }
        if (want != Method::Other ? m == want : (m == Method::Other && text == other)) return true;
    }
    return false;
}

// One plain function per method: addresses of function template instances are not constant
// expressions for lua::fn under the sanitizers.
bool isInvite(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Invite);
}
bool isAck(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Ack);
}
bool isBye(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Bye);
}
bool isCancel(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Cancel);
}
bool isRegister(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Register);
}
bool isOptions(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Options);
}
bool isSubscribe(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Subscribe);
}
bool isNotify(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Notify);
}
bool isPublish(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Publish);
}
bool isMessage(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Message);
}
bool isInfo(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Info);
}
bool isUpdate(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Update);
}
bool isPrack(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Prack);
}
bool isRefer(lua::Ctx& ctx) noexcept {
    return isMethodEnum(ctx, Method::Refer);
}

bool isMyselfRuri(lua::Ctx& ctx) noexcept {
    MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return false;
    sip::SipUri uri;
    return sip::parseUri(mc->requestUri(), uri) == sip::UriError::Ok && isMyselfUri(uri);
}

bool isMyselfText(std::string_view text) noexcept {
    sip::SipUri uri;
    return sip::parseUri(text, uri) == sip::UriError::Ok && isMyselfUri(uri);
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&isMethod>("is_method", ""),
    lua::fn<&isMethodIn>("is_method_in", ""),
    lua::fn<&isInvite>("is_INVITE", ""),
    lua::fn<&isAck>("is_ACK", ""),
    lua::fn<&isBye>("is_BYE", ""),
    lua::fn<&isCancel>("is_CANCEL", ""),
    lua::fn<&isRegister>("is_REGISTER", ""),
    lua::fn<&isOptions>("is_OPTIONS", ""),
    lua::fn<&isSubscribe>("is_SUBSCRIBE", ""),
    lua::fn<&isNotify>("is_NOTIFY", ""),
    lua::fn<&isPublish>("is_PUBLISH", ""),
    lua::fn<&isMessage>("is_MESSAGE", ""),
    lua::fn<&isInfo>("is_INFO", ""),
    lua::fn<&isUpdate>("is_UPDATE", ""),
    lua::fn<&isPrack>("is_PRACK", ""),
    lua::fn<&isRefer>("is_REFER", ""),
    lua::fn<&isMyselfRuri>("is_myself_ruri", ""),
    lua::fn<&isMyselfText>("is_myself", ""),
};

constexpr module::ModuleExport kExport{
    .name = "core.msg",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};

const lua::BuiltinExportRegistrar kRegister(kExport);

}  // namespace

}  // namespace osprey::route
