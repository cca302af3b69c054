// The c-ares side of the DNS process (resolver.h).
#include "core/dns/resolver.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/dns/answer_ttl.h"
#include "core/dns/dns_stats.h"
#include "core/dns/srv_order.h"
#include "core/log/log.h"
#include "core/timer/clock.h"

namespace osprey::dns {

namespace {

constexpr uint16_t kSipPort = 5060;
constexpr uint16_t kSipsPort = 5061;
constexpr unsigned kMaxNaptr = 4;  // NAPTR records followed per name

uint16_t defaultPort(net::Proto p) {
    return p == net::Proto::Tls ? kSipsPort : kSipPort;
}

const char* srvPrefix(net::Proto p) {
    return p == net::Proto::Udp   ? "_sip._udp."
           : p == net::Proto::Tcp ? "_sip._tcp."
                                  : "_sips._tcp.";
}

// One name whose addresses are wanted: the URI's host, or an SRV record's target.
struct Rec {
    std::string host;
    net::Proto proto = net::Proto::Udp;
    uint16_t port = 0;  // 0: the caller's (QueryKind::Addr)
    uint16_t priority = 0;
    uint16_t weight = 0;
    uint8_t set = 0;
    std::vector<net::SockAddr> addrs;
};

}  // namespace

struct Resolver::Job {
    Job(Resolver* o, const PendingQuery& query) : owner(o), q(query) {}
    Resolver* owner;
    PendingQuery q;
    int outstanding = 1;  // the starter's own count, released at the end of resolve()
    std::vector<Rec> recs;
    uint32_t ttl = UINT32_MAX;
    Failure failure = Failure::None;  // the worst seen, for a negative answer
    unsigned srvPending = 0;          // SRV queries (of the NAPTR fallback) not answered yet
    bool anySrv = false;

    ares_channel ch() const { return static_cast<ares_channel>(owner->channel_); }
    void noteTtl(uint32_t t) { ttl = std::min(ttl, t); }
    void noteFailure(int status) {
        Failure f = status == ARES_ETIMEOUT                                ? Failure::Timeout
                    : (status == ARES_ENOTFOUND || status == ARES_ENODATA) ? Failure::NoName
                                                                           : Failure::Error;
        if (failure == Failure::None || f == Failure::Timeout) failure = f;
    }
    void release();
    void finish();
    void lookupAddrs(size_t recIndex);
    void querySrv(const std::string& name, net::Proto proto, uint8_t set, bool fallbackToA);
    void queryNaptr();
    void fallbackToHost(net::Proto proto);
};

namespace {

struct AddrCtx {
    Resolver::Job* job;
    size_t rec;
};

struct SrvCtx {
    Resolver::Job* job;
    net::Proto proto;
    uint8_t set;
    bool fallbackToA;  // no SRV record: A/AAAA of the name itself (RFC 3263 §4.2)
};

void onAddrinfo(void* arg, int status, int, ares_addrinfo* res) {
    auto* ctx = static_cast<AddrCtx*>(arg);
    Resolver::Job* job = ctx->job;
    const size_t idx = ctx->rec;
    delete ctx;
    if (status == ARES_SUCCESS && res != nullptr) {
        Rec& r = job->recs[idx];
        // IPv4 first: most SIP peers listen there, and it keeps the order stable.
        for (int family : {AF_INET, AF_INET6}) {
            for (ares_addrinfo_node* n = res->nodes; n != nullptr; n = n->ai_next) {
                net::SockAddr a;
                if (n->ai_family != family || !a.assign(n->ai_addr, n->ai_addrlen)) continue;
                const bool dup = std::any_of(r.addrs.begin(), r.addrs.end(),
                                             [&](const net::SockAddr& x) { return x.sameIp(a); });
                if (dup) continue;
                a.setPort(r.port);
                r.addrs.push_back(a);
                job->noteTtl(static_cast<uint32_t>(std::max(n->ai_ttl, 0)));
            }
        }
    } else if (status != ARES_EDESTRUCTION) {
        job->noteFailure(status);
    }
    if (res != nullptr) ares_freeaddrinfo(res);
    job->release();
}

void onSrv(void* arg, int status, int, unsigned char* abuf, int alen) {
    auto* ctx = static_cast<SrvCtx*>(arg);
    Resolver::Job* job = ctx->job;
    const SrvCtx c = *ctx;
    delete ctx;
    ares_srv_reply* srv = nullptr;
    if (status == ARES_SUCCESS) status = ares_parse_srv_reply(abuf, alen, &srv);
    if (status == ARES_SUCCESS && srv != nullptr) {
        uint32_t ttl = 0;
        if (minAnswerTtl(abuf, static_cast<size_t>(alen), ns_t_srv, &ttl)) job->noteTtl(ttl);
        job->anySrv = true;
        for (ares_srv_reply* s = srv; s != nullptr && job->recs.size() < kMaxTargets; s = s->next) {
            // RFC 2782: a target of "." means the service is decidedly not available.
            if (s->host == nullptr || s->host[0] == '\0' || std::strcmp(s->host, ".") == 0)
                continue;
            Rec r;
            r.host = s->host;
            r.proto = c.proto;
            r.port = s->port;
            r.priority = s->priority;
            r.weight = s->weight;
            r.set = c.set;
            job->recs.push_back(std::move(r));
            job->lookupAddrs(job->recs.size() - 1);
        }
    } else if (status != ARES_EDESTRUCTION) {
        job->noteFailure(status);
    }
    if (srv != nullptr) ares_free_data(srv);
    if (job->srvPending > 0) --job->srvPending;
    // Without any SRV record the name's own addresses are used, with the transport's port.
    if (c.fallbackToA && job->srvPending == 0 && !job->anySrv && status != ARES_EDESTRUCTION) {
        job->fallbackToHost(c.proto);
    }
    job->release();
}

// RFC 3263 §4.1: the services a SIP client uses, and their transports.
bool naptrService(const char* service, net::Proto* proto) {
    if (service == nullptr) return false;
    if (strcasecmp(service, "SIP+D2U") == 0) {
        *proto = net::Proto::Udp;
    } else if (strcasecmp(service, "SIP+D2T") == 0) {
        *proto = net::Proto::Tcp;
    } else if (strcasecmp(service, "SIPS+D2T") == 0) {
        *proto = net::Proto::Tls;
    } else {
        return false;
    }
    return true;
}

void onNaptr(void* arg, int status, int, unsigned char* abuf, int alen) {
    auto* job = static_cast<Resolver::Job*>(arg);
    ares_naptr_reply* naptr = nullptr;
    if (status == ARES_SUCCESS) status = ares_parse_naptr_reply(abuf, alen, &naptr);
    struct Pick {
        uint16_t order, pref;
        net::Proto proto;
        std::string replacement;
    };
    std::vector<Pick> picks;
    if (status == ARES_SUCCESS) {
        uint32_t ttl = 0;
        if (minAnswerTtl(abuf, static_cast<size_t>(alen), ns_t_naptr, &ttl)) job->noteTtl(ttl);
        for (ares_naptr_reply* n = naptr; n != nullptr; n = n->next) {
            net::Proto proto;
            const char* flags = reinterpret_cast<const char*>(n->flags);
            // Only terminal "s" records lead to SRV (§4.1); others are skipped.
            if (flags == nullptr || strcasecmp(flags, "s") != 0 ||
                !naptrService(reinterpret_cast<const char*>(n->service), &proto) ||
                n->replacement == nullptr || n->replacement[0] == '\0') {
                continue;
            }
            picks.push_back(Pick{n->order, n->preference, proto, n->replacement});
        }
    }
    if (naptr != nullptr) ares_free_data(naptr);
    if (status == ARES_EDESTRUCTION) {
        job->release();
        return;
    }
    std::stable_sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) {
        return a.order != b.order ? a.order < b.order : a.pref < b.pref;
    });
    if (picks.size() > kMaxNaptr) picks.resize(kMaxNaptr);
    if (!picks.empty()) {
        uint8_t set = 0;
        for (const Pick& p : picks) job->querySrv(p.replacement, p.proto, set++, false);
    } else {
        // §4.1: no NAPTR: an SRV query per transport we support (UDP preferred, then TCP),
        // and, if none has records, the name's addresses over UDP.
        job->srvPending = 2;
        job->querySrv(srvPrefix(net::Proto::Udp) + std::string(job->q.name), net::Proto::Udp, 0,
                      true);
        job->querySrv(srvPrefix(net::Proto::Tcp) + std::string(job->q.name), net::Proto::Tcp, 1,
                      true);
    }
    job->release();
}

}  // namespace

void Resolver::Job::lookupAddrs(size_t recIndex) {
    ares_addrinfo_hints hints{};
    hints.ai_family = settings().tryIpv6 ? AF_UNSPEC : AF_INET;
    hints.ai_flags = ARES_AI_NOSORT;
    ++outstanding;
    ares_getaddrinfo(ch(), recs[recIndex].host.c_str(), nullptr, &hints, onAddrinfo,
                     new AddrCtx{this, recIndex});
}

void Resolver::Job::querySrv(const std::string& name, net::Proto proto, uint8_t set,
                             bool fallbackToA) {
    ++outstanding;
    ares_query(ch(), name.c_str(), ns_c_in, ns_t_srv, onSrv,
               new SrvCtx{this, proto, set, fallbackToA});
}

void Resolver::Job::queryNaptr() {
    ++outstanding;
    ares_query(ch(), q.name, ns_c_in, ns_t_naptr, onNaptr, this);
}

void Resolver::Job::fallbackToHost(net::Proto proto) {
    Rec r;
    r.host = q.name;
    r.proto = proto;
    r.port = defaultPort(proto);
    recs.push_back(std::move(r));
    lookupAddrs(recs.size() - 1);
}

void Resolver::Job::release() {
    if (--outstanding == 0) finish();
}

void Resolver::Job::finish() {
    if (owner->stopping_) {  // the entry stays pending: the next DNS process resolves it
        --owner->jobs_;
        delete this;
        return;
    }
    Answer a;
    uint8_t group = 0;
    for (const Rec& r : recs) {
        for (const net::SockAddr& addr : r.addrs) {
            if (a.count == kMaxTargets) break;
            Target& t = a.targets[a.count++];
            t = Target{};
            t.addr = addr;
            t.proto = r.proto;
            t.set = r.set;
            t.group = group;
            t.priority = r.priority;
            t.weight = r.weight;
        }
        ++group;
    }
    // The cache keeps the deterministic order; load balancing draws per request.
    orderTargets(a.targets, a.count, false, nullptr);
    a.failure =
        a.count == 0 ? (failure == Failure::None ? Failure::NoName : failure) : Failure::None;
    Stats& st = statsForUpdate();
    const int64_t took = timer::nowMs() - q.sinceMs;
    if (a.count == 0) {
        st.failedDnsRequest.fetch_add(1, std::memory_order_relaxed);
        LM_INFO("dns: %s (%s) did not resolve: %s", q.name, queryKindName(q.kind),
                a.failure == Failure::Timeout  ? "timeout"
                : a.failure == Failure::NoName ? "no such name"
                                               : "error");
    }
    if (took > static_cast<int64_t>(settings().slowQueryMs)) {
        st.slowDnsRequest.fetch_add(1, std::memory_order_relaxed);
    }
    st.resolutions.fetch_add(1, std::memory_order_relaxed);
    LM_DBG("dns: %s (%s): %u targets, ttl %u s, %ld ms", q.name, queryKindName(q.kind), a.count,
           ttl == UINT32_MAX ? 0 : ttl, static_cast<long>(took));
    // TTLs below a second count as one: the waiters read the entry right after.
    complete(q.entry, a, std::max<uint32_t>(ttl == UINT32_MAX ? 0 : ttl, 1));
    --owner->jobs_;
    delete this;
}

Resolver::~Resolver() {
    if (channel_ != nullptr) {
        stopping_ = true;
        ares_destroy(static_cast<ares_channel>(channel_));  // pending jobs end (destruction)
        ares_library_cleanup();
    }
}

bool validServers(const std::string& servers, std::string* error) {
    if (servers.empty()) return true;
    ares_channel ch = nullptr;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS || ares_init(&ch) != ARES_SUCCESS) {
        *error = "c-ares cannot start";
        return false;
    }
    const int rc = ares_set_servers_ports_csv(ch, servers.c_str());
    ares_destroy(ch);
    ares_library_cleanup();
    if (rc != ARES_SUCCESS) {
        *error = "dns_servers = \"" + servers + "\": " + ares_strerror(rc) +
                 " (expected \"ip[:port],...\")";
        return false;
    }
    return true;
}

bool Resolver::start(const Settings& s, std::string* error) {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        *error = "c-ares library init failed";
        return false;
    }
    ares_options o{};
    o.timeout = static_cast<int>(s.retrTime * 1000);
    o.tries = static_cast<int>(s.retrNo);
    ares_channel ch = nullptr;
    int rc = ares_init_options(&ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        *error = std::string("c-ares: ") + ares_strerror(rc);
        ares_library_cleanup();
        return false;
    }
    if (!s.servers.empty() &&
        (rc = ares_set_servers_ports_csv(ch, s.servers.c_str())) != ARES_SUCCESS) {
        *error = std::string("dns_servers: ") + ares_strerror(rc);
        ares_destroy(ch);
        ares_library_cleanup();
        return false;
    }
    channel_ = ch;
    return true;
}

void Resolver::resolve(const PendingQuery& q) {
    LM_DBG("dns: resolving %s (%s)", q.name, queryKindName(q.kind));
    auto* job = new Job(this, q);
    ++jobs_;
    switch (q.kind) {
        case QueryKind::Addr: {
            Rec r;
            r.host = q.name;
            job->recs.push_back(std::move(r));
            job->lookupAddrs(0);
            break;
        }
        case QueryKind::SrvUdp:
        case QueryKind::SrvTcp:
        case QueryKind::SrvTls: {
            const net::Proto p = q.kind == QueryKind::SrvUdp   ? net::Proto::Udp
                                 : q.kind == QueryKind::SrvTcp ? net::Proto::Tcp
                                                               : net::Proto::Tls;
            job->srvPending = 1;
            job->querySrv(srvPrefix(p) + std::string(q.name), p, 0, true);
            break;
        }
        case QueryKind::Naptr:
            job->queryNaptr();
            break;
    }
    job->release();
}

int Resolver::pollFds(pollfd* fds, int max) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int mask = ares_getsock(static_cast<ares_channel>(channel_), socks, ARES_GETSOCK_MAXNUM);
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM && n < max; ++i) {
        short ev = 0;
        if (ARES_GETSOCK_READABLE(mask, i)) ev |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(mask, i)) ev |= POLLOUT;
        if (ev == 0) continue;
        fds[n++] = pollfd{socks[i], ev, 0};
    }
    return n;
}

int Resolver::timeoutMs(int cap) {
    timeval maxTv{cap / 1000, (cap % 1000) * 1000};
    timeval tv{};
    const timeval* t = ares_timeout(static_cast<ares_channel>(channel_), &maxTv, &tv);
    return static_cast<int>(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
}

void Resolver::process(const pollfd* fds, int n) {
    auto ch = static_cast<ares_channel>(channel_);
    for (int i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        const bool r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool w = (fds[i].revents & POLLOUT) != 0;
        ares_process_fd(ch, r ? fds[i].fd : ARES_SOCKET_BAD, w ? fds[i].fd : ARES_SOCKET_BAD);
    }
    ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts and retries
}

}  // namespace osprey::dns
