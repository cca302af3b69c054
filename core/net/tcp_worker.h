// A TCP worker (Rank::TcpWorker, `tcp_children` of them): one epoll loop over the connections
// it owns (tcp_owner.h), its command channel (tcp_channel.h) and its signals. Messages read
// from a connection are routed (route::onMessage) one after the other in this process, so a
// connection's messages are handled in order; other connections wait at most for one
// message's routing. Every kSweepMs the owner checks timers, pending wake-ups and close
// requests. On SIGTERM it closes its connections and exits.
#pragma once

#include "core/proc/process_kind.h"

namespace osprey::net {

inline constexpr int kTcpSweepMs = 100;

int tcpWorkerMain(const proc::ChildContext& self);

}  // namespace osprey::net
