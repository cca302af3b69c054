// libFuzzer target: the SDP parser (core/sip/sdp.h). Input: one session description.
//
// Invariants:
//   - no crash or overread (ASan); an error names the start of a line inside the body;
//   - on success every view lies inside the body; counts stay within their arrays; each media
//     section starts with "m=", they follow each other in order, and the session part ends
//     where the first begins; a port's number is the decimal it shows;
//   - what a media relay would do, done through the parser's positions (every m= port set to
//     9, every IP4/IP6 c= address replaced by one of the other length), gives a body that
//     parses again to the same shape with the new values;
//   - ICE candidates found by parseIceCandidate lie inside their attribute.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/sip/sdp.h"

using namespace osprey::sip;

namespace {

void failIf(bool bad, const char* what, std::string_view in, std::string_view out = {}) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n--- output (%zu)\n%.*s\n",
                 what, in.size(), static_cast<int>(in.size()), in.data(), out.size(),
                 static_cast<int>(out.size()), out.data());
    std::abort();
}

bool inside(std::string_view body, std::string_view v) {
    if (v.empty()) return true;  // empty views may point anywhere
    return v.data() >= body.data() && v.data() + v.size() <= body.data() + body.size();
}

void checkConnection(std::string_view body, const SdpConnection& c) {
    if (!c.present) return;
    failIf(!inside(body, c.netType) || !inside(body, c.addrType) || !inside(body, c.address) ||
               !inside(body, c.suffix),
           "connection outside the body", body);
    failIf(c.address.empty(), "connection without an address", body);
}

void checkPort(std::string_view body, std::string_view text, uint16_t n) {
    failIf(!inside(body, text), "port outside the body", body);
    uint16_t again = 0;
    failIf(!parseSdpPort(text, again) || again != n, "port number is not the port text", body);
}

void checkRange(std::string_view body, const Sdp& s, SdpAttributeRange r) {
    failIf(size_t{r.first} + r.count > s.attributeCount, "attribute range past the store", body);
    const SdpAttribute* a = s.attributesOf(r);
    for (uint16_t i = 0; i < r.count; ++i) {
        failIf(!inside(body, a[i].name) || !inside(body, a[i].value) || !inside(body, a[i].line),
               "attribute outside the body", body);
        failIf(a[i].name.empty(), "attribute without a name", body);
        if (a[i].name != "candidate") continue;
        IceCandidate c;
        if (!parseIceCandidate(a[i].value, c)) continue;
        failIf(!inside(a[i].value, c.foundation) || !inside(a[i].value, c.address) ||
                   !inside(a[i].value, c.port) || !inside(a[i].value, c.type) ||
                   !inside(a[i].value, c.relatedAddress),
               "candidate field outside its attribute", body);
        checkPort(body, c.port, c.portNumber);
    }
}

void checkParsed(std::string_view body, const Sdp& s) {
    failIf(s.mediaCount > Sdp::kMaxMedia || s.attributeCount > Sdp::kMaxAttributes,
           "counts past the arrays", body);
    failIf(!inside(body, s.session) || s.session.data() != body.data(),
           "session part is not the body's start", body);
    checkConnection(body, s.origin);
    checkConnection(body, s.connection);
    checkRange(body, s, s.attributes);
    size_t expect = s.session.size();
    for (size_t i = 0; i < s.mediaCount; ++i) {
        const SdpMedia& m = s.media[i];
        failIf(!inside(body, m.section) || m.section.substr(0, 2) != "m=",
               "section does not start with m=", body);
        failIf(sdpOffset(body, m.section) != expect, "sections do not follow each other", body);
        expect += m.section.size();
        failIf(!inside(m.section, m.media) || !inside(m.section, m.proto) ||
                   !inside(m.section, m.formats),
               "m= field outside its section", body);
        checkPort(body, m.port, m.portNumber);
        failIf(m.portCount == 0, "port count 0", body);
        checkConnection(body, m.connection);
        checkRange(body, s, m.attributes);
        if (m.rtcp.present) {
            checkPort(body, m.rtcp.port, m.rtcp.portNumber);
            checkConnection(body, m.rtcp.connection);
        }
    }
    if (s.mediaCount > 0) failIf(expect != body.size(), "sections do not reach the end", body);
}

struct Edit {
    size_t at, len;
    std::string_view with;
};

// The media relay's rewrite, through the parser's positions.
std::string rewrite(std::string_view body, const Sdp& s) {
    std::vector<Edit> edits;
    auto addr = [&](const SdpConnection& c) {
        if (!c.present || c.family == SdpAddrFamily::Other) return;
        edits.push_back({sdpOffset(body, c.address), c.address.size(),
                         c.family == SdpAddrFamily::Ip4 ? "203.0.113.254" : "2001:db8::fe"});
    };
    addr(s.connection);
    for (size_t i = 0; i < s.mediaCount; ++i) {
        edits.push_back({sdpOffset(body, s.media[i].port), s.media[i].port.size(), "9"});
        addr(s.media[i].connection);
    }
    std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.at > b.at; });
    std::string out(body);
    for (const Edit& e : edits) out.replace(e.at, e.len, e.with);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    static Sdp s;  // about 10 KiB: not on the fuzzer's stack
    SdpError e = parseSdp(body, s);
    failIf(sdpErrcName(e.code) == nullptr, "no error name", body);
    if (e) {
        failIf(e.offset > body.size(), "error offset past the end", body);
        failIf(e.offset > 0 && body[e.offset - 1] != '\n', "error offset not at a line", body);
        return 0;
    }
    checkParsed(body, s);

    std::string edited = rewrite(body, s);
    size_t media = s.mediaCount;
    bool sessionConn = s.connection.present;
    static Sdp r;
    SdpError e2 = parseSdp(edited, r);
    failIf(static_cast<bool>(e2), "rewritten body does not parse", body, edited);
    checkParsed(edited, r);
    failIf(r.mediaCount != media || r.connection.present != sessionConn,
           "rewritten body has another shape", body, edited);
    for (size_t i = 0; i < r.mediaCount; ++i) {
        failIf(r.media[i].portNumber != 9, "port not rewritten", body, edited);
        const SdpConnection& c = r.media[i].connection;
        if (c.present && c.family == SdpAddrFamily::Ip4)
            failIf(c.address != "203.0.113.254", "address not rewritten", body, edited);
    }
    return 0;
}
