// The dispatcher process (ds_ping.h): OPTIONS keepalives from its own UDP socket (bound to the
// address of the first UDP listen socket, an ephemeral port), so answers come back to it and
// never through the workers; reclamation of replaced lists; call-load expiry.
//
// A keepalive not answered within 9/10 of ds_ping_interval (at most 10 s) counts as failed,
// so a stopped destination is inactive ds_probing_threshold intervals after the first
// keepalive it left unanswered.
#include "modules/dispatcher/ds_ping.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/sock_addr.h"
#include "core/proc/child.h"
#include "core/proc/process_kind.h"
#include "core/timer/clock.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_module.h"
#include "modules/dispatcher/ds_state.h"

namespace osprey::dispatcher {

namespace {

constexpr int kTickMs = 100;
constexpr std::string_view kBranchPrefix = "z9hG4bKdsping.";

struct CodeRule {
    int value;
    bool isClass;
};
std::vector<CodeRule> g_codes;

struct Pending {
    List* list;  // held
    uint32_t setIdx;
    uint32_t destIdx;
    uint64_t seq;
    int64_t sentUs;
    int64_t deadlineMs;
};

struct Pinger {
    int fd = -1;
    std::string viaHost;  // "127.0.0.1:40123"
    uint64_t seq = 0;
    std::vector<Pending> pending;
};

int64_t nowUs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

bool openSocket(Pinger& p) {
    const net::ListenSocket* first = nullptr;
    for (const net::ListenSocket& s : net::listenSockets()) {
        if (s.proto == net::Proto::Udp) {
            first = &s;
            break;
        }
    }
    net::SockAddr bind = {};
    if (first != nullptr) {
        bind = first->bound;
    } else {
        net::parseIp("127.0.0.1", 0, bind);
    }
    bind.setPort(0);
    p.fd = socket(bind.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.fd < 0 || ::bind(p.fd, &bind.u.sa, bind.len) != 0) {
        LM_ERR("dispatcher: keepalive socket: %s", strerror(errno));
        return false;
    }
    net::SockAddr local;
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(p.fd, reinterpret_cast<sockaddr*>(&ss), &len);
    local.assign(reinterpret_cast<sockaddr*>(&ss), len);
    char host[net::kIpTextMax + 2];
    const size_t n = net::formatHost(local, host, sizeof(host));
    p.viaHost = std::string(host, n) + ":" + std::to_string(local.port());
    return true;
}

bool wantsPing(uint32_t flags) {
    if ((flags & (kDisabled | kNoPing)) != 0) return false;
    switch (settings().probingMode) {
        case 1:
            return true;
        case 2:
            return (flags & kInactive) != 0 && (flags & kProbing) != 0;
        default:
            return (flags & kProbing) != 0;
    }
}

bool isPending(const Pinger& p, const List* l, uint32_t destIdx) {
    for (const Pending& q : p.pending) {
        if (q.list == l && q.destIdx == destIdx) return true;
    }
    return false;
}

void sendPing(Pinger& p, List& l, uint32_t setIdx, uint32_t destIdx, int64_t timeoutMs) {
    const Dest& d = l.dests[destIdx];
    const Settings& cfg = settings();
    const uint64_t seq = ++p.seq;
    const std::string_view from = d.pingFrom.len != 0 ? d.pingFrom.view() : cfg.pingFrom;
    std::string m;
    m.reserve(512);
    m.append(cfg.pingMethod).append(" ").append(d.uri.view()).append(" SIP/2.0\r\n");
    m.append("Via: SIP/2.0/UDP ").append(p.viaHost).append(";branch=").append(kBranchPrefix);
    m.append(std::to_string(seq)).append(";rport\r\n");
    m.append("Max-Forwards: 70\r\n");
    m.append("From: <").append(from).append(">;tag=dsp").append(std::to_string(getpid()));
    m.append("\r\nTo: <").append(d.uri.view()).append(">\r\n");
    m.append("Call-ID: dsping-").append(std::to_string(getpid())).append("-");
    m.append(std::to_string(seq)).append("@").append(p.viaHost).append("\r\n");
    m.append("CSeq: 10 ").append(cfg.pingMethod).append("\r\n");
    m.append("Content-Length: 0\r\n\r\n");
    if (sendto(p.fd, m.data(), m.size(), 0, &d.addr.u.sa, d.addr.len) < 0) {
        // Unreachable right away (ICMP from a previous send): a failure like a timeout.
        pingOutcome(l, l.sets[setIdx], l.dests[destIdx], false);
        return;
    }
    holdList(&l);
    p.pending.push_back(Pending{&l, setIdx, destIdx, seq, nowUs(), timer::nowMs() + timeoutMs});
}

void startRound(Pinger& p, int64_t timeoutMs) {
    ReadScope rs;
    List* l = rs.list();
    if (l == nullptr) return;
    for (uint32_t si = 0; si < l->nSets; ++si) {
        const Set& s = l->sets[si];
        for (uint32_t i = 0; i < s.count; ++i) {
            const uint32_t di = s.first + i;
            const Dest& d = l->dests[di];
            if (!d.hasAddr || d.proto != net::Proto::Udp) continue;
            if (!wantsPing(d.flags.load(std::memory_order_relaxed))) continue;
            if (isPending(p, l, di)) continue;
            sendPing(p, *l, si, di, timeoutMs);
        }
    }
}

void finish(Pinger& p, size_t i, bool ok, int64_t rttUs) {
    Pending q = p.pending[i];
    p.pending[i] = p.pending.back();
    p.pending.pop_back();
    List& l = *q.list;
    Dest& d = l.dests[q.destIdx];
    if (settings().pingLatencyStats != 0) {
        Latency& lat = d.latency;
        if (ok) {
            const double ms = static_cast<double>(rttUs) / 1000.0;
            const uint32_t n = lat.count.load(std::memory_order_relaxed) + 1;
            const double avg = lat.avg.load(std::memory_order_relaxed);
            const double delta = ms - avg;
            const double avg2 = avg + delta / n;
            lat.avg.store(avg2, std::memory_order_relaxed);
            lat.m2.store(lat.m2.load(std::memory_order_relaxed) + delta * (ms - avg2),
                         std::memory_order_relaxed);
            const double alpha = settings().latencyAlpha / 1000.0;
            const double est = lat.est.load(std::memory_order_relaxed);
            lat.est.store(n == 1 ? ms : alpha * ms + (1 - alpha) * est, std::memory_order_relaxed);
            if (static_cast<int32_t>(ms) > lat.max.load(std::memory_order_relaxed)) {
                lat.max.store(static_cast<int32_t>(ms), std::memory_order_relaxed);
            }
            lat.count.store(n, std::memory_order_relaxed);
            const int32_t adj = adjustedPriority(d);
            if (d.adjPriority.exchange(adj, std::memory_order_relaxed) != adj) {
                rebuildLatencyTop(l, l.sets[q.setIdx]);
            }
        } else {
            lat.timeout.fetch_add(1, std::memory_order_relaxed);
        }
    }
    pingOutcome(l, l.sets[q.setIdx], d, ok);
    dropList(&l);
}

void expirePending(Pinger& p, int64_t nowMs) {
    for (size_t i = 0; i < p.pending.size();) {
        if (p.pending[i].deadlineMs <= nowMs) {
            finish(p, i, false, 0);
        } else {
            ++i;
        }
    }
}

// A reply: "SIP/2.0 200 OK" ... our branch with the sequence number.
void onReply(Pinger& p, std::string_view text) {
    if (text.size() < 12 || text.substr(0, 8) != "SIP/2.0 ") return;
    int status = 0;
    for (size_t i = 8; i < 11; ++i) {
        if (text[i] < '0' || text[i] > '9') return;
        status = status * 10 + (text[i] - '0');
    }
    if (status < 200) return;  // provisional: wait for the final one
    const size_t at = text.find(kBranchPrefix);
    if (at == std::string_view::npos) return;
    uint64_t seq = 0;
    for (size_t i = at + kBranchPrefix.size(); i < text.size() && text[i] >= '0' && text[i] <= '9';
         ++i) {
        seq = seq * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    for (size_t i = 0; i < p.pending.size(); ++i) {
        if (p.pending[i].seq != seq) continue;
        finish(p, i, pingReplyAccepted(status), nowUs() - p.pending[i].sentUs);
        return;
    }
}

int dispatcherProcessMain(const proc::ChildContext&) {
    Pinger p;
    const Settings& cfg = settings();
    const bool pinging = cfg.pingInterval > 0;
    if (pinging && !openSocket(p)) return 1;
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return 1;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = proc::signalFd();
    epoll_ctl(ep, EPOLL_CTL_ADD, proc::signalFd(), &ev);
    if (p.fd >= 0) {
        ev.data.fd = p.fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev);
    }
    const int64_t intervalMs = int64_t{cfg.pingInterval} * 1000;
    const int64_t timeoutMs = std::min<int64_t>(std::max<int64_t>(intervalMs * 9 / 10, 100), 10000);
    int64_t nextRound = timer::nowMs();
    int64_t nextSweep = timer::nowMs() + int64_t{cfg.hashCheckInterval} * 1000;
    char buf[4096];
    while (!proc::stopRequested()) {
        const int64_t now = timer::nowMs();
        expirePending(p, now);
        if (pinging && now >= nextRound) {
            if (pingActive() != 0) startRound(p, timeoutMs);
            nextRound = now + intervalMs;
        }
        if (now >= nextSweep) {
            loadExpire();
            nextSweep = now + int64_t{cfg.hashCheckInterval} * 1000;
        }
        reclaimRetired();
        epoll_event events[4];
        const int n = epoll_wait(ep, events, 4, kTickMs);
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == proc::signalFd()) {
                proc::handleSignals();
                continue;
            }
            for (;;) {
                const ssize_t got = recv(p.fd, buf, sizeof(buf), 0);
                if (got <= 0) break;
                onReply(p, std::string_view(buf, static_cast<size_t>(got)));
            }
        }
    }
    for (const Pending& q : p.pending) dropList(q.list);
    if (p.fd >= 0) close(p.fd);
    close(ep);
    return 0;
}

}  // namespace

bool parsePingReplyCodes() {
    g_codes.clear();
    std::string_view t = settings().pingReplyCodes;
    while (!t.empty()) {
        const size_t semi = t.find(';');
        const std::string_view item = t.substr(0, semi);
        t = semi == std::string_view::npos ? std::string_view() : t.substr(semi + 1);
        if (item.empty()) continue;
        const size_t eq = item.find('=');
        const std::string_view name = item.substr(0, eq);
        int v = 0;
        bool ok = eq != std::string_view::npos && eq + 1 < item.size();
        for (size_t i = eq + 1; ok && i < item.size(); ++i) {
            ok = item[i] >= '0' && item[i] <= '9';
            v = v * 10 + (item[i] - '0');
        }
        if (!ok || (name != "class" && name != "code")) {
            LM_ERR("dispatcher: ds_ping_reply_codes: bad item '%.*s' (class=N or code=NNN)",
                   static_cast<int>(item.size()), item.data());
            return false;
        }
        g_codes.push_back(CodeRule{v, name == "class"});
    }
    return true;
}

bool pingReplyAccepted(int status) {
    if (status == 200) return true;
    for (const CodeRule& r : g_codes) {
        if (r.isClass ? status / 100 == r.value : status == r.value) return true;
    }
    return false;
}

void declarePingProcess() {
    proc::declareProcesses(proc::ProcessKind{proc::Rank::Custom, 1, dispatcherProcessMain,
                                             proc::OnExit::Restart, "dispatcher", false});
}

}  // namespace osprey::dispatcher
