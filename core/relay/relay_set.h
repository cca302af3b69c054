// Media relay instances (rtpengine, rtpproxy) as Kamailio's rtpengine_sock / rtpproxy_sock
// name them: sets of control addresses with weights, and each instance's health, shared by
// every process.
//
//   "udp:127.0.0.1:2223"                         set 0, one instance
//   "udp:10.0.0.1:2223=2 udp6:[::1]:2223=1"      set 0, weights 2 and 1
//   "1 == udp:10.0.0.1:2223 ; 2 == udp:..."      sets 1 and 2 (';' separates sets, because a
//                                                module parameter is one string here, where
//                                                Kamailio repeats the modparam)
//
// A call's instance is chosen from its Call-ID's hash by weight among the instances that are
// up, so every request of that call (offer, answer, delete) reaches the same one while health
// does not change. An instance that does not answer is marked down for rtpengine_disable_tout
// seconds (a time stamp in shm that any process reads without a lock); after that it is tried
// again, and up once it answers.
//
// The sets are parsed in the master before fork (private memory, identical in every child);
// only the health records live in shm.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/sock_addr.h"

namespace osprey::relay {

struct Node {
    net::SockAddr addr;
    std::string url;  // as configured, for logs and RPC
    unsigned weight = 1;
    unsigned slot = 0;  // index of its health record
};

struct Set {
    unsigned id = 0;
    std::vector<Node> nodes;
};

inline constexpr unsigned kMaxNodesPerSet = 64;  // the failover loop keeps a bit per node

class RelaySets {
public:
    // Parses a rtpengine_sock value (see above); false with `err` set on a bad one. Names are
    // resolved here, once, at start-up.
    bool parse(std::string_view spec, std::string& err);
    // One health record per node in shm (master, after parse, before fork).
    bool placeHealth();
    void release();

    bool empty() const { return sets_.empty(); }
    const Set* find(unsigned id) const;
    const Set* defaultSet() const { return sets_.empty() ? nullptr : &sets_.front(); }
    const std::vector<Set>& sets() const { return sets_; }

    bool up(const Node& n, int64_t nowMs) const;
    void markDown(const Node& n, int64_t untilMs);
    void markUp(const Node& n);
    int64_t downUntil(const Node& n) const;

    // The node for hash among those up and not in `tried` (bit i: nodes[i]); nullptr when none
    // is left. Weighted: a node of weight 2 takes twice the calls of one of weight 1.
    const Node* pick(const Set& s, uint64_t hash, uint64_t tried, int64_t nowMs) const;

private:
    std::vector<Set> sets_;
    unsigned nodeCount_ = 0;
    int64_t* health_ = nullptr;  // shm: per node, the monotonic ms until which it is down
};

// FNV-1a of a Call-ID: the same in every process, so all requests of a call pick alike.
uint64_t callHash(std::string_view callId);

}  // namespace osprey::relay
