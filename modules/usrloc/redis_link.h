// One blocking hiredis connection to the Redis master, with a bounded timeout on connect and
// on every reply. The master is redis_url's host, or, with redis_sentinels set, whatever the
// Sentinels name for redis_master_name (asked again on every reconnect, so a failover is
// followed by reconnecting). A connection that failed is retried no sooner than
// kRetryMs later, so a Redis that is down costs callers a clock read, not a timeout each.
// Private to the process that made it (made after fork); never shared.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace osprey::usrloc {

struct RedisEndpoint {
    std::string host;
    int port = 6379;
};

struct RedisConfig {
    RedisEndpoint master;  // from redis_url
    std::string password;  // from redis_url (redis://:secret@host:port/db)
    int db = 0;            // from redis_url
    std::vector<RedisEndpoint> sentinels;
    std::string masterName;
    int timeoutMs = 50;
};

// Parses redis_url ("redis://[:password@]host[:port][/db]") and the Sentinel list
// ("host:port,host:port"); false with *error set on a bad value (a start-up error).
bool parseRedisConfig(std::string_view url, std::string_view sentinels, std::string_view masterName,
                      int timeoutMs, RedisConfig* out, std::string* error);

class RedisLink {
public:
    static constexpr int64_t kRetryMs = 500;

    explicit RedisLink(const RedisConfig& cfg) : cfg_(cfg) {}
    ~RedisLink() { close(); }
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    // Connected (connecting now when due); false while down.
    bool ready(int64_t nowMs);
    redisContext* context() const { return ctx_; }
    // After an I/O or protocol error: drop the connection (retried after kRetryMs).
    void fail(const char* why);
    void close();
    // Reply timeout for the next commands (the writer allows more than a worker's lookup).
    void setTimeoutMs(int ms);
    const std::string& lastError() const { return lastError_; }
    const std::string& address() const { return address_; }
    uint64_t connects() const { return connects_; }

private:
    bool connect(std::string* error);
    bool resolveMaster(RedisEndpoint* out, std::string* error);

    RedisConfig cfg_;
    redisContext* ctx_ = nullptr;
    int64_t nextTry_ = 0;
    int timeoutMs_ = 0;
    std::string lastError_;
    std::string address_;
    uint64_t connects_ = 0;
};

// A reply that frees itself.
class ReplyPtr {
public:
    explicit ReplyPtr(void* r = nullptr) : r_(static_cast<redisReply*>(r)) {}
    ~ReplyPtr();
    ReplyPtr(const ReplyPtr&) = delete;
    ReplyPtr& operator=(const ReplyPtr&) = delete;
    redisReply* get() const { return r_; }
    redisReply* operator->() const { return r_; }
    explicit operator bool() const { return r_ != nullptr; }

private:
    redisReply* r_;
};

}  // namespace osprey::usrloc
