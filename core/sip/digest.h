// Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate (RFC 3261 §20.7,
// §20.28, §20.44, §22.4; RFC 7616): a scheme and comma-separated auth-params. Digest params
// are picked out (values without quotes; escapes kept); unknown schemes keep their params
// raw (RFC 4475 3.3.7).
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
};

const AuthBody* parseAuth(SipMsg& msg, HeaderField& h);  // (cached)

}  // namespace osprey::sip
