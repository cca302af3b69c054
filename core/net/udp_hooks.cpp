// Wires the UDP transport into start-up (core/app/hooks.h): the master opens the UDP listen
// sockets before fork and declares the SIP workers that serve them (replacing main's idle
// placeholder; with no UDP listener the placeholder stays), and closes them at shutdown.
#include "core/app/hooks.h"
#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/udp_worker.h"
#include "core/proc/process_kind.h"

namespace osprey::net {

namespace {

bool openSockets(const app::HookContext& ctx) {
    std::string error;
    if (!openUdpSockets(ctx.cfg, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    if (udpSocketCount() == 0) return true;
    proc::declareProcesses(proc::ProcessKind{proc::Rank::SipWorker, ctx.cfg.children,
                                             udpWorkerMain, proc::OnExit::Restart, "sip", true});
    return true;
}

bool closeSockets(const app::HookContext&) {
    closeListenSockets();
    return true;
}

const app::HookRegistrar kOpen(app::Stage::MasterInit, app::kOrderTransport, "open UDP sockets",
                               openSockets);
const app::HookRegistrar kClose(app::Stage::MasterExit, app::kOrderTransport, "close UDP sockets",
                                closeSockets);

}  // namespace

}  // namespace osprey::net
