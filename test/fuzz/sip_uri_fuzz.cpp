// libFuzzer target: URI parsing and comparison. Input is one URI, or two separated by a
// newline. Checks: no crash or overread; error offsets inside the text; equality reflexive and
// symmetric; the URI without headers parses again and equals itself; well-known parameters
// found by the parser are found by findUriParam.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/sip/uri.h"

using namespace osprey::sip;

namespace {

void failIf(bool bad, const char* what, std::string_view a, std::string_view b = {}) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n[%.*s]\n[%.*s]\n", what, static_cast<int>(a.size()),
                 a.data(), static_cast<int>(b.size()), b.data());
    std::abort();
}

bool parse(std::string_view text, SipUri& u) {
    size_t where = 0;
    UriError e = parseUri(text, u, &where);
    failIf(e != UriError::Ok && where > text.size(), "error offset past the end", text);
    failIf(uriErrorText(e) == nullptr, "no error text", text);
    return e == UriError::Ok;
}

void checkOne(std::string_view text, const SipUri& u) {
    failIf(!uriEquals(u, u), "not reflexive", text);
    std::string_view plain = uriWithoutHeaders(u);
    SipUri p;
    failIf(!parse(plain, p), "URI without headers does not parse", text, plain);
    failIf(!p.headers.empty(), "URI without headers has headers", text, plain);
    failIf(!uriEquals(p, p), "not reflexive (no headers)", plain);
    if (u.scheme == UriScheme::Tel) return;
    std::string_view v;
    failIf(!u.transport.empty() && !findUriParam(u.params, "transport", &v), "transport lost",
           text);
    failIf(u.lr && !findUriParam(u.params, "lr", nullptr), "lr lost", text);
    failIf(!uriHostEquals(u.host, u.host), "host not equal to itself", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    size_t nl = in.find('\n');
    std::string_view a = in.substr(0, nl);
    std::string_view b = nl == std::string_view::npos ? a : in.substr(nl + 1);
    SipUri ua, ub;
    bool okA = parse(a, ua);
    bool okB = parse(b, ub);
    if (okA) checkOne(a, ua);
    if (okB) checkOne(b, ub);
    if (okA && okB) {
        failIf(uriEquals(ua, ub) != uriEquals(ub, ua), "not symmetric", a, b);
        failIf(uriHostEquals(ua.host, ub.host) != uriHostEquals(ub.host, ua.host),
               "host comparison not symmetric", a, b);
    }
    return 0;
}
