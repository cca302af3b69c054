// minAnswerTtl (answer_ttl.h).
#include "core/dns/answer_ttl.h"

namespace osprey::dns {

namespace {

constexpr size_t kHeader = 12;

uint16_t get16(const unsigned char* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

// Moves *pos past the name there (RFC 1035 §4.1.4: labels ending in a zero octet or a
// two-octet pointer). False when it runs past the end or uses a reserved label type.
bool skipName(const unsigned char* msg, size_t len, size_t* pos) {
    size_t p = *pos;
    for (;;) {
        if (p >= len) return false;
        const unsigned char c = msg[p];
        if (c == 0) {
            *pos = p + 1;
            return true;
        }
        if ((c & 0xC0) == 0xC0) {
            if (p + 2 > len) return false;
            *pos = p + 2;
            return true;
        }
        if ((c & 0xC0) != 0) return false;  // 0x40 / 0x80: not in use
        p += 1 + c;
    }
}

}  // namespace

bool minAnswerTtl(const unsigned char* msg, size_t len, uint16_t type, uint32_t* ttl) {
    if (msg == nullptr || len < kHeader) return false;
    const unsigned questions = get16(msg + 4);
    const unsigned answers = get16(msg + 6);
    size_t pos = kHeader;
    for (unsigned i = 0; i < questions; ++i) {
        if (!skipName(msg, len, &pos) || pos + 4 > len) return false;
        pos += 4;  // QTYPE, QCLASS
    }
    bool found = false;
    uint32_t best = 0;
    for (unsigned i = 0; i < answers; ++i) {
        if (!skipName(msg, len, &pos) || pos + 10 > len) return false;
        const uint16_t t = get16(msg + pos);
        const uint32_t v = static_cast<uint32_t>(get16(msg + pos + 4)) << 16 | get16(msg + pos + 6);
        const uint16_t rdlen = get16(msg + pos + 8);
        pos += 10;
        if (pos + rdlen > len) return false;
        pos += rdlen;
        // RFC 2181 §8: a TTL with the top bit set is treated as zero.
        const uint32_t value = (v & 0x80000000u) != 0 ? 0 : v;
        if (t == type && (!found || value < best)) {
            best = value;
            found = true;
        }
    }
    if (found) *ttl = best;
    return found;
}

}  // namespace osprey::dns
