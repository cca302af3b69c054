// RedisLink: a bounded-timeout hiredis connection, master found directly or through Sentinel.
#include "modules/usrloc/redis_link.h"

#include <hiredis.h>
#include <sys/time.h>

#include <charconv>

#include "core/log/log.h"
#include "core/timer/clock.h"

namespace osprey::usrloc {

namespace {

timeval toTimeval(int ms) {
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

bool parseEndpoint(std::string_view s, int defaultPort, RedisEndpoint* out) {
    const size_t colon = s.rfind(':');
    out->port = defaultPort;
    if (colon != std::string_view::npos) {
        std::string_view p = s.substr(colon + 1);
        int port = 0;
        auto r = std::from_chars(p.data(), p.data() + p.size(), port);
        if (r.ec != std::errc() || r.ptr != p.data() + p.size() || port <= 0 || port > 65535)
            return false;
        out->port = port;
        s = s.substr(0, colon);
    }
    out->host = std::string(s);
    return !out->host.empty();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

ReplyPtr::~ReplyPtr() {
    if (r_ != nullptr) freeReplyObject(r_);
}

bool parseRedisConfig(std::string_view url, std::string_view sentinels, std::string_view masterName,
                      int timeoutMs, RedisConfig* out, std::string* error) {
    RedisConfig c;
    c.timeoutMs = timeoutMs;
    c.masterName = std::string(masterName);
    constexpr std::string_view kScheme = "redis://";
    if (url.substr(0, kScheme.size()) != kScheme) {
        *error = "redis_url must start with redis://";
        return false;
    }
    url.remove_prefix(kScheme.size());
    const size_t at = url.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view auth = url.substr(0, at);
        const size_t colon = auth.find(':');
        c.password = std::string(colon == std::string_view::npos ? auth : auth.substr(colon + 1));
        url.remove_prefix(at + 1);
    }
    const size_t slash = url.find('/');
    if (slash != std::string_view::npos) {
        std::string_view db = url.substr(slash + 1);
        if (!db.empty()) {
            auto r = std::from_chars(db.data(), db.data() + db.size(), c.db);
            if (r.ec != std::errc() || r.ptr != db.data() + db.size() || c.db < 0) {
                *error = "bad database number in redis_url";
                return false;
            }
        }
        url = url.substr(0, slash);
    }
    if (!parseEndpoint(url, 6379, &c.master)) {
        *error = "bad host:port in redis_url";
        return false;
    }
    size_t pos = 0;
    while (pos < sentinels.size()) {
        size_t end = sentinels.find_first_of(", ;", pos);
        if (end == std::string_view::npos) end = sentinels.size();
        std::string_view one = trim(sentinels.substr(pos, end - pos));
        pos = end + 1;
        if (one.empty()) continue;
        RedisEndpoint e;
        if (!parseEndpoint(one, 26379, &e)) {
            *error = "bad host:port '" + std::string(one) + "' in redis_sentinels";
            return false;
        }
        c.sentinels.push_back(e);
    }
    if (!c.sentinels.empty() && c.masterName.empty()) {
        *error = "redis_sentinels needs redis_master_name";
        return false;
    }
    *out = std::move(c);
    return true;
}

bool RedisLink::ready(int64_t nowMs) {
    if (ctx_ != nullptr) return true;
    if (nowMs < nextTry_) return false;
    std::string error;
    if (connect(&error)) {
        ++connects_;
        lastError_.clear();
        return true;
    }
    lastError_ = error;
    nextTry_ = nowMs + kRetryMs;
    return false;
}

void RedisLink::fail(const char* why) {
    lastError_ = why != nullptr ? why : "connection lost";
    close();
    nextTry_ = timer::nowMs() + kRetryMs;
}

void RedisLink::close() {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
}

void RedisLink::setTimeoutMs(int ms) {
    timeoutMs_ = ms;
    if (ctx_ != nullptr) redisSetTimeout(ctx_, toTimeval(ms));
}

// Asks each Sentinel in turn for the master's address (SENTINEL get-master-addr-by-name).
bool RedisLink::resolveMaster(RedisEndpoint* out, std::string* error) {
    for (const RedisEndpoint& s : cfg_.sentinels) {
        redisContext* c =
            redisConnectWithTimeout(s.host.c_str(), s.port, toTimeval(cfg_.timeoutMs));
        if (c == nullptr || c->err != 0) {
            if (c != nullptr) redisFree(c);
            continue;
        }
        redisSetTimeout(c, toTimeval(cfg_.timeoutMs));
        ReplyPtr r(redisCommand(c, "SENTINEL get-master-addr-by-name %s", cfg_.masterName.c_str()));
        redisFree(c);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) continue;
        out->host.assign(r->element[0]->str, r->element[0]->len);
        out->port = atoi(r->element[1]->str);
        return true;
    }
    *error = "no Sentinel answered with a master for '" + cfg_.masterName + "'";
    return false;
}

bool RedisLink::connect(std::string* error) {
    RedisEndpoint m = cfg_.master;
    if (!cfg_.sentinels.empty() && !resolveMaster(&m, error)) return false;
    address_ = m.host + ":" + std::to_string(m.port);
    redisContext* c = redisConnectWithTimeout(m.host.c_str(), m.port, toTimeval(cfg_.timeoutMs));
    if (c == nullptr || c->err != 0) {
        *error = address_ + ": " + (c != nullptr ? c->errstr : "out of memory");
        if (c != nullptr) redisFree(c);
        return false;
    }
    redisSetTimeout(c, toTimeval(timeoutMs_ > 0 ? timeoutMs_ : cfg_.timeoutMs));
    auto check = [&](void* reply, const char* what) {
        ReplyPtr r(reply);
        if (r && r->type != REDIS_REPLY_ERROR) return true;
        *error = address_ + ": " + what + ": " + (r ? std::string(r->str, r->len) : c->errstr);
        return false;
    };
    if (!cfg_.password.empty() &&
        !check(redisCommand(c, "AUTH %s", cfg_.password.c_str()), "AUTH")) {
        redisFree(c);
        return false;
    }
    if (cfg_.db != 0 && !check(redisCommand(c, "SELECT %d", cfg_.db), "SELECT")) {
        redisFree(c);
        return false;
    }
    // Through Sentinel, make sure this is the master now (a stale answer during a failover
    // would send writes to a replica, which refuses them).
    if (!cfg_.sentinels.empty()) {
        ReplyPtr r(redisCommand(c, "ROLE"));
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
            std::string_view(r->element[0]->str, r->element[0]->len) != "master") {
            *error = address_ + " is not the master (yet)";
            redisFree(c);
            return false;
        }
    }
    ctx_ = c;
    return true;
}

}  // namespace osprey::usrloc
