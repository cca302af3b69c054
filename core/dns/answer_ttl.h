// The TTL of a DNS answer (RFC 1035 §4.1): c-ares parses SRV and NAPTR records for us but its
// structs for them carry no TTL, so the resolver reads the TTLs from the raw answer here. Only
// the framing is read (names are skipped, compressed or not); the records' data stay c-ares's.
#pragma once
#include <cstddef>
#include <cstdint>

namespace osprey::dns {

// The smallest TTL among the answer section's records of `type` (seconds). False when the
// message is malformed (anything runs past its end) or holds no such record.
bool minAnswerTtl(const unsigned char* msg, size_t len, uint16_t type, uint32_t* ttl);

}  // namespace osprey::dns
