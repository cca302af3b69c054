// What auth offers other modules (auth_db, as Kamailio's auth_db binds auth), reached with
//
//     const auth::AuthApi* a = module::loadedModules().api<auth::AuthApi>("auth");
//
// The nonces, replay state, algorithms and realm_prefix stay auth's: a caller only brings the
// secret of the user the credentials name (verify.h, SecretLookup), so credentials checked by
// auth_db are held to the same rules as those checked with a password from the script.
#pragma once
#include <string_view>

#include "core/sip/header_kind.h"
#include "modules/auth/verify.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::auth {

struct AuthApi {
    // Verifies the request's credentials of kind k for realm (realm_prefix stripped here) with
    // the secret `lookup` gives for their user; the codes of verify.h. *used (optional) gets
    // the credentials that were checked, when there were some.
    int (*authenticate)(route::MsgContext& mc, sip::HeaderKind k, std::string_view realm,
                        std::string_view method, SecretLookup lookup, void* user, int flags,
                        const sip::AuthBody** used);
    // The identity check of pv_auth_check(checks = 1) (verify.h, checkIdentity).
    int (*checkIdentity)(route::MsgContext& mc, const sip::AuthBody& cred, bool useDomain);
};

}  // namespace osprey::auth
