// sanity: RFC 3261 sanity checks on demand (Kamailio's sanity module, same check bits,
// parameters and reply texts; the checks themselves: sanity_checks.h).
//
// KSR.sanity.sanity_check(mflags, uflags)  1 passed; -1 failed: the request has been answered
//                                          statelessly (400/416/420/505 with the reason, see
//                                          the README) unless it cannot be (a response, an
//                                          ACK, no usable top Via) or noreply is set
// KSR.sanity.sanity_check_defaults()       the same with default_checks / uri_checks
// KSR.sanity.sanity_reply()                with noreply=1: sends the answer the last failed
//                                          check of this message chose (500 if none)
//
// Parameters: default_checks (3047), uri_checks (7), proxy_require ("" - comma-separated
// option tags this proxy supports), autodrop (1; as in Kamailio's KEMI it changes nothing for
// Lua scripts, which exit themselves), noreply (0).
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/sip_lex.h"
#include "modules/sanity/sanity_checks.h"

namespace {

using namespace osprey;

int g_defaultChecks = static_cast<int>(sanity::kDefaultChecks);
int g_uriChecks = static_cast<int>(sanity::kDefaultUriChecks);
std::string g_proxyRequireParam;
int g_autodrop = 1;
int g_noReply = 0;

// Views into g_proxyRequireParam, which is not touched after init (before fork).
std::vector<std::string_view> g_supported;

// noreply=1: the answer the last failed check chose, for sanity_reply on the same message.
struct PendingReply {
    const route::MsgContext* mc = nullptr;
    uint64_t msgId = 0;  // MsgContext::id: new for every message
    uint16_t status = 0;
    std::string_view reason;  // static text
    char extra[512];
    size_t extraLen = 0;
};
PendingReply g_pending;

constexpr std::string_view kTrim = " \t";

bool parseSupported() {
    g_supported.clear();
    std::string_view rest = g_proxyRequireParam;
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string_view tag = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const size_t b = tag.find_first_not_of(kTrim);
        if (b == std::string_view::npos) continue;  // empty items are ignored, as Kamailio does
        tag = tag.substr(b, tag.find_last_not_of(kTrim) - b + 1);
        if (sip::lex::scanWhile(tag, 0, sip::lex::kToken) != tag.size()) {
            LM_ERR("sanity: proxy_require: '%.*s' is not an option tag (RFC 3261 token)",
                   static_cast<int>(tag.size()), tag.data());
            return false;
        }
        g_supported.push_back(tag);
    }
    return true;
}

bool modInit() {
    try {
        return parseSupported();
    } catch (...) {  // start-up only: vector growth
        LM_ERR("sanity: out of memory reading proxy_require");
        return false;
    }
}

bool replyImpossible(const route::MsgContext& mc) {
    return !mc.msg.isRequest() || mc.msg.method() == sip::Method::Ack || mc.msg.topVia == nullptr;
}

// The reply leaves with the send batch, after this returns: its extra header text must live
// in the message's arena, not on this stack.
bool sendSanityReply(route::MsgContext& mc, uint16_t status, std::string_view reason,
                     std::string_view extra) {
    const std::string_view kept = mc.keep(extra);
    if (!extra.empty() && kept.empty()) {
        LM_ERR("sanity: out of memory for the Unsupported header of a %u reply", status);
        return false;
    }
    return route::sendReply(mc, status, reason, kept);
}

int check(route::MsgContext& mc, uint32_t checks, uint32_t uriChecks) {
    sanity::Options opt;
    opt.proxyRequire = g_supported;
    opt.datagram = mc.recv.proto == net::Proto::Udp;
    sanity::Verdict v;
    if (sanity::runChecks(mc.msg, checks, uriChecks, opt, v)) return 1;
    LM_DBG("sanity: check %u failed: %u %.*s", v.failed, v.status,
           static_cast<int>(v.reason.size()), v.reason.data());
    if (replyImpossible(mc)) return -1;
    char extra[sizeof(g_pending.extra)];
    const size_t extraLen = sanity::formatUnsupported(v, extra, sizeof(extra));
    if (g_noReply != 0) {
        g_pending.mc = &mc;
        g_pending.msgId = mc.id;
        g_pending.status = v.status;
        g_pending.reason = v.reason;
        std::memcpy(g_pending.extra, extra, extraLen);
        g_pending.extraLen = extraLen;
        return -1;
    }
    sendSanityReply(mc, v.status, v.reason, std::string_view(extra, extraLen));
    return -1;
}

int sanityCheck(lua::Ctx& ctx, int mflags, int uflags) noexcept {
    if (ctx.route == nullptr) return -1;
    if (mflags < 0 || mflags > static_cast<int>(sanity::kAllChecks) || uflags < 0 ||
        uflags > static_cast<int>(sanity::kAllUriChecks)) {
        LM_ERR("sanity: sanity_check(%d, %d): flags out of range (0..%u, 0..%u)", mflags, uflags,
               sanity::kAllChecks, sanity::kAllUriChecks);
        return -1;
    }
    return check(*ctx.route, static_cast<uint32_t>(mflags), static_cast<uint32_t>(uflags));
}

int sanityCheckDefaults(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    return check(*ctx.route, static_cast<uint32_t>(g_defaultChecks),
                 static_cast<uint32_t>(g_uriChecks));
}

int sanityReply(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    if (g_noReply == 0 || replyImpossible(*mc)) return 1;  // as Kamailio: nothing to do
    if (g_pending.mc != mc || g_pending.msgId != mc->id || g_pending.status == 0) {
        LM_INFO("sanity: sanity_reply without a failed check on this message: sending 500");
        return route::sendReply(*mc, 500, "Server Sanity Failure") ? 1 : -1;
    }
    const std::string_view extra(g_pending.extra, g_pending.extraLen);
    return sendSanityReply(*mc, g_pending.status, g_pending.reason, extra) ? 1 : -1;
}

constexpr module::ParamSpec kParams[] = {
    module::intParam("default_checks", &g_defaultChecks, static_cast<int>(sanity::kDefaultChecks),
                     0, static_cast<int>(sanity::kAllChecks),
                     "checks sanity_check_defaults() runs (sum of check bits)"),
    module::intParam("uri_checks", &g_uriChecks, static_cast<int>(sanity::kDefaultUriChecks), 0,
                     static_cast<int>(sanity::kAllUriChecks),
                     "URIs the parse-URIs check (1024) looks at by default"),
    module::stringParam("proxy_require", &g_proxyRequireParam, "",
                        "comma-separated option tags accepted in Proxy-Require"),
    module::intParam("autodrop", &g_autodrop, 1, 0, 1,
                     "Kamailio's native-script drop switch; no effect for Lua (KEMI) scripts"),
    module::intParam("noreply", &g_noReply, 0, 0, 1,
                     "1: do not answer failed checks; sanity_reply() sends the answer"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&sanityCheck>("sanity_check"),
    lua::fn<&sanityCheckDefaults>("sanity_check_defaults"),
    lua::fn<&sanityReply>("sanity_reply"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "sanity",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .init = &modInit,
};
