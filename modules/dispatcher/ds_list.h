// The destination sets as they live in shm: one block per loaded list (every set, every
// destination and their texts), built once by a load or reload and never resized. What may
// change while the list serves -- a destination's state, its probing counters and latency, the
// round-robin counters -- is atomic, so workers read the list without any lock.
//
// Kamailio's flag bits (dispatcher.list's third column, dispatcher.set_state):
//   1 inactive, 2 trying, 4 disabled, 8 probing, 16 no DNS resolve at load, 32 no ping.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/endpoint.h"
#include "modules/dispatcher/ds_calls.h"

namespace osprey::dispatcher {

enum DstFlags : uint32_t {
    kInactive = 1,
    kTrying = 2,
    kDisabled = 4,
    kProbing = 8,
    kNoDnsResolve = 16,
    kNoPing = 32,
};
inline constexpr uint32_t kStateMask = kInactive | kTrying | kDisabled | kProbing;

// A view into the list's block (valid in every process: shm is mapped at one address).
struct Text {
    const char* p = nullptr;
    uint32_t len = 0;
    std::string_view view() const { return {p, len}; }
};

// Latency statistics of the OPTIONS pings (ds_ping_latency_stats), in ms. Written only by the
// ping process; readers (RPC, algorithm 13) may see a value one ping old.
struct Latency {
    std::atomic<double> avg{0};
    std::atomic<double> m2{0};  // running sum of squared deviations (Welford), for STD
    std::atomic<double> est{0};
    std::atomic<int32_t> max{0};
    std::atomic<int32_t> timeout{0};
    std::atomic<uint32_t> count{0};
};

struct Dest {
    Text uri;            // as written in the list
    Text attrs;          // the whole attrs column ("weight=50;duid=gw1")
    Text duid;           // attribute values, views into attrs
    Text socket;         // "udp:127.0.0.1:5060"
    Text pingFrom;       // From URI of this destination's pings
    net::SockAddr addr;  // resolved at load (unless kNoDnsResolve)
    net::Proto proto = net::Proto::Udp;
    bool hasAddr = false;
    int32_t priority = 0;
    int32_t weight = 0;
    int32_t rweight = 0;
    int32_t maxload = 0;
    int32_t loadSlot = 1023;  // call-load counter (algorithm 10) by duid; kZeroSlot: none
    std::atomic<uint32_t> flags{0};
    // priority - est/priority (algorithm 13), recomputed with each latency sample
    std::atomic<int32_t> adjPriority{0};
    std::atomic<uint32_t> failures{0};   // consecutive failed pings / ds_mark_dst("t")
    std::atomic<uint32_t> successes{0};  // consecutive answered pings while inactive
    Latency latency;
};

inline constexpr uint32_t kNoDest = UINT32_MAX;  // end of a loadFirst/loadNext chain

inline constexpr unsigned kWeightSlots = 100;  // Kamailio distributes weights over 100 slots

struct Set {
    int32_t id = 0;
    uint32_t first = 0;  // index of its first destination in List::dests
    uint32_t count = 0;
    uint32_t defaultIdx = 0;          // use_default: the last destination, tried only at the end
    std::atomic<uint32_t> rr{0};      // round robin (4), weight (9) and relative weight (11)
    uint16_t weights[kWeightSlots];   // destination (set-relative) per slot, algorithm 9
    uint16_t rweights[kWeightSlots];  // the same for the active ones, algorithm 11
    bool hasWeights = false;
    std::atomic<bool> hasRweights{false};
    // Algorithm 13: the usable destinations sharing the best latency-adjusted priority,
    // (List::latencyTop + first)[0 .. topCount), recomputed when a state or latency changes.
    std::atomic<uint32_t> topCount{0};
};

struct List {
    uint64_t generation = 0;
    uint32_t nSets = 0;
    uint32_t nDests = 0;
    Set* sets = nullptr;  // sorted by id
    Dest* dests = nullptr;
    uint16_t* latencyTop = nullptr;  // nDests entries, a set's from its `first`
    // Algorithm 10 (ds_load_keys.h): a key per destination, and per counter slot the chain of
    // the destinations that use it (loadFirst[slot], then loadNext[i]; kNoDest ends it).
    std::atomic<uint64_t>* loadKeys = nullptr;  // nDests
    uint32_t* loadNext = nullptr;               // nDests
    uint32_t* loadFirst = nullptr;              // kLoadSlots
    size_t bytes = 0;
    // Transactions that keep a selection (failover) hold a reference, so a list replaced by a
    // reload stays until the last of them ends (ds_current.h).
    std::atomic<int32_t> refs{0};
    List* nextRetired = nullptr;
    uint64_t retiredAt = 0;  // the reader epoch after which nobody can still reach it

    const Set* findSet(int32_t id) const;
    Dest& dest(const Set& s, uint32_t i) const { return dests[s.first + i]; }
};

// One line of a list file or one row of the table, before it is laid out in shm.
struct Row {
    int32_t setid = 0;
    std::string uri;
    uint32_t flags = 0;
    int32_t priority = 0;
    std::string attrs;
    std::string where;  // "file:line" or "table row id N", for messages
};

// Lays rows out in one shm block: sets sorted by id, destinations of a set by priority
// (highest first, Kamailio's order), attributes parsed, addresses resolved. The run-time state
// (flags set by probing or marking, counters, latency) of a destination that `previous` has
// with the same set and URI carries over. nullptr and *error ("file:line: what") on a bad row.
List* buildList(const std::vector<Row>& rows, const List* previous, std::string* error);
void freeList(List* l);

// Kamailio's latency-adjusted priority: priority - estimated latency (ms) / priority.
int32_t adjustedPriority(const Dest& d);

// The listen socket index the `socket` attribute names, -1 when none (chosen per send).
int sendSocketOf(const Dest& d);

// A destination is skipped by selection when inactive or disabled (trying still serves).
inline bool usable(uint32_t flags) {
    return (flags & (kInactive | kDisabled)) == 0;
}

// Rebuilds a set's relative-weight table from the states now (after a state change).
void rebuildRweights(const List& l, Set& s);
// Rebuilds a set's best latency-adjusted group (algorithm 13) after a state or latency change.
void rebuildLatencyTop(const List& l, Set& s);
// Refreshes the set's algorithm 10 keys (ds_load_keys.cpp) after a state change.
void refreshSetLoadKeys(const List& l, const Set& s);
// All three, after a destination's state changed.
inline void stateChanged(const List& l, Set& s) {
    rebuildRweights(l, s);
    rebuildLatencyTop(l, s);
    refreshSetLoadKeys(l, s);
}

}  // namespace osprey::dispatcher
