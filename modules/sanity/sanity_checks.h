// The checks of the sanity module (Kamailio's sanity, same bit values), as plain functions
// over a parsed message so they can be tested without a router: runChecks says which check
// failed and what Kamailio's module would answer (status, reason, the Unsupported option tags
// of a 420). Sending the answer is the module's business (sanity.cpp).
//
//     sanity::Options opt;                       // proxy_require list, transport
//     sanity::Verdict v;
//     if (!sanity::runChecks(msg, 30695, 7, opt, v)) reply(v.status, v.reason);
//
// Every check uses the parser's own APIs (core/sip): nothing is parsed twice by hand, and
// what a check parses stays cached on the message for the script.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace osprey::sip {
struct SipMsg;
}

namespace osprey::sanity {

// msg_checks bits (Kamailio's values, sanity_check's first argument).
enum Check : uint32_t {
    kRuriSipVersion = 1,        // Request-Line version is SIP/2.0, else 505
    kRuriScheme = 2,            // Request-URI scheme sip/sips/tel, else 416 (400 if it is bad)
    kRequiredHeaders = 4,       // To, From, Call-ID, CSeq, Via present, the first four once
    kViaSipVersion = 8,         // top Via's sent-protocol is SIP/2.0, else 505
    kViaProtocol = 16,          // accepted and always passes, as in Kamailio
    kCSeqMethod = 32,           // CSeq method equals the request method
    kCSeqValue = 64,            // CSeq number is a 32-bit unsigned integer
    kContentLength = 128,       // Content-Length parses and (datagram) equals the body length
    kExpiresValue = 256,        // Expires is a 32-bit unsigned integer
    kProxyRequire = 512,        // every Proxy-Require option tag is in proxy_require, else 420
    kParseUris = 1024,          // the URIs chosen by uri_checks parse
    kDigestCredentials = 2048,  // every Authorization/Proxy-Authorization is complete Digest
    kDuplicateTags = 4096,      // From and To carry at most one tag parameter
    kAuthorization = 8192,      // Digest credentials are complete; other schemes pass
    kVia1Header = 16384,        // the top Via parses and has a host
};
inline constexpr uint32_t kAllChecks = 32767;
inline constexpr uint32_t kDefaultChecks = 3047;  // Kamailio's default_checks

// uri_checks bits (sanity_check's second argument), used by kParseUris.
enum UriCheck : uint32_t {
    kUriRuri = 1,
    kUriFrom = 2,
    kUriTo = 4,
    kUriContact = 8,
};
inline constexpr uint32_t kAllUriChecks = 15;
inline constexpr uint32_t kDefaultUriChecks = 7;

struct Options {
    std::span<const std::string_view> proxyRequire;  // supported option tags (case-insensitive)
    bool datagram = true;  // UDP: the body must be exactly Content-Length octets
};

struct Verdict {
    static constexpr unsigned kMaxUnsupported = 16;

    uint32_t failed = 0;      // the check that failed (a Check bit); 0 when all passed
    uint16_t status = 0;      // what to answer a request with
    std::string_view reason;  // static text
    // 420: the option tags not supported (views into the message), in order of appearance;
    // `unsupportedTotal` counts them all even beyond kMaxUnsupported.
    std::string_view unsupported[kMaxUnsupported];
    unsigned unsupportedCount = 0;
    unsigned unsupportedTotal = 0;

    bool passed() const { return failed == 0; }
};

// Runs the chosen checks in Kamailio's order and stops at the first failure. Checks about
// the request line (1, 2, 32, 512 and the R-URI of 1024) are skipped for responses. Returns
// true when every check passed.
bool runChecks(sip::SipMsg& msg, uint32_t checks, uint32_t uriChecks, const Options& opt,
               Verdict& out);

// "Unsupported: tag1, tag2\r\n" for a 420 verdict, as many tags as fit in cap. Returns the
// length written (0 when there is nothing to list or not even one tag fits).
size_t formatUnsupported(const Verdict& v, char* buf, size_t cap);

}  // namespace osprey::sanity
