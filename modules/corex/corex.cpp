// corex: Kamailio's corex KEMI helpers that routing scripts use most (KSR.corex.*):
//   has_ruri_user()            1 the Request-URI (as it will be forwarded) has a user part; -1 not
//   has_user_agent()           1 a non-empty User-Agent header is present; -1 not
//   append_branch()            the Request-URI with $du, Path and branch flags becomes a branch
//                              of the destination set; $du, Path and branch 0's flags are
//                              reset, as Kamailio's corex does
//   append_branch_uri(uri)     a branch to uri (with the current $du, Path and branch flags)
//   append_branch_uri_q(uri, q)   the same with q ("0.5")
//   set_send_socket(sock)      copies leave from the listen socket "proto:ip:port"; -1 unknown
//   set_recv_socket(sock)      the message counts as received on that socket
//   send_data(uri, data)       sends data as one UDP datagram to the URI's IP and port
//   is_faked_msg()             1 in a failure route (the request there is rebuilt from the
//                              transaction, Kamailio's faked message); -1 otherwise
// 1 success, -1 failure, as Kamailio's.
#include <sys/uio.h>

#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/listen_socket.h"
#include "core/net/send.h"
#include "core/net/sock_addr.h"
#include "core/pv/pv_access.h"
#include "core/route/msg_context.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"

namespace {

using namespace osprey;

int hasRuriUser(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr || !ctx.route->msg.isRequest()) return -1;
    pv::PvSpec spec;
    spec.kind = pv::PvKind::RUser;
    const lua::PvValue v = pv::pvGet(*ctx.route, spec);
    const auto* s = std::get_if<std::string_view>(&v);
    return s != nullptr && !s->empty() ? 1 : -1;
}

int hasUserAgent(lua::Ctx& ctx) noexcept {
    if (ctx.msg == nullptr) return -1;
    const sip::HeaderField* h = sip::findHeader(*ctx.msg, sip::HeaderKind::UserAgent);
    return h != nullptr && !h->value.empty() ? 1 : -1;
}

// Kamailio's str2q: "1", "1.0", "0.5", "0.123" -> thousandths; -2 when it does not parse.
int parseQ(std::string_view q) {
    if (q.empty()) return -1;
    int whole = 0;
    size_t i = 0;
    if (q[0] == '0' || q[0] == '1')
        whole = q[i++] - '0';
    else
        return -2;
    int frac = 0, digits = 0;
    if (i < q.size()) {
        if (q[i++] != '.') return -2;
        for (; i < q.size(); ++i, ++digits) {
            if (q[i] < '0' || q[i] > '9' || digits == 3) return -2;
            frac = frac * 10 + (q[i] - '0');
        }
    }
    while (digits++ < 3) frac *= 10;
    const int v = whole * 1000 + frac;
    return v <= 1000 ? v : -2;
}

int appendWith(lua::Ctx& ctx, std::string_view uri, int q) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -1;
    const bool shift = uri.empty();
    if (shift) uri = mc->requestUri();
    if (!mc->appendBranch(uri, mc->dstUri, mc->ruriPath, q, ctx.bflags)) return -1;
    if (shift) {
        // The Request-URI's attributes went with it into the branch.
        mc->resetDstUri();
        mc->ruriPath = {};
        mc->forceSocket = -1;
        ctx.bflags = 0;
    }
    return 1;
}

int appendBranch(lua::Ctx& ctx) noexcept {
    return appendWith(ctx, {}, -1);
}
int appendBranchUri(lua::Ctx& ctx, std::string_view uri) noexcept {
    return appendWith(ctx, uri, -1);
}
int appendBranchUriQ(lua::Ctx& ctx, std::string_view uri, std::string_view q) noexcept {
    const int qv = parseQ(q);
    if (qv < -1) {
        LM_ERR("corex: cannot parse the q value '%.*s'", static_cast<int>(q.size()), q.data());
        return -1;
    }
    return appendWith(ctx, uri, qv);
}

// The index of the listen socket written as in the config ("udp:127.0.0.1:5060"), or -1.
int socketIndex(std::string_view text) {
    const auto sockets = net::listenSockets();
    for (size_t i = 0; i < sockets.size(); ++i) {
        if (sockets[i].name == text) return static_cast<int>(i);
    }
    return -1;
}

int setSendSocket(lua::Ctx& ctx, std::string_view sock) noexcept {
    const int i = socketIndex(sock);
    if (ctx.route == nullptr || i < 0) return -1;
    ctx.route->forceSocket = i;
    return 1;
}

int setRecvSocket(lua::Ctx& ctx, std::string_view sock) noexcept {
    const int i = socketIndex(sock);
    if (ctx.route == nullptr || i < 0) return -1;
    ctx.route->recv.socket = i;
    return 1;
}

// Only to an IP address (no DNS lookup on the routing path) and over UDP.
int sendData(lua::Ctx& ctx, std::string_view uri, std::string_view data) noexcept {
    (void)ctx;
    sip::SipUri u;
    if (data.empty() || sip::parseUri(uri, u) != sip::UriError::Ok) return -1;
    std::string_view host = u.host;
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    net::Destination d;
    if (!net::parseIp(host, u.hasPort ? u.port : 5060, d.addr)) {
        LM_ERR("corex: send_data needs an IP address in '%.*s'", static_cast<int>(uri.size()),
               uri.data());
        return -1;
    }
    iovec iov{const_cast<char*>(data.data()), data.size()};
    return net::send(d, &iov, 1) ? 1 : -1;
}

int isFakedMsg(lua::Ctx& ctx) noexcept {
    return ctx.routeType == lua::RouteType::Failure ? 1 : -1;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&hasRuriUser>("has_ruri_user"),
    lua::fn<&hasUserAgent>("has_user_agent"),
    lua::fn<&appendBranch>("append_branch"),
    lua::fn<&appendBranchUri>("append_branch_uri"),
    lua::fn<&appendBranchUriQ>("append_branch_uri_q"),
    lua::fn<&setSendSocket>("set_send_socket"),
    lua::fn<&setRecvSocket>("set_recv_socket"),
    lua::fn<&sendData>("send_data"),
    lua::fn<&isFakedMsg>("is_faked_msg"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "corex",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};
