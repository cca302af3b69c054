// Via (RFC 3261 §20.42, §18.2.1, RFC 3581 rport): one ViaBody per via-parm; a header line with
// "a, b" gives a list linked by next. SipMsg::topVia is the first value of the first Via.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/uri.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

enum class ViaTransport : uint8_t { Other, Udp, Tcp, Tls, Sctp, Ws, Wss };

struct ViaBody {
    std::string_view protocol;   // "SIP" (sent-protocol, any token accepted; checked by name)
    std::string_view version;    // "2.0"
    std::string_view transport;  // as written: "UDP", "TLS", "UNKNOWN" (RFC 4475 3.1.1.10)
    ViaTransport proto = ViaTransport::Other;
    std::string_view host;  // sent-by host; IPv6 references keep brackets
    HostKind hostKind = HostKind::None;
    uint16_t port = 0;
    bool hasPort = false;
    bool hasRport = false;    // ";rport" present, with or without a value
    std::string_view params;  // raw list without the leading ';' (may contain LWS)
    std::string_view branch;  // empty when absent (RFC 2543 peers, RFC 4475 3.4.1)
    std::string_view received;
    std::string_view rport;  // the value when "rport=N" (replies), else empty
    std::string_view maddr;
    std::string_view ttl;
    std::string_view text;    // the whole via-parm, from protocol to its last parameter
    ViaBody* next = nullptr;  // next via-parm in the same header line
};

// Parses every via-parm of one Via header (cached on the header). nullptr on error.
const ViaBody* parseVia(SipMsg& msg, HeaderField& h);

// RFC 3261 §8.1.1.7: the branch starts with the magic cookie "z9hG4bK".
inline bool viaBranchIsRfc3261(const ViaBody& v) {
    return v.branch.size() >= 7 && v.branch.substr(0, 7) == "z9hG4bK";
}

}  // namespace osprey::sip
