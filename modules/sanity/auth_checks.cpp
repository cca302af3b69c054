// Credentials in Authorization and Proxy-Authorization (RFC 3261 §22.4, RFC 7616 §3.4): every
// instance parses, and Digest credentials carry what a verifier needs — username, realm,
// nonce, uri, response, and cnonce and nc when qop is given. Kamailio stops at the first
// non-Digest header; this checks every header of both kinds.
#include "core/sip/digest.h"
#include "core/sip/msg.h"
#include "modules/sanity/check_steps.h"

namespace osprey::sanity {

namespace {

bool digestComplete(const sip::AuthBody& a, Check which, Verdict& v) {
    if (a.username.empty()) return fail(v, which, 400, "Auth Empty User");
    if (a.nonce.empty()) return fail(v, which, 400, "Auth Empty Nonce");
    if (a.response.empty()) return fail(v, which, 400, "Auth Empty Response");
    const bool qopOk = a.qop.empty() || (!a.cnonce.empty() && !a.nc.empty());
    if (a.realm.empty() || a.uri.empty() || !qopOk)
        return fail(v, which, 400, "Bad Auth Credentials");
    return true;
}

}  // namespace

bool checkCredentials(sip::SipMsg& msg, bool requireDigest, Verdict& v) {
    const Check which = requireDigest ? kDigestCredentials : kAuthorization;
    for (sip::HeaderKind kind :
         {sip::HeaderKind::Authorization, sip::HeaderKind::ProxyAuthorization}) {
        for (sip::HeaderField* h = sip::findHeader(msg, kind); h != nullptr;
             h = sip::nextHeader(msg, *h)) {
            const sip::AuthBody* a = sip::parseAuth(msg, *h);
            if (a == nullptr) return fail(v, which, 400, "Bad Auth Header");
            if (!a->isDigest) {
                if (requireDigest) return fail(v, which, 400, "Unsupported Auth Scheme");
                continue;
            }
            if (!digestComplete(*a, which, v)) return false;
        }
    }
    return true;
}

}  // namespace osprey::sanity
