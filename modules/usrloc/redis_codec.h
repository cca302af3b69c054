// How the redis location store lays bindings out in Redis (docs/redis-store.md):
//   key     osprey:loc:<aor> for the "location" table, osprey:loc:<table>:<aor> for others;
//           one hash per AOR, field = the binding's contact URI, value = encodeContact();
//           the key's expiry is the latest binding expiry, so Redis drops what nobody
//           refreshed (no scans, no KEYS);
//   channel osprey:loc, payload <node>\n<table>\n<aor>: "this AOR changed", published by the
//           node that wrote it, so every other node drops its cached copy.
// The value is binary (fixed numbers, then length-prefixed texts), versioned by its first byte.
#pragma once
#include <string>
#include <string_view>

#include "modules/usrloc/api.h"

namespace osprey::usrloc {

inline constexpr std::string_view kRedisChannel = "osprey:loc";

std::string redisKey(std::string_view table, std::string_view aor);

// owner: the node_id of the node that saved the binding (the one holding its TCP connection).
std::string encodeContact(const ContactData& c, std::string_view owner);
// The texts of `out` and *owner point into `value`. False on a value this version cannot read.
bool decodeContact(std::string_view value, ContactData* out, std::string_view* owner);

std::string invalidation(std::string_view node, std::string_view table, std::string_view aor);
bool parseInvalidation(std::string_view payload, std::string_view* node, std::string_view* table,
                       std::string_view* aor);

}  // namespace osprey::usrloc
