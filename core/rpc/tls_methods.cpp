// tls.list, tls.info, tls.options, tls.reload.
#include "core/rpc/tls_methods.h"

#include "core/net/listen_socket.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tls_context.h"
#include "core/net/tls_settings.h"
#include "core/net/tls_stats.h"

namespace osprey::rpc {

namespace {

Value connection(const net::TcpConn& c) {
    Value s = Value::structure();
    char ip[net::kIpTextMax];
    s.add("id", static_cast<int64_t>(c.id.load(std::memory_order_relaxed)));
    s.add("owner", static_cast<int64_t>(c.owner));
    s.add("direction", c.outgoing ? "out" : "in");
    s.add("state", c.state == net::ConnState::Connecting ? "connecting"
                   : c.tlsCipher[0] == '\0'              ? "handshake"
                                                         : "established");
    const size_t n = net::formatIp(c.peer, ip, sizeof ip);
    s.add("src_ip", std::string(ip, n));
    s.add("src_port", static_cast<int64_t>(c.peer.port()));
    const net::ListenSocket* ls = net::listenSocket(c.socket);
    s.add("dst_ip", ls != nullptr ? ls->host : std::string());
    s.add("dst_port", static_cast<int64_t>(ls != nullptr ? ls->port : 0));
    s.add("cipher", c.tlsCipher[0] != '\0' ? std::string(c.tlsCipher) : std::string("unknown"));
    s.add("server_name", std::string(c.serverName));
    s.add("write_queued_bytes", static_cast<int64_t>(c.queue.bytes));
    return s;
}

Result tlsList() noexcept {
    Value out = Value::array();
    net::TcpConnTable* t = net::TcpConnTable::get();
    if (t == nullptr) return out;
    for (uint32_t i = 0; i < t->capacity(); ++i) {
        net::TcpConn* c = t->slot(i);
        if (c->proto != net::Proto::Tls) continue;  // a stale read is rechecked under the lock
        mem::LockGuard g(c->lock);
        if (c->state == net::ConnState::Free || c->proto != net::Proto::Tls) continue;
        out.push(connection(*c));
    }
    return out;
}

Result tlsInfo() noexcept {
    net::TcpConnTable* t = net::TcpConnTable::get();
    int64_t open = 0;
    int64_t queued = 0;
    if (t != nullptr) {
        for (uint32_t i = 0; i < t->capacity(); ++i) {
            net::TcpConn* c = t->slot(i);
            if (c->proto != net::Proto::Tls) continue;
            mem::LockGuard g(c->lock);
            if (c->state == net::ConnState::Free || c->proto != net::Proto::Tls) continue;
            ++open;
            queued += static_cast<int64_t>(c->queue.bytes);
        }
    }
    Value s = Value::structure();
    s.add("max_connections", static_cast<int64_t>(t != nullptr ? t->capacity() : 0));
    s.add("opened_connections", open);
    s.add("clear_text_write_queued_bytes", queued);
    s.add("certificate_generation", static_cast<int64_t>(net::tlsGeneration()));
    return s;
}

const char* methodName(const net::TlsProfile& p) {
    if (p.minVersion == TLS1_3_VERSION) return p.maxVersion == 0 ? "TLSv1.3+" : "TLSv1.3";
    if (p.minVersion == TLS1_2_VERSION) return p.maxVersion == 0 ? "TLSv1.2+" : "TLSv1.2";
    return "TLSv1.1+";
}

Value profile(const net::TlsProfile& p) {
    Value s = Value::structure();
    s.add("type", p.server ? "server" : "client");
    s.add("server_name", p.serverName);
    s.add("method", methodName(p));
    s.add("certificate", p.certificate);
    s.add("private_key", p.privateKey);
    s.add("ca_list", p.caList);
    s.add("cipher_list", p.cipherList);
    s.add("verify_certificate", static_cast<int64_t>(p.verifyCertificate));
    s.add("require_certificate", static_cast<int64_t>(p.requireCertificate));
    s.add("verify_depth", static_cast<int64_t>(p.verifyDepth));
    return s;
}

Result tlsOptions() noexcept {
    const net::TlsSettings& t = net::tlsSettings();
    Value s = Value::structure();
    s.add("handshake_timeout", t.handshakeTimeoutMs / 1000);
    s.add("connection_timeout", t.idleTimeoutMs / 1000);
    s.add("session_tickets", static_cast<int64_t>(t.sessionTickets));
    s.add("max_pending_handshakes_per_ip", static_cast<int64_t>(t.maxPendingPerIp));
    s.add("max_connections_per_ip", static_cast<int64_t>(t.maxConnectionsPerIp));
    s.add("renegotiation", int64_t{0});
    Value profiles = Value::array();
    profiles.push(profile(t.server));
    for (const net::TlsProfile& p : t.servers) profiles.push(profile(p));
    profiles.push(profile(t.client));
    for (const net::TlsProfile& p : t.clients) profiles.push(profile(p));
    s.add("profiles", std::move(profiles));
    return s;
}

Result tlsReload() noexcept {
    std::string error;
    if (!net::requestTlsReload(&error))
        return Result::fault(kInternal, "TLS configuration not reloaded: " + error);
    stats::inc(net::tlsCounters().reloads);
    return Value("Ok. TLS configuration reloaded.");
}

constexpr Method kMethods[] = {
    method<&tlsList>("tls.list", "", "List details about all active TLS connections.",
                     kReturnsArray),
    method<&tlsInfo>("tls.info", "",
                     "Max connections, open TLS connections and the write queue size."),
    method<&tlsOptions>("tls.options", "", "List the current TLS configuration."),
    method<&tlsReload>("tls.reload", "",
                       "Read the certificate and key files again; new handshakes use them, "
                       "existing connections go on."),
};

}  // namespace

std::span<const Method> tlsMethods() {
    return kMethods;
}

}  // namespace osprey::rpc
