// The DNS process (docs/dns.md): takes queued queries off the shared queue (woken by its
// eventfd), resolves them with c-ares against the configured servers and stores the answers
// in the shared cache, which hands each waiter to the timer process. It never runs Lua, never
// sends SIP and holds a cache bucket lock only to store an answer. If it dies, the master
// forks a new one, which takes over the queries the old one left unfinished.
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "core/dns/dns_cache.h"
#include "core/dns/dns_settings.h"
#include "core/dns/dns_stats.h"
#include "core/dns/dns_steps.h"
#include "core/dns/resolver.h"
#include "core/log/log.h"
#include "core/proc/child.h"
#include "core/proc/process_kind.h"

namespace osprey::dns {

namespace {

constexpr int kMaxPoll = 18;            // c-ares sockets + eventfd + signalfd
constexpr int kIdleWakeMs = 1000;       // upper bound on one sleep
constexpr unsigned kMaxInFlight = 256;  // resolutions started and not finished

void drainEventFd(int fd) {
    uint64_t v;
    while (read(fd, &v, sizeof v) == sizeof v) {
    }
}

int dnsMain(const proc::ChildContext&) {
    Resolver resolver;
    std::string error;
    if (!resolver.start(settings(), &error)) {
        LM_ERR("dns: %s", error.c_str());
        return 1;
    }
    requeueOrphans();
    LM_INFO("dns: resolver started (servers: %s)",
            settings().servers.empty() ? "/etc/resolv.conf" : settings().servers.c_str());
    proc::reportReady();
    const int qfd = queueFd();
    while (!proc::stopRequested()) {
        pollfd fds[kMaxPoll];
        fds[0] = pollfd{proc::signalFd(), POLLIN, 0};
        fds[1] = pollfd{qfd, POLLIN, 0};
        const int n = resolver.pollFds(fds + 2, kMaxPoll - 2);
        const int rc = poll(fds, static_cast<nfds_t>(n + 2), resolver.timeoutMs(kIdleWakeMs));
        if (rc > 0 && fds[0].revents != 0) proc::handleSignals();
        if (rc > 0 && fds[1].revents != 0) drainEventFd(qfd);
        // Every wake-up takes what is queued (an eventfd write may race the drain above).
        PendingQuery q;
        while (resolver.inFlight() < kMaxInFlight && takeQuery(&q)) resolver.resolve(q);
        resolver.process(fds + 2, n);
    }
    return 0;
}

}  // namespace

bool checkDnsSettings(const app::HookContext& ctx) {
    Settings s;
    std::string error;
    if (!loadSettings(ctx.cfg, &s, &error) || !validServers(s.servers, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    setSettings(s);
    return true;
}

bool startDnsStep(const app::HookContext& ctx) {
    Settings s;
    std::string error;
    if (!loadSettings(ctx.cfg, &s, &error)) {
        LM_ERR("%s", error.c_str());
        return false;
    }
    setSettings(s);
    if (!declareStats()) return false;
    // Without a routing script nothing forwards, so nothing resolves: no process either.
    if (ctx.cfg.script.empty()) return true;
    if (!createCache(s.cacheSize)) return false;
    proc::declareProcesses(
        proc::ProcessKind{proc::Rank::Dns, 1, dnsMain, proc::OnExit::Restart, "dns", true});
    return true;
}

}  // namespace osprey::dns
