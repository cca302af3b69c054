// Making room in the write-queue budget (tcp_wq_budget.h) by cutting the connection that
// holds it longest without progress: when a queue would pass tcp_wq_max or
// tcp_wq_max_per_ip, the victim is the connection (for the per-IP budget, one counted in the
// same per-IP slot) whose queue has waited longest since it last moved, the largest among
// equals: a peer that stopped reading, not the sender of the message at hand. Its queue is freed at
// once (the budget gets its bytes back before this returns) and its owner is asked to close it
// (TcpConn::closeRequested, then a wake-up), so well-behaved traffic keeps flowing.
//
// Called with the connection the caller queues for locked; other connections are only
// tried (tryLock), never waited for, so the one-connection-lock-at-a-time rule of
// tcp_conn_table.h holds. The scan is linear in tcp_max_connections and runs only when a
// budget is full.
#pragma once
#include <cstddef>

#include "core/net/endpoint.h"

namespace osprey::net {

struct TcpConn;
class TcpConnTable;

enum class QueueRoom : uint8_t {
    Ok,       // n bytes were taken from the budget
    SelfCut,  // the connection queued for was the one to cut (closeRequested is set)
    NoRoom,   // nothing could be cut: the send is refused, the connection stays
};

// Takes n bytes of budget for `self` (locked by the caller), cutting stalled queues as needed.
QueueRoom takeQueueRoom(TcpConnTable& t, TcpConn& self, size_t n);

// Wakes the owner of a connection bytes were queued for, or that should be closed. A full
// channel leaves TcpConn::wakePending set; the owner's sweep finds it.
void wakeConnOwner(TcpConn& c, unsigned owner, ConnId id);

}  // namespace osprey::net
