// Dnsmasq, DeadDns, SlowDns (dns_servers.h).
#include "test/support/dns_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>

#include "test/support/osprey_process.h"
#include "test/support/read_file.h"

namespace osprey::testsupport {

namespace {

using Clock = std::chrono::steady_clock;

int boundUdp(uint16_t* port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

// A DNS query (RFC 1035 §4.1) for name, type A.
std::string queryPacket(std::string_view name) {
    std::string q("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) dot = name.size();
        q += static_cast<char>(dot - start);
        q += name.substr(start, dot - start);
        start = dot + 1;
    }
    q += std::string("\x00\x00\x01\x00\x01", 5);
    return q;
}

// True when the server at port answers a query within timeoutMs.
bool answers(uint16_t port, int timeoutMs) {
    uint16_t mine;
    int fd = boundUdp(&mine);
    if (fd < 0) return false;
    const std::string q = queryPacket("probe.invalid");
    const sockaddr_in to = loopback(port);
    sendto(fd, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    pollfd p{fd, POLLIN, 0};
    const bool ok = poll(&p, 1, timeoutMs) > 0;
    close(fd);
    return ok;
}

}  // namespace

Dnsmasq::Dnsmasq(std::vector<std::string> records, unsigned localTtl)
    : records_(std::move(records)), localTtl_(localTtl) {}

Dnsmasq::~Dnsmasq() {
    stop();
}

bool Dnsmasq::start() {
    // dnsmasq listens on UDP and TCP: a port free for UDP may be taken for TCP (or taken by
    // someone else before dnsmasq binds it), so a start that fails to bind tries another.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (startOn(freePort(SOCK_DGRAM))) return true;
    }
    return false;
}

bool Dnsmasq::startOn(uint16_t port) {
    port_ = port;
    if (port_ == 0) return false;
    std::vector<std::string> args = {"/usr/sbin/dnsmasq",
                                     "--no-daemon",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--conf-file=/dev/null",
                                     "--pid-file=",
                                     "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--local=/test/",  // authoritative: NXDOMAIN, not REFUSED
                                     "--log-queries",
                                     "--log-facility=-",
                                     "--local-ttl=" + std::to_string(localTtl_),
                                     "--neg-ttl=" + std::to_string(localTtl_)};
    args.insert(args.end(), records_.begin(), records_.end());
    const std::string logFile = dir_.file("dnsmasq.log");
    // Built before fork: the child only calls async-signal-safe functions.
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
        int fd = open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv.data());
        _exit(127);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
        int st;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            // Kept for log(): the next attempt truncates the file.
            failures_ += "dnsmasq on port " + std::to_string(port_) +
                         (WIFSIGNALED(st) ? " killed by signal " + std::to_string(WTERMSIG(st))
                                          : " exited " + std::to_string(WEXITSTATUS(st))) +
                         ": " + readFile(logFile) + "\n";
            pid_ = -1;
            return false;
        }
        if (answers(port_, 100)) return true;
    }
    stop();
    return false;
}

void Dnsmasq::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st;
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (waitpid(pid_, &st, WNOHANG) != pid_) {
        if (Clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &st, 0);
            break;
        }
        usleep(10000);
    }
    pid_ = -1;
}

std::string Dnsmasq::log() const {
    return failures_ + readFile(dir_.file("dnsmasq.log"));
}

size_t Dnsmasq::queries(std::string_view name) const {
    // One line per query: "... query[SRV] _sip._udp.svc.test from 127.0.0.1".
    const std::string text = log();
    const std::string needle = "] " + std::string(name) + " from ";
    size_t n = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string_view line(text.data() + start, end - start);
        if (line.find("query[") != std::string_view::npos &&
            line.find(needle) != std::string_view::npos) {
            ++n;
        }
        start = end + 1;
    }
    return n;
}

DeadDns::DeadDns() {
    fd_ = boundUdp(&port_);
}

DeadDns::~DeadDns() {
    if (fd_ >= 0) close(fd_);
}

SlowDns::SlowDns(uint16_t upstreamPort, int delayMs) : upstream_(upstreamPort), delayMs_(delayMs) {
    fd_ = boundUdp(&port_);
    if (fd_ >= 0) thread_ = std::thread([this] { run(); });
}

SlowDns::~SlowDns() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
}

void SlowDns::run() {
    struct Held {
        Clock::time_point due;
        std::string query;
        sockaddr_in from;
        int upFd = -1;  // after forwarding: the socket the answer comes back on
    };
    std::deque<Held> held;
    while (!stop_) {
        std::vector<pollfd> fds{{fd_, POLLIN, 0}};
        for (const Held& h : held) {
            if (h.upFd >= 0) fds.push_back({h.upFd, POLLIN, 0});
        }
        poll(fds.data(), fds.size(), 10);
        if (fds[0].revents & POLLIN) {
            char buf[1500];
            Held h;
            socklen_t len = sizeof h.from;
            const ssize_t n =
                recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&h.from), &len);
            if (n > 0) {
                ++received_;
                h.query.assign(buf, static_cast<size_t>(n));
                h.due = Clock::now() + std::chrono::milliseconds(delayMs_);
                held.push_back(std::move(h));
            }
        }
        const auto now = Clock::now();
        for (auto it = held.begin(); it != held.end();) {
            if (it->upFd < 0 && it->due <= now) {
                uint16_t ignored;
                it->upFd = boundUdp(&ignored);
                const sockaddr_in up = loopback(upstream_);
                if (it->upFd >= 0) {
                    sendto(it->upFd, it->query.data(), it->query.size(), 0,
                           reinterpret_cast<const sockaddr*>(&up), sizeof up);
                }
            }
            if (it->upFd >= 0) {
                char buf[4096];
                const ssize_t n = recv(it->upFd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0) {
                    sendto(fd_, buf, static_cast<size_t>(n), 0,
                           reinterpret_cast<const sockaddr*>(&it->from), sizeof it->from);
                }
                if (n > 0 || now - it->due > std::chrono::seconds(5)) {
                    close(it->upFd);
                    it = held.erase(it);
                    continue;
                }
            }
            ++it;
        }
    }
    for (Held& h : held) {
        if (h.upFd >= 0) close(h.upFd);
    }
}

}  // namespace osprey::testsupport
