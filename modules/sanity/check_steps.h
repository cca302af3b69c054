// Internal to the sanity module: one function per check (grouped in files by what they look
// at), each returning true when the message passes and filling the verdict when it fails.
#pragma once
#include <string_view>

#include "modules/sanity/sanity_checks.h"

namespace osprey::sanity {

inline bool fail(Verdict& v, Check which, uint16_t status, std::string_view reason) {
    v.failed = which;
    v.status = status;
    v.reason = reason;
    return false;
}

// start_line_checks.cpp
bool checkRuriSipVersion(sip::SipMsg& msg, Verdict& v);
bool checkRuriScheme(sip::SipMsg& msg, Verdict& v);
bool requestUriParses(sip::SipMsg& msg, Check which, Verdict& v);

// header_checks.cpp
bool checkRequiredHeaders(sip::SipMsg& msg, Verdict& v);
bool checkVia1Header(sip::SipMsg& msg, Verdict& v);
bool checkViaSipVersion(sip::SipMsg& msg, Verdict& v);
bool checkCSeqMethod(sip::SipMsg& msg, Verdict& v);
bool checkCSeqValue(sip::SipMsg& msg, Verdict& v);
bool checkContentLength(sip::SipMsg& msg, const Options& opt, Verdict& v);
bool checkExpiresValue(sip::SipMsg& msg, Verdict& v);

// proxy_require_check.cpp
bool checkProxyRequire(sip::SipMsg& msg, const Options& opt, Verdict& v);

// uri_checks.cpp
bool checkParseUris(sip::SipMsg& msg, uint32_t uriChecks, Verdict& v);
bool checkDuplicateTags(sip::SipMsg& msg, Verdict& v);

// auth_checks.cpp: requireDigest makes other schemes a failure (2048) instead of a pass (8192).
bool checkCredentials(sip::SipMsg& msg, bool requireDigest, Verdict& v);

}  // namespace osprey::sanity
