// The redis location store, SIP-worker side (redis_store.h).
#include "modules/usrloc/redis_store.h"

#include <hiredis.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/timer/clock.h"
#include "modules/usrloc/redis_codec.h"
#include "modules/usrloc/usrloc_state.h"

namespace osprey::usrloc {

namespace {

// This process's own connection (made on first use, after fork).
RedisLink& workerLink() {
    static RedisLink link(state().redisCfg);
    return link;
}

int64_t elapsedUs(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 since)
        .count();
}

void logFetchFailure(std::string_view aor, const std::string& why) {
    static net::LogLimit limit;
    if (uint64_t skipped = 0; limit.allow(&skipped)) {
        LM_WARN(
            "usrloc: redis lookup of %.*s failed: %s; answering from this node's cache (%llu "
            "more not logged)",
            static_cast<int>(aor.size()), aor.data(), why.c_str(),
            static_cast<unsigned long long>(skipped));
    }
}

enum class Fetch : uint8_t { Found, Empty, Failed };

// One HGETALL of aor's hash (bounded by redis_timeout, no lock held); what it finds is kept in
// the table unless an invalidation came meanwhile, and handed to fn (most recent first).
Fetch fetch(Table* t, std::string_view aor, BindingFn fn, void* user, int* count) {
    State& st = state();
    RedisShared& sh = *st.redis;
    RedisStoreStats& stats = sh.stats();
    const int64_t nowMs = timer::nowMs();
    RedisLink& link = workerLink();
    if (!link.ready(nowMs)) {
        stats.fetchFailed.fetch_add(1, std::memory_order_relaxed);
        logFetchFailure(aor, link.lastError());
        return Fetch::Failed;
    }
    const uint64_t gen = sh.generation();
    const std::string key = redisKey(tableName(t), aor);
    const auto started = std::chrono::steady_clock::now();
    ReplyPtr r(redisCommand(link.context(), "HGETALL %b", key.data(), key.size()));
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        const std::string why = r ? std::string(r->str, r->len) : link.context()->errstr;
        link.fail(why.c_str());
        stats.fetchFailed.fetch_add(1, std::memory_order_relaxed);
        logFetchFailure(aor, why);
        return Fetch::Failed;
    }
    stats.fetchLatency.add(elapsedUs(started));
    const int64_t now = nowSeconds();
    std::vector<ContactData> cs;
    std::vector<std::string> paths;  // Paths to owner nodes; cs points into them
    cs.reserve(r->elements / 2);
    paths.reserve(r->elements / 2);
    for (size_t i = 1; i < r->elements; i += 2) {
        const redisReply* v = r->element[i];
        ContactData c;
        Owner owner;
        if (v->type != REDIS_REPLY_STRING || !decodeContact({v->str, v->len}, &c, &owner)) continue;
        if (c.expires <= now) continue;
        // Only the owner holds this phone's connection: go through it. This node's socket
        // and the NAT address mean nothing here.
        if (std::string p = ownerPath(c, owner, settings().nodeId); !p.empty()) {
            paths.push_back(std::move(p));
            c.path = paths.back();
            c.socket = {};
            c.received = {};
        }
        cs.push_back(c);
    }
    // Oldest first into the table (each goes to the head), so it holds them most recent first.
    std::sort(cs.begin(), cs.end(), [](const ContactData& a, const ContactData& b) {
        return a.lastModified < b.lastModified;
    });
    if (cs.empty()) {
        sh.rememberAbsent(tableIndex(t), aorHash(aor), nowMs + settings().negativeCacheMs);
        stats.fetchEmpty.fetch_add(1, std::memory_order_relaxed);
        return Fetch::Empty;
    }
    tableFill(t, aor, cs, now, sh.generationWord(), gen);
    stats.fetchFound.fetch_add(1, std::memory_order_relaxed);
    if (fn != nullptr)
        for (auto it = cs.rbegin(); it != cs.rend(); ++it) fn(user, *it);
    *count = static_cast<int>(cs.size());
    return Fetch::Found;
}

// Whether this node can answer for aor without asking Redis.
bool known(Table* t, std::string_view aor, int* n, BindingFn fn, void* user) {
    bool present = false;
    *n = tableGet(t, aor, nowSeconds(), fn, user, &present);
    if (present) return true;
    return state().redis->knownAbsent(tableIndex(t), aorHash(aor), timer::nowMs());
}

}  // namespace

bool redisStoreActive() {
    return state().redis != nullptr;
}

int redisGet(Table* t, std::string_view aor, BindingFn fn, void* user) {
    RedisStoreStats& stats = state().redis->stats();
    int n = 0;
    if (known(t, aor, &n, fn, user)) {
        stats.cacheHits.fetch_add(1, std::memory_order_relaxed);
        return n;
    }
    stats.cacheMisses.fetch_add(1, std::memory_order_relaxed);
    n = 0;
    fetch(t, aor, fn, user, &n);
    return n;
}

void redisPrepareChange(Table* t, std::string_view aor) {
    int n = 0;
    if (known(t, aor, &n, nullptr, nullptr)) return;
    state().redis->stats().cacheMisses.fetch_add(1, std::memory_order_relaxed);
    fetch(t, aor, nullptr, nullptr, &n);
}

bool redisRefusesWrites() {
    State& st = state();
    if (st.redis == nullptr || st.redis->up()) return false;
    if (!st.redisReject && settings().syncWrite == 0) return false;
    st.redis->stats().rejected.fetch_add(1, std::memory_order_relaxed);
    return true;
}

}  // namespace osprey::usrloc

namespace osprey::usrloc {

void redisAfterChange(Table* t, std::string_view aor) {
    bool present = false;
    tableGet(t, aor, nowSeconds(), nullptr, nullptr, &present);
    if (!present)
        state().redis->rememberAbsent(tableIndex(t), aorHash(aor),
                                      timer::nowMs() + settings().negativeCacheMs);
}

}  // namespace osprey::usrloc
