// UDP exchange with media relays: cookies, tries, timeouts and failover (relay_client.h).
#include "core/relay/relay_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log/log.h"
#include "core/net/send.h"
#include "core/timer/clock.h"

namespace osprey::relay {

namespace {

// The process's own sockets (one per address family, created on first use after fork) and
// reply buffer. A fork copies them, so they remember the pid that opened them.
struct ProcessState {
    int pid = 0;
    int fd4 = -1;
    int fd6 = -1;
    uint64_t counter = 0;
    char reply[65536];
};
ProcessState g_state;

int socketFor(int family) {
    const int pid = static_cast<int>(getpid());
    if (g_state.pid != pid) {
        // Inherited descriptors belong to the parent's exchanges: open our own.
        g_state.pid = pid;
        g_state.fd4 = -1;
        g_state.fd6 = -1;
    }
    int& fd = family == AF_INET6 ? g_state.fd6 : g_state.fd4;
    if (fd < 0) {
        fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) LM_ERR("relay: socket: %s", strerror(errno));
    }
    return fd;
}

// "<pid>_<n>": unique per process and request, so a late answer never matches a new request.
std::string_view makeCookie(char (&buf)[32]) {
    char* p = buf + sizeof buf;
    auto put = [&p](uint64_t v) {
        do {
            *--p = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
    };
    put(++g_state.counter);
    *--p = '_';
    put(static_cast<uint64_t>(g_state.pid));
    return {p, static_cast<size_t>(buf + sizeof buf - p)};
}

// Drops what is queued from earlier exchanges (answers that came after their timeout).
void drain(int fd) {
    char scratch[64];
    while (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) >= 0) {
    }
}

bool sendCommand(int fd, const net::SockAddr& to, std::string_view cookie,
                 std::string_view command) {
    iovec iov[3] = {{const_cast<char*>(cookie.data()), cookie.size()},
                    {const_cast<char*>(" "), 1},
                    {const_cast<char*>(command.data()), command.size()}};
    msghdr mh{};
    mh.msg_name = const_cast<sockaddr*>(&to.u.sa);
    mh.msg_namelen = to.len;
    mh.msg_iov = iov;
    mh.msg_iovlen = 3;
    return sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0;
}

// Waits until deadline for the answer carrying `cookie` from `from`.
bool awaitAnswer(int fd, const net::SockAddr& from, std::string_view cookie, int64_t deadline,
                 std::string_view& body) {
    for (;;) {
        const int64_t left = deadline - timer::nowMs();
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        const int r = poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        sockaddr_storage src{};
        socklen_t srcLen = sizeof src;
        const ssize_t n = recvfrom(fd, g_state.reply, sizeof g_state.reply, 0,
                                   reinterpret_cast<sockaddr*>(&src), &srcLen);
        if (n < 0) continue;
        net::SockAddr got;
        if (!got.assign(reinterpret_cast<sockaddr*>(&src), srcLen) || !(got == from)) continue;
        const std::string_view d(g_state.reply, static_cast<size_t>(n));
        if (d.size() <= cookie.size() || d.substr(0, cookie.size()) != cookie ||
            d[cookie.size()] != ' ') {
            continue;  // not the answer to this request
        }
        body = d.substr(cookie.size() + 1);
        return true;
    }
}

// Every try of one instance; counts timeouts.
bool exchange(const Node& n, std::string_view command, const ClientConfig& cfg,
              const stats::Counter* timeouts, Reply& out) {
    const int fd = socketFor(n.addr.family());
    if (fd < 0) return false;
    // What earlier messages of this worker's receive batch queued goes out before we wait:
    // their replies would otherwise wait for the relay too, and could leave after the ones
    // another worker sends meanwhile (a 180 after the 200).
    if (net::batchOpen()) net::flushBatch();
    drain(fd);
    char cookieBuf[32];
    const std::string_view cookie = makeCookie(cookieBuf);
    const int tries = cfg.retries < 1 ? 1 : cfg.retries;
    for (int i = 0; i < tries; ++i) {
        if (!sendCommand(fd, n.addr, cookie, command)) {
            LM_WARN("relay: send to %s: %s", n.url.c_str(), strerror(errno));
        }
        std::string_view body;
        if (awaitAnswer(fd, n.addr, cookie, timer::nowMs() + cfg.timeoutMs, body)) {
            out.body = body;
            out.node = &n;
            return true;
        }
        if (timeouts != nullptr) stats::inc(*timeouts);
    }
    return false;
}

}  // namespace

bool sendOnly(const RelaySets& sets, const Set& s, std::string_view callId,
              std::string_view command) {
    const Node* n = sets.pick(s, callHash(callId), 0, timer::nowMs());
    if (n == nullptr) return false;
    const int fd = socketFor(n->addr.family());
    if (fd < 0) return false;
    char cookieBuf[32];
    return sendCommand(fd, n->addr, makeCookie(cookieBuf), command);
}

bool requestNode(const Node& n, std::string_view command, const ClientConfig& cfg, Reply& out) {
    return exchange(n, command, cfg, nullptr, out);
}

Status request(RelaySets& sets, const Set& s, std::string_view callId, std::string_view command,
               const ClientConfig& cfg, const ClientStats& st, Reply& out) {
    const uint64_t hash = callHash(callId);
    uint64_t tried = 0;
    for (;;) {
        const int64_t now = timer::nowMs();
        const Node* n = sets.pick(s, hash, tried, now);
        if (n == nullptr) {
            stats::inc(st.unavailable);
            return Status::NoInstance;
        }
        if (tried != 0) stats::inc(st.failovers);
        if (exchange(*n, command, cfg, &st.timeouts, out)) {
            sets.markUp(*n);
            stats::inc(st.requests);
            return Status::Ok;
        }
        LM_ERR("relay: %s did not answer %d tries of %d ms; down for %d s", n->url.c_str(),
               cfg.retries < 1 ? 1 : cfg.retries, cfg.timeoutMs, cfg.disableSec);
        sets.markDown(*n, timer::nowMs() + int64_t{cfg.disableSec} * 1000);
        tried |= uint64_t{1} << (n - s.nodes.data());
    }
}

}  // namespace osprey::relay
