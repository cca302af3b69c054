// Digest credential verification: find, validate, recompute, then the nonce's MAC, age and
// replay state, in that order: the response is checked first so that stale=true is only
// claimed for a client that knew the password (RFC 7616 §3.3), and replay state is only
// touched for nonces we issued.
#include "modules/auth/verify.h"

#include "core/log/log.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/name_addr.h"
#include "modules/auth/response.h"

namespace osprey::auth {

namespace {

int logged(int code, const char* what, std::string_view realm) {
    LM_DBG("auth: %s (realm %.*s)", what, static_cast<int>(realm.size()), realm.data());
    return code;
}

bool findBodyForAuthInt(sip::SipMsg& msg, std::string_view qop) {
    if (qop.size() != 8) return true;  // not auth-int
    return sip::findBody(msg);
}

struct ArgSecret {
    std::string_view passwd;
    bool isHa1;
};

Secret argSecret(void* user, const sip::AuthBody&, std::string_view, Algorithm) {
    const auto* a = static_cast<const ArgSecret*>(user);
    return {a->isHa1 ? Secret::Ha1 : Secret::Password, a->passwd};
}

}  // namespace

int authenticate(const Verifier& v, sip::SipMsg& msg, sip::HeaderKind k, std::string_view realm,
                 std::string_view passwd, int flags, std::string_view method, int64_t now,
                 Credentials* found) {
    if (passwd.empty()) return kAuthError;
    ArgSecret arg{passwd, (flags & kFlagPasswordIsHa1) != 0};
    return authenticateWith(v, msg, k, realm, &argSecret, &arg, flags, method, now, found);
}

int authenticateWith(const Verifier& v, sip::SipMsg& msg, sip::HeaderKind k, std::string_view realm,
                     SecretLookup lookup, void* user, int flags, std::string_view method,
                     int64_t now, Credentials* found) {
    if (realm.empty() || lookup == nullptr || v.codec == nullptr) return kAuthError;
    Credentials c;
    switch (findCredentials(msg, k, realm, c)) {
        case Found::None:
            return kAuthNoCredentials;
        case Found::Malformed:
            return logged(kAuthError, "credentials do not parse", realm);
        case Found::Yes:
            break;
    }
    if (found != nullptr) *found = c;
    const sip::AuthBody& b = *c.body;
    Validated val;
    if (!validateCredentials(b, val)) return logged(kAuthError, val.problem, realm);

    DigestInput in = digestInput(b, val.alg, method);
    if (!findBodyForAuthInt(msg, b.qop)) return logged(kAuthError, "body not found", realm);
    in.body = msg.body;

    const Secret secret = lookup(user, b, realm, val.alg.alg);
    if (secret.kind == Secret::UnknownUser) return logged(kAuthUserUnknown, "unknown user", realm);
    if (secret.kind == Secret::Error || secret.value.empty())
        return logged(kAuthError, "no secret for the user", realm);
    Hasher& h = Hasher::local();
    const size_t hexLen = 2 * hashBytes(val.alg.alg);
    char ha1[kMaxHexLen];
    if (secret.kind == Secret::Ha1) {
        if (secret.value.size() != hexLen || !lowerHex(secret.value, ha1))
            return logged(kAuthError, "HA1 does not fit the algorithm", realm);
    } else if (computeHa1(h, in, secret.value, ha1) != hexLen) {
        return logged(kAuthError, "hash failed", realm);
    }
    char expected[kMaxHexLen];
    if (computeResponse(h, in, {ha1, hexLen}, expected) != hexLen)
        return logged(kAuthError, "hash failed", realm);
    const bool responseOk = sameHex({expected, hexLen}, b.response);

    NonceFields nf;
    const NonceCheck nc = v.codec->check(b.nonce, val.alg.alg, realm, nf);
    if (nc == NonceCheck::Malformed) return logged(kAuthError, "nonce is not ours", realm);
    if (!responseOk) {
        // Kamailio spends the nonce's nc on a failed attempt unless flag 32 says not to.
        if (nc == NonceCheck::Ok && v.state != nullptr && !b.qop.empty() &&
            !(flags & kFlagKeepNcOnFailure))
            v.state->spendNc(nf.nid);
        return logged(kAuthInvalidPassword, "wrong response", realm);
    }
    if (nc != NonceCheck::Ok ||
        NonceCodec::age(nf, now, v.nonceExpire, v.maxDrift) != NonceCheck::Ok) {
        b.staleNonce = true;
        return logged(kAuthStaleNonce, "stale nonce", realm);
    }
    if (v.state != nullptr) {
        const Replay r =
            b.qop.empty() ? v.state->acceptOnce(nf.nid) : v.state->acceptNc(nf.nid, val.nc);
        if (r == Replay::Stale) {
            b.staleNonce = true;
            return logged(kAuthStaleNonce, "nonce slot reused", realm);
        }
        if (r == Replay::Reused) return logged(kAuthNonceReused, "nonce reused", realm);
    }
    b.authorized = true;
    return kAuthOk;
}

int checkIdentity(sip::SipMsg& msg, const sip::AuthBody& cred, bool useDomain) {
    // The bodies are the message's cached parses; their URIs are parsed (and cached) on demand.
    auto uriOf = [&msg](const sip::FromToBody* ft) -> const sip::SipUri* {
        return ft == nullptr ? nullptr
                             : sip::nameAddrUri(msg, const_cast<sip::NameAddr&>(ft->addr));
    };
    const sip::SipUri* from = uriOf(sip::getFrom(msg));
    if (from == nullptr) return kAuthError;
    const bool toSide =
        msg.method() == sip::Method::Register || msg.method() == sip::Method::Publish;
    const sip::SipUri* to = toSide ? uriOf(sip::getTo(msg)) : nullptr;
    if (toSide && to == nullptr) return kAuthError;
    // A username "user@domain" (some user agents send one) names its user part (Kamailio's
    // digest username.user).
    std::string_view credUser = cred.username;
    if (const size_t at = credUser.find('@'); at != std::string_view::npos)
        credUser = credUser.substr(0, at);
    if (!unquotedEquals(credUser, toSide ? to->user : from->user)) return kAuthUserMismatch;
    if (toSide) {
        if (from->user != to->user) return kAuthUserMismatch;
        if (useDomain && from->host != to->host) return kAuthUserMismatch;
    }
    return kAuthOk;
}

}  // namespace osprey::auth
