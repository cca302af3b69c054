// Host text to a socket address for start-up (listen addresses, in the master): numeric
// IPv4/IPv6 at once, names through the system resolver (getaddrinfo, blocking). The message
// path never uses it: next hops that are names go through the asynchronous resolver and its
// shared cache (core/dns/, core/route/next_hop.h).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/net/sock_addr.h"

namespace osprey::net {

// family AF_UNSPEC takes the first address the resolver gives (IPv4 first for names that have
// both); AF_INET / AF_INET6 insist on that family. False when nothing is found.
bool resolveHost(std::string_view host, uint16_t port, int family, SockAddr* out);

}  // namespace osprey::net
