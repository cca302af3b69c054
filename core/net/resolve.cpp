// resolveHost.
#include "core/net/resolve.h"

#include <netdb.h>

#include <cstring>

namespace osprey::net {

bool resolveHost(std::string_view host, uint16_t port, int family, SockAddr* out) {
    if (parseIp(host, port, *out)) return family == AF_UNSPEC || out->family() == family;
    char name[256];
    if (host.empty() || host.size() >= sizeof name) return false;
    std::memcpy(name, host.data(), host.size());
    name[host.size()] = '\0';
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(name, nullptr, &hints, &res) != 0 || res == nullptr) return false;
    // Prefer IPv4 when both exist: most SIP peers listen there.
    const addrinfo* pick = res;
    if (family == AF_UNSPEC) {
        for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
            if (a->ai_family == AF_INET) {
                pick = a;
                break;
            }
        }
    }
    const bool ok = out->assign(pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(res);
    if (ok) out->setPort(port);
    return ok;
}

}  // namespace osprey::net
