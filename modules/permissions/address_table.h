// The permissions module's address table (Kamailio's `address`: group, IP address, mask, port,
// tag) as it is read per message: one immutable block of shm, built whole by a load or a
// reload and then published (published_table.h), so lookups take no lock at all.
//
// As in Kamailio, a row with a full mask (32 for IPv4, 128 for IPv6) is an exact address
// (addressDump), any other a subnet (subnetDump). Exact addresses are sorted by address then
// group, so a lookup is a binary search; subnets are kept in group order and scanned (there
// are few: max_subnets). Port 0 matches any port. A lookup for "any group" answers the lowest
// matching group, exact addresses first (Kamailio 5.6's first match).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace osprey::net {
struct SockAddr;
}

namespace osprey::permissions {

// An address as two big-endian 64-bit halves of its IPv6 form (IPv4 as ::ffff:a.b.c.d), so
// a prefix is a mask of the top bits.
struct IpKey {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const IpKey&) const = default;
};
IpKey ipKeyOf(const net::SockAddr& a);
inline bool isV4(const IpKey& k) {
    return k.hi == 0 && (k.lo >> 32) == 0xffff;
}
std::string ipText(const IpKey& k, bool v4);

// One row as a loader read it (private memory, before the table is built).
struct AddressRow {
    int64_t id = 0;
    uint32_t group = 0;
    std::string ip;  // text: IPv4 or IPv6
    int mask = -1;   // -1: the full length of the address
    uint16_t port = 0;
    std::string tag;  // "" when none (NULL in the database)
};

struct AddrEntry {
    IpKey key;  // masked for a subnet
    uint32_t group;
    uint32_t id;
    uint32_t tagOff;  // into the table's tag text
    uint16_t tagLen;
    uint16_t port;
    uint8_t prefix;  // bits of the 128-bit form that must match
    uint8_t mask;    // as configured (32 / 24 / 128 ...)
    uint8_t v4;
    uint8_t hasTag;
};

class AddressTable {
public:
    // Builds the table in shm from rows; nullptr with *error set for a bad row (its id and
    // why) or when shm is exhausted. maxSubnets as Kamailio's max_subnets.
    static AddressTable* build(const std::vector<AddressRow>& rows, unsigned maxSubnets,
                               std::string* error);
    static void destroy(AddressTable* t);

    // The entry admitting (ip, port) in `group`, or in any group when group < 0; nullptr when
    // none does.
    const AddrEntry* match(int64_t group, const IpKey& ip, uint16_t port) const;

    std::string_view tag(const AddrEntry& e) const { return {tags() + e.tagOff, e.tagLen}; }
    const AddrEntry* exactBegin() const { return entries_; }
    const AddrEntry* exactEnd() const { return entries_ + exactCount_; }
    const AddrEntry* subnetBegin() const { return entries_ + exactCount_; }
    const AddrEntry* subnetEnd() const { return entries_ + exactCount_ + subnetCount_; }
    size_t bytes() const { return bytes_; }

private:
    const char* tags() const {
        return reinterpret_cast<const char*>(entries_ + exactCount_ + subnetCount_);
    }

    size_t bytes_ = 0;
    uint32_t exactCount_ = 0;
    uint32_t subnetCount_ = 0;
    AddrEntry entries_[1];  // exactCount_ + subnetCount_ of them, then the tags' text
};

}  // namespace osprey::permissions
