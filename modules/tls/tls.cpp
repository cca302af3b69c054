// tls: the script side of the TLS transport, as Kamailio's tls module offers it.
// KSR.tls.is_peer_verified():
//    1  the message came in over TLS and the peer presented a certificate that was verified
//   -1  otherwise (not TLS, no certificate, not verified, or the connection is not ours)
// The transport itself (listeners, certificates, the `tls` config group, RPC tls.*, the
// $tls_* pseudo-variables) is in the core (core/net/tls_*.h, docs/tls.md): it works without
// this module, which only adds the script function.
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/tls_info.h"
#include "core/route/msg_context.h"

namespace {

using namespace osprey;

int isPeerVerified(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || mc->recv.proto != net::Proto::Tls) return -1;
    char buf[8];
    const net::TlsFieldValue v =
        net::tlsField(mc->recv.connId, net::TlsField::PeerVerified, buf, sizeof buf);
    return v.present && v.number == 1 ? 1 : -1;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&isPeerVerified>("is_peer_verified"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "tls",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
};
