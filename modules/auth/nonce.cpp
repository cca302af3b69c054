// Nonce encoding and authentication.
#include "modules/auth/nonce.h"

#include <cstring>

namespace osprey::auth {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kRawLen = 24;  // 24 octets are exactly 32 base64 characters: no padding

int b64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

void encode(const uint8_t* in, char* out) {
    for (size_t i = 0, o = 0; i < kRawLen; i += 3, o += 4) {
        const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
        out[o] = kB64[(v >> 18) & 63];
        out[o + 1] = kB64[(v >> 12) & 63];
        out[o + 2] = kB64[(v >> 6) & 63];
        out[o + 3] = kB64[v & 63];
    }
}

bool decode(std::string_view s, uint8_t* out) {
    if (s.size() != kNonceLen) return false;
    for (size_t i = 0, o = 0; i < kNonceLen; i += 4, o += 3) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; ++k) {
            const int d = b64Value(s[i + k]);
            if (d < 0) return false;
            v = (v << 6) | static_cast<uint32_t>(d);
        }
        out[o] = static_cast<uint8_t>(v >> 16);
        out[o + 1] = static_cast<uint8_t>(v >> 8);
        out[o + 2] = static_cast<uint8_t>(v);
    }
    return true;
}

void put32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

uint32_t get32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Constant time: how many leading MAC octets match must not show in the timing.
bool sameBytes(const uint8_t* a, const uint8_t* b, size_t n) {
    uint8_t d = 0;
    for (size_t i = 0; i < n; ++i) d |= static_cast<uint8_t>(a[i] ^ b[i]);
    return d == 0;
}

}  // namespace

bool NonceCodec::mac(const uint8_t head[8], Algorithm alg, std::string_view realm,
                     uint8_t out[16]) const {
    uint8_t msg[9];
    std::memcpy(msg, head, 8);
    msg[8] = static_cast<uint8_t>(alg);
    uint8_t full[32];
    if (!key_.mac(std::string_view(reinterpret_cast<const char*>(msg), sizeof msg), realm, full))
        return false;
    std::memcpy(out, full, 16);
    return true;
}

bool NonceCodec::make(const NonceFields& f, Algorithm alg, std::string_view realm,
                      char* out) const {
    uint8_t raw[kRawLen];
    put32(raw, f.created);
    put32(raw + 4, f.nid);
    if (!mac(raw, alg, realm, raw + 8)) return false;
    encode(raw, out);
    return true;
}

NonceCheck NonceCodec::check(std::string_view nonce, Algorithm alg, std::string_view realm,
                             NonceFields& f) const {
    uint8_t raw[kRawLen];
    if (!decode(nonce, raw)) return NonceCheck::Malformed;
    f.created = get32(raw);
    f.nid = get32(raw + 4);
    uint8_t want[16];
    if (!mac(raw, alg, realm, want) || !sameBytes(want, raw + 8, 16)) return NonceCheck::BadMac;
    return NonceCheck::Ok;
}

NonceCheck NonceCodec::age(const NonceFields& f, int64_t now, uint32_t expire, uint32_t maxDrift) {
    const int64_t created = f.created;
    if (created > now + maxDrift) return NonceCheck::Future;
    if (now > created + expire) return NonceCheck::Expired;
    return NonceCheck::Ok;
}

}  // namespace osprey::auth
