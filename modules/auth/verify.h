// Verifying digest credentials (Kamailio's pv_www_authenticate / pv_proxy_authenticate /
// pv_auth_check), with the return codes scripts test:
//    1 authenticated
//   -1 error: malformed credentials, a nonce that is not ours, a bad HA1 argument
//   -2 wrong password (the response does not match)
//   -3 the user is unknown (auth_db: no subscriber row)
//   -4 stale nonce: expired, from another run/secret, or its replay slot was reused; the
//      response was right for it, so the next challenge says stale=true (RFC 7616 §3.3)
//   -5 no credentials for the realm
//   -6 nonce reused: an nc already seen (nonce_count) or a one-time nonce used twice
//   -8 the user named in the credentials is not the From/To user (checks = 1)
// The clock is passed in (seconds since the epoch), so tests can move it.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/header_kind.h"
#include "modules/auth/credentials.h"
#include "modules/auth/nonce.h"
#include "modules/auth/nonce_state.h"

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::auth {

enum AuthCode : int {
    kAuthOk = 1,
    kAuthError = -1,
    kAuthInvalidPassword = -2,
    kAuthUserUnknown = -3,
    kAuthStaleNonce = -4,
    kAuthNoCredentials = -5,
    kAuthNonceReused = -6,
    kAuthUserMismatch = -8,
};

// Flags of pv_*_authenticate / pv_auth_check (Kamailio's bits).
inline constexpr int kFlagPasswordIsHa1 = 1;
inline constexpr int kFlagKeepNcOnFailure = 32;

struct Verifier {
    const NonceCodec* codec = nullptr;
    NonceState* state = nullptr;  // null: no replay tracking
    uint32_t nonceExpire = 300;
    uint32_t maxDrift = 3;
};

// Where the secret of the credentials' user comes from: the script's argument (auth's
// pv_*_authenticate) or a table (auth_db). Asked once the credentials are found and well-formed,
// before anything is hashed; `value` must stay valid until authenticate returns.
struct Secret {
    enum Kind : uint8_t { Password, Ha1, UnknownUser, Error } kind = Error;
    std::string_view value;
};
using SecretLookup = Secret (*)(void* user, const sip::AuthBody& cred, std::string_view realm,
                                Algorithm alg);

// Checks the credentials for realm in headers of kind k (Authorization or
// Proxy-Authorization). On success they are marked authorized; on a stale nonce, staleNonce.
int authenticate(const Verifier& v, sip::SipMsg& msg, sip::HeaderKind k, std::string_view realm,
                 std::string_view passwd, int flags, std::string_view method, int64_t now,
                 Credentials* found = nullptr);
// The same with the secret from `lookup`: kAuthUserUnknown when it knows no such user,
// kAuthError when it failed (the lookup tells its caller why through `user`).
int authenticateWith(const Verifier& v, sip::SipMsg& msg, sip::HeaderKind k, std::string_view realm,
                     SecretLookup lookup, void* user, int flags, std::string_view method,
                     int64_t now, Credentials* found = nullptr);

// The identity check of pv_auth_check(checks = 1): the credentials' username equals the user
// of To (REGISTER, PUBLISH) or From (otherwise); for REGISTER and PUBLISH From and To name the
// same user (and, with useDomain, the same domain). kAuthOk or kAuthUserMismatch / kAuthError.
int checkIdentity(sip::SipMsg& msg, const sip::AuthBody& cred, bool useDomain);

}  // namespace osprey::auth
