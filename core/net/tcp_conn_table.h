// The table of TCP connections, in shm (docs/design.md §2, §6), so that any process can find a
// connection by its id (RecvInfo::connId, a Via's i= parameter) or by the peer's address and
// queue bytes for it.
//
// Fixed size (tcp_max_connections slots), allocated once in the master before fork; no
// pointers into any private heap. A connection id is (generation << 20 | slot) with a 32-bit
// generation: a slot that is freed and reused gets a new generation, so a stale id (a reply
// whose Via carries the id of a connection that has gone) never reaches the new connection.
// Freed slots queue at the tail of the free list and new connections take the head (FIFO), so
// churn spreads over every slot and one slot's generation advances once per `capacity`
// connections; with 2^32 generations an id could only come back after billions of connections,
// long after any transaction that could carry it has ended. Where the caller knows the peer a
// reply is meant for, lockByIdFrom checks it too (address, and port when known).
//
// Ownership: every connection has one owner, a TCP worker (its index), chosen when the
// connection is created (least connections first) and fixed for its lifetime. Only the owner
// holds the socket: it alone reads it, writes it and closes it, so one connection's messages
// are read and routed in order by one process. Other processes queue bytes (TcpConn::queue)
// and wake the owner through its command channel (tcp_channel.h).
//
// Locking: `lock` guards a connection's state, queue and flags; the address index has a lock
// per bucket; the free list has its own. Order: bucket, then free list; a connection's lock is
// never held while taking another lock.
#pragma once
#include <atomic>
#include <cstdint>

#include "core/net/endpoint.h"
#include "core/net/sock_addr.h"
#include "core/net/tcp_write_queue.h"
#include "mem/lock/futex_mutex.h"
#include "mem/lock/lock_guard.h"

namespace osprey::net {

enum class ConnState : uint8_t {
    Free,
    Handoff,     // accepted by tcp-main, on its way to the owner
    Connecting,  // outgoing, the owner has not finished connect() yet
    Open,
};

struct TcpConn {
    mem::FutexMutex lock;
    std::atomic<ConnId> id{0};  // 0 while free; written under lock, read by the index too
    ConnState state = ConnState::Free;
    bool outgoing = false;
    Proto proto = Proto::Tcp;  // Tcp or Tls (the stream on top of the socket)
    uint16_t owner = 0;        // TCP worker index
    int16_t socket = -1;       // listen socket index (RecvInfo::socket; our Via for outgoing)
    uint32_t gen = 0;          // of the current or last use of this slot
    std::atomic<uint8_t> wakePending{0};     // a wake-up is on its way to the owner
    std::atomic<uint8_t> closeRequested{0};  // someone asked the owner to close it
    SockAddr peer;                           // fixed while the connection is in use
    uint32_t ipHash = 0;    // addrHash of the peer's address without the port (tcp_wq_budget.h)
    uint32_t addrNext = 0;  // slot + 1 of the next connection in the same bucket, 0 at the end
    uint32_t freeNext = 0;
    WriteQueue queue;
    // Outgoing TLS: the host name the next hop was named by (SNI, certificate check); "" when
    // it was an address. Set by the connection's creator before the owner starts it.
    char serverName[64] = {};
    // TLS, for tls.list in any process: set by the owner when the handshake ends
    // ("TLSv1.3 TLS_AES_256_GCM_SHA384"); "" while it runs.
    char tlsCipher[64] = {};
};

// A connection found by id, with its lock held; empty when the id is stale.
struct ConnRef {
    mem::UniqueGuard<mem::FutexMutex> guard;
    TcpConn* conn = nullptr;
    explicit operator bool() const { return conn != nullptr; }
};

inline constexpr unsigned kConnSlotBits = 20;
inline constexpr uint32_t kConnSlotMask = (1u << kConnSlotBits) - 1;
inline constexpr unsigned kMaxTcpWorkers = 256;

inline uint32_t connSlot(ConnId id) {
    return static_cast<uint32_t>(id & kConnSlotMask);
}
inline uint32_t connGeneration(ConnId id) {
    return static_cast<uint32_t>(id >> kConnSlotBits);
}
inline ConnId makeConnId(uint32_t slot, uint32_t generation) {
    return (static_cast<ConnId>(generation) << kConnSlotBits) | slot;
}

class TcpConnTable {
public:
    // In the master before fork (in shm); false when shm is short.
    static bool create(uint32_t capacity, unsigned workers);
    static void destroy();
    // The table of this run; nullptr before create.
    static TcpConnTable* get();

    // A new connection to/from `peer` owned by `owner`, in the address index; its id is set.
    // Returns nullptr when every slot is in use.
    TcpConn* alloc(const SockAddr& peer, int socket, unsigned owner, ConnState state, bool outgoing,
                   Proto proto = Proto::Tcp);
    // The id of a live connection with this peer (exact address and port), or 0. When none
    // exists and `create` is set, allocates an outgoing one (state Connecting, owned by the
    // least loaded worker) in the same step, so two senders never open two connections;
    // *created then says so.
    // Only connections of `proto` match (a TLS and a TCP connection to one peer are two).
    ConnId findByAddr(const SockAddr& peer, bool create = false, int socket = -1,
                      bool* created = nullptr, Proto proto = Proto::Tcp);
    ConnRef lockById(ConnId id);
    // lockById, and the connection's peer must be `peer`: the same address, and the same port
    // unless portKnown is false (the caller has only the address, e.g. a Via without rport).
    ConnRef lockByIdFrom(ConnId id, const SockAddr& peer, bool portKnown);
    // Unlinks the connection, drops its queue (giving its bytes back to the write-queue
    // budget) and returns the slot. By the owner (or by the
    // process that allocated it, while no owner has seen it yet).
    void release(TcpConn* c);

    TcpConn* slot(uint32_t index) { return index < capacity_ ? &conns_[index] : nullptr; }
    uint32_t capacity() const { return capacity_; }
    uint32_t used() const { return used_.load(std::memory_order_relaxed); }
    unsigned workers() const { return workers_; }
    uint32_t ownedBy(unsigned worker) const {
        return perWorker_[worker].load(std::memory_order_relaxed);
    }
    // The worker with the fewest connections (ties go round).
    unsigned leastLoadedWorker();

private:
    struct Bucket {
        mem::FutexMutex lock;
        uint32_t head = 0;  // slot + 1
    };

    TcpConnTable() = default;
    Bucket& bucketOf(const SockAddr& a);
    TcpConn* allocLocked(Bucket& b, const SockAddr& peer, int socket, unsigned owner,
                         ConnState state, bool outgoing, Proto proto);

    uint32_t capacity_ = 0;
    uint32_t bucketMask_ = 0;
    unsigned workers_ = 0;
    mem::FutexMutex freeLock_;
    uint32_t freeHead_ = 0;  // slot + 1; taken by alloc
    uint32_t freeTail_ = 0;  // slot + 1; release appends here
    std::atomic<uint32_t> used_{0};
    std::atomic<uint32_t> rotor_{0};
    std::atomic<uint32_t> perWorker_[kMaxTcpWorkers];
    Bucket* buckets_ = nullptr;  // in shm
    TcpConn* conns_ = nullptr;   // in shm
};

// Hash of an address as SockAddr::operator== compares it (an IPv4-mapped IPv6 address hashes
// as its IPv4 form).
uint32_t addrHash(const SockAddr& a);

}  // namespace osprey::net
