// runChecks: the checks in Kamailio's order (start line, required headers, top Via, CSeq,
// Content-Length, Expires, Proxy-Require, URIs, credentials, tags), first failure wins.
#include <cstring>

#include "core/sip/msg.h"
#include "modules/sanity/check_steps.h"

namespace osprey::sanity {

namespace {

// Checks that look past the start line and the top Via.
constexpr uint32_t kNeedHeaders = kRequiredHeaders | kCSeqMethod | kCSeqValue | kContentLength |
                                  kExpiresValue | kProxyRequire | kParseUris | kDigestCredentials |
                                  kDuplicateTags | kAuthorization;

// The first check of `checks` (in run order) that needs the header section: the one a scan
// failure is reported as.
Check firstHeaderCheck(uint32_t checks) {
    static constexpr Check kOrder[] = {
        kRequiredHeaders, kCSeqMethod, kCSeqValue,         kContentLength, kExpiresValue,
        kProxyRequire,    kParseUris,  kDigestCredentials, kAuthorization, kDuplicateTags};
    for (Check c : kOrder)
        if (checks & c) return c;
    return kRequiredHeaders;
}

}  // namespace

bool runChecks(sip::SipMsg& msg, uint32_t checks, uint32_t uriChecks, const Options& opt,
               Verdict& out) {
    out = Verdict{};
    const bool request = msg.isRequest();
    if (request && (checks & kRuriSipVersion) && !checkRuriSipVersion(msg, out)) return false;
    if (request && (checks & kRuriScheme) && !checkRuriScheme(msg, out)) return false;
    // One scan to the end of the headers (the router's basic check has done it already), so
    // the checks below can take an absent header for absent. Not parseHeaders once complete:
    // it refuses to work on a message with an error recorded, and a script may have parsed
    // some bad header before calling sanity_check.
    if ((checks & kNeedHeaders) && !msg.headersComplete() && !sip::parseHeaders(msg, sip::HDR_EOH))
        return fail(out, firstHeaderCheck(checks), 400, "Bad Headers");
    if ((checks & kRequiredHeaders) && !checkRequiredHeaders(msg, out)) return false;
    if ((checks & kVia1Header) && !checkVia1Header(msg, out)) return false;
    if ((checks & kViaSipVersion) && !checkViaSipVersion(msg, out)) return false;
    // kViaProtocol: Kamailio never implemented it (its Via parser rejected what it would
    // catch); accepted for compatibility and always passes.
    if (request && (checks & kCSeqMethod) && !checkCSeqMethod(msg, out)) return false;
    if ((checks & kCSeqValue) && !checkCSeqValue(msg, out)) return false;
    if ((checks & kContentLength) && !checkContentLength(msg, opt, out)) return false;
    if ((checks & kExpiresValue) && !checkExpiresValue(msg, out)) return false;
    if (request && (checks & kProxyRequire) && !checkProxyRequire(msg, opt, out)) return false;
    if ((checks & kParseUris) && !checkParseUris(msg, uriChecks, out)) return false;
    if ((checks & kDigestCredentials) && !checkCredentials(msg, true, out)) return false;
    if ((checks & kAuthorization) && !checkCredentials(msg, false, out)) return false;
    if ((checks & kDuplicateTags) && !checkDuplicateTags(msg, out)) return false;
    return true;
}

size_t formatUnsupported(const Verdict& v, char* buf, size_t cap) {
    static constexpr std::string_view kName = "Unsupported: ";
    if (v.unsupportedCount == 0 || cap < kName.size() + 3) return 0;
    size_t n = kName.size();
    std::memcpy(buf, kName.data(), n);
    unsigned listed = 0;
    for (unsigned i = 0; i < v.unsupportedCount; ++i) {
        const std::string_view tag = v.unsupported[i];
        const size_t sep = listed > 0 ? 2 : 0;
        if (n + sep + tag.size() + 2 > cap) break;  // room for the final CRLF
        if (sep != 0) {
            std::memcpy(buf + n, ", ", 2);
            n += 2;
        }
        std::memcpy(buf + n, tag.data(), tag.size());
        n += tag.size();
        ++listed;
    }
    if (listed == 0) return 0;
    std::memcpy(buf + n, "\r\n", 2);
    return n + 2;
}

}  // namespace osprey::sanity
