// Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate (RFC 3261 §20.7,
// §20.28, §20.44, §22.4; RFC 7616): a scheme and comma-separated auth-params. Digest params
// are picked out (values without quotes; escapes kept); a Digest directive given twice is an
// error (RFC 7616 §3.4: each appears at most once); unknown schemes keep their params raw
// (RFC 4475 3.3.7).
#pragma once
#include <string_view>

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct AuthBody {
    std::string_view scheme;  // "Digest" as written
    bool isDigest = false;
    std::string_view params;  // raw auth-param list (or token68) after the scheme
    std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
    std::string_view stale, domain, userhash;
    // Marks left by the auth module on the credentials it checked, as Kamailio marks its parsed
    // credentials: consume_credentials removes the authorized ones, and a challenge sent after
    // a stale nonce says stale=true.
    mutable bool authorized = false;
    mutable bool staleNonce = false;
};

const AuthBody* parseAuth(SipMsg& msg, HeaderField& h);  // (cached)

}  // namespace osprey::sip
