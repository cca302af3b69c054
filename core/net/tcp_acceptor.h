// tcp-main (Rank::TcpMain): the one process that accepts TCP connections. For each it takes
// a slot in the connection table, picks the TCP worker with the fewest connections as owner
// and passes the socket to it over the worker's command channel (SCM_RIGHTS), then closes its
// own copy. So connections from one peer spread over every worker just as connections from
// many peers do, and each connection has exactly one reader.
//
// Why not let the workers accept on the shared listen socket (EPOLLEXCLUSIVE)? The kernel then
// wakes whichever worker waits first, so a burst tends to land on one worker; and the
// acceptor is also where the table limit (tcp_max_connections) and running out of file
// descriptors are handled once: the listeners pause for a moment instead of spinning on an
// accept that keeps failing.
#pragma once

#include "core/proc/process_kind.h"

namespace osprey::net {

int tcpAcceptorMain(const proc::ChildContext& self);

}  // namespace osprey::net
