// The UDP transport's start-up steps: the master opens the UDP listen sockets before fork and
// declares the SIP workers that serve them, and closes them at shutdown.
#include "core/net/udp_steps.h"

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/udp_worker.h"
#include "core/proc/process_kind.h"

namespace osprey::net {

bool openUdpStep(const app::HookContext& ctx) {
    std::string error;
    if (!openUdpSockets(ctx.cfg, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (udpSocketCount() == 0) return true;
    proc::declareProcesses(proc::ProcessKind{proc::Rank::SipWorker, ctx.cfg.children, udpWorkerMain,
                                             proc::OnExit::Restart, "sip", true});
    return true;
}

bool closeUdpStep(const app::HookContext&) {
    closeListenSockets();
    return true;
}

}  // namespace osprey::net
