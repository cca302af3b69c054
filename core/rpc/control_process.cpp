// The control process's loop: accept, read, run requests through a Session, write, and close
// connections that are over the cap, idle too long, or finished.
#include "core/rpc/control_process.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/proc/child.h"
#include "core/proc/pkg_publish.h"
#include "core/rpc/listeners.h"
#include "core/rpc/session.h"
#include "core/timer/clock.h"

namespace osprey::rpc {

namespace {

RpcSettings g_settings;

// How often idle connections are looked for (and the longest an epoll_wait blocks).
constexpr int kSweepMs = 250;
constexpr size_t kReadChunk = 16 * 1024;

struct Conn {
    int fd = -1;
    Session session;
    size_t sent = 0;         // bytes of session.output() already written
    int64_t deadlineMs = 0;  // closed when no request completes (or output moves) by then
    uint32_t events = 0;     // current epoll interest
    bool sawEof = false;     // the peer closed its side: close once the output is sent
    explicit Conn(Front f) : session(f) {}
};

class Server {
public:
    Server() = default;
    ~Server() {
        for (auto& [fd, c] : conns_) close(fd);
        if (ep_ >= 0) close(ep_);
    }

    bool init() {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) return false;
        if (!watch(proc::signalFd(), EPOLLIN)) return false;
        for (const Listener& l : listeners()) {
            if (!watch(l.fd, EPOLLIN)) return false;
        }
        return true;
    }

    void run() {
        epoll_event evs[64];
        while (!proc::stopRequested()) {
            int n = epoll_wait(ep_, evs, 64, kSweepMs);
            for (int i = 0; i < n; ++i) {
                const int fd = evs[i].data.fd;
                if (fd == proc::signalFd()) {
                    proc::handleSignals();
                } else if (const Listener* l = listenerOf(fd)) {
                    acceptAll(*l);
                } else {
                    onEvent(fd, evs[i].events);
                }
            }
            sweep();
            proc::publishPkgStats();
        }
    }

private:
    bool watch(int fd, uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        return epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) == 0;
    }

    static const Listener* listenerOf(int fd) {
        for (const Listener& l : listeners()) {
            if (l.fd == fd) return &l;
        }
        return nullptr;
    }

    void acceptAll(const Listener& l) {
        for (;;) {
            int fd = accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno != EAGAIN) {
                    static net::LogLimit limit;
                    if (uint64_t skipped; limit.allow(&skipped))
                        LM_WARN("rpc: accept on %s: %s (%lu more)", l.name.c_str(), strerror(errno),
                                static_cast<unsigned long>(skipped));
                }
                return;
            }
            if (conns_.size() >= g_settings.maxConnections) {
                static net::LogLimit limit;
                if (uint64_t skipped; limit.allow(&skipped))
                    LM_WARN(
                        "rpc: %zu connections open (rpc_max_connections), closing a new one "
                        "on %s (%lu more)",
                        conns_.size(), l.name.c_str(), static_cast<unsigned long>(skipped));
                close(fd);
                continue;
            }
            auto c = std::make_unique<Conn>(l.front);
            c->fd = fd;
            c->deadlineMs = timer::nowMs() + g_settings.idleTimeoutMs;
            c->events = EPOLLIN | EPOLLRDHUP;
            if (!watch(fd, c->events)) {
                close(fd);
                continue;
            }
            conns_.emplace(fd, std::move(c));
        }
    }

    void onEvent(int fd, uint32_t events) {
        auto it = conns_.find(fd);
        if (it == conns_.end()) return;
        Conn& c = *it->second;
        if ((events & EPOLLERR) != 0) return drop(c);
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0 && !readInput(c)) return;
        if (!c.session.output().empty()) flush(c);
    }

    // Reads what is there (up to the session's room) and runs complete requests. False when
    // the connection was closed.
    bool readInput(Conn& c) {
        char buf[kReadChunk];
        bool eof = false;
        while (c.session.inputRoom() > 0) {
            const size_t want = std::min(sizeof buf, c.session.inputRoom());
            ssize_t n = read(c.fd, buf, want);
            if (n > 0) {
                c.session.append(std::string_view(buf, static_cast<size_t>(n)));
                if (static_cast<size_t>(n) < want) break;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) break;
            eof = true;  // orderly close or a reset
            break;
        }
        if (c.session.process() > 0) c.deadlineMs = timer::nowMs() + g_settings.idleTimeoutMs;
        if (eof && c.session.output().empty()) {
            drop(c);
            return false;
        }
        if (eof) c.sawEof = true;
        return true;
    }

    void flush(Conn& c) {
        std::string& out = c.session.output();
        while (c.sent < out.size()) {
            ssize_t n = send(c.fd, out.data() + c.sent, out.size() - c.sent, MSG_NOSIGNAL);
            if (n > 0) {
                c.sent += static_cast<size_t>(n);
                c.deadlineMs = timer::nowMs() + g_settings.idleTimeoutMs;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) break;
            return drop(c);
        }
        if (c.sent == out.size()) {
            out.clear();
            c.sent = 0;
            if (c.session.closeAfterOutput() || c.sawEof) return drop(c);
            // Requests that arrived while output was pending.
            if (c.session.process() > 0 && !out.empty()) return flush(c);
        }
        // Wait for room to write; read no more input until the output is gone, so a client
        // that sends requests without reading the replies cannot grow our buffers.
        interest(c, out.empty() ? EPOLLIN | EPOLLRDHUP : EPOLLOUT);
    }

    void interest(Conn& c, uint32_t events) {
        if (c.events == events) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = c.fd;
        epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
        c.events = events;
    }

    void drop(Conn& c) {
        const int fd = c.fd;
        close(fd);  // also leaves the epoll set
        conns_.erase(fd);
    }

    void sweep() {
        const int64_t now = timer::nowMs();
        if (now - lastSweep_ < kSweepMs) return;
        lastSweep_ = now;
        for (auto it = conns_.begin(); it != conns_.end();) {
            if (now >= it->second->deadlineMs) {
                LM_DBG("rpc: closing connection %d: no complete request within %d ms", it->first,
                       g_settings.idleTimeoutMs);
                close(it->first);
                it = conns_.erase(it);
            } else {
                ++it;
            }
        }
    }

    int ep_ = -1;
    int64_t lastSweep_ = 0;
    std::unordered_map<int, std::unique_ptr<Conn>> conns_;
};

int controlMain(const proc::ChildContext&) {
    Server server;
    if (!server.init()) {
        LM_ERR("rpc: cannot set up the control process's epoll set: %s", strerror(errno));
        return 1;
    }
    proc::reportReady();
    server.run();
    return 0;
}

}  // namespace

void declareControlProcess(const RpcSettings& s) {
    g_settings = s;
    proc::declareProcesses(
        proc::ProcessKind{proc::Rank::Control, 1, controlMain, proc::OnExit::Restart, "ctl", true});
}

}  // namespace osprey::rpc
