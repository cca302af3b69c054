// usrloc: the location service (Kamailio's usrloc module). Address-of-record tables in shm
// (table.h), expired by the usrloc process a slice of slots at a time and, with db_mode 1
// (write-through) or 2 (write-back), persisted in SQLite by the same process (never by a SIP
// worker). Tables: "location" and any listed in `preload`. No script functions of its own;
// the registrar module uses its API (api.h). Parameters and semantics: modules/usrloc/README.md.
//
// Write-through is a group commit: a worker queues its change, unlocks the slot, and either
// queues its answer behind it (UDP: the usrloc process sends it after the commit,
// reply_sender.h) or waits (commit_wait.h) while the usrloc process writes everything queued
// in one transaction.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <string>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/db/db_url.h"
#include "core/log/log.h"
#include "core/module/module_export.h"
#include "core/net/log_limit.h"
#include "core/proc/child.h"
#include "core/proc/process_kind.h"
#include "core/stats/read.h"
#include "core/stats/registry.h"
#include "mem/shm.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/db_writer.h"
#include "modules/usrloc/redis_stats.h"
#include "modules/usrloc/redis_store.h"
#include "modules/usrloc/sqlite_store.h"
#include "modules/usrloc/ul_rpc.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

namespace {
Settings g_settings;  // module parameters write here (addresses taken at compile time)
}  // namespace

Settings& settings() {
    return g_settings;
}

State& state() {
    static State s;
    return s;
}

namespace {

constexpr size_t kMaxTables = 16;

bool validTableName(std::string_view n) {
    if (n.empty() || n.size() > 31) return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    return !(n[0] >= '0' && n[0] <= '9');
}

std::vector<std::string> tableNames(std::string_view preload) {
    std::vector<std::string> names{"location"};
    size_t pos = 0;
    while (pos <= preload.size()) {
        size_t end = preload.find_first_of(", ;", pos);
        if (end == std::string_view::npos) end = preload.size();
        std::string n(preload.substr(pos, end - pos));
        bool dup = n.empty();
        for (const std::string& o : names) dup = dup || o == n;
        if (!dup) names.push_back(n);
        pos = end + 1;
    }
    return names;
}

// Loads the stored bindings. A database that cannot be read is reported and skipped: SIP
// service starts with empty tables rather than not at all.
void loadFromDatabase(State& st) {
    SqliteStore store;
    std::string error;
    if (!store.open(st.dbPath, st.names, &error)) {
        LM_ERR(
            "usrloc: cannot open database %s: %s; starting with empty tables, registrations "
            "are served from memory (SIP service continues)",
            st.dbPath.c_str(), error.c_str());
        return;
    }
    const int64_t now = nowSeconds();
    for (size_t i = 0; i < st.names.size(); ++i) {
        size_t n = 0;
        size_t failed = 0;
        const bool ok = store.load(
            st.names[i], now,
            [&](std::string_view aor, const ContactData& c) {
                if (tableLoad(st.tables[i], aor, c))
                    ++n;
                else
                    ++failed;
            },
            &error);
        if (!ok) {
            LM_ERR(
                "usrloc: cannot load table %s from %s: %s; continuing with the %zu bindings "
                "read",
                st.names[i].c_str(), st.dbPath.c_str(), error.c_str(), n);
        } else {
            LM_NOTICE("usrloc: loaded %zu bindings into %s from %s", n, st.names[i].c_str(),
                      st.dbPath.c_str());
        }
        if (failed != 0)
            LM_ERR("usrloc: out of shm loading %s: %zu bindings lost", st.names[i].c_str(), failed);
    }
}

// Kamailio's usrloc statistics: registered_users (every table's records) and per table
// <table>-users, <table>-contacts, <table>-expires (e.g. location-users).
std::vector<stats::Gauge> g_userGauges;

int64_t registeredUsers(uintptr_t) {
    int64_t n = 0;
    for (stats::Gauge g : g_userGauges) n += stats::value(g);
    return n;
}

bool declareTableStats(Table* t, const std::string& name) {
    TableStats ts;
    ts.users = stats::declareGauge("usrloc", name + "-users", "Address-of-records in the table");
    ts.contacts = stats::declareGauge("usrloc", name + "-contacts", "Contacts in the table");
    ts.expires = stats::declareCounter("usrloc", name + "-expires", "Contacts removed by expiry");
    if (ts.users.id == 0 || ts.contacts.id == 0 || ts.expires.id == 0) return false;
    setTableStats(t, ts);
    g_userGauges.push_back(ts.users);
    return true;
}

// store = "redis": the connection settings, the change ring the usrloc process drains into
// Redis (woken for every change, so the async window stays short) and the shared state.
bool initRedisStore(Settings& s, State& st) {
    if (s.store == "memory") return true;
    if (s.store != "redis") {
        LM_ERR("usrloc: store must be \"memory\" or \"redis\" (got '%s')", s.store.c_str());
        return false;
    }
    if (s.dbMode != 0) {
        LM_ERR("usrloc: store = \"redis\" replaces the database: db_mode must be 0");
        return false;
    }
    if (s.redisDownPolicy != "queue" && s.redisDownPolicy != "reject") {
        LM_ERR("usrloc: redis_down_policy must be \"queue\" or \"reject\" (got '%s')",
               s.redisDownPolicy.c_str());
        return false;
    }
    std::string error;
    if (!parseRedisConfig(s.redisUrl, s.redisSentinels, s.redisMasterName, s.redisTimeoutMs,
                          &st.redisCfg, &error)) {
        LM_ERR("usrloc: %s", error.c_str());
        return false;
    }
    if (s.nodeId.empty()) {
        char host[64] = {};
        gethostname(host, sizeof host - 1);
        s.nodeId = std::string(host) + ":" + std::to_string(getpid());
    }
    if (s.nodeId.find('\n') != std::string::npos || s.nodeId.size() > 64) {
        LM_ERR("usrloc: node_id: up to 64 characters, no newline");
        return false;
    }
    st.redisReject = s.redisDownPolicy == "reject";
    st.eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st.eventFd < 0) {
        LM_ERR("usrloc: eventfd: %s", strerror(errno));
        return false;
    }
    // sync_write: a worker's answer waits for the write, so the writer is woken for every
    // change; asynchronous writes are collected for a few ms (redis_process.cpp) and a worker
    // wakes the writer only when the ring is half full.
    st.ring = ChangeRing::create(size_t(s.dbQueueKib) << 10, st.eventFd, s.syncWrite != 0);
    st.redis = RedisShared::create();
    if (st.ring == nullptr || st.redis == nullptr) {
        LM_ERR("usrloc: cannot allocate the %d KiB redis queue in shm", s.dbQueueKib);
        return false;
    }
    st.dbPath = "redis";
    return declareStoreStats();
}

bool modInit() {
    Settings& s = settings();
    State& st = state();
    if (!initRedisStore(s, st)) return false;
    st.names = tableNames(s.preload);
    if (st.names.size() > kMaxTables) {
        LM_ERR("usrloc: at most %zu tables", kMaxTables);
        return false;
    }
    for (const std::string& n : st.names) {
        if (!validTableName(n)) {
            LM_ERR("usrloc: bad table name '%s' in preload (letters, digits, '_', up to 31)",
                   n.c_str());
            return false;
        }
    }
    if (s.dbMode != 0) {
        st.dbPath = db::sqlitePath(s.dbUrl);
        if (st.dbPath.empty()) {
            LM_ERR("usrloc: db_mode %d needs db_url \"sqlite:///path/to/file.db\" (got '%s')",
                   s.dbMode, s.dbUrl.c_str());
            return false;
        }
        st.eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (st.eventFd < 0) {
            LM_ERR("usrloc: eventfd: %s", strerror(errno));
            return false;
        }
        st.fullSync = s.dbFsync != 0;
        st.ring = ChangeRing::create(size_t(s.dbQueueKib) << 10, st.eventFd, s.dbMode == 1);
        if (st.ring == nullptr) {
            LM_ERR("usrloc: cannot allocate the %d KiB database queue in shm", s.dbQueueKib);
            return false;
        }
    }
    for (size_t i = 0; i < st.names.size(); ++i) {
        Table* t =
            createTable(st.names[i], static_cast<unsigned>(s.hashSize), static_cast<uint8_t>(i));
        if (t == nullptr) {
            LM_ERR("usrloc: cannot allocate table %s (2^%d slots) in shm", st.names[i].c_str(),
                   s.hashSize);
            return false;
        }
        setChangeRing(t, st.ring);
        st.tables.push_back(t);
        if (!declareTableStats(t, st.names[i])) return false;
    }
    g_userGauges.shrink_to_fit();
    if (stats::declareFunc("usrloc", "registered_users", "Address-of-records in every table",
                           &registeredUsers)
            .id == 0) {
        return false;
    }
    if (s.dbMode != 0) loadFromDatabase(st);
    proc::declareProcesses(proc::ProcessKind{proc::Rank::Custom, 1, usrlocProcessMain,
                                             proc::OnExit::Restart, "usrloc", false});
    return true;
}

void modDestroy() {
    State& st = state();
    finalFlush();
    for (Table* t : st.tables) destroyTable(t);
    st.tables.clear();
    ChangeRing::destroy(st.ring);
    st.ring = nullptr;
    RedisShared::destroy(st.redis);
    st.redis = nullptr;
    if (st.eventFd >= 0) close(st.eventFd);
    st.eventFd = -1;
}

constexpr int kTickMs = 100;

}  // namespace

// The usrloc process: sweeps a slice of every table's slots per tick (so a huge table never
// stalls anything; a full pass takes timer_interval seconds) and writes the change ring to
// SQLite: in write-through mode as soon as anything is queued (woken through the eventfd) and
// again right after each commit while more came meanwhile, so workers waiting for their
// change are served by the next transaction (group commit, no timed batching); every
// timer_interval or when the ring is half full in write-back mode; everything left when asked
// to stop.
void expireSlice(std::vector<size_t>& cursor, int64_t intervalMs, int64_t tickMs, ExpiredFn fn,
                 void* user) {
    State& st = state();
    struct Pass {
        ExpiredFn fn;
        void* user;
        uint8_t table;
        static void each(void* p, std::string_view aor, const ContactData& c) {
            auto* self = static_cast<Pass*>(p);
            self->fn(self->user, self->table, aor, c);
        }
    };
    const int64_t wall = nowSeconds();
    for (size_t i = 0; i < st.tables.size(); ++i) {
        const size_t slots = slotCount(st.tables[i]);
        const size_t per = std::max<size_t>(
            1,
            static_cast<size_t>((uint64_t{slots} * static_cast<uint64_t>(tickMs) + intervalMs - 1) /
                                static_cast<uint64_t>(intervalMs)));
        Pass pass{fn, user, static_cast<uint8_t>(i)};
        tableExpire(st.tables[i], cursor[i], per, wall, fn != nullptr ? &Pass::each : nullptr,
                    &pass);
        cursor[i] = (cursor[i] + per) % slots;
    }
}

bool writeThrough() {
    return settings().dbMode == 1 || (state().redis != nullptr && settings().syncWrite != 0);
}

int usrlocProcessMain(const proc::ChildContext& self) {
    State& st = state();
    if (st.redis != nullptr) return redisProcessMain(self);
    const Settings& s = settings();
    const bool db = st.ring != nullptr;
    const int64_t intervalMs = int64_t{s.timerInterval} * 1000;
    // Write-through answers 500 while the database is unusable: try it again every second
    // rather than every timer_interval, so a transient failure (a lock held too long) is short.
    const int64_t reopenMs = s.dbMode == 1 ? std::min<int64_t>(intervalMs, 1000) : intervalMs;

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return 1;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = proc::signalFd();
    epoll_ctl(ep, EPOLL_CTL_ADD, proc::signalFd(), &ev);
    if (db) {
        ev.data.fd = st.eventFd;
        epoll_ctl(ep, EPOLL_CTL_ADD, st.eventFd, &ev);
    }

    DbWriter writer(st);
    if (db) {
        // A predecessor killed between draining and publishing took those changes with it.
        st.ring->commits().recoverAfterWriterDeath(st.ring->drainedThrough());
        st.ring->commits().setWriterPid(getpid());
        writer.openIfDue(monoMs(), reopenMs);
        LM_INFO("usrloc: database writer for %s running (db_mode %d)", st.dbPath.c_str(), s.dbMode);
    }

    // Per tick, each table sweeps enough slots to cover all of them once per timer_interval.
    std::vector<size_t> cursor(st.tables.size(), 0);
    int64_t nextTick = monoMs();
    int64_t nextFlush = monoMs() + intervalMs;
    int64_t nextPurge = monoMs() + intervalMs;
    while (!proc::stopRequested()) {
        int64_t now = monoMs();
        if (db) st.ring->commits().heartbeat(now);
        if (now >= nextTick) {
            expireSlice(cursor, intervalMs, kTickMs);
            nextTick = now + kTickMs;
        }
        int timeout = static_cast<int>(std::max<int64_t>(0, nextTick - now));
        if (db) {
            writer.openIfDue(now, reopenMs);
            if (s.dbMode == 1 || now >= nextFlush || st.ring->takeFlushRequest()) {
                writer.flush();
                if (now >= nextFlush) nextFlush = now + intervalMs;
            }
            if (now >= nextPurge) {
                writer.purge();
                writer.reportDrops();
                nextPurge = now + intervalMs;
            }
            // Write-through: changes that came during the commit are written at once (only a
            // look at the signal fd in between); with the ring empty we sleep until a pusher
            // sees writerSleeping and writes the eventfd. The flag is set before the last look
            // at the ring, so a push cannot slip between the two.
            // Write-back: pushers wake us once the ring is half full.
            if (s.dbMode == 1 && !st.ring->empty()) {
                timeout = 0;
            } else {
                st.ring->setWriterSleeping(true);
                if (s.dbMode == 1 && !st.ring->empty()) timeout = 0;
            }
        }
        epoll_event evs[4];
        const int n = epoll_wait(ep, evs, 4, timeout);
        if (db) st.ring->setWriterSleeping(false);
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.fd == proc::signalFd()) {
                proc::handleSignals();
            } else {
                uint64_t v;
                ssize_t r = read(st.eventFd, &v, sizeof v);
                (void)r;
                if (s.dbMode == 2) nextFlush = 0;  // the ring is half full: write now
            }
        }
    }
    if (db) {
        writer.openIfDue(monoMs(), 0);
        writer.flush();
        writer.reportDrops();
    }
    close(ep);
    return 0;
}

void finalFlush() {
    State& st = state();
    if (st.ring == nullptr || st.redis != nullptr || st.ring->empty()) return;
    DbWriter writer(st);
    writer.openIfDue(monoMs(), 0);
    writer.flush();
}

namespace {

Table* apiTable(std::string_view name) {
    State& st = state();
    for (size_t i = 0; i < st.names.size(); ++i)
        if (st.names[i] == name) return st.tables[i];
    return nullptr;
}

bool apiUseDomain() {
    return settings().useDomain != 0;
}

// Write-through: waits (no lock held) until the change is committed. False, logged at most
// once a second per process, when it was not.
bool confirmWritten(std::string_view aor, const Durability& dur) {
    State& st = state();
    if (!writeThrough() || st.ring == nullptr) return true;
    CommitResult r = CommitResult::Failed;
    if (!dur.lost) {
        if (dur.seq == 0) return true;  // nothing was ever queued
        r = st.ring->commits().wait(dur.seq, static_cast<uint32_t>(settings().dbTimeoutMs));
        if (r == CommitResult::Committed) return true;
    }
    static net::LogLimit limit;
    if (uint64_t skipped = 0; limit.allow(&skipped)) {
        LM_ERR(
            "usrloc: write-through change for %.*s not confirmed by %s: %s (%llu more not "
            "logged)",
            static_cast<int>(aor.size()), aor.data(), st.dbPath.c_str(),
            dur.lost ? "database queue full" : commitResultText(r),
            static_cast<unsigned long long>(skipped));
    }
    return false;
}

SaveStatus apiSave(Table* t, std::string_view aor, std::span<const ContactData> updates,
                   bool removeAll, uint32_t maxContacts, bool persist, BindingFn fn, void* user,
                   WriteTicket* ticket) {
    const bool redis = redisStoreActive();
    if (redis) {
        if (persist && redisRefusesWrites()) return SaveStatus::Unavailable;
        redisPrepareChange(t, aor);
    }
    Durability dur;
    const SaveStatus st =
        tableSave(t, aor, updates, removeAll, maxContacts, persist, nowSeconds(), fn, user, &dur);
    if (redis) redisAfterChange(t, aor);
    if (st != SaveStatus::Ok || !persist) return st;
    if (ticket == nullptr || dur.lost)
        return confirmWritten(aor, dur) ? st : SaveStatus::NotDurable;
    if (!writeThrough() || dur.seq == 0) return st;
    // Leave the answer to the writer only while it is turning; else wait here, bounded.
    const int64_t within = std::max(settings().dbTimeoutMs, 250);
    if (!state().ring->commits().writerResponsive(monoMs(), within))
        return confirmWritten(aor, dur) ? st : SaveStatus::NotDurable;
    *ticket = WriteTicket{dur.seq, true};
    return st;
}

bool apiReplyWhenWritten(const WriteTicket& t, std::string_view aor, int socket,
                         std::string_view address, std::string_view ok, std::string_view failed) {
    ChangeRing* ring = state().ring;
    if (!t.pending || ring == nullptr) return false;
    return ring->pushReply(aor, PendingReply{t.seq, socket, address, ok, failed});
}

bool apiWaitWritten(const WriteTicket& t, std::string_view aor) {
    return !t.pending || confirmWritten(aor, Durability{t.seq, false});
}

int apiGet(Table* t, std::string_view aor, BindingFn fn, void* user) {
    if (redisStoreActive()) return redisGet(t, aor, fn, user);
    return tableGet(t, aor, nowSeconds(), fn, user);
}

int apiRemove(Table* t, std::string_view aor, std::string_view uri) {
    const bool redis = redisStoreActive();
    if (redis) redisPrepareChange(t, aor);
    Durability dur;
    const int n = tableRemove(t, aor, uri, nowSeconds(), &dur);
    if (redis) redisAfterChange(t, aor);
    return confirmWritten(aor, dur) ? n : -1;
}

Table* apiTableAt(size_t index) {
    State& st = state();
    return index < st.tables.size() ? st.tables[index] : nullptr;
}

size_t apiVisitSlot(Table* t, size_t slot, SlotBindingFn fn, void* user) {
    return tableVisitSlot(t, slot, nowSeconds(), fn, user);
}

bool apiKeepalive(Table* t, std::string_view aor, std::string_view uri) {
    return tableKeepalive(t, aor, uri, nowSeconds());
}

int apiNatBflag() {
    return settings().natBflag;
}

const Api kApi = {apiTable,       apiUseDomain, apiSave,      apiReplyWhenWritten,
                  apiWaitWritten, apiGet,       apiRemove,    apiTableAt,
                  slotCount,      apiVisitSlot, apiKeepalive, apiNatBflag};

}  // namespace

const Api& api() {
    return kApi;
}

namespace {

constexpr module::ParamSpec kParams[] = {
    module::intParam("hash_size", &g_settings.hashSize, 10, 1, 24,
                     "the tables have 2^hash_size slots, each with its own lock"),
    module::intParam("use_domain", &g_settings.useDomain, 0, 0, 1,
                     "1: the AOR is user@domain, 0: the user part only"),
    module::stringParam("db_url", &g_settings.dbUrl, "", "sqlite:///path/to/file.db"),
    module::intParam("db_mode", &g_settings.dbMode, 0, 0, 2,
                     "0 memory only, 1 write-through (answer after the commit), 2 write-back"),
    module::intParam("db_fsync", &g_settings.dbFsync, 0, 0, 1,
                     "1: SQLite synchronous=FULL (a commit survives power loss), 0: NORMAL"),
    module::intParam("db_timeout", &g_settings.dbTimeoutMs, 3000, 100, 60000,
                     "ms a write-through change may wait for its commit (then 500)"),
    module::intParam("timer_interval", &g_settings.timerInterval, 60, 1, 3600,
                     "seconds for one full expiry sweep; write-back flush interval"),
    module::stringParam("preload", &g_settings.preload, "",
                        "more tables besides location, comma separated"),
    module::intParam("nat_bflag", &g_settings.natBflag, -1, -1, 31,
                     "branch flag of bindings behind a NAT (nathelper's ping_nated_only); -1 none"),
    module::intParam("db_queue_size", &g_settings.dbQueueKib, 8192, 64, 1 << 20,
                     "KiB of shm for changes waiting for the database writer"),
    module::stringParam("store", &g_settings.store, "memory",
                        "location store: memory (one node) or redis (shared by several nodes)"),
    module::stringParam("redis_url", &g_settings.redisUrl, "redis://127.0.0.1:6379/0",
                        "redis://[:password@]host[:port][/db] of the Redis master"),
    module::stringParam("redis_sentinels", &g_settings.redisSentinels, "",
                        "host:port,host:port of Sentinels that name the master"),
    module::stringParam("redis_master_name", &g_settings.redisMasterName, "mymaster",
                        "the master's name at the Sentinels"),
    module::intParam("redis_timeout", &g_settings.redisTimeoutMs, 50, 1, 10000,
                     "ms a lookup's HGETALL (and a connect) may take"),
    module::stringParam("node_id", &g_settings.nodeId, "",
                        "this node's name in Redis (default hostname:pid)"),
    module::stringParam("node_uri", &g_settings.nodeUri, "",
                        "SIP URI other nodes reach this node at (default: its first UDP listener)"),
    module::intParam("sync_write", &g_settings.syncWrite, 0, 0, 1,
                     "1: answer a REGISTER only after Redis acknowledged the change"),
    module::stringParam("redis_down_policy", &g_settings.redisDownPolicy, "queue",
                        "queue: answer REGISTERs and queue the writes; reject: 503 + Retry-After"),
    module::intParam("redis_wait_replicas", &g_settings.redisWaitReplicas, 0, 0, 16,
                     "a write counts once this many replicas have it (WAIT); 0: the master's"),
    module::intParam("negative_cache", &g_settings.negativeCacheMs, 1000, 0, 60000,
                     "ms a \"not registered\" answer from Redis is remembered"),
};

}  // namespace

}  // namespace osprey::usrloc

OSPREY_MODULE_EXPORT = {
    .name = "usrloc",
    .version = OSPREY_VERSION,
    .params = osprey::usrloc::kParams,
    .rpc = osprey::usrloc::rpcMethods(),
    .api = &osprey::usrloc::kApi,
    .init = &osprey::usrloc::modInit,
    .destroy = &osprey::usrloc::modDestroy,
};
