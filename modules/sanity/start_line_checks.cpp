// Checks on the Request-Line: SIP version (RFC 3261 §21.5.6: 505 Version Not Supported) and
// Request-URI scheme (§8.2.2.1, §16.3 step 2: 416 for a scheme the server does not understand).
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"
#include "core/sip/uri.h"
#include "modules/sanity/check_steps.h"

namespace osprey::sanity {

bool checkRuriSipVersion(sip::SipMsg& msg, Verdict& v) {
    const std::string_view ver = msg.start.version;
    // The parser stops at an unsupported version but keeps the text it read.
    const bool ok = ver.size() == 7 && sip::lex::equalsNoCase(ver.substr(0, 4), "SIP/") &&
                    ver.substr(4) == "2.0";
    return ok || fail(v, kRuriSipVersion, 505, "Version Not Supported (R-URI)");
}

bool requestUriParses(sip::SipMsg& msg, Check which, Verdict& v) {
    if (sip::requestUri(msg) != nullptr) return true;
    // Only on failure: ask the URI parser why (the message keeps just the first error).
    sip::SipUri scratch;
    if (sip::parseUri(msg.start.uri, scratch) == sip::UriError::BadScheme)
        return fail(v, which, 416, "Unsupported URI Scheme in Request URI");
    return fail(v, which, 400, "Bad Request URI");
}

bool checkRuriScheme(sip::SipMsg& msg, Verdict& v) {
    return requestUriParses(msg, kRuriScheme, v);
}

}  // namespace osprey::sanity
