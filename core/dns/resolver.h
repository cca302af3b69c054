// The DNS process's resolver: one c-ares channel and the resolutions in progress. A queued
// query (dns_cache.h) becomes a job that runs the RFC 3263 steps its QueryKind asks for as
// c-ares queries (NAPTR, SRV, then A/AAAA of every target, in parallel where they are
// independent), and ends by storing the ordered target list in the cache. Lives only in the
// DNS process; nothing here is shared.
#pragma once
#include <poll.h>

#include <string>

#include "core/dns/dns_cache.h"
#include "core/dns/dns_settings.h"

namespace osprey::dns {

class Resolver {
public:
    Resolver() = default;
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // False (with *error) when c-ares cannot start or the servers do not parse.
    bool start(const Settings& s, std::string* error);
    void resolve(const PendingQuery& q);

    // The sockets c-ares waits on (up to max), and how long poll may sleep (ms).
    int pollFds(pollfd* fds, int max);
    int timeoutMs(int cap);
    // After poll: lets c-ares read and write its sockets and expire its timers.
    void process(const pollfd* fds, int n);
    unsigned inFlight() const { return jobs_; }

    struct Job;  // resolver.cpp

private:
    void* channel_ = nullptr;  // ares_channel
    unsigned jobs_ = 0;
    bool stopping_ = false;  // jobs ended by the channel's destruction store nothing
    friend struct Job;
};

// Checks a dns_servers value ("ip[:port],..."); used at config check time.
bool validServers(const std::string& servers, std::string* error);

}  // namespace osprey::dns
