// libFuzzer target: the sanity module's checks (modules/sanity/sanity_checks.h) on arbitrary
// messages: every check alone, then all of them together, for datagrams and streams, with and
// without a proxy_require list. Invariants:
//   - the verdict agrees with the return value; a failure names one check bit (one that was
//     asked for), with a 4xx/5xx status and a reason; the Unsupported list of a 420 stays in
//     bounds, lies inside the message and formats into its buffer;
//   - a check gives the same verdict when asked again (what it parsed stays cached);
//   - when all checks pass together, each passes alone (they are independent).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/sip/msg.h"
#include "modules/sanity/sanity_checks.h"

using namespace osprey;

namespace {

void failIf(bool bad, const char* what, std::string_view in) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n", what, in.size(),
                 static_cast<int>(in.size()), in.data());
    std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool run(sip::SipMsg& msg, uint32_t checks, uint32_t uris, const sanity::Options& opt,
         std::string_view in, sanity::Verdict& v) {
    v = sanity::Verdict{};
    const bool passed = sanity::runChecks(msg, checks, uris, opt, v);
    failIf(passed != v.passed(), "return value and verdict disagree", in);
    if (passed) return true;
    failIf((v.failed & (v.failed - 1)) != 0, "more than one failed check", in);
    failIf((v.failed & checks) == 0, "a check that was not asked for failed", in);
    failIf(v.status < 400 || v.status > 599, "failure without an error status", in);
    failIf(v.reason.empty(), "failure without a reason", in);
    failIf(v.unsupportedCount > sanity::Verdict::kMaxUnsupported ||
               v.unsupportedCount > v.unsupportedTotal,
           "Unsupported list out of bounds", in);
    for (unsigned i = 0; i < v.unsupportedCount; ++i) {
        failIf(!inside(v.unsupported[i], msg.data), "Unsupported tag outside the message", in);
    }
    char buf[256];
    std::memset(buf, 0x5a, sizeof buf);
    const size_t n = sanity::formatUnsupported(v, buf, sizeof buf - 16);
    failIf(n > sizeof buf - 16, "formatUnsupported wrote past its buffer", in);
    for (size_t i = sizeof buf - 16; i < sizeof buf; ++i) {
        failIf(buf[i] != 0x5a, "formatUnsupported wrote past its capacity", in);
    }
    if (n != 0) failIf(n < 2 || buf[n - 2] != '\r' || buf[n - 1] != '\n', "no CRLF", in);
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    static const std::string_view kTags[] = {"path", "outbound", "sec-agree", "100rel"};
    for (int mode = 0; mode < 4; ++mode) {
        sanity::Options opt;
        opt.datagram = (mode & 1) == 0;
        if (mode & 2) opt.proxyRequire = kTags;

        // Each check alone on a fresh parse, and again on the same message.
        uint32_t passedAlone = 0;
        for (uint32_t bit = 1; bit <= sanity::kAllChecks; bit <<= 1) {
            sip::SipMsg msg;
            sip::parseMsg(msg, in);  // its verdict is ignored, as the router's sanity call does
            sanity::Verdict a, b;
            const bool first = run(msg, bit, sanity::kAllUriChecks, opt, in, a);
            const bool again = run(msg, bit, sanity::kAllUriChecks, opt, in, b);
            failIf(first != again || a.failed != b.failed || a.status != b.status,
                   "a check changes its mind", in);
            if (first) passedAlone |= bit;
        }
        // All together.
        sip::SipMsg msg;
        sip::parseMsg(msg, in);
        sanity::Verdict all;
        if (run(msg, sanity::kAllChecks, sanity::kAllUriChecks, opt, in, all)) {
            failIf(passedAlone != sanity::kAllChecks, "passes together but not alone", in);
        }
    }
    return 0;
}
