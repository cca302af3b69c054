// Sending over TCP from any process (net::setStreamSender): a reply, a forwarded request or
// an in-dialog request goes over the connection dest.connId when it is still open and leads to
// the same peer, else over any open connection to dest.addr, else over a new outgoing
// connection (opened by the worker chosen to own it; the message waits in its queue).
//
// The owner of a connection writes at once when nothing is queued before the message; any
// other process copies the message into the connection's queue in shm and wakes the owner.
// A queue that would grow past tcp_conn_wq_max gets the connection closed (logged), so a
// peer that does not read cannot hold a worker or unbounded memory; all queues together stay
// within tcp_wq_max and tcp_wq_max_per_ip by cutting the queue that waited longest
// (tcp_wq_cut.h).
#pragma once
#include <sys/uio.h>

#include "core/net/endpoint.h"

namespace osprey::net {

bool tcpSend(const Destination& dest, const iovec* iov, unsigned count);

}  // namespace osprey::net
