// Test-owned redis-server, redis-sentinel and MONITOR processes (redis_server.h).
#include "test/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test/support/osprey_process.h"
#include "test/support/read_file.h"

namespace osprey::testsupport {

namespace {

int spawn(const std::vector<std::string>& args, const std::string& out) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int pid = fork();
    if (pid == 0) {
        const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

void stopPid(int& pid) {
    if (pid <= 0) return;
    kill(pid, SIGCONT);
    kill(pid, SIGTERM);
    int st = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (waitpid(pid, &st, WNOHANG) != pid) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid = -1;
}

bool waitPing(uint16_t port, int pid, int timeoutMs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        bool ok = false;
        if (redisCommand(port, {"PING"}, &ok, 200) == "PONG") return true;
        int st = 0;
        if (waitpid(pid, &st, WNOHANG) == pid) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// Reads one RESP reply from fd into out; false on a timeout or a closed socket.
struct RespReader {
    int fd;
    int64_t deadlineMs;
    std::string buf;
    size_t pos = 0;

    static int64_t nowMs() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    bool fill() {
        const int64_t left = deadlineMs - nowMs();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        char tmp[4096];
        const ssize_t n = ::read(fd, tmp, sizeof tmp);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<size_t>(n));
        return true;
    }
    bool line(std::string* out) {
        for (;;) {
            const size_t e = buf.find("\r\n", pos);
            if (e != std::string::npos) {
                *out = buf.substr(pos, e - pos);
                pos = e + 2;
                return true;
            }
            if (!fill()) return false;
        }
    }
    bool bytes(size_t n, std::string* out) {
        while (buf.size() - pos < n + 2)
            if (!fill()) return false;
        *out = buf.substr(pos, n);
        pos += n + 2;
        return true;
    }
    bool reply(std::string* out) {
        std::string l;
        if (!line(&l) || l.empty()) return false;
        const char type = l[0];
        const std::string rest = l.substr(1);
        switch (type) {
            case '+':
            case ':':
                *out = rest;
                return true;
            case '-':
                *out = l;
                return true;
            case '$': {
                const long n = std::stol(rest);
                if (n < 0) {
                    *out = "(nil)";
                    return true;
                }
                return bytes(static_cast<size_t>(n), out);
            }
            case '*': {
                const long n = std::stol(rest);
                out->clear();
                for (long i = 0; i < n; ++i) {
                    std::string item;
                    if (!reply(&item)) return false;
                    if (i != 0) out->push_back('\n');
                    out->append(item);
                }
                return true;
            }
        }
        return false;
    }
};

}  // namespace

std::string redisCommand(uint16_t port, const std::vector<std::string>& args, bool* ok,
                         int timeoutMs) {
    if (ok != nullptr) *ok = false;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        std::string req = "*" + std::to_string(args.size()) + "\r\n";
        for (const std::string& s : args)
            req += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
        if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
            RespReader r{fd, RespReader::nowMs() + timeoutMs, {}};
            if (r.reply(&out) && ok != nullptr) *ok = true;
        }
    }
    close(fd);
    return out;
}

RedisServer::RedisServer(uint16_t replicaOf) : replicaOf_(replicaOf) {}
RedisServer::~RedisServer() {
    stop();
}

bool RedisServer::start() {
    if (port_ == 0) port_ = freePort(SOCK_STREAM);
    std::vector<std::string> args = {"/usr/bin/redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_.path()};
    if (replicaOf_ != 0) {
        args.push_back("--replicaof");
        args.push_back("127.0.0.1 " + std::to_string(replicaOf_));
    }
    pid_ = spawn(args, dir_.file("redis.log"));
    return pid_ > 0 && waitPing(port_, pid_, 5000);
}

void RedisServer::stop() {
    stopPid(pid_);
}
void RedisServer::pause() {
    if (pid_ > 0) kill(pid_, SIGSTOP);
}
void RedisServer::resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
}
std::string RedisServer::log() const {
    return readFile(dir_.file("redis.log"));
}

RedisSentinel::RedisSentinel(uint16_t masterPort, std::string masterName, int quorum)
    : masterPort_(masterPort), masterName_(std::move(masterName)), quorum_(quorum) {}
RedisSentinel::~RedisSentinel() {
    stop();
}

bool RedisSentinel::start() {
    port_ = freePort(SOCK_STREAM);
    const std::string conf = dir_.write(
        "sentinel.conf", "port " + std::to_string(port_) +
                             "\nbind 127.0.0.1\n"
                             "sentinel monitor " +
                             masterName_ + " 127.0.0.1 " + std::to_string(masterPort_) + " " +
                             std::to_string(quorum_) + "\nsentinel down-after-milliseconds " +
                             masterName_ + " 1000\nsentinel failover-timeout " + masterName_ +
                             " 5000\nsentinel parallel-syncs " + masterName_ + " 1\n");
    pid_ = spawn({"/usr/bin/redis-sentinel", conf}, dir_.file("sentinel.log"));
    return pid_ > 0 && waitPing(port_, pid_, 5000);
}

void RedisSentinel::stop() {
    stopPid(pid_);
}

RedisMonitor::RedisMonitor(uint16_t port) : port_(port) {}
RedisMonitor::~RedisMonitor() {
    stop();
}

bool RedisMonitor::start() {
    pid_ = spawn({"/usr/bin/redis-cli", "-p", std::to_string(port_), "MONITOR"},
                 dir_.file("monitor.txt"));
    return pid_ > 0 && mark("monitor-started");
}

bool RedisMonitor::mark(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    const std::string needle = "\"ECHO\" \"" + name + "\"";
    while (std::chrono::steady_clock::now() < deadline) {
        redisCommand(port_, {"ECHO", name});
        for (int i = 0; i < 20; ++i) {
            if (text().find(needle) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    return false;
}

std::string RedisMonitor::text() const {
    return readFile(dir_.file("monitor.txt"));
}

std::vector<std::string> RedisMonitor::between(const std::string& from,
                                               const std::string& to) const {
    const std::string t = text();
    const size_t a = t.find("\"ECHO\" \"" + from + "\"");
    const size_t b = t.find("\"ECHO\" \"" + to + "\"");
    std::vector<std::string> lines;
    if (a == std::string::npos || b == std::string::npos || b < a) return lines;
    size_t p = t.find('\n', a);
    while (p != std::string::npos && p < b) {
        const size_t e = t.find('\n', p + 1);
        const std::string l = t.substr(p + 1, (e == std::string::npos ? t.size() : e) - p - 1);
        // The markers themselves (mark() may have sent one more than once) are not traffic.
        if (!l.empty() && l.find("\"ECHO\"") == std::string::npos) lines.push_back(l);
        p = e;
    }
    return lines;
}

void RedisMonitor::stop() {
    stopPid(pid_);
}

}  // namespace osprey::testsupport
