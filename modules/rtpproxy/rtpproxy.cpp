// rtpproxy: media relay over the rtpproxy control protocol (Kamailio's rtpproxy module:
// names, flags, parameters and return values), so scripts written for rtpproxy, such as
// Kamailio's reference script with its rtpproxy_manage("co"), run unchanged. rtpengine
// answers this protocol too (its --listen-udp listener).
//
//   KSR.rtpproxy.rtpproxy_manage(flags)  rtpproxy_manage0()
//   KSR.rtpproxy.rtpproxy_offer(flags)   rtpproxy_offer0()
//   KSR.rtpproxy.rtpproxy_answer(flags)  rtpproxy_answer0()
//   KSR.rtpproxy.rtpproxy_destroy(flags) rtpproxy_destroy0()  (also unforce_rtp_proxy())
//   Return 1 on success, -1 on failure.
//
// Commands (one datagram each, "<cookie> <command>"): an offer is
// "U<modifiers> <call-id> <addr> <port> <from-tag>;<n> [<to-tag>;<n>]" per media stream n,
// an answer the same with L, a delete "D <call-id> <from-tag> <to-tag>"; the relay answers
// "<port> [<addr> [4|6]]" or "E<code>". rtpproxy_manage chooses like rtpengine_manage
// (modules/rtpengine/manage.h).
//
// Parameters: rtpproxy_sock, rtpproxy_tout (seconds), rtpproxy_retr, rtpproxy_disable_tout
// (core/relay/). Statistics: group "rtpproxy".
#include <cstdio>
#include <string>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "core/relay/relay_client.h"
#include "core/relay/relay_set.h"
#include "core/route/msg_context.h"
#include "core/sip/builder.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/sdp.h"
#include "core/sip/text_header.h"
#include "core/stats/registry.h"
#include "modules/rtpproxy/sdp_relay.h"
#include "modules/tm/api.h"

namespace {

using namespace osprey;

std::string g_sock;
int g_toutSec;
int g_retr;
int g_disableTout;

relay::RelaySets g_sets;
relay::ClientConfig g_cfg;
relay::ClientStats g_clientStats;
stats::Counter g_errors;
const tm::TmApi* g_tm = nullptr;
uint64_t g_rewrittenMsgId = 0;

const stats::Def kStats[] = {
    stats::counterDef("requests", &g_clientStats.requests, "commands rtpproxy answered"),
    stats::counterDef("timeouts", &g_clientStats.timeouts, "tries without an answer in time"),
    stats::counterDef("failovers", &g_clientStats.failovers, "commands moved to another instance"),
    stats::counterDef("unavailable", &g_clientStats.unavailable, "commands with no instance left"),
    stats::counterDef("errors", &g_errors, "commands the relay refused"),
};

char g_body[65536];
sip::Sdp g_sdp;  // the body being rewritten (per process; too big for the stack)

struct Flags {
    char mods[16] = {};
    size_t modLen = 0;
    bool trustAddress = false;  // r
    bool lookup = false;        // l: only look up (L) even for an offer
    rtpproxy::RewriteFlags rewrite;
};

Flags parseFlags(std::string_view text) {
    Flags f;
    for (char c : text) {
        char mod = 0;
        switch (c) {
            case 'a':
            case 'A':
                mod = 'A';
                f.trustAddress = true;
                break;
            case 'i':
            case 'I':
                mod = 'I';
                break;
            case 'e':
            case 'E':
                mod = 'E';
                break;
            case 'w':
            case 'W':
                mod = 'S';
                break;
            case 'r':
            case 'R':
                f.trustAddress = true;
                break;
            case 'c':
            case 'C':
                f.rewrite.sessionConnection = true;
                break;
            case 'o':
            case 'O':
                f.rewrite.origin = true;
                break;
            case 'l':
            case 'L':
                f.lookup = true;
                break;
            default:
                break;  // f, x, z, b, digits: accepted, nothing to send
        }
        if (mod != 0 && f.modLen + 1 < sizeof f.mods) f.mods[f.modLen++] = mod;
    }
    return f;
}

bool inFailureRoute() {
    return g_tm != nullptr && g_tm->inFailureRoute != nullptr && g_tm->inFailureRoute();
}

// Sends one command; the relay's answer body, or empty on failure.
std::string_view send(std::string_view callId, std::string_view command) {
    const relay::Set* set = g_sets.defaultSet();
    relay::Reply r;
    if (set == nullptr || relay::request(g_sets, *set, callId, command, g_cfg, g_clientStats, r) !=
                              relay::Status::Ok) {
        LM_ERR("rtpproxy: no rtpproxy instance available");
        return {};
    }
    std::string_view b = r.body;
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r' || b.back() == ' ')) {
        b.remove_suffix(1);
    }
    if (b.empty() || b.front() == 'E') {
        stats::inc(g_errors);
        LM_ERR("rtpproxy: %s refused '%.*s': %.*s", r.node->url.c_str(),
               static_cast<int>(command.size()), command.data(), static_cast<int>(b.size()),
               b.data());
        return {};
    }
    return b;
}

struct Tags {
    std::string_view callId, from, to;
};

bool tagsOf(sip::SipMsg& msg, Tags& t) {
    t.callId = sip::getCallId(msg);
    const sip::FromToBody* from = sip::getFrom(msg);
    const sip::FromToBody* to = sip::getTo(msg);
    if (t.callId.empty() || from == nullptr || from->tag.empty()) return false;
    t.from = from->tag;
    if (to != nullptr) t.to = to->tag;
    return true;
}

std::string_view sdpBody(sip::SipMsg& msg) {
    if (!msg.bodyFound && !sip::findBody(msg)) return {};
    return msg.body.starts_with("v=") ? msg.body : std::string_view();
}

// offer: U (L with the 'l' flag); answer: L. The tags speak for the side that sent the SDP.
int force(route::MsgContext& mc, std::string_view flagsText, bool offer) {
    if (offer && g_rewrittenMsgId == mc.id) return 1;
    sip::SipMsg& msg = mc.msg;
    Flags f = parseFlags(flagsText);
    Tags t;
    if (!tagsOf(msg, t)) {
        LM_ERR("rtpproxy: needs a Call-ID and a From tag");
        return -1;
    }
    const std::string_view body = sdpBody(msg);
    if (body.empty()) return -1;
    sip::Sdp* sdp = &g_sdp;
    *sdp = sip::Sdp();
    if (sip::parseSdp(body, *sdp)) {
        LM_ERR("rtpproxy: the SDP body does not parse");
        return -1;
    }
    // An offer in a request, an answer in a reply: From's tag first; otherwise swapped.
    std::string_view first = t.from, second = t.to;
    if (msg.isRequest() != offer) std::swap(first, second);
    if (first.empty()) return -1;
    const char cmd = offer && !f.lookup ? 'U' : 'L';
    rtpproxy::StreamAnswer answers[sip::Sdp::kMaxMedia];
    char ips[sip::Sdp::kMaxMedia][48];
    size_t n = 0;
    for (size_t i = 0; i < sdp->mediaCount; ++i) {
        const sip::SdpMedia& m = sdp->media[i];
        if (m.portNumber == 0) continue;
        char codecs[64];
        const size_t codecLen = rtpproxy::codecModifier(m, codecs, sizeof codecs);
        const std::string_view addr = f.trustAddress ? sdp->connectionOf(m).address : mc.srcIp();
        char command[1024];
        int len = snprintf(command, sizeof command, "%c%.*s%.*s %.*s %.*s %u %.*s;%zu", cmd,
                           static_cast<int>(f.modLen), f.mods, static_cast<int>(codecLen), codecs,
                           static_cast<int>(t.callId.size()), t.callId.data(),
                           static_cast<int>(addr.size()), addr.data(), m.portNumber,
                           static_cast<int>(first.size()), first.data(), n + 1);
        if (len > 0 && !second.empty() && static_cast<size_t>(len) < sizeof command) {
            len += snprintf(command + len, sizeof command - static_cast<size_t>(len), " %.*s;%zu",
                            static_cast<int>(second.size()), second.data(), n + 1);
        }
        if (len <= 0 || static_cast<size_t>(len) >= sizeof command) return -1;
        const std::string_view reply =
            send(t.callId, std::string_view(command, static_cast<size_t>(len)));
        if (reply.empty()) return -1;
        // "<port> [<addr> [4|6]]"
        unsigned port = 0;
        size_t p = 0;
        while (p < reply.size() && reply[p] >= '0' && reply[p] <= '9') {
            port = port * 10 + static_cast<unsigned>(reply[p++] - '0');
        }
        if (port == 0 || port > 65535) {
            LM_ERR("rtpproxy: unexpected answer '%.*s'", static_cast<int>(reply.size()),
                   reply.data());
            return -1;
        }
        std::string_view ip;
        if (p < reply.size() && reply[p] == ' ') {
            const size_t end = reply.find(' ', p + 1);
            ip = reply.substr(p + 1, end == std::string_view::npos ? end : end - p - 1);
        }
        if (ip.empty() || ip.size() >= sizeof ips[0]) {
            // No address in the answer: the relay's own control address.
            const size_t l = net::formatIp(g_sets.defaultSet()->nodes[0].addr, ips[n], 48);
            ip = std::string_view(ips[n], l);
        } else {
            ip.copy(ips[n], ip.size());
            ip = std::string_view(ips[n], ip.size());
        }
        answers[n++] = {static_cast<uint16_t>(port), ip};
    }
    if (n == 0) return -1;
    const size_t len =
        rtpproxy::rewriteSdp(body, *sdp, answers, n, f.rewrite, g_body, sizeof g_body);
    if (len == 0 || mc.builder().setBody(std::string_view(g_body, len)) != sip::BuildError::Ok) {
        LM_ERR("rtpproxy: cannot replace the body");
        return -1;
    }
    g_rewrittenMsgId = mc.id;
    return 1;
}

int destroy(route::MsgContext& mc) {
    Tags t;
    if (!tagsOf(mc.msg, t)) return -1;
    char command[512];
    int len = snprintf(command, sizeof command, "D %.*s %.*s", static_cast<int>(t.callId.size()),
                       t.callId.data(), static_cast<int>(t.from.size()), t.from.data());
    if (len > 0 && !t.to.empty() && static_cast<size_t>(len) < sizeof command) {
        len += snprintf(command + len, sizeof command - static_cast<size_t>(len), " %.*s",
                        static_cast<int>(t.to.size()), t.to.data());
    }
    if (len <= 0 || static_cast<size_t>(len) >= sizeof command) return -1;
    const std::string_view cmd(command, static_cast<size_t>(len));
    if (inFailureRoute()) {
        // A failure route holds its transaction: the delete goes out without waiting.
        const relay::Set* set = g_sets.defaultSet();
        return set != nullptr && relay::sendOnly(g_sets, *set, t.callId, cmd) ? 1 : -1;
    }
    return send(t.callId, cmd).empty() ? -1 : 1;
}

int manageMsg(route::MsgContext* mc, std::string_view flags) {
    if (mc == nullptr) return -1;
    sip::SipMsg& msg = mc->msg;
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    if (cseq == nullptr) return -1;
    const sip::Method m = cseq->method;
    if (m == sip::Method::Cancel || m == sip::Method::Bye) return destroy(*mc);
    if (m != sip::Method::Invite && m != sip::Method::Ack && m != sip::Method::Update &&
        m != sip::Method::Prack) {
        return -1;
    }
    const bool hasSdp = !sdpBody(msg).empty();
    if (msg.isRequest()) {
        if (!hasSdp) return -1;
        if (m == sip::Method::Ack) return force(*mc, flags, false);
        if (m == sip::Method::Invite && inFailureRoute()) return destroy(*mc);
        return force(*mc, flags, true);
    }
    if (msg.start.status >= 300) return destroy(*mc);
    if (!hasSdp) return -1;
    return force(*mc, flags, false);
}

bool modInit() {
    std::string err;
    if (g_sock.empty()) {
        LM_ERR("rtpproxy: rtpproxy_sock is not set");
        return false;
    }
    if (!g_sets.parse(g_sock, err)) {
        LM_ERR("rtpproxy: rtpproxy_sock: %s", err.c_str());
        return false;
    }
    if (!g_sets.placeHealth()) return false;
    if (!stats::declareGroup("rtpproxy", kStats)) return false;
    g_cfg = relay::ClientConfig{g_toutSec * 1000, g_retr, g_disableTout};
    g_tm = module::loadedModules().api<tm::TmApi>("tm");
    return true;
}

void modDestroy() {
    g_sets.release();
}

int manage(lua::Ctx& ctx, std::string_view flags) noexcept {
    return manageMsg(ctx.route, flags);
}
int manage0(lua::Ctx& ctx) noexcept {
    return manageMsg(ctx.route, {});
}
int offer(lua::Ctx& ctx, std::string_view flags) noexcept {
    return ctx.route == nullptr ? -1 : force(*ctx.route, flags, true);
}
int offer0(lua::Ctx& ctx) noexcept {
    return ctx.route == nullptr ? -1 : force(*ctx.route, {}, true);
}
int answer(lua::Ctx& ctx, std::string_view flags) noexcept {
    return ctx.route == nullptr ? -1 : force(*ctx.route, flags, false);
}
int answer0(lua::Ctx& ctx) noexcept {
    return ctx.route == nullptr ? -1 : force(*ctx.route, {}, false);
}
int destroyFlags(lua::Ctx& ctx, std::string_view) noexcept {
    return ctx.route == nullptr ? -1 : destroy(*ctx.route);
}
int destroy0(lua::Ctx& ctx) noexcept {
    return ctx.route == nullptr ? -1 : destroy(*ctx.route);
}

constexpr module::ParamSpec kParams[] = {
    module::stringParam("rtpproxy_sock", &g_sock, "",
                        "rtpproxy control sockets: [<set> ==] udp:host:port[=weight] ..."),
    module::intParam("rtpproxy_tout", &g_toutSec, 1, 1, 60, "seconds to wait for each try"),
    module::intParam("rtpproxy_retr", &g_retr, 5, 0, 100, "tries per instance"),
    module::intParam("rtpproxy_disable_tout", &g_disableTout, 60, 0, 86400,
                     "seconds an instance that did not answer is left out"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&manage>("rtpproxy_manage"),        lua::fn<&manage0>("rtpproxy_manage0"),
    lua::fn<&offer>("rtpproxy_offer"),          lua::fn<&offer0>("rtpproxy_offer0"),
    lua::fn<&answer>("rtpproxy_answer"),        lua::fn<&answer0>("rtpproxy_answer0"),
    lua::fn<&destroyFlags>("rtpproxy_destroy"), lua::fn<&destroy0>("rtpproxy_destroy0"),
    lua::fn<&destroy0>("unforce_rtp_proxy"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "rtpproxy",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .init = &modInit,
    .destroy = &modDestroy,
};
