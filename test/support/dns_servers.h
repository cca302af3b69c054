// Local DNS servers for the resolver's integration tests, all on 127.0.0.1 with free ports:
// dnsmasq serving the records a test gives (its query log tells how often a name was asked),
// a dead server (a bound UDP socket that never answers) and a slow one (a relay that holds
// every query for a while before passing it to an upstream server and the answer back).
//
//   Dnsmasq dns({"--host-record=a.test,127.0.0.1"});
//   ASSERT_TRUE(dns.start()) << dns.log();
//   opts.extra = "dns_servers = \"" + dns.server() + "\";";
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test/support/temp_dir.h"

namespace osprey::testsupport {

class Dnsmasq {
public:
    // records: dnsmasq options (--host-record=..., --srv-host=..., --naptr-record=...).
    explicit Dnsmasq(std::vector<std::string> records, unsigned localTtl = 600);
    ~Dnsmasq();  // stops it (by pid)
    Dnsmasq(const Dnsmasq&) = delete;
    Dnsmasq& operator=(const Dnsmasq&) = delete;

    // Starts it and waits until it answers a query; false on failure (see log()).
    bool start();
    void stop();
    uint16_t port() const { return port_; }
    std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string log() const;
    // How many queries for exactly this name it received (any type).
    size_t queries(std::string_view name) const;

private:
    bool startOn(uint16_t port);

    std::vector<std::string> records_;
    std::string failures_;  // why earlier start attempts ended
    unsigned localTtl_;
    TempDir dir_;
    uint16_t port_ = 0;
    int pid_ = -1;
};

// A name server that never answers.
class DeadDns {
public:
    DeadDns();
    ~DeadDns();
    DeadDns(const DeadDns&) = delete;
    DeadDns& operator=(const DeadDns&) = delete;
    bool ok() const { return fd_ >= 0; }
    std::string server() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

// Holds each query delayMs, then forwards it to 127.0.0.1:upstreamPort and relays the answer.
class SlowDns {
public:
    SlowDns(uint16_t upstreamPort, int delayMs);
    ~SlowDns();  // stops its thread
    SlowDns(const SlowDns&) = delete;
    SlowDns& operator=(const SlowDns&) = delete;
    bool ok() const { return fd_ >= 0; }
    std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
    size_t received() const { return received_.load(); }

private:
    void run();
    int fd_ = -1;
    uint16_t port_ = 0;
    uint16_t upstream_;
    int delayMs_;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> received_{0};
    std::thread thread_;
};

}  // namespace osprey::testsupport
