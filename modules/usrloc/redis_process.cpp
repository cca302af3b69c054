// The usrloc process with store = "redis": the expiry sweep of this node's cache, the writer
// that takes the change ring to Redis, and the subscriber that drops the AORs other nodes
// changed. Invalidations are applied only after this node's own queued changes are written,
// so an AOR dropped here is fetched back with them in it.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/timer/clock.h"
#include "modules/usrloc/change_ring.h"
#include "modules/usrloc/redis_writer.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

namespace {

constexpr int kTickMs = 100;
// Asynchronous writes: how long changes are collected before a batch goes out. Bounds what
// the other nodes wait for an invalidation; saves a wake-up (and an eventfd write by a worker)
// per change under load.
constexpr int kAsyncBatchMs = 5;

Table* tableNamed(State& st, std::string_view name) {
    for (size_t i = 0; i < st.names.size(); ++i)
        if (st.names[i] == name) return st.tables[i];
    return nullptr;
}

// Forgets aor here, so the next lookup asks Redis.
void dropCached(State& st, Table* t, std::string_view aor) {
    // Generation first: a fill that asked Redis before this point is not kept.
    st.redis->bumpGeneration();
    tableDrop(t, aor);
    st.redis->forget(tableIndex(t), aorHash(aor));
}

// AORs another node changed, recently: a change of ours to one of them that was still queued
// when we dropped it may have been missed by a fetch made before it reached Redis, and our own
// invalidations do not reach us. So once such a change is written, the AOR is dropped again.
class RecentlyDropped {
public:
    void add(uint8_t table, std::string_view aor, int64_t untilMs) {
        until_[key(table, aor)] = untilMs;
    }
    bool contains(uint8_t table, std::string_view aor) const {
        return !until_.empty() && until_.count(key(table, aor)) != 0;
    }
    void expire(int64_t nowMs) {
        std::erase_if(until_, [&](const auto& e) { return e.second <= nowMs; });
    }

private:
    static std::string key(uint8_t table, std::string_view aor) {
        std::string k(1, static_cast<char>(table));
        k.append(aor);
        return k;
    }
    std::unordered_map<std::string, int64_t> until_;
};

constexpr int64_t kRecentMs = 2000;  // far longer than a batch takes to be written

void applyInvalidations(State& st, std::vector<Invalidation>& inv, RecentlyDropped& recent) {
    const int64_t now = timer::nowMs();
    for (const Invalidation& i : inv) {
        Table* t = tableNamed(st, i.table);
        if (t == nullptr) continue;
        dropCached(st, t, i.aor);
        recent.add(tableIndex(t), i.aor, now + kRecentMs);
        st.redis->stats().invalidations.fetch_add(1, std::memory_order_relaxed);
    }
    inv.clear();
}

// An expired binding this node saved leaves Redis too (unless refreshed elsewhere since), so a
// hash kept alive by newer bindings does not collect the fields of old ones.
void queueOwnExpired(void* user, uint8_t table, std::string_view aor, const ContactData& c) {
    if (!savedHere(c.socket)) return;
    static_cast<State*>(user)->ring->pushUpsert(table, aor, c, ChangeOp::Expired);
}

// A new subscription: what other nodes changed while we were not listening is unknown.
void dropCache(State& st) {
    st.redis->bumpGeneration();
    size_t n = 0;
    for (Table* t : st.tables) n += tableClear(t);
    st.redis->forgetAll();
    if (n != 0) LM_NOTICE("usrloc: redis store resubscribed, %zu cached AORs dropped", n);
}

}  // namespace

int redisProcessMain(const proc::ChildContext&) {
    State& st = state();
    const Settings& s = settings();
    const int64_t intervalMs = int64_t{s.timerInterval} * 1000;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return 1;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = proc::signalFd();
    epoll_ctl(ep, EPOLL_CTL_ADD, proc::signalFd(), &ev);
    ev.data.fd = st.eventFd;
    epoll_ctl(ep, EPOLL_CTL_ADD, st.eventFd, &ev);

    st.ring->commits().recoverAfterWriterDeath(st.ring->drainedThrough());
    st.ring->commits().setWriterPid(getpid());
    RedisWriter writer(st, s);
    RecentlyDropped recent;
    writer.onWritten = [&](uint8_t table, std::string_view aor) {
        if (table < st.tables.size() && recent.contains(table, aor))
            dropCached(st, st.tables[table], aor);
    };
    RedisSubscriber sub(st, s);
    int subFd = -1;
    std::vector<Invalidation> inv;
    std::vector<size_t> cursor(st.tables.size(), 0);
    int64_t nextTick = timer::nowMs();
    LM_INFO("usrloc: redis store process running (node %s)", s.nodeId.c_str());

    while (!proc::stopRequested()) {
        const int64_t now = timer::nowMs();
        st.ring->commits().heartbeat(now);
        if (now >= nextTick) {
            expireSlice(cursor, intervalMs, kTickMs, &queueOwnExpired, &st);
            recent.expire(now);
            nextTick = now + kTickMs;
        }
        const bool written = writer.flush(now);
        if (subFd < 0 && written) {
            bool fresh = false;
            subFd = sub.ensure(now, &fresh);
            if (subFd >= 0) {
                ev.data.fd = subFd;
                epoll_ctl(ep, EPOLL_CTL_ADD, subFd, &ev);
                if (fresh) dropCache(st);
            }
        }
        int timeout = static_cast<int>(std::clamp<int64_t>(nextTick - now, 0, kTickMs));
        if (!writeThrough() && writer.up() && !st.ring->empty()) timeout = kAsyncBatchMs;
        // Changes that came during the write go out at once; otherwise sleep until a pusher
        // sees writerSleeping and writes the eventfd (set before the last look, so no push
        // slips between the two).
        if (writer.up() && writeThrough()) {
            st.ring->setWriterSleeping(true);
            if (!st.ring->empty()) timeout = 0;
        } else if (writer.up()) {
            st.ring->setWriterSleeping(true);  // woken early only by a half-full ring
        }
        epoll_event evs[4];
        const int n = epoll_wait(ep, evs, 4, timeout);
        st.ring->setWriterSleeping(false);
        for (int i = 0; i < n; ++i) {
            const int fd = evs[i].data.fd;
            if (fd == proc::signalFd()) {
                proc::handleSignals();
            } else if (fd == st.eventFd) {
                uint64_t v;
                ssize_t r = read(st.eventFd, &v, sizeof v);
                (void)r;
            } else if (fd == subFd) {
                if (!sub.read(inv)) subFd = -1;  // closed: epoll forgot it with the socket
                if (!inv.empty() && writer.flush(timer::nowMs()))
                    applyInvalidations(st, inv, recent);
            }
        }
        // Invalidations held back while our own changes could not be written: apply them now
        // that they are (or once Redis is back).
        if (!inv.empty() && writer.flush(timer::nowMs())) applyInvalidations(st, inv, recent);
    }
    writer.flush(timer::nowMs());
    close(ep);
    return 0;
}

}  // namespace osprey::usrloc
