// Sending a complete SIP message (a list of spans, as the builders produce) to a Destination.
//
// UDP goes out with sendmsg on a listen socket (so the peer sees our listen port as the
// source, which is what our Via says). Stream destinations go to the sender a stream
// transport registers (setStreamSender); until one does, sending over TCP/TLS fails.
//
// Batching: the UDP worker opens a batch around the datagrams of one recvmmsg call; while it is
// open, sendDeferred queues UDP messages and flushBatch sends them with one sendmmsg per
// socket. The caller of sendDeferred keeps the spans (and what they point into) unchanged until
// the batch is flushed; the router does, since it keeps every message of the batch until then.
// Outside a batch sendDeferred is send.
#pragma once
#include <sys/uio.h>

#include "core/net/endpoint.h"

namespace osprey::net {

// Sends now. False (logged, rate-limited) when it could not be sent: no socket of that
// protocol and family, no stream transport, or the kernel refused it.
bool send(const Destination& dest, const iovec* iov, unsigned count);
bool sendDeferred(const Destination& dest, const iovec* iov, unsigned count);

void beginBatch();
void flushBatch();  // sends what is queued; the batch stays open
void endBatch();    // flushBatch and close
bool batchOpen();

// The stream transports' entry: sends over the connection dest.connId (or one to dest.addr,
// opened if needed). Set once, in the master before fork or in a child's init.
using StreamSender = bool (*)(const Destination& dest, const iovec* iov, unsigned count);
void setStreamSender(StreamSender sender);

// Counted in the statistics framework: osprey:sent_messages, send_failures, send_batches
// (core/stats/core_stats.h).

}  // namespace osprey::net
