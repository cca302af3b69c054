// Zero-copy SDP parser (RFC 8866, which obsoletes RFC 4566): the session and media sections of
// a session description, every field a view into the body, so that NAT traversal and a media
// relay can read the connection addresses, media ports, RTCP ports, directions and ICE
// candidates and replace them in place: the position of any field in the body is
// `sdpOffset(body, field)`.
//
// Lenient where real phones are sloppy (LF without CR, blank lines, unknown line types and
// attributes, type letters in an unexpected order), strict where a rewriter would go wrong (a
// c= or m= line that does not follow its grammar, a port that is not a number up to 65535).
// No allocation: sections and attributes live in fixed arrays inside Sdp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace osprey::sip {

enum class SdpErrc : uint8_t {
    Ok = 0,
    Empty,              // no line at all
    BadLine,            // not "<letter>=<value>", or a control character inside a line
    MissingVersion,     // the first line is not v=
    BadVersion,         // v= other than 0 (RFC 8866 §5.1)
    BadOrigin,          // o= without its six fields (§5.2)
    BadConnection,      // c= not "<nettype> <addrtype> <address>" (§5.7)
    BadMedia,           // m= not "<media> <port>[/<count>] <proto> <fmt> ..." (§5.14)
    BadPort,            // a port or port count that is not a decimal number in range
    BadAttribute,       // a= with an empty name, or a malformed a=rtcp (RFC 3605)
    TooManyMedia,       // more than Sdp::kMaxMedia m= sections
    TooManyAttributes,  // more than Sdp::kMaxAttributes a= lines in all
};

struct SdpError {
    SdpErrc code = SdpErrc::Ok;
    uint32_t offset = 0;  // byte offset of the offending line in the body
    explicit operator bool() const { return code != SdpErrc::Ok; }
};

const char* sdpErrcName(SdpErrc c);  // "BadConnection", ... (stable, for logs and tests)

enum class SdpAddrFamily : uint8_t { Other, Ip4, Ip6 };

// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). For a multicast address,
// `address` is the address alone and `suffix` the "/<ttl>[/<count>]" after it.
struct SdpConnection {
    std::string_view netType;   // "IN"
    std::string_view addrType;  // "IP4", "IP6"
    std::string_view address;   // what a NAT helper replaces
    std::string_view suffix;
    SdpAddrFamily family = SdpAddrFamily::Other;
    bool present = false;
};

// a=<name>[:<value>] (§5.13).
struct SdpAttribute {
    std::string_view name;
    std::string_view value;  // empty for a property attribute (a=sendrecv)
    std::string_view line;   // the whole line from "a=" to its end, without CR LF
    bool hasValue = false;
};

// Range of attributes of one section inside Sdp::attributes.
struct SdpAttributeRange {
    uint16_t first = 0;
    uint16_t count = 0;
};

enum class SdpDirection : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };

// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605).
struct SdpRtcp {
    std::string_view port;
    uint16_t portNumber = 0;
    SdpConnection connection;  // present when the attribute names an address
    bool present = false;
};

// One m= section (§5.14) and the lines up to the next m= line.
struct SdpMedia {
    std::string_view media;    // "audio", "video", "application", ...
    std::string_view port;     // what a media relay replaces
    uint16_t portNumber = 0;   // 0: the stream is disabled or rejected (RFC 3264 §6)
    uint16_t portCount = 1;    // from "<port>/<count>"
    std::string_view proto;    // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
    std::string_view formats;  // "0 8 101": payload types or format names, as written
    std::string_view section;  // from "m=" to the end of the section's last line ending
    SdpConnection connection;  // this section's c=, if it has one
    SdpAttributeRange attributes;
    SdpRtcp rtcp;
    SdpDirection direction = SdpDirection::SendRecv;  // the section's own, else the session's
    bool rtcpMux = false;                             // a=rtcp-mux (RFC 5761)
};

struct Sdp {
    static constexpr size_t kMaxMedia = 16;
    static constexpr size_t kMaxAttributes = 128;

    // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (§5.2)
    std::string_view originUser;
    std::string_view sessionId;
    std::string_view sessionVersion;
    SdpConnection origin;          // the o= address; some NAT helpers rewrite it too
    std::string_view sessionName;  // s=
    SdpConnection connection;      // session-level c=
    SdpAttributeRange attributes;  // session-level a= lines
    SdpDirection direction = SdpDirection::SendRecv;
    std::string_view session;  // from the first byte to the first m= line (or the end)

    SdpMedia media[kMaxMedia];
    size_t mediaCount = 0;
    SdpAttribute attributeStore[kMaxAttributes];
    size_t attributeCount = 0;

    // The connection a media section uses: its own c= or else the session's (§5.7). Not
    // `present` when neither has one.
    const SdpConnection& connectionOf(const SdpMedia& m) const {
        return m.connection.present ? m.connection : connection;
    }
    const SdpAttribute* attributesOf(SdpAttributeRange r) const { return attributeStore + r.first; }
    // The first attribute called `name` (case-sensitive, as RFC 8866 §5.13 says) in a range.
    const SdpAttribute* findAttribute(SdpAttributeRange r, std::string_view name) const;
};

// Parses `body` into `out`; views point into `body`, which must outlive them. On error `out`
// holds what was parsed before the offending line.
SdpError parseSdp(std::string_view body, Sdp& out);

// Byte offset of a field (a view returned by the parser) in the body it was parsed from.
inline size_t sdpOffset(std::string_view body, std::string_view field) {
    return static_cast<size_t>(field.data() - body.data());
}

// a=candidate:<foundation> <component-id> <transport> <priority> <address> <port> typ <type>
// [raddr <address>] [rport <port>] *(<extension-name> <extension-value>) (RFC 8839 §5.1).
struct IceCandidate {
    std::string_view foundation;
    uint32_t component = 0;
    std::string_view transport;  // "UDP", "TCP", ...
    uint32_t priority = 0;
    std::string_view address;  // an IP address or an FQDN (or a .local mDNS name)
    std::string_view port;
    uint16_t portNumber = 0;
    std::string_view type;  // "host", "srflx", "prflx", "relay"
    std::string_view relatedAddress;
    std::string_view relatedPort;
};

// Parses the value of an a=candidate attribute (the text after "candidate:"). False when it
// does not follow the grammar.
bool parseIceCandidate(std::string_view value, IceCandidate& out);

// A decimal port 0..65535 with no sign and no leading whitespace; false otherwise.
bool parseSdpPort(std::string_view text, uint16_t& out);

}  // namespace osprey::sip
