// The redis location store, usrloc-process side: the writer drains the change ring into
// Redis (one pipeline per batch: HSET + PEXPIREAT per upsert, HDEL per delete, then one
// PUBLISH per changed AOR) and, for sync_write, publishes the commit to the workers waiting on
// commit_wait.h and sends their queued replies; the subscriber listens on osprey:loc for other
// nodes' changes and drops those AORs from this node's cache. While Redis is unreachable the
// changes stay queued in the ring (bounded by db_queue_size; what overflows is counted) and
// the batch that failed is sent again after reconnecting: every command is idempotent. A
// Redis that came back empty (restarted without persistence) is given this node's own cached
// bindings again before the queue (reseed()), so what was registered before the outage is not
// lost with it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/usrloc/redis_link.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

class RedisWriter {
public:
    RedisWriter(State& st, const Settings& s);

    // Drains what is queued and writes it (or retries the batch that failed); true when
    // nothing is left unwritten.
    bool flush(int64_t nowMs);
    bool up() const { return up_; }
    // Called for every AOR of a batch once Redis acknowledged it.
    std::function<void(uint8_t table, std::string_view aor)> onWritten;
    const std::string& address() const { return link_.address(); }

private:
    bool writeBatch();
    bool reseedIfLost();
    size_t reseed();
    void setUp(bool up, const char* why);
    void failWaiters();

    State& st_;
    RedisLink link_;
    std::string node_;
    std::string nodeUri_;      // node_uri, or this node's first UDP listener
    std::vector<char> batch_;  // drained, not yet acknowledged
    size_t batchChanges_ = 0;
    size_t repliedUpTo_ = 0;  // bytes of batch_ whose queued answers were already sent
    uint64_t through_ = 0;
    uint64_t checkedConnects_ = 0;  // the link's connect count last checked by reseedIfLost()
    std::string marker_;            // osprey:node:<node_id>: gone when Redis lost its data
    bool up_ = false;
    bool everUp_ = false;
};

// Whether a binding came in on one of this node's sockets (it saved it; a binding fetched from
// Redis names the socket of the node that saved it).
bool savedHere(std::string_view socket);

// Another node's change: (table, aor) to drop from this node's cache.
struct Invalidation {
    std::string table;
    std::string aor;
};

class RedisSubscriber {
public:
    RedisSubscriber(State& st, const Settings& s);

    // Connects and subscribes when due; returns the socket to watch (-1 when not subscribed).
    // *fresh is set when a subscription was just made: changes published while this node was
    // not listening are unknown, so the caller drops its whole cache.
    int ensure(int64_t nowMs, bool* fresh);
    int fd() const;
    // Reads what arrived; appends other nodes' invalidations. False when the connection
    // dropped (the caller forgets the fd).
    bool read(std::vector<Invalidation>& out);

private:
    RedisLink link_;
    std::string node_;
};

}  // namespace osprey::usrloc
