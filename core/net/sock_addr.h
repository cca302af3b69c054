// A socket address (IPv4 or IPv6) as the transports use it: the sockaddr the kernel takes,
// comparison, and the text forms SIP needs (Via received=, sent-by, logs).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::net {

struct SockAddr {
    union {
        sockaddr sa;
        sockaddr_in v4;
        sockaddr_in6 v6;
    } u{};
    socklen_t len = 0;  // 0: no address

    int family() const { return len == 0 ? AF_UNSPEC : u.sa.sa_family; }
    bool valid() const { return len != 0; }
    uint16_t port() const;
    void setPort(uint16_t port);
    bool isAny() const;  // 0.0.0.0 or ::
    // Same address, port ignored; an IPv4-mapped IPv6 address equals its IPv4 form.
    bool sameIp(const SockAddr& o) const;
    bool operator==(const SockAddr& o) const { return port() == o.port() && sameIp(o); }

    // From what recvmsg/accept filled in; false for a family other than IPv4/IPv6.
    bool assign(const sockaddr* sa, socklen_t salen);
};

// Numeric IPv4 or IPv6 text ("192.0.2.1", "::1", "[::1]") into out with the given port; false
// for anything else (names are not resolved here: see resolve.h).
bool parseIp(std::string_view host, uint16_t port, SockAddr& out);

// The address as the 16 bytes of its IPv6 form, IPv4 as ::ffff:a.b.c.d (all zero for no
// address): one key for both families in tables keyed by address (pike, permissions).
void ipBytes16(const SockAddr& a, uint8_t out[16]);
// Back from those bytes: IPv4 for a mapped address, IPv6 otherwise.
SockAddr fromIpBytes16(const uint8_t in[16], uint16_t port = 0);

// Longest text formatIp writes, NUL included.
inline constexpr size_t kIpTextMax = 48;
// "192.0.2.1" / "2001:db8::1" (no brackets); returns the length, 0 on failure.
size_t formatIp(const SockAddr& a, char* out, size_t cap);
// "192.0.2.1" / "[2001:db8::1]": the host form a SIP URI or Via takes.
size_t formatHost(const SockAddr& a, char* out, size_t cap);
// "192.0.2.1:5060" / "[2001:db8::1]:5060", for logs.
std::string toString(const SockAddr& a);

}  // namespace osprey::net
