// The request/reply exchange both media relay control protocols share (rtpengine's NG
// protocol and the rtpproxy protocol): one UDP datagram "<cookie> <command>" to the call's
// instance, the answer "<cookie> <reply>" back. A datagram whose cookie is not ours (a late
// answer to an earlier request) is dropped.
//
// Bounded by design: each try waits at most timeoutMs, an instance gets `retries` tries
// (Kamailio's rtpengine_retr / rtpproxy_retr: the same datagram resent, so the relay sees the
// same cookie and answers from its cookie cache), then it is marked down for disableSec and
// the next instance of the set is tried. With none left the caller gets NoInstance at once,
// without waiting: a dead relay costs one timeout per instance, not one per call.
//
// Called from the worker that routes the message, holding no lock: the socket and the
// reply buffer are the process's own; health is read and written with single atomic loads
// and stores (relay_set.h). Before it waits, the worker's batch of deferred sends
// (core/net/send.h) is flushed, so no earlier message's reply waits for the relay.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/relay/relay_set.h"
#include "core/stats/counter.h"

namespace osprey::relay {

struct ClientConfig {
    int timeoutMs = 1000;
    int retries = 5;      // tries per instance (at least one)
    int disableSec = 60;  // how long an instance that did not answer stays down
};

// What the client counts (declared by the module that owns them).
struct ClientStats {
    stats::Counter requests;     // requests answered
    stats::Counter timeouts;     // tries that got no answer in time
    stats::Counter failovers;    // requests moved to another instance
    stats::Counter unavailable;  // requests with no instance left
};

enum class Status : uint8_t { Ok, NoInstance };

struct Reply {
    std::string_view body;  // after "<cookie> "; valid until this process's next request
    const Node* node = nullptr;
};

// Sends `command` to the instance that set `s` picks for `callId`, failing over as above.
Status request(RelaySets& sets, const Set& s, std::string_view callId, std::string_view command,
               const ClientConfig& cfg, const ClientStats& st, Reply& out);

// Sends `command` once to the call's instance without waiting for the answer (which the
// next exchange of this process drops): for a delete made where nothing may wait, e.g. a
// failure route, which runs holding its transaction. No failover, no health change: a lost
// datagram leaves the session to the relay's own timeout. False when no instance is up.
bool sendOnly(const RelaySets& sets, const Set& s, std::string_view callId,
              std::string_view command);

// One exchange with one instance, no failover and no health change (pings, RPC): true when it
// answered within cfg's tries.
bool requestNode(const Node& n, std::string_view command, const ClientConfig& cfg, Reply& out);

}  // namespace osprey::relay
