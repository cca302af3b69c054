// One accounting record (Kamailio's acc core attributes plus the extras) as it travels from
// the SIP process that saw the transaction end to the acc writer process: a flat list of texts
// on the database layer's shm ring (core/db/record_ring.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace osprey::acc {

inline constexpr unsigned kMaxExtras = 32;
// table, time, method, from_tag, to_tag, callid, sip_code, sip_reason
inline constexpr unsigned kCoreFields = 8;
inline constexpr unsigned kMaxFields = kCoreFields + kMaxExtras;

struct Record {
    std::string_view fields[kMaxFields];
    unsigned count = 0;
};

// Encodes into out (cap bytes); returns the length, 0 when it does not fit.
size_t encodeRecord(const Record& r, char* out, size_t cap);
bool decodeRecord(std::string_view in, Record& r);

}  // namespace osprey::acc
