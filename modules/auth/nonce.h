// Stateless nonces (RFC 7616 §3.3 leaves the format to the server): 24 octets, sent as 32
// base64url characters,
//
//     created (4, seconds, big-endian) | nid (4) | MAC (16)
//
// where MAC = HMAC-SHA-256(secret, created | nid | algorithm | realm) cut to 16 octets. The
// server keeps nothing per nonce to check it: the MAC proves it issued the nonce, for this
// realm and this algorithm (so a response cannot switch a SHA-256 challenge to MD5), and
// `created` gives its age. `nid` indexes the replay state (nonce_state.h).
#pragma once
#include <cstdint>
#include <string_view>

#include "modules/auth/digest_hash.h"

namespace osprey::auth {

inline constexpr size_t kNonceLen = 32;

struct NonceFields {
    uint32_t created = 0;
    uint32_t nid = 0;
};

enum class NonceCheck : uint8_t {
    Ok,
    Malformed,  // not a nonce of this format: not ours at all
    BadMac,     // our format but another secret, realm or algorithm (restart, other server)
    Expired,    // older than nonce_expire
    Future,     // created more than the allowed drift ahead of now
};

class NonceCodec {
public:
    void setSecret(std::string_view secret) { key_.setKey(secret); }

    // Writes kNonceLen characters to out.
    bool make(const NonceFields& f, Algorithm alg, std::string_view realm, char* out) const;
    // Decodes and authenticates; fills f when the nonce has our format.
    NonceCheck check(std::string_view nonce, Algorithm alg, std::string_view realm,
                     NonceFields& f) const;
    // Age rules (nonce_expire, nonce_auth_max_drift) for a nonce that passed check().
    static NonceCheck age(const NonceFields& f, int64_t now, uint32_t expire, uint32_t maxDrift);

private:
    bool mac(const uint8_t head[8], Algorithm alg, std::string_view realm, uint8_t out[16]) const;
    HmacKey key_;
};

}  // namespace osprey::auth
