// RedisWriter and RedisSubscriber: the usrloc process's side of the redis store
// (redis_writer.h).
#include "modules/usrloc/redis_writer.h"

#include <hiredis.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "modules/usrloc/change_ring.h"
#include "modules/usrloc/redis_codec.h"
#include "modules/usrloc/reply_sender.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {

namespace {

// KEYS[1] = the AOR's hash, ARGV = field, value: the field is removed only while it holds value.
constexpr std::string_view kExpireScript =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
    "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

// A writer batch may carry thousands of changes: allow it more than a lookup's timeout.
constexpr int kWriteTimeoutMs = 2000;

struct Command {
    std::vector<const char*> argv;
    std::vector<size_t> len;
    void arg(std::string_view s) {
        argv.push_back(s.data());
        len.push_back(s.size());
    }
    void clear() {
        argv.clear();
        len.clear();
    }
};

}  // namespace

RedisWriter::RedisWriter(State& st, const Settings& s)
    : st_(st),
      link_(st.redisCfg),
      node_(s.nodeId),
      nodeUri_(s.nodeUri),
      marker_("osprey:node:" + s.nodeId) {
    if (!nodeUri_.empty()) return;
    for (const net::ListenSocket& l : net::listenSockets()) {
        if (l.proto != net::Proto::Udp) continue;
        nodeUri_ = "sip:" + l.host + ":" + std::to_string(l.port);
        break;
    }
}

void RedisWriter::setUp(bool up, const char* why) {
    if (up == up_) return;
    up_ = up;
    st_.redis->setUp(up);
    if (up) {
        st_.redis->stats().reconnects.fetch_add(1, std::memory_order_relaxed);
        LM_NOTICE("usrloc: redis store at %s %s", link_.address().c_str(),
                  everUp_ ? "reachable again" : "connected");
        everUp_ = true;
    } else {
        LM_ERR(
            "usrloc: redis store unreachable (%s); changes are queued (db_queue_size), lookups "
            "answered from this node's cache%s",
            why, st_.redisReject ? ", REGISTERs answered 503" : "");
    }
}

// sync_write while Redis is unreachable: the workers waiting for these changes are told they
// failed (their REGISTERs get a 500, the queued UDP answers their failure reply) instead of
// waiting for Redis to come back; the changes stay in the batch and are still written then.
void RedisWriter::failWaiters() {
    if (!writeThrough()) return;
    batchChanges_ += st_.ring->drain(batch_, &through_);
    if (batch_.size() == repliedUpTo_) return;
    st_.ring->commits().publish(through_, false);
    sendReplies({batch_.data() + repliedUpTo_, batch_.size() - repliedUpTo_}, st_.ring->commits(),
                "redis");
    repliedUpTo_ = batch_.size();
}

bool RedisWriter::flush(int64_t nowMs) {
    RedisStoreStats& stats = st_.redis->stats();
    if (!link_.ready(nowMs)) {
        setUp(false, link_.lastError().c_str());
        failWaiters();
        stats.queuedBytes.store(st_.ring->used(), std::memory_order_relaxed);
        return false;
    }
    link_.setTimeoutMs(kWriteTimeoutMs);
    if (!reseedIfLost()) {
        setUp(false, link_.lastError().c_str());
        failWaiters();
        return false;
    }
    setUp(true, "");
    if (batch_.empty()) {
        batchChanges_ = st_.ring->drain(batch_, &through_);
        stats.pendingChanges.store(batchChanges_, std::memory_order_relaxed);
    }
    stats.queuedBytes.store(st_.ring->used(), std::memory_order_relaxed);
    if (batch_.empty()) return true;
    if (!writeBatch()) {
        stats.writesRetried.fetch_add(batchChanges_, std::memory_order_relaxed);
        setUp(false, link_.lastError().c_str());
        failWaiters();
        return false;
    }
    st_.ring->commits().publish(through_, true);
    sendReplies({batch_.data() + repliedUpTo_, batch_.size() - repliedUpTo_}, st_.ring->commits(),
                "redis");
    repliedUpTo_ = 0;
    stats.writesOk.fetch_add(batchChanges_, std::memory_order_relaxed);
    stats.pendingChanges.store(0, std::memory_order_relaxed);
    batch_.clear();
    batchChanges_ = 0;
    return true;
}

// After each (re)connect: this node's marker key (no expiry) missing means Redis lost its data
// (restarted without persistence, or a fresh server): the bindings this node saved and still
// holds are written again, then the marker. False when Redis failed meanwhile.
bool RedisWriter::reseedIfLost() {
    if (link_.connects() == checkedConnects_) return true;
    redisContext* c = link_.context();
    ReplyPtr exists(redisCommand(c, "EXISTS %b", marker_.data(), marker_.size()));
    if (!exists || exists->type != REDIS_REPLY_INTEGER) {
        link_.fail(exists ? "EXISTS refused" : c->errstr);
        return false;
    }
    if (exists->integer == 0) {
        const size_t n = reseed();
        if (link_.context() == nullptr) return false;
        if (n != 0)
            LM_NOTICE("usrloc: redis store had lost its data, %zu bindings written again", n);
        ReplyPtr set(redisCommand(link_.context(), "SET %b 1", marker_.data(), marker_.size()));
        if (!set || set->type == REDIS_REPLY_ERROR) {
            link_.fail(set ? "SET refused" : link_.context()->errstr);
            return false;
        }
    }
    checkedConnects_ = link_.connects();
    return true;
}

bool savedHere(std::string_view socket) {
    for (const net::ListenSocket& l : net::listenSockets())
        if (l.name == socket) return true;
    return false;
}

namespace {

struct Reseed {
    std::string_view table;
    std::vector<std::string> args;  // key, uri, value, expireAt per binding
    Owner owner;
};

void collectOwn(void* user, std::string_view aor, const ContactData& c) {
    auto* r = static_cast<Reseed*>(user);
    if (!savedHere(c.socket)) return;
    r->args.push_back(redisKey(r->table, aor));
    r->args.emplace_back(c.uri);
    r->args.push_back(encodeContact(c, r->owner));
    r->args.push_back(std::to_string(c.expires * 1000));
}

}  // namespace

// This node's cached bindings, as the upserts of a batch would write them (one pipeline per
// slot, so no slot lock is held while Redis answers). The count written; on a failure the link
// is dropped (the caller sees no context).
size_t RedisWriter::reseed() {
    size_t written = 0;
    const int64_t nowSec = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (size_t ti = 0; ti < st_.tables.size(); ++ti) {
        Table* t = st_.tables[ti];
        for (size_t slot = 0; slot < slotCount(t); ++slot) {
            Reseed r{st_.names[ti], {}, Owner{node_, nodeUri_}};
            tableVisitSlot(t, slot, nowSec, &collectOwn, &r);
            if (r.args.empty()) continue;
            redisContext* c = link_.context();
            size_t sent = 0;
            for (size_t i = 0; i < r.args.size(); i += 4) {
                const std::string &key = r.args[i], &exp = r.args[i + 3];
                redisAppendCommand(c, "HSET %b %b %b", key.data(), key.size(), r.args[i + 1].data(),
                                   r.args[i + 1].size(), r.args[i + 2].data(),
                                   r.args[i + 2].size());
                redisAppendCommand(c, "PEXPIREAT %b %b NX", key.data(), key.size(), exp.data(),
                                   exp.size());
                redisAppendCommand(c, "PEXPIREAT %b %b GT", key.data(), key.size(), exp.data(),
                                   exp.size());
                sent += 3;
            }
            for (size_t i = 0; i < sent; ++i) {
                void* raw = nullptr;
                if (redisGetReply(c, &raw) != REDIS_OK) {
                    link_.fail(c->errstr);
                    return written;
                }
                ReplyPtr reply(raw);
            }
            written += r.args.size() / 4;
        }
    }
    return written;
}

// One pipeline: every change of the batch in ring order, then one PUBLISH per changed AOR,
// then all the replies. An upsert sets the key's expiry to its binding's expiry unless the key
// already lives longer (NX for a key without expiry, GT otherwise: Redis 7), so the key
// outlives its latest binding by nothing.
bool RedisWriter::writeBatch() {
    redisContext* c = link_.context();
    std::string_view in(batch_.data(), batch_.size());
    Change ch;
    Command cmd;
    size_t sent = 0;
    std::vector<std::pair<uint8_t, std::string_view>> changed;  // views into batch_
    std::string key, value, expireAt;
    const auto started = std::chrono::steady_clock::now();
    auto append = [&]() {
        redisAppendCommandArgv(c, static_cast<int>(cmd.argv.size()), cmd.argv.data(),
                               cmd.len.data());
        ++sent;
        cmd.clear();
    };
    while (ChangeRing::next(in, ch)) {
        if (ch.op == ChangeOp::Reply || ch.table >= st_.names.size()) continue;
        key = redisKey(st_.names[ch.table], ch.aor);
        if (ch.op == ChangeOp::Expired) {
            // HDEL only if the field still holds exactly what this node wrote: a refresh of the
            // same contact through another node since is not removed. Nobody else caches it
            // (every node skips expired bindings), so nothing is published.
            value = encodeContact(ch.c, Owner{node_, nodeUri_});
            for (std::string_view a :
                 {std::string_view("EVAL"), kExpireScript, std::string_view("1"),
                  std::string_view(key), ch.c.uri, std::string_view(value)})
                cmd.arg(a);
            append();
            continue;
        }
        if (ch.op == ChangeOp::Upsert) {
            value = encodeContact(ch.c, Owner{node_, nodeUri_});
            expireAt = std::to_string(ch.c.expires * 1000);
            for (std::string_view a : {std::string_view("HSET"), std::string_view(key), ch.c.uri,
                                       std::string_view(value)})
                cmd.arg(a);
            append();
            for (std::string_view mode : {"NX", "GT"}) {
                for (std::string_view a : {std::string_view("PEXPIREAT"), std::string_view(key),
                                           std::string_view(expireAt), mode})
                    cmd.arg(a);
                append();
            }
        } else {
            for (std::string_view a : {std::string_view("HDEL"), std::string_view(key), ch.c.uri})
                cmd.arg(a);
            append();
        }
        changed.emplace_back(ch.table, ch.aor);
    }
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    // One PUBLISH per batch (split so no message grows past kMaxPublish): every other node
    // reads one message per batch, not one per change.
    constexpr size_t kMaxPublish = 64 * 1024;
    for (size_t i = 0; i < changed.size();) {
        startInvalidation(value, node_);
        for (; i < changed.size() && value.size() < kMaxPublish; ++i)
            addInvalidation(value, st_.names[changed[i].first], changed[i].second);
        for (std::string_view a :
             {std::string_view("PUBLISH"), kRedisChannel, std::string_view(value)})
            cmd.arg(a);
        append();
    }
    // With replicas to wait for, the batch counts only once they have it too (so a Sentinel
    // failover right after the answer loses nothing that was answered with sync_write).
    const int waitFor = settings().redisWaitReplicas;
    std::string waitN, waitMs;
    if (waitFor > 0) {
        waitN = std::to_string(waitFor);
        waitMs = std::to_string(kWriteTimeoutMs / 2);
        for (std::string_view a :
             {std::string_view("WAIT"), std::string_view(waitN), std::string_view(waitMs)})
            cmd.arg(a);
        append();
    }
    bool ok = true;
    std::string error;
    for (size_t i = 0; i < sent; ++i) {
        void* raw = nullptr;
        if (redisGetReply(c, &raw) != REDIS_OK) {
            error = c->errstr;
            ok = false;
            break;
        }
        ReplyPtr r(raw);
        if (r->type == REDIS_REPLY_ERROR && ok) {
            error.assign(r->str, r->len);  // READONLY: a replica after a failover
            ok = false;
        }
        if (waitFor > 0 && i + 1 == sent && ok &&
            (r->type != REDIS_REPLY_INTEGER || r->integer < waitFor)) {
            error = "fewer replicas than redis_wait_replicas acknowledged";
            ok = false;
        }
    }
    if (!ok) {
        link_.fail(error.c_str());
        return false;
    }
    RedisStoreStats& stats = st_.redis->stats();
    stats.batches.fetch_add(1, std::memory_order_relaxed);
    stats.published.fetch_add(changed.size(), std::memory_order_relaxed);
    if (onWritten)
        for (const auto& [table, aor] : changed) onWritten(table, aor);
    stats.writeLatency.add(std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count());
    return true;
}

RedisSubscriber::RedisSubscriber(State& st, const Settings& s)
    : link_(st.redisCfg), node_(s.nodeId) {}

int RedisSubscriber::fd() const {
    return link_.context() != nullptr ? link_.context()->fd : -1;
}

int RedisSubscriber::ensure(int64_t nowMs, bool* fresh) {
    *fresh = false;
    if (link_.context() != nullptr) return link_.context()->fd;
    if (!link_.ready(nowMs)) return -1;
    ReplyPtr r(redisCommand(link_.context(), "SUBSCRIBE %s", std::string(kRedisChannel).c_str()));
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        link_.fail(r ? "SUBSCRIBE refused" : link_.context()->errstr);
        return -1;
    }
    *fresh = true;
    return link_.context()->fd;
}

bool RedisSubscriber::read(std::vector<Invalidation>& out) {
    redisContext* c = link_.context();
    if (c == nullptr) return false;
    if (redisBufferRead(c) != REDIS_OK) {
        link_.fail(c->errstr);
        return false;
    }
    for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(c, &raw) != REDIS_OK) {
            link_.fail("bad reply");
            return false;
        }
        if (raw == nullptr) return true;
        ReplyPtr r(raw);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
            r->element[2]->type != REDIS_REPLY_STRING)
            continue;
        const std::string_view payload(r->element[2]->str, r->element[2]->len);
        if (payload.substr(0, node_.size() + 1) == node_ + "\n")
            continue;  // our own changes: this node's cache made them
        std::string_view node;
        parseInvalidation(payload, &node, [&](std::string_view table, std::string_view aor) {
            out.push_back(Invalidation{std::string(table), std::string(aor)});
        });
    }
}

}  // namespace osprey::usrloc
