// Sanity module unit tests (linked with the module's check sources, core/sip and mem: see the
// Makefile's module unit-test rule): a pkg heap for the message arenas, and a request template
// whose parts a test replaces to break one thing at a time.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/sip/msg.h"
#include "mem/pkg.h"
#include "modules/sanity/sanity_checks.h"

namespace osprey::sanity::test {

[[maybe_unused]] static const bool kPkgReady = osprey::mem::pkgInit(32u << 20);

// Kamailio's recommended KEMI call: every check but 8, 16 and 2048; R-URI, From and To.
inline constexpr uint32_t kScriptChecks = 30695;
inline constexpr uint32_t kScriptUris = 7;

struct Req {
    std::string startLine = "INVITE sip:bob@example.com SIP/2.0";
    std::string via = "Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK1\r\n";
    std::string from = "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n";
    std::string to = "To: <sip:bob@example.com>\r\n";
    std::string callId = "Call-ID: c1@pc.example.com\r\n";
    std::string cseq = "CSeq: 1 INVITE\r\n";
    std::string extra;  // more header lines, each ending in CRLF
    std::string body;
    bool contentLength = true;  // add "Content-Length: <body size>"

    std::string text() const {
        std::string s = startLine + "\r\n" + via + from + to + callId + cseq + extra;
        if (contentLength) s += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        return s + "\r\n" + body;
    }
};

struct Checked {
    std::string buf;
    sip::SipMsg msg;
    Verdict v;
    bool passed = false;
};

// Parses the text as the router does (parseMsg; its verdict is ignored so broken start lines
// reach the checks too) and runs the checks.
inline std::unique_ptr<Checked> runText(const std::string& text, uint32_t checks,
                                        uint32_t uris = kScriptUris, Options opt = {}) {
    auto c = std::make_unique<Checked>();
    c->buf = text;
    sip::parseMsg(c->msg, c->buf);
    c->passed = runChecks(c->msg, checks, uris, opt, c->v);
    return c;
}

inline std::unique_ptr<Checked> run(const Req& r, uint32_t checks, uint32_t uris = kScriptUris,
                                    Options opt = {}) {
    return runText(r.text(), checks, uris, opt);
}

// gtest helper: the check failed with this bit, status and reason.
inline ::testing::AssertionResult failsWith(const Checked& c, uint32_t bit, int status,
                                            std::string_view reason) {
    if (c.passed) return ::testing::AssertionFailure() << "passed";
    if (c.v.failed != bit || c.v.status != status || c.v.reason != reason) {
        return ::testing::AssertionFailure()
               << "failed check " << c.v.failed << " with " << c.v.status << " '" << c.v.reason
               << "', expected check " << bit << " with " << status << " '" << reason << "'";
    }
    return ::testing::AssertionSuccess();
}

}  // namespace osprey::sanity::test
