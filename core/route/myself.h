// "Is this address me?" (Kamailio's check_self): the answer behind KSR.is_myself_ruri, the
// check that a reply's top Via is ours, and, later, loose routing. Built in the master before
// fork from the listen addresses (wildcard listeners stand for every local interface address)
// and the configured aliases.
//
// Rules (docs/ksr-api.md): the host matches a listen address (IP compared as an address) or an
// alias / listen name (case-insensitive); a port given must then equal that listener's port, or the
// alias's port when the alias has one; an absent port (0) matches any listening port, and an
// alias without a port matches any port.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/config/config.h"

namespace osprey::sip {
struct SipUri;
}

namespace osprey::route {

// Collects the addresses (call after the listen sockets are open, so ports configured as 0
// are known). Replaces an earlier set.
void buildMyself(const config::Config& cfg);

// host as in a URI or Via (IPv6 with or without brackets); port 0 = absent.
bool isMyself(std::string_view host, uint16_t port);
bool isMyselfUri(const sip::SipUri& uri);

}  // namespace osprey::route
