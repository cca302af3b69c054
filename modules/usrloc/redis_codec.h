// How the redis location store lays bindings out in Redis (docs/redis-store.md):
//   key     osprey:loc:<aor> for the "location" table, osprey:loc:<table>:<aor> for others;
//           one hash per AOR, field = the binding's contact URI, value = encodeContact();
//           the key's expiry is the latest binding expiry, so Redis drops what nobody
//           refreshed (no scans, no KEYS);
//   channel osprey:loc, payload <node>\n then <table>\n<aor>\n per AOR: "these AORs changed",
//           published once per written batch by the node that wrote it, so every other node
//           drops its cached copies.
// The value is binary (fixed numbers, then length-prefixed texts), versioned by its first byte.
#pragma once
#include <string>
#include <string_view>

#include "modules/usrloc/api.h"

namespace osprey::usrloc {

inline constexpr std::string_view kRedisChannel = "osprey:loc";

std::string redisKey(std::string_view table, std::string_view aor);

// Who saved a binding: the node holding its TCP/TLS connection, and how other nodes reach it.
struct Owner {
    std::string_view node;  // node_id
    std::string_view uri;   // node_uri: "sip:10.0.0.1:5060"
};

std::string encodeContact(const ContactData& c, const Owner& owner);
// The texts of `out` and *owner point into `value`. False on a value this version cannot read.
bool decodeContact(std::string_view value, ContactData* out, Owner* owner);

// A binding another node saved that only that node can reach (a TCP or TLS connection it holds,
// no Path of its own) is reached through it: the Path to give it here ("<uri;lr>"), empty when
// the binding is reachable from this node directly.
std::string ownerPath(const ContactData& c, const Owner& owner, std::string_view self);

// Builds a payload: start with the node, then add the AORs.
void startInvalidation(std::string& payload, std::string_view node);
void addInvalidation(std::string& payload, std::string_view table, std::string_view aor);
// Reads a payload: *node, then fn(table, aor) for each AOR. False on a malformed payload (fn
// may have seen its first AORs).
template <class Fn>
bool parseInvalidation(std::string_view payload, std::string_view* node, Fn&& fn) {
    size_t nl = payload.find('\n');
    if (nl == std::string_view::npos) return false;
    *node = payload.substr(0, nl);
    payload.remove_prefix(nl + 1);
    if (payload.empty()) return false;
    while (!payload.empty()) {
        const size_t a = payload.find('\n');
        const size_t b = a == std::string_view::npos ? a : payload.find('\n', a + 1);
        if (b == std::string_view::npos || b == a + 1) return false;
        fn(payload.substr(0, a), payload.substr(a + 1, b - a - 1));
        payload.remove_prefix(b + 1);
    }
    return true;
}

}  // namespace osprey::usrloc
