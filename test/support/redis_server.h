// Real redis-server / redis-sentinel processes for tests: started on free loopback ports with
// no persistence, stopped by PID; a tiny RESP client (one command, one reply) to look at what
// the code under test stored; and a MONITOR capture (redis-cli MONITOR into a file) to check
// which commands were sent.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "test/support/temp_dir.h"

namespace osprey::testsupport {

class RedisServer {
public:
    // replicaOf: port of a master on 127.0.0.1 to replicate (0: a master).
    explicit RedisServer(uint16_t replicaOf = 0);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // Starts it and waits until it answers PING; false (see log()) when it does not.
    bool start();
    void stop();
    // SIGSTOP / SIGCONT: unreachable (connections hang) without losing its data.
    void pause();
    void resume();
    uint16_t port() const { return port_; }
    int pid() const { return pid_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
    std::string log() const;

private:
    TempDir dir_;
    uint16_t port_ = 0;
    uint16_t replicaOf_ = 0;
    int pid_ = -1;
};

class RedisSentinel {
public:
    RedisSentinel(uint16_t masterPort, std::string masterName, int quorum);
    ~RedisSentinel();
    RedisSentinel(const RedisSentinel&) = delete;
    RedisSentinel& operator=(const RedisSentinel&) = delete;
    bool start();
    void stop();
    uint16_t port() const { return port_; }

private:
    TempDir dir_;
    uint16_t port_ = 0;
    uint16_t masterPort_;
    std::string masterName_;
    int quorum_;
    int pid_ = -1;
};

// One command to 127.0.0.1:port, its reply as text: a bulk or status string, an integer in
// decimal, "(nil)", "-ERR ..." for an error, array elements joined by '\n'. Empty with
// *ok = false when nothing came within timeoutMs.
std::string redisCommand(uint16_t port, const std::vector<std::string>& args, bool* ok = nullptr,
                         int timeoutMs = 2000);

// redis-cli -p port MONITOR, writing every command the server runs into a file.
class RedisMonitor {
public:
    explicit RedisMonitor(uint16_t port);
    ~RedisMonitor();
    RedisMonitor(const RedisMonitor&) = delete;
    RedisMonitor& operator=(const RedisMonitor&) = delete;
    bool start();  // waits until the capture shows a marker PING
    // Sends ECHO <name> and waits until the capture has it: everything before is captured.
    bool mark(const std::string& name);
    std::string text() const;
    // The captured lines after the marker `from` and before the marker `to`.
    std::vector<std::string> between(const std::string& from, const std::string& to) const;
    void stop();

private:
    TempDir dir_;
    uint16_t port_;
    int pid_ = -1;
};

}  // namespace osprey::testsupport
