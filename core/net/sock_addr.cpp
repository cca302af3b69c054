// SockAddr helpers.
#include "core/net/sock_addr.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/sip/uri_chars.h"

namespace osprey::net {

namespace {

// The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one.
bool mappedV4(const sockaddr_in6& a, in_addr* out) {
    if (!IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) return false;
    std::memcpy(out, a.sin6_addr.s6_addr + 12, 4);
    return true;
}

}  // namespace

uint16_t SockAddr::port() const {
    switch (family()) {
        case AF_INET:
            return ntohs(u.v4.sin_port);
        case AF_INET6:
            return ntohs(u.v6.sin6_port);
        default:
            return 0;
    }
}

void SockAddr::setPort(uint16_t port) {
    if (family() == AF_INET)
        u.v4.sin_port = htons(port);
    else if (family() == AF_INET6)
        u.v6.sin6_port = htons(port);
}

bool SockAddr::isAny() const {
    if (family() == AF_INET) return u.v4.sin_addr.s_addr == htonl(INADDR_ANY);
    if (family() == AF_INET6) return IN6_IS_ADDR_UNSPECIFIED(&u.v6.sin6_addr);
    return false;
}

bool SockAddr::sameIp(const SockAddr& o) const {
    in_addr a4{}, b4{};
    const bool a4ok = family() == AF_INET ? (a4 = u.v4.sin_addr, true)
                                          : family() == AF_INET6 && mappedV4(u.v6, &a4);
    const bool b4ok = o.family() == AF_INET ? (b4 = o.u.v4.sin_addr, true)
                                            : o.family() == AF_INET6 && mappedV4(o.u.v6, &b4);
    if (a4ok || b4ok) return a4ok && b4ok && a4.s_addr == b4.s_addr;
    if (family() != AF_INET6 || o.family() != AF_INET6) return false;
    return std::memcmp(&u.v6.sin6_addr, &o.u.v6.sin6_addr, sizeof(in6_addr)) == 0;
}

bool SockAddr::assign(const sockaddr* sa, socklen_t salen) {
    if (sa->sa_family == AF_INET && salen >= sizeof(sockaddr_in)) {
        std::memcpy(&u.v4, sa, sizeof(sockaddr_in));
        len = sizeof(sockaddr_in);
        return true;
    }
    if (sa->sa_family == AF_INET6 && salen >= sizeof(sockaddr_in6)) {
        std::memcpy(&u.v6, sa, sizeof(sockaddr_in6));
        len = sizeof(sockaddr_in6);
        return true;
    }
    len = 0;
    return false;
}

// The SIP grammar's address forms (RFC 3261 §25.1), parsed without a copy or a libc call:
// this runs for every next hop and Via the router looks at.
bool parseIp(std::string_view host, uint16_t port, SockAddr& out) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty() || host.size() >= kIpTextMax) return false;
    out = SockAddr{};
    if (host.find(':') == std::string_view::npos) {
        uint8_t a[4];
        if (!sip::uri_chars::parseIpv4(host, a)) return false;
        out.u.v4.sin_family = AF_INET;
        std::memcpy(&out.u.v4.sin_addr, a, 4);
        out.u.v4.sin_port = htons(port);
        out.len = sizeof(sockaddr_in);
        return true;
    }
    uint8_t a[16];
    if (!sip::uri_chars::parseIpv6(host, a)) return false;
    out.u.v6.sin6_family = AF_INET6;
    std::memcpy(&out.u.v6.sin6_addr, a, 16);
    out.u.v6.sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    return true;
}

void ipBytes16(const SockAddr& a, uint8_t out[16]) {
    memset(out, 0, 16);
    if (a.family() == AF_INET) {
        out[10] = 0xff;
        out[11] = 0xff;
        memcpy(out + 12, &a.u.v4.sin_addr, 4);
    } else if (a.family() == AF_INET6) {
        memcpy(out, &a.u.v6.sin6_addr, 16);
    }
}

SockAddr fromIpBytes16(const uint8_t in[16], uint16_t port) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    SockAddr a;
    if (memcmp(in, kMapped, sizeof kMapped) == 0) {
        a.u.v4.sin_family = AF_INET;
        memcpy(&a.u.v4.sin_addr, in + 12, 4);
        a.len = sizeof a.u.v4;
    } else {
        a.u.v6.sin6_family = AF_INET6;
        memcpy(&a.u.v6.sin6_addr, in, 16);
        a.len = sizeof a.u.v6;
    }
    a.setPort(port);
    return a;
}

size_t formatIp(const SockAddr& a, char* out, size_t cap) {
    if (a.family() == AF_INET && cap >= 16) {
        // Dotted quad by hand: inet_ntop costs more than the rest of a received= edit.
        uint8_t b[4];
        std::memcpy(b, &a.u.v4.sin_addr, 4);
        size_t n = 0;
        for (int i = 0; i < 4; ++i) {
            if (i > 0) out[n++] = '.';
            const unsigned v = b[i];
            if (v >= 100) out[n++] = static_cast<char>('0' + v / 100);
            if (v >= 10) out[n++] = static_cast<char>('0' + v / 10 % 10);
            out[n++] = static_cast<char>('0' + v % 10);
        }
        out[n] = '\0';
        return n;
    }
    const void* src = a.family() == AF_INET    ? static_cast<const void*>(&a.u.v4.sin_addr)
                      : a.family() == AF_INET6 ? static_cast<const void*>(&a.u.v6.sin6_addr)
                                               : nullptr;
    if (src == nullptr || inet_ntop(a.family(), src, out, static_cast<socklen_t>(cap)) == nullptr)
        return 0;
    return std::strlen(out);
}

size_t formatHost(const SockAddr& a, char* out, size_t cap) {
    if (a.family() != AF_INET6) return formatIp(a, out, cap);
    if (cap < 3) return 0;
    size_t n = formatIp(a, out + 1, cap - 2);
    if (n == 0) return 0;
    out[0] = '[';
    out[n + 1] = ']';
    out[n + 2] = '\0';
    return n + 2;
}

std::string toString(const SockAddr& a) {
    char host[kIpTextMax + 2];
    size_t n = formatHost(a, host, sizeof host);
    if (n == 0) return "(no address)";
    return std::string(host, n) + ":" + std::to_string(a.port());
}

}  // namespace osprey::net
