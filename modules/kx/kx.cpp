// kx: Kamailio's KEMI getters (its kemix module, exported as KSR.kx). Each reads one attribute
// of the message being routed; the three families differ only in what an absent value gives:
//   get_*   nil        gete_*  ""        getw_*  "<null>"
// Integer getters return numbers (get_srcport, get_status, ...). Most values come from the
// pseudo-variable getters (core/pv/pv_access.h), so KSR.kx.get_fuser() and KSR.pv.get("$fU")
// always agree. The table of names and return values is in modules/kx/README.md.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

#include "core/config/listen_addr.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/listen_socket.h"
#include "core/pv/pv_access.h"
#include "core/route/msg_context.h"
#include "core/sip/contact.h"
#include "core/sip/msg.h"

namespace {

using namespace osprey;
using lua::PvValue;
using pv::PvKind;

enum class Absent : uint8_t { Nil, Empty, Print };

PvValue absent(Absent mode) {
    switch (mode) {
        case Absent::Empty:
            return std::string_view("");
        case Absent::Print:
            return std::string_view("<null>");
        case Absent::Nil:
            break;
    }
    return {};
}

// A text value, or the family's stand-in when it is absent or empty.
PvValue orAbsent(PvValue v, Absent mode) {
    if (const auto* s = std::get_if<std::string_view>(&v); s != nullptr && !s->empty()) return v;
    if (std::holds_alternative<int64_t>(v)) return v;
    return absent(mode);
}

PvValue pvText(lua::Ctx& ctx, PvKind kind, Absent mode) {
    if (ctx.route == nullptr) return absent(mode);
    pv::PvSpec spec;
    spec.kind = kind;
    return orAbsent(pv::pvGet(*ctx.route, spec), mode);
}

int64_t pvInt(lua::Ctx& ctx, PvKind kind, int64_t fallback) {
    if (ctx.route == nullptr) return fallback;
    pv::PvSpec spec;
    spec.kind = kind;
    const PvValue v = pv::pvGet(*ctx.route, spec);
    const auto* i = std::get_if<int64_t>(&v);
    return i != nullptr ? *i : fallback;
}

// One function per name: lua::fn needs a distinct function address for each.
#define KX_TEXT(fn, kind, mode)                         \
    PvValue fn(lua::Ctx& ctx) noexcept {                \
        return pvText(ctx, PvKind::kind, Absent::mode); \
    }

KX_TEXT(getRuri, RUri, Nil)
KX_TEXT(getRuser, RUser, Nil)
KX_TEXT(geteRuser, RUser, Empty)
KX_TEXT(getwRuser, RUser, Print)
KX_TEXT(getRhost, RHost, Nil)
KX_TEXT(geteRhost, RHost, Empty)
KX_TEXT(getwRhost, RHost, Print)
KX_TEXT(getFuri, FromUri, Nil)
KX_TEXT(getFuser, FromUser, Nil)
KX_TEXT(geteFuser, FromUser, Empty)
KX_TEXT(getwFuser, FromUser, Print)
KX_TEXT(getFhost, FromHost, Nil)
KX_TEXT(geteFhost, FromHost, Empty)
KX_TEXT(getwFhost, FromHost, Print)
KX_TEXT(getTuri, ToUri, Nil)
KX_TEXT(getTuser, ToUser, Nil)
KX_TEXT(geteTuser, ToUser, Empty)
KX_TEXT(getwTuser, ToUser, Print)
KX_TEXT(getThost, ToHost, Nil)
KX_TEXT(geteThost, ToHost, Empty)
KX_TEXT(getwThost, ToHost, Print)
KX_TEXT(getDuri, DUri, Nil)
KX_TEXT(geteDuri, DUri, Empty)
KX_TEXT(getwDuri, DUri, Print)
KX_TEXT(getUa, UserAgent, Nil)
KX_TEXT(geteUa, UserAgent, Empty)
KX_TEXT(getwUa, UserAgent, Print)
KX_TEXT(getAu, AuthUser, Nil)
KX_TEXT(geteAu, AuthUser, Empty)
KX_TEXT(getwAu, AuthUser, Print)
KX_TEXT(getBody, Body, Nil)
KX_TEXT(geteBody, Body, Empty)
KX_TEXT(getwBody, Body, Print)
KX_TEXT(getMethod, Method, Nil)
KX_TEXT(getCallid, CallId, Empty)
KX_TEXT(getSrcip, SrcIp, Nil)
KX_TEXT(getRcvip, RcvIp, Nil)
KX_TEXT(getRcvadvip, RcvIp, Nil)
KX_TEXT(getMsgbuf, MsgBuf, Nil)
#undef KX_TEXT

// The Request-URI as received, before any rewrite.
PvValue getOuri(lua::Ctx& ctx) noexcept {
    if (ctx.msg == nullptr || !ctx.msg->isRequest()) return {};
    return ctx.msg->start.uri;
}

// Where the request goes next: $du when set, else the Request-URI.
PvValue getNhuri(lua::Ctx& ctx) noexcept {
    if (ctx.route != nullptr && !ctx.route->dstUri.empty()) return ctx.route->dstUri;
    return getRuri(ctx);
}

// The first Contact's URI ("*" and no Contact are absent).
PvValue contactUri(lua::Ctx& ctx, Absent mode) {
    if (ctx.msg == nullptr) return absent(mode);
    sip::HeaderField* h = sip::findHeader(*ctx.msg, sip::HeaderKind::Contact);
    const sip::ContactBody* b = h != nullptr ? sip::parseContact(*ctx.msg, *h) : nullptr;
    if (b == nullptr || b->star || b->first == nullptr) return absent(mode);
    return orAbsent(b->first->addr.uriText, mode);
}
PvValue getCturi(lua::Ctx& ctx) noexcept {
    return contactUri(ctx, Absent::Nil);
}
PvValue geteCturi(lua::Ctx& ctx) noexcept {
    return contactUri(ctx, Absent::Empty);
}
PvValue getwCturi(lua::Ctx& ctx) noexcept {
    return contactUri(ctx, Absent::Print);
}

int getSrcport(lua::Ctx& ctx) noexcept {
    return static_cast<int>(pvInt(ctx, PvKind::SrcPort, 0));
}
int getRcvport(lua::Ctx& ctx) noexcept {
    return static_cast<int>(pvInt(ctx, PvKind::RcvPort, 0));
}
int getRcvadvport(lua::Ctx& ctx) noexcept {
    return getRcvport(ctx);
}

// Kamailio's -1 for a request.
int getStatus(lua::Ctx& ctx) noexcept {
    if (ctx.msg == nullptr || ctx.msg->isRequest()) return -1;
    return ctx.msg->start.status;
}
PvValue getsStatus(lua::Ctx& ctx) noexcept {
    if (ctx.msg == nullptr || ctx.msg->isRequest()) return {};
    static char buf[8];
    const int n = std::snprintf(buf, sizeof buf, "%d", ctx.msg->start.status);
    return std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

int getBodylen(lua::Ctx& ctx) noexcept {
    const PvValue v = pvText(ctx, PvKind::Body, Absent::Empty);
    const auto* s = std::get_if<std::string_view>(&v);
    return s != nullptr ? static_cast<int>(s->size()) : 0;
}
int getMsglen(lua::Ctx& ctx) noexcept {
    return ctx.msg != nullptr ? static_cast<int>(ctx.msg->data.size()) : -1;
}
// 1 request, 2 reply (Kamailio's SIP_REQUEST / SIP_REPLY).
int getMsgtype(lua::Ctx& ctx) noexcept {
    if (ctx.msg == nullptr) return -1;
    return ctx.msg->isRequest() ? 1 : 2;
}

PvValue getProto(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return std::string_view("");
    return std::string_view(config::protoName(ctx.route->recv.proto));
}
// Kamailio's PROTO_UDP 1, PROTO_TCP 2, PROTO_TLS 3.
int getProtoid(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    switch (ctx.route->recv.proto) {
        case net::Proto::Udp:
            return 1;
        case net::Proto::Tcp:
            return 2;
        case net::Proto::Tls:
            return 3;
    }
    return -1;
}

// The TCP/TLS connection the message came over; -1 for UDP.
int getConid(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr || ctx.route->recv.connId == 0) return -1;
    return static_cast<int>(ctx.route->recv.connId & 0x7fffffff);
}

int getTimestamp(lua::Ctx&) noexcept {
    return static_cast<int>(std::time(nullptr));
}

// Texts built here are copied into Lua as soon as the function returns.
char g_buf[128];

std::string_view ipText(lua::Ctx& ctx) {
    return ctx.route != nullptr ? ctx.route->srcIp() : std::string_view();
}

// "sip:192.0.2.1:5060", with ";transport=tcp|tls" for streams and brackets for IPv6.
PvValue getSrcuri(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return std::string_view("");
    const route::MsgContext& mc = *ctx.route;
    const std::string_view ip = ipText(ctx);
    const bool v6 = ip.find(':') != std::string_view::npos;
    const char* transport = mc.recv.proto == net::Proto::Tcp   ? ";transport=tcp"
                            : mc.recv.proto == net::Proto::Tls ? ";transport=tls"
                                                               : "";
    const int n = std::snprintf(g_buf, sizeof g_buf, "sip:%s%.*s%s:%u%s", v6 ? "[" : "",
                                static_cast<int>(ip.size()), ip.data(), v6 ? "]" : "",
                                mc.recv.src.port(), transport);
    return std::string_view(g_buf, n > 0 ? static_cast<size_t>(n) : 0);
}

// "udp:192.0.2.1:5060": the source as a socket address.
PvValue getSrcaddrSock(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return std::string_view("");
    const route::MsgContext& mc = *ctx.route;
    const std::string_view ip = ipText(ctx);
    const bool v6 = ip.find(':') != std::string_view::npos;
    const int n = std::snprintf(
        g_buf, sizeof g_buf, "%s:%s%.*s%s:%u", config::protoName(mc.recv.proto), v6 ? "[" : "",
        static_cast<int>(ip.size()), ip.data(), v6 ? "]" : "", mc.recv.src.port());
    return std::string_view(g_buf, n > 0 ? static_cast<size_t>(n) : 0);
}

// "udp:127.0.0.1:5060": a listen socket as written in the config.
PvValue socketText(int index, Absent mode) {
    const net::ListenSocket* s = net::listenSocket(index);
    if (s == nullptr) return absent(mode);
    const int n = std::snprintf(g_buf, sizeof g_buf, "%s:%s:%u", config::protoName(s->proto),
                                s->host.c_str(), s->port);
    return std::string_view(g_buf, n > 0 ? static_cast<size_t>(n) : 0);
}
PvValue getRcvaddrSock(lua::Ctx& ctx) noexcept {
    return socketText(ctx.route != nullptr ? ctx.route->recv.socket : -1, Absent::Empty);
}
// The socket forced for sending (KSR.corex.set_send_socket / force_send_socket); nil if none.
PvValue getSendSock(lua::Ctx& ctx) noexcept {
    return socketText(ctx.route != nullptr ? ctx.route->forceSocket : -1, Absent::Nil);
}
int getSendSockPort(lua::Ctx& ctx) noexcept {
    const net::ListenSocket* s =
        ctx.route != nullptr ? net::listenSocket(ctx.route->forceSocket) : nullptr;
    return s != nullptr ? s->port : 0;
}
// Osprey's sockets have no names (Kamailio's listen=... name "x").
PvValue noName(lua::Ctx&) noexcept {
    return {};
}
PvValue noNameToo(lua::Ctx&) noexcept {
    return {};
}

// Kamailio's #!define values: Osprey's configuration has no preprocessor, so every name is
// undefined.
PvValue getDef(std::string_view) noexcept {
    return std::string_view("");
}
int getDefn(std::string_view) noexcept {
    return 0;
}
bool ifdef(std::string_view) noexcept {
    return false;
}
bool ifndef(std::string_view) noexcept {
    return true;
}

// The process environment.
PvValue getEnv(std::string_view name) noexcept {
    if (name.empty() || name.size() >= sizeof g_buf) return std::string_view("");
    name.copy(g_buf, name.size());
    g_buf[name.size()] = '\0';
    const char* v = std::getenv(g_buf);
    return std::string_view(v != nullptr ? v : "");
}
int getEnvn(std::string_view name) noexcept {
    const PvValue v = getEnv(name);
    const auto* s = std::get_if<std::string_view>(&v);
    return s != nullptr && !s->empty() ? std::atoi(std::string(*s).c_str()) : 0;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&getRuri>("get_ruri"),
    lua::fn<&getRuser>("get_ruser"),
    lua::fn<&getwRuser>("getw_ruser"),
    lua::fn<&geteRuser>("gete_ruser"),
    lua::fn<&getRhost>("get_rhost"),
    lua::fn<&getwRhost>("getw_rhost"),
    lua::fn<&geteRhost>("gete_rhost"),
    lua::fn<&getOuri>("get_ouri"),
    lua::fn<&getFuri>("get_furi"),
    lua::fn<&getFuser>("get_fuser"),
    lua::fn<&getwFuser>("getw_fuser"),
    lua::fn<&geteFuser>("gete_fuser"),
    lua::fn<&getFhost>("get_fhost"),
    lua::fn<&getwFhost>("getw_fhost"),
    lua::fn<&geteFhost>("gete_fhost"),
    lua::fn<&getTuri>("get_turi"),
    lua::fn<&getTuser>("get_tuser"),
    lua::fn<&geteTuser>("gete_tuser"),
    lua::fn<&getwTuser>("getw_tuser"),
    lua::fn<&getThost>("get_thost"),
    lua::fn<&geteThost>("gete_thost"),
    lua::fn<&getwThost>("getw_thost"),
    lua::fn<&getDuri>("get_duri"),
    lua::fn<&geteDuri>("gete_duri"),
    lua::fn<&getwDuri>("getw_duri"),
    lua::fn<&getCturi>("get_cturi"),
    lua::fn<&geteCturi>("gete_cturi"),
    lua::fn<&getwCturi>("getw_cturi"),
    lua::fn<&getNhuri>("get_nhuri"),
    lua::fn<&getSrcuri>("get_srcuri"),
    lua::fn<&getSrcaddrSock>("get_srcaddr_sock"),
    lua::fn<&getUa>("get_ua"),
    lua::fn<&geteUa>("gete_ua"),
    lua::fn<&getwUa>("getw_ua"),
    lua::fn<&getSrcip>("get_srcip"),
    lua::fn<&getSrcport>("get_srcport"),
    lua::fn<&getSendSock>("get_send_sock"),
    lua::fn<&noName>("get_send_sock_name"),
    lua::fn<&getSendSockPort>("get_send_sock_port"),
    lua::fn<&getRcvip>("get_rcvip"),
    lua::fn<&noNameToo>("get_rcv_sock_name"),
    lua::fn<&getRcvport>("get_rcvport"),
    lua::fn<&getRcvadvip>("get_rcvadvip"),
    lua::fn<&getRcvadvport>("get_rcvadvport"),
    lua::fn<&getRcvaddrSock>("get_rcvaddr_sock"),
    lua::fn<&getProto>("get_proto"),
    lua::fn<&getProtoid>("get_protoid"),
    lua::fn<&getAu>("get_au"),
    lua::fn<&getwAu>("getw_au"),
    lua::fn<&geteAu>("gete_au"),
    lua::fn<&getMethod>("get_method"),
    lua::fn<&getStatus>("get_status"),
    lua::fn<&getsStatus>("gets_status"),
    lua::fn<&getBody>("get_body"),
    lua::fn<&getwBody>("getw_body"),
    lua::fn<&geteBody>("gete_body"),
    lua::fn<&getBodylen>("get_bodylen"),
    lua::fn<&getTimestamp>("get_timestamp"),
    lua::fn<&getCallid>("get_callid"),
    lua::fn<&getConid>("get_conid"),
    lua::fn<&getMsgbuf>("get_msgbuf"),
    lua::fn<&getMsglen>("get_msglen"),
    lua::fn<&getMsgtype>("get_msgtype"),
    lua::fn<&getDef>("get_def"),
    lua::fn<&getDefn>("get_defn"),
    lua::fn<&ifdef>("ifdef"),
    lua::fn<&ifndef>("ifndef"),
    lua::fn<&getEnv>("get_env"),
    lua::fn<&getEnvn>("get_envn"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "kx",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};
