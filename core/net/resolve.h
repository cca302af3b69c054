// Host text to a socket address: numeric IPv4/IPv6 at once, names through the system resolver
// (getaddrinfo: /etc/hosts and A/AAAA; no SRV/NAPTR yet). A name lookup blocks the calling
// worker, so a route that sends to names pays for it on every message.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/net/sock_addr.h"

namespace osprey::net {

// family AF_UNSPEC takes the first address the resolver gives (IPv4 first for names that have
// both); AF_INET / AF_INET6 insist on that family. False when nothing is found.
bool resolveHost(std::string_view host, uint16_t port, int family, SockAddr* out);

}  // namespace osprey::net
