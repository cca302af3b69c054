// What a DNS resolution yields for SIP (RFC 3263): an ordered list of targets, each a transport,
// an address and a port, and the query that produced it. Plain data, so a list can sit in shm
// (the cache, a tm branch) and be copied between processes.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/net/endpoint.h"

namespace osprey::dns {

// The longest name we resolve (RFC 1035 §2.3.4: 255 octets on the wire, 253 as text).
inline constexpr size_t kMaxName = 253;
// The most targets one resolution keeps (addresses of all SRV targets together).
inline constexpr unsigned kMaxTargets = 16;

// Which RFC 3263 procedure a name goes through; part of the cache key.
enum class QueryKind : uint8_t {
    Addr,    // A/AAAA only: explicit port or a Via's sent-by (RFC 3263 §4.2, port given)
    SrvUdp,  // _sip._udp SRV, else A/AAAA with 5060 (transport=udp, or the default)
    SrvTcp,  // _sip._tcp SRV, else A/AAAA with 5060
    SrvTls,  // _sips._tcp SRV, else A/AAAA with 5061 (sips:, transport=tls)
    Naptr,   // NAPTR (§4.1), then SRV per service, else SRV per transport, else A/AAAA
};
inline constexpr unsigned kQueryKinds = 5;
const char* queryKindName(QueryKind k);  // "A/AAAA", "SRV udp", ...

struct Query {
    std::string_view name;  // case-insensitive; no trailing dot
    QueryKind kind = QueryKind::Addr;
};

struct Target {
    net::SockAddr addr;  // port 0 for QueryKind::Addr (the caller's port applies)
    net::Proto proto = net::Proto::Udp;
    uint8_t set = 0;    // the NAPTR record it came from (rank in NAPTR order; 0 without)
    uint8_t group = 0;  // the SRV record it came from: the addresses of one record share it
    uint16_t priority = 0;
    uint16_t weight = 0;
};

// Why a resolution has no targets (a negative cache entry).
enum class Failure : uint8_t {
    None,
    NoName,   // NXDOMAIN or no record of any type asked (RFC 2308 negative answer)
    Timeout,  // no server answered in time
    Error,    // server failure, refused, a malformed answer, out of memory
};

// Only targets[0, count) are ever set or read: the array is left unconstructed, so an Answer
// on the stack of a request that never needs one (an IP destination) costs nothing to make.
struct Answer {
    uint8_t count = 0;
    Failure failure = Failure::None;
    union {
        Target targets[kMaxTargets];
    };

    Answer() {}
    Answer(const Answer& o) : count(o.count), failure(o.failure) { copyTargets(o); }
    Answer& operator=(const Answer& o) {
        count = o.count;
        failure = o.failure;
        copyTargets(o);
        return *this;
    }
    ~Answer() {}

private:
    void copyTargets(const Answer& o) {
        for (unsigned i = 0; i < o.count && i < kMaxTargets; ++i) targets[i] = o.targets[i];
    }
};

}  // namespace osprey::dns
