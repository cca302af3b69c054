// Finding the digest credentials meant for a realm in a request (RFC 3261 §22.2-22.3: a
// request may carry several Authorization / Proxy-Authorization headers, one per realm) and
// checking that they are complete before anything is hashed (RFC 7616 §3.4).
#pragma once
#include <string_view>

#include "core/sip/digest.h"
#include "core/sip/header_kind.h"
#include "modules/auth/digest_hash.h"

namespace osprey::sip {
struct SipMsg;
struct HeaderField;
}  // namespace osprey::sip

namespace osprey::auth {

enum class Found : uint8_t { Yes, None, Malformed };

struct Credentials {
    sip::HeaderField* header = nullptr;
    const sip::AuthBody* body = nullptr;
};

// The first Digest credentials of kind k whose realm is `realm`. Malformed when a header of
// that kind does not parse (it might have been the one).
Found findCredentials(sip::SipMsg& msg, sip::HeaderKind k, std::string_view realm,
                      Credentials& out);

// A quoted-string value (escapes kept) equals plain text.
bool unquotedEquals(std::string_view quoted, std::string_view plain);

// What a response needs, present and well-formed: username, nonce, uri, response of the
// algorithm's length in hex, qop auth or auth-int with cnonce and an nc of 1-8 hex digits,
// a supported algorithm, no userhash. Fills alg and nc.
struct Validated {
    AlgorithmName alg;
    uint32_t nc = 0;
    const char* problem = nullptr;  // why not, for the log
};
bool validateCredentials(const sip::AuthBody& b, Validated& out);

}  // namespace osprey::auth
