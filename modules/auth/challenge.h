// Digest challenges (RFC 7616 §3.3, RFC 3261 §22.1): the WWW-Authenticate (401) or
// Proxy-Authenticate (407) header lines, one per configured algorithm in order of preference
// (RFC 8760 §2.4: SHA-256 before MD5 when both are offered), each with its own nonce bound to
// that algorithm. All of them share one nonce id, so the replay state costs one slot.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modules/auth/digest_hash.h"
#include "modules/auth/nonce.h"
#include "modules/auth/nonce_state.h"

namespace osprey::auth {

// Flags of auth_challenge / www_challenge / proxy_challenge (Kamailio's bits).
inline constexpr int kChallengeQopAuth = 1;
inline constexpr int kChallengeQopAuthInt = 2;
inline constexpr int kChallengeNo500 = 4;
inline constexpr int kChallengeStale = 16;

struct Offer {
    Algorithm algs[kAlgorithmCount] = {Algorithm::Md5};
    unsigned count = 1;
    bool named = false;  // write algorithm=...; false for the default (Kamailio omits it)
};

// Parses the algorithm parameter: "" (MD5, not named in the challenge), or a comma-separated
// list of MD5, SHA-256, SHA-512-256. False on an unknown or repeated name.
bool parseOffer(std::string_view text, Offer& out);

inline constexpr size_t kMaxRealm = 256;
inline constexpr size_t kChallengeBufSize = 1024;

// Writes the header lines (each ending CRLF) into out; returns the length, 0 on failure (realm
// empty or longer than kMaxRealm, or a control character in it).
size_t buildChallenge(const NonceCodec& codec, NonceState* state, bool proxy,
                      std::string_view realm, int flags, bool stale, const Offer& offer,
                      int64_t now, char* out, size_t cap);

}  // namespace osprey::auth
