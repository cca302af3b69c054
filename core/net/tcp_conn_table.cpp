// TcpConnTable: slots, the free list, the address index and the per-worker counts.
#include "core/net/tcp_conn_table.h"

#include <cstring>
#include <new>

#include "core/net/tcp_wq_budget.h"
#include "mem/shm.h"

namespace osprey::net {

namespace {

TcpConnTable* g_table = nullptr;

constexpr uint32_t kMaxGen = UINT32_MAX;

uint32_t mix(uint32_t h, uint32_t v) {
    h ^= v;
    h *= 0x9e3779b1u;
    return h ^ (h >> 15);
}

// Spreads every input bit over the low bits that index buckets and counters: mix()'s
// multiply alone leaves the top octet of an IPv4 address (its last dotted octet) out of them.
uint32_t finish(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

// The per-IP budget's key (tcp_wq_budget.h): the address without the port.
uint32_t ipHashOf(const SockAddr& peer) {
    SockAddr ip = peer;
    ip.setPort(0);
    return addrHash(ip);
}

}  // namespace

uint32_t addrHash(const SockAddr& a) {
    uint32_t h = mix(0x811c9dc5u, a.port());
    if (a.family() == AF_INET) return finish(mix(h, a.u.v4.sin_addr.s_addr));
    if (a.family() != AF_INET6) return finish(h);
    const in6_addr& v6 = a.u.v6.sin6_addr;
    uint32_t words[4];
    std::memcpy(words, v6.s6_addr, sizeof words);
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return finish(mix(h, words[3]));
    for (uint32_t w : words) h = mix(h, w);
    return finish(h);
}

bool TcpConnTable::create(uint32_t capacity, unsigned workers) {
    if (g_table != nullptr || capacity == 0 || capacity > kConnSlotMask || workers == 0 ||
        workers > kMaxTcpWorkers)
        return false;
    uint32_t buckets = 1;
    while (buckets < capacity) buckets <<= 1;
    void* t = mem::shmAllocZero(sizeof(TcpConnTable));
    void* b = mem::shmAllocZero(sizeof(Bucket) * buckets);
    void* c = mem::shmAllocZero(sizeof(TcpConn) * capacity);
    if (t == nullptr || b == nullptr || c == nullptr) {
        mem::shmFree(t);
        mem::shmFree(b);
        mem::shmFree(c);
        return false;
    }
    auto* table = new (t) TcpConnTable;
    table->capacity_ = capacity;
    table->bucketMask_ = buckets - 1;
    table->workers_ = workers;
    table->buckets_ = static_cast<Bucket*>(b);
    table->conns_ = static_cast<TcpConn*>(c);
    for (uint32_t i = 0; i < buckets; ++i) new (&table->buckets_[i]) Bucket;
    for (uint32_t i = 0; i < capacity; ++i) {
        TcpConn* conn = new (&table->conns_[i]) TcpConn;
        conn->freeNext = i + 2 <= capacity ? i + 2 : 0;
    }
    table->freeHead_ = 1;
    table->freeTail_ = capacity;
    for (auto& n : table->perWorker_) n.store(0, std::memory_order_relaxed);
    g_table = table;
    return true;
}

void TcpConnTable::destroy() {
    if (g_table == nullptr) return;
    for (uint32_t i = 0; i < g_table->capacity_; ++i) g_table->conns_[i].queue.clear();
    mem::shmFree(g_table->conns_);
    mem::shmFree(g_table->buckets_);
    mem::shmFree(g_table);
    g_table = nullptr;
}

TcpConnTable* TcpConnTable::get() {
    return g_table;
}

TcpConnTable::Bucket& TcpConnTable::bucketOf(const SockAddr& a) {
    return buckets_[addrHash(a) & bucketMask_];
}

unsigned TcpConnTable::leastLoadedWorker() {
    const unsigned start = rotor_.fetch_add(1, std::memory_order_relaxed) % workers_;
    unsigned best = start;
    uint32_t bestCount = ownedBy(start);
    for (unsigned k = 1; k < workers_ && bestCount != 0; ++k) {
        const unsigned w = (start + k) % workers_;
        const uint32_t n = ownedBy(w);
        if (n < bestCount) {
            best = w;
            bestCount = n;
        }
    }
    return best;
}

// Called with the bucket's lock held (it is the bucket of `peer`).
TcpConn* TcpConnTable::allocLocked(Bucket& b, const SockAddr& peer, int socket, unsigned owner,
                                   ConnState state, bool outgoing, Proto proto) {
    uint32_t index;
    {
        mem::LockGuard g(freeLock_);
        if (freeHead_ == 0) return nullptr;
        index = freeHead_ - 1;
        freeHead_ = conns_[index].freeNext;
        if (freeHead_ == 0) freeTail_ = 0;
        used_.fetch_add(1, std::memory_order_relaxed);
    }
    TcpConn& c = conns_[index];
    {
        mem::LockGuard g(c.lock);
        // Generation 0 is never used, so no live id is 0 (0 means "no connection").
        c.gen = c.gen >= kMaxGen ? 1 : c.gen + 1;
        c.id.store(makeConnId(index, c.gen));
        c.state = state;
        c.outgoing = outgoing;
        c.proto = proto;
        c.serverName[0] = '\0';
        c.tlsCipher[0] = '\0';
        c.owner = static_cast<uint16_t>(owner);
        c.socket = static_cast<int16_t>(socket);
        c.wakePending.store(0, std::memory_order_relaxed);
        c.closeRequested.store(0, std::memory_order_relaxed);
        c.peer = peer;
        c.ipHash = ipHashOf(peer);
        c.freeNext = 0;
        c.queue = WriteQueue{};
        c.addrNext = b.head;
        b.head = index + 1;
    }
    perWorker_[owner].fetch_add(1, std::memory_order_relaxed);
    return &c;
}

TcpConn* TcpConnTable::alloc(const SockAddr& peer, int socket, unsigned owner, ConnState state,
                             bool outgoing, Proto proto) {
    if (owner >= workers_) return nullptr;
    Bucket& b = bucketOf(peer);
    mem::LockGuard g(b.lock);
    return allocLocked(b, peer, socket, owner, state, outgoing, proto);
}

ConnId TcpConnTable::findByAddr(const SockAddr& peer, bool create, int socket, bool* created,
                                Proto proto) {
    if (created != nullptr) *created = false;
    Bucket& b = bucketOf(peer);
    mem::LockGuard g(b.lock);
    for (uint32_t i = b.head; i != 0; i = conns_[i - 1].addrNext) {
        TcpConn& c = conns_[i - 1];
        // peer is fixed while the slot is linked here; the id may change under the connection's
        // lock, and a stale answer is caught by lockById.
        if (c.peer == peer && c.proto == proto &&
            c.closeRequested.load(std::memory_order_relaxed) == 0) {
            return c.id.load(std::memory_order_relaxed);
        }
    }
    if (!create) return 0;
    TcpConn* c =
        allocLocked(b, peer, socket, leastLoadedWorker(), ConnState::Connecting, true, proto);
    if (c == nullptr) return 0;
    if (created != nullptr) *created = true;
    return c->id.load();
}

ConnRef TcpConnTable::lockById(ConnId id) {
    ConnRef ref;
    const uint32_t index = connSlot(id);
    if (id == 0 || index >= capacity_) return ref;
    TcpConn& c = conns_[index];
    ref.guard = mem::UniqueGuard<mem::FutexMutex>(c.lock);
    if (c.id != id || c.state == ConnState::Free) {
        ref.guard.unlock();
        return ref;
    }
    ref.conn = &c;
    return ref;
}

ConnRef TcpConnTable::lockByIdFrom(ConnId id, const SockAddr& peer, bool portKnown) {
    ConnRef ref = lockById(id);
    if (ref && !(portKnown ? ref.conn->peer == peer : ref.conn->peer.sameIp(peer))) {
        ref.guard.unlock();
        ref.conn = nullptr;
    }
    return ref;
}

void TcpConnTable::release(TcpConn* c) {
    const uint32_t index = static_cast<uint32_t>(c - conns_);
    {
        Bucket& b = bucketOf(c->peer);
        mem::LockGuard g(b.lock);
        for (uint32_t* link = &b.head; *link != 0; link = &conns_[*link - 1].addrNext) {
            if (*link == index + 1) {
                *link = c->addrNext;
                break;
            }
        }
    }
    unsigned owner;
    {
        mem::LockGuard g(c->lock);
        owner = c->owner;
        c->id.store(0);
        c->state = ConnState::Free;
        c->addrNext = 0;
        giveQueueBytes(c->ipHash, c->queue.charged);
        c->queue.clear();
    }
    perWorker_[owner].fetch_sub(1, std::memory_order_relaxed);
    // To the tail: the slot rests while the others are used, so its next id comes late.
    mem::LockGuard g(freeLock_);
    c->freeNext = 0;
    if (freeTail_ == 0) {
        freeHead_ = index + 1;
    } else {
        conns_[freeTail_ - 1].freeNext = index + 1;
    }
    freeTail_ = index + 1;
    used_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace osprey::net
