// The TCP transport's start-up steps. In the master before fork, when the config has `tcp:`
// listeners: read the settings, raise the open files limit, open the
// listeners, create the connection table (shm) and the workers' command channels, register
// the stream sender and declare tcp-main and the TCP workers. Without TCP listeners nothing
// is set up and sending over TCP fails with a log line.
#include "core/net/tcp_steps.h"

#include "core/log/log.h"
#include "core/net/send.h"
#include "core/net/tcp_acceptor.h"
#include "core/net/tcp_channel.h"
#include "core/net/tcp_conn_table.h"
#include "core/net/tcp_fd_limit.h"
#include "core/net/tcp_listener.h"
#include "core/net/tcp_send.h"
#include "core/net/tcp_settings.h"
#include "core/net/tcp_stats.h"
#include "core/net/tcp_worker.h"
#include "core/net/tcp_wq_budget.h"
#include "core/net/tls_context.h"
#include "core/net/tls_ip_limits.h"
#include "core/net/tls_settings.h"
#include "core/net/tls_stats.h"
#include "core/proc/process_kind.h"

#include <cerrno>
#include <cstring>

namespace osprey::net {

namespace {

// Descriptors besides connections: listeners, channels, logs, Lua, modules.
constexpr uint64_t kSpareFds = 256;

bool hasListener(const config::Config& cfg, Proto proto) {
    for (const config::ListenAddr& la : cfg.listen) {
        if (la.proto == proto) return true;
    }
    return false;
}

// Stream listeners of either kind: TLS rides on the TCP transport.
bool hasTcpListener(const config::Config& cfg) {
    return hasListener(cfg, Proto::Tcp) || hasListener(cfg, Proto::Tls);
}

// Reads the `tls` group and, with a TLS listener, loads every certificate and key once to
// check them (then drops them: the workers build their own after fork).
bool checkTls(const config::Config& cfg, TlsSettings* s) {
    std::string error;
    if (!loadTlsSettings(cfg, s, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (!hasListener(cfg, Proto::Tls) && !s->configured) return true;
    // Without a `tls` group, a missing certificate is the listen entry's fault.
    if (!s->configured) s->server.where = cfg.where("listen");
    TlsContexts check;
    if (!check.build(*s, hasListener(cfg, Proto::Tls), &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    return true;
}

}  // namespace

bool checkTcpSettings(const app::HookContext& ctx) {
    TlsSettings tls;
    if (!checkTls(ctx.cfg, &tls)) return false;
    if (!hasTcpListener(ctx.cfg)) return true;
    TcpSettings s;
    std::string error;
    if (!loadTcpSettings(ctx.cfg, &s, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    return true;
}

bool startTcpStep(const app::HookContext& ctx) {
    if (!hasTcpListener(ctx.cfg)) return true;
    TcpSettings s;
    std::string error;
    if (!loadTcpSettings(ctx.cfg, &s, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (s.workers > kMaxTcpWorkers) s.workers = kMaxTcpWorkers;
    TlsSettings tls;
    if (!checkTls(ctx.cfg, &tls)) return false;
    setTlsSettings(tls);
    setTcpSettings(s);
    raiseFdLimit(s.maxConnections + kSpareFds + 2 * s.workers);
    if (openTcpListeners(ctx.cfg, &error) < 0) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (!TcpConnTable::create(s.maxConnections, s.workers)) {
        LM_ERR("cannot allocate the TCP connection table (%u connections) in shm",
               s.maxConnections);
        return false;
    }
    // Per-IP slots: twice the connections, so that peers rarely share one.
    if (!createTcpStats() || !WqBudget::create(s.wqMax, s.wqMaxPerIp, 2 * s.maxConnections)) {
        LM_ERR("cannot allocate the TCP counters and write-queue budget in shm");
        return false;
    }
    if (hasListener(ctx.cfg, Proto::Tls) || tls.configured) {
        if (!createTlsShared() || !TlsIpLimits::create(2 * s.maxConnections, tls.maxPendingPerIp,
                                                       tls.maxConnectionsPerIp)) {
            LM_ERR("cannot allocate the TLS state in shm");
            return false;
        }
        declareTlsStats();
        LM_INFO(
            "TLS: handshake_timeout %llds, connection_timeout %llds, per peer IP up to %u "
            "connections and %u handshakes at once; session tickets %s",
            static_cast<long long>(tls.handshakeTimeoutMs / 1000),
            static_cast<long long>(tls.idleTimeoutMs / 1000), tls.maxConnectionsPerIp,
            tls.maxPendingPerIp, tls.sessionTickets ? "on" : "off");
    }
    if (!createTcpChannels(s.workers)) {
        LM_ERR("cannot create the TCP workers' channels: %s", strerror(errno));
        return false;
    }
    setStreamSender(tcpSend);
    proc::declareProcesses(proc::ProcessKind{proc::Rank::TcpMain, 1, tcpAcceptorMain,
                                             proc::OnExit::Restart, "tcp-main", true});
    proc::declareProcesses(proc::ProcessKind{proc::Rank::TcpWorker, s.workers, tcpWorkerMain,
                                             proc::OnExit::Restart, "tcp", true});
    LM_INFO(
        "TCP: %u workers, up to %u connections, messages up to %zu octets; write queues up to "
        "%zu octets (%zu per peer IP, %zu per connection), partial messages up to %zu octets "
        "per worker",
        s.workers, s.maxConnections, s.maxMessage, s.wqMax, s.wqMaxPerIp, s.queueMax, s.partialMax);
    return true;
}

bool stopTcpStep(const app::HookContext&) {
    closeTcpChannels();
    if (tcpStats() != nullptr) {
        // The counters of the whole run, for the log (and tests) until a statistics layer
        // reads them.
        TcpStatValue v[kTcpStatCount];
        const size_t n = readTcpStats(v, kTcpStatCount);
        std::string line;
        for (size_t i = 0; i < n; ++i) {
            line += (i == 0 ? "tcp:" : " tcp:") + std::string(v[i].name) + "=" +
                    std::to_string(v[i].value);
        }
        LM_INFO("TCP statistics: %s", line.c_str());
    }
    TcpConnTable::destroy();
    WqBudget::destroy();
    TlsIpLimits::destroy();
    destroyTlsShared();
    destroyTcpStats();
    return true;
}

}  // namespace osprey::net
