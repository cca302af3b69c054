// The SIP worker process (Rank::SipWorker, docs/design.md §2): every worker serves every UDP listen
// socket. The master opens the sockets before fork and all workers wait on the same ones, so
// the kernel hands each datagram to one waiting worker and one busy peer still spreads over
// all of them (SO_REUSEPORT is not used: it hashes by source, pinning a peer to one worker).
//
// One socket: the worker blocks in recvmmsg(MSG_WAITFORONE), which returns as soon as one
// datagram is there together with whatever else is already queued (no waiting to fill a
// batch). Several sockets: epoll with EPOLLEXCLUSIVE (one worker woken per event), then a
// non-blocking recvmmsg on the ready socket. Each batch is routed message by message
// (route::onMessage) with sending batched (net/send.h), then flushed with sendmmsg.
#pragma once

#include "core/proc/process_kind.h"

namespace osprey::net {

// Datagrams taken per recvmmsg.
inline constexpr unsigned kUdpBatch = 32;
// Largest datagram accepted (UDP's own limit); longer ones arrive truncated and are dropped.
inline constexpr size_t kMaxDatagram = 65536;

int udpWorkerMain(const proc::ChildContext& self);

}  // namespace osprey::net
