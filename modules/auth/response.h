// The digest computation of RFC 7616 §3.4.1-3.4.3 (RFC 2617 §3.2.2 for MD5): HA1 from the
// password (or given, when the script holds HA1 values), HA2 over method and digest-uri (and
// the body for qop=auth-int), the expected response. Quoted values are taken as the parser
// left them (escapes kept) and unescaped while hashing.
#pragma once
#include <string_view>

#include "core/sip/digest.h"
#include "modules/auth/digest_hash.h"

namespace osprey::auth {

struct DigestInput {
    AlgorithmName alg;
    std::string_view username, realm, nonce, uri, cnonce, nc, qop;  // qop empty: RFC 2069 form
    std::string_view method;
    std::string_view body;  // qop=auth-int only
};

// The input for credentials b (their algorithm as validateCredentials read it) on a request
// with this method; the body is the caller's to add for qop=auth-int.
DigestInput digestInput(const sip::AuthBody& b, const AlgorithmName& alg, std::string_view method);

// HA1 = H(unq(username) ":" unq(realm) ":" passwd), lower-case hex; returns its length.
size_t computeHa1(Hasher& h, const DigestInput& in, std::string_view password, char* out);
// The response the client must have sent, given HA1 as lower-case hex (the -sess step, if
// any, is applied here). Returns its length, 0 on failure.
size_t computeResponse(Hasher& h, const DigestInput& in, std::string_view ha1Hex, char* out);

// Case-insensitive, constant-time equality of two hex strings.
bool sameHex(std::string_view a, std::string_view b);
// Lower-cases a hex string of at most kMaxHexLen into out; false when it is not hex.
bool lowerHex(std::string_view in, char* out);

}  // namespace osprey::auth
