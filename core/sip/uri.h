// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), parsed in place: every field is a view
// into the text given to parseUri, which must outlive the SipUri.
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::sip {

enum class UriScheme : uint8_t { Sip, Sips, Tel };

enum class HostKind : uint8_t { None, Name, Ipv4, Ipv6 };

struct SipUri {
    UriScheme scheme = UriScheme::Sip;
    std::string_view user;      // still escaped as received ("%41lice"); empty when absent
    std::string_view password;  // empty when absent
    bool hasPassword = false;   // "user:@host" has an empty password, which is not "absent"
    std::string_view host;      // IPv6 references keep their brackets: "[::1]"
    HostKind hostKind = HostKind::None;
    uint16_t port = 0;  // 0 when absent
    bool hasPort = false;
    std::string_view params;   // everything after the first ';' up to '?' (no leading ';')
    std::string_view headers;  // everything after '?' (no leading '?')
    // Well-known parameters, found while parsing (views into params; empty when absent).
    std::string_view transport;  // "udp", "tcp", "tls", "sctp", ... as written
    std::string_view userParam;  // user=phone / user=ip
    std::string_view method;
    std::string_view ttl;
    std::string_view maddr;
    bool lr = false;
    // tel: the number (global "+..." or local), params hold the rest.
    std::string_view telNumber;
    std::string_view text;  // the whole URI as parsed
};

enum class UriError : uint8_t {
    Ok,
    Empty,
    BadScheme,   // not sip:, sips: or tel:
    BadUser,     // illegal character or bad escape in user/password
    BadHost,     // empty host, illegal character, bad IPv4/IPv6 reference
    BadPort,     // not 1..65535 digits
    BadParam,    // illegal character in a parameter name or value
    BadHeaders,  // illegal character in the ?headers part
    BadTelNumber,
};

const char* uriErrorText(UriError e);

// Parses text as one URI. On error, *where (when given) receives the offset of the offending
// character. Never allocates.
UriError parseUri(std::string_view text, SipUri& out, size_t* where = nullptr);

// RFC 3261 §19.1.4 comparison: scheme, user and password case-sensitive after unescaping,
// host case-insensitive, parameters compared per the rules (user, ttl, method, maddr,
// transport must match if present in either; other params only if present in both), headers
// must all match. tel URIs compare by number (visual separators ignored) and params.
bool uriEquals(const SipUri& a, const SipUri& b);

// The URI without its ?headers part (what a proxy may put in a Request-URI, RFC 4475 §3.1.2.11).
std::string_view uriWithoutHeaders(const SipUri& uri);

// Equality of two hosts as §19.1.4 compares them: names case-insensitively, IPv6 references by
// address ("[::1]" equals "[0:0::1]"). No DNS: a name never equals an address.
bool uriHostEquals(std::string_view a, std::string_view b);

// Finds a parameter by name (case-insensitive, %-escapes of unreserved characters decoded, so
// ";%6C%72" is "lr") in a ";"-separated list like SipUri::params.
// Returns true if present; *value gets its value (empty for a flag parameter).
bool findUriParam(std::string_view params, std::string_view name, std::string_view* value);

}  // namespace osprey::sip
