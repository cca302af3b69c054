// The address table (address_table.h).
#include "modules/permissions/address_table.h"

#include <endian.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "core/net/sock_addr.h"
#include "mem/shm.h"

namespace osprey::permissions {

namespace {

IpKey keyFromBytes(const uint8_t b[16]) {
    IpKey k;
    memcpy(&k.hi, b, 8);
    memcpy(&k.lo, b + 8, 8);
    k.hi = be64toh(k.hi);
    k.lo = be64toh(k.lo);
    return k;
}

IpKey maskOf(unsigned prefix) {
    IpKey m;
    m.hi = prefix >= 64 ? ~uint64_t{0} : (prefix == 0 ? 0 : ~uint64_t{0} << (64 - prefix));
    m.lo = prefix <= 64 ? 0 : (prefix >= 128 ? ~uint64_t{0} : ~uint64_t{0} << (128 - prefix));
    return m;
}

IpKey applyMask(const IpKey& k, unsigned prefix) {
    const IpKey m = maskOf(prefix);
    return IpKey{k.hi & m.hi, k.lo & m.lo};
}

bool portOk(const AddrEntry& e, uint16_t port) {
    return e.port == 0 || e.port == port;
}

bool keyLess(const IpKey& a, const IpKey& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}

}  // namespace

IpKey ipKeyOf(const net::SockAddr& a) {
    uint8_t b[16];
    net::ipBytes16(a, b);
    return keyFromBytes(b);
}

std::string ipText(const IpKey& k, bool v4) {
    uint8_t b[16];
    const uint64_t hi = htobe64(k.hi);
    const uint64_t lo = htobe64(k.lo);
    memcpy(b, &hi, 8);
    memcpy(b + 8, &lo, 8);
    if (v4) {  // a network's key is masked: make sure it reads as the IPv4 it is
        b[10] = 0xff;
        b[11] = 0xff;
    }
    char out[net::kIpTextMax];
    const size_t n = net::formatIp(net::fromIpBytes16(b), out, sizeof out);
    return std::string(out, n);
}

AddressTable* AddressTable::build(const std::vector<AddressRow>& rows, unsigned maxSubnets,
                                  std::string* error) {
    std::vector<AddrEntry> exact;
    std::vector<AddrEntry> subnets;
    std::string tags;
    for (const AddressRow& r : rows) {
        net::SockAddr a;
        if (!net::parseIp(r.ip, 0, a)) {
            *error = "row " + std::to_string(r.id) + ": '" + r.ip + "' is not an IP address";
            return nullptr;
        }
        const bool v4 = a.family() == AF_INET;
        const int full = v4 ? 32 : 128;
        const int mask = r.mask < 0 ? full : r.mask;
        if (mask > full) {
            *error = "row " + std::to_string(r.id) + ": mask " + std::to_string(mask) +
                     " is longer than the address";
            return nullptr;
        }
        if (r.tag.size() > UINT16_MAX) {
            *error = "row " + std::to_string(r.id) + ": tag too long";
            return nullptr;
        }
        AddrEntry e{};
        e.prefix = static_cast<uint8_t>(v4 ? 96 + mask : mask);
        e.key = applyMask(ipKeyOf(a), e.prefix);
        e.group = r.group;
        e.id = static_cast<uint32_t>(r.id);
        e.port = r.port;
        e.mask = static_cast<uint8_t>(mask);
        e.v4 = v4 ? 1 : 0;
        e.hasTag = r.tag.empty() ? 0 : 1;
        e.tagOff = static_cast<uint32_t>(tags.size());
        e.tagLen = static_cast<uint16_t>(r.tag.size());
        tags += r.tag;
        (mask == full ? exact : subnets).push_back(e);
    }
    if (subnets.size() > maxSubnets) {
        *error = std::to_string(subnets.size()) + " subnets, more than max_subnets (" +
                 std::to_string(maxSubnets) + ")";
        return nullptr;
    }
    std::stable_sort(exact.begin(), exact.end(), [](const AddrEntry& x, const AddrEntry& y) {
        if (!(x.key == y.key)) return keyLess(x.key, y.key);
        return x.group < y.group;
    });
    std::stable_sort(subnets.begin(), subnets.end(),
                     [](const AddrEntry& x, const AddrEntry& y) { return x.group < y.group; });

    const size_t n = exact.size() + subnets.size();
    const size_t bytes =
        offsetof(AddressTable, entries_) + sizeof(AddrEntry) * (n + 1) + tags.size();
    void* mem = mem::shmAlloc(bytes);
    if (mem == nullptr) {
        *error = "out of shared memory (" + std::to_string(bytes) + " bytes)";
        return nullptr;
    }
    auto* t = new (mem) AddressTable();
    t->bytes_ = bytes;
    t->exactCount_ = static_cast<uint32_t>(exact.size());
    t->subnetCount_ = static_cast<uint32_t>(subnets.size());
    if (!exact.empty()) memcpy(t->entries_, exact.data(), exact.size() * sizeof(AddrEntry));
    if (!subnets.empty()) {
        memcpy(t->entries_ + exact.size(), subnets.data(), subnets.size() * sizeof(AddrEntry));
    }
    if (!tags.empty()) memcpy(const_cast<char*>(t->tags()), tags.data(), tags.size());
    return t;
}

void AddressTable::destroy(AddressTable* t) {
    if (t != nullptr) mem::shmFree(t);
}

const AddrEntry* AddressTable::match(int64_t group, const IpKey& ip, uint16_t port) const {
    const bool v4 = isV4(ip);
    const AddrEntry* it =
        std::lower_bound(exactBegin(), exactEnd(), ip,
                         [](const AddrEntry& e, const IpKey& k) { return keyLess(e.key, k); });
    for (; it != exactEnd() && it->key == ip; ++it) {
        if ((group < 0 || it->group == group) && portOk(*it, port)) return it;
    }
    for (const AddrEntry* s = subnetBegin(); s != subnetEnd(); ++s) {
        if (group >= 0 && s->group != group) continue;
        if (s->v4 != (v4 ? 1 : 0)) continue;
        if (applyMask(ip, s->prefix) == s->key && portOk(*s, port)) return s;
    }
    return nullptr;
}

}  // namespace osprey::permissions
