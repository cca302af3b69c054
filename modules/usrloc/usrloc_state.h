// What the usrloc module sets up in the master before fork and every process inherits: the
// tables, the change ring and the settings (module parameters).
#pragma once
#include <string>
#include <vector>

#include "core/proc/process_kind.h"
#include "modules/usrloc/change_ring.h"
#include "modules/usrloc/redis_link.h"
#include "modules/usrloc/redis_shared.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {

struct Settings {
    int hashSize = 10;  // log2 of the slot count, as Kamailio's hash_size
    int useDomain = 0;
    std::string dbUrl;
    int dbMode = 0;          // 0 memory, 1 write-through, 2 write-back
    int dbFsync = 0;         // 1: SQLite synchronous=FULL (power-loss durable), 0: NORMAL
    int dbTimeoutMs = 3000;  // write-through: longest wait for the commit before a failure
    int timerInterval = 60;  // s: a full expiry sweep, and the write-back flush interval
    std::string preload;     // more table names besides "location"
    int dbQueueKib = 8192;
    int natBflag = -1;  // the branch flag that marks a binding as behind a NAT (-1: none)
    // The location store (docs/redis-store.md): "memory" (one node) or "redis" (shared).
    std::string store = "memory";
    std::string redisUrl = "redis://127.0.0.1:6379/0";
    std::string redisSentinels;  // "host:port,host:port": find the master through Sentinel
    std::string redisMasterName = "mymaster";
    int redisTimeoutMs = 50;  // a lookup's HGETALL, and connecting
    std::string nodeId;       // this node's name in Redis (default: hostname:pid)
    std::string nodeUri;      // how other nodes reach this one (default: first UDP listener)
    int syncWrite = 0;        // 1: answer a REGISTER only after Redis acknowledged it
    std::string redisDownPolicy = "queue";  // or "reject": 503 to REGISTERs while Redis is down
    int negativeCacheMs = 1000;             // how long "not registered" is remembered
    int redisWaitReplicas = 0;  // a batch counts as written once this many replicas have it
};

struct State {
    std::vector<std::string> names;  // index = Table index
    std::vector<Table*> tables;
    ChangeRing* ring = nullptr;
    int eventFd = -1;
    std::string dbPath;
    bool fullSync = false;
    // store = "redis": the shared state in shm and the parsed connection settings.
    RedisShared* redis = nullptr;
    RedisConfig redisCfg;
    bool redisReject = false;  // redis_down_policy "reject"
};

Settings& settings();
State& state();
// The API other modules get (usrloc.cpp); ul.* RPC methods go through it too.
const Api& api();

// The usrloc process: expiry sweep and database writer (usrloc.cpp).
int usrlocProcessMain(const proc::ChildContext& self);

// Whether a saved change is answered only after the store confirmed it (db_mode 1, or the
// redis store with sync_write).
bool writeThrough();

// The usrloc process's expiry sweep: one slice of every table (each cursor advances), so all
// slots are swept once per intervalMs (usrloc.cpp).
// fn(user, table index, aor, binding): each expired binding, before it is freed (the redis
// store's owner removes it from Redis too).
using ExpiredFn = void (*)(void* user, uint8_t table, std::string_view aor, const ContactData& c);
void expireSlice(std::vector<size_t>& cursor, int64_t intervalMs, int64_t tickMs,
                 ExpiredFn fn = nullptr, void* user = nullptr);

// The usrloc process with store = "redis" (redis_process.cpp).
int redisProcessMain(const proc::ChildContext& self);

// Writes whatever the ring holds (master at shutdown, after the children are gone;
// usrloc.cpp).
void finalFlush();

}  // namespace osprey::usrloc
