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
#include "core/net/tcp_worker.h"
#include "core/proc/process_kind.h"

#include <cerrno>
#include <cstring>

namespace osprey::net {

namespace {

// Descriptors besides connections: listeners, channels, logs, Lua, modules.
constexpr uint64_t kSpareFds = 256;

bool hasTcpListener(const config::Config& cfg) {
    for (const config::ListenAddr& la : cfg.listen) {
        if (la.proto == Proto::Tcp) return true;
    }
    return false;
}

}  // namespace

bool checkTcpSettings(const app::HookContext& ctx) {
    // A listener that would silently not listen is worse than a refusal to start.
    for (const config::ListenAddr& la : ctx.cfg.listen) {
        if (la.proto == Proto::Tls) {
            LM_ERR(
                "%s: listen '%s': TLS is not available yet (no TLS transport); use udp: or "
                "tcp:",
                ctx.cfg.where("listen").text().c_str(), la.text().c_str());
            return false;
        }
    }
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
    if (!createTcpChannels(s.workers)) {
        LM_ERR("cannot create the TCP workers' channels: %s", strerror(errno));
        return false;
    }
    setStreamSender(tcpSend);
    proc::declareProcesses(proc::ProcessKind{proc::Rank::TcpMain, 1, tcpAcceptorMain,
                                             proc::OnExit::Restart, "tcp-main", true});
    proc::declareProcesses(proc::ProcessKind{proc::Rank::TcpWorker, s.workers, tcpWorkerMain,
                                             proc::OnExit::Restart, "tcp", true});
    LM_INFO("TCP: %u workers, up to %u connections, messages up to %zu octets", s.workers,
            s.maxConnections, s.maxMessage);
    return true;
}

bool stopTcpStep(const app::HookContext&) {
    closeTcpChannels();
    TcpConnTable::destroy();
    return true;
}

}  // namespace osprey::net
