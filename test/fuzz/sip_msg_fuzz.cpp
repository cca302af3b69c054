// libFuzzer target: SIP message parsing (lazy and full), stream framing, forwarding edits and
// local replies, on arbitrary bytes. Besides "never crash, never read out of bounds", it checks
// that a message the parser fully accepts is still fully accepted after the proxy edits, and
// that every reply built re-parses.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/sip/builder.h"
#include "core/sip/msg.h"
#include "core/sip/reply.h"
#include "core/sip/stream_framer.h"

using namespace osprey::sip;

namespace {

void failIf(bool bad, const char* what, std::string_view in, std::string_view out) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n--- output (%zu)\n%.*s\n",
                 what, in.size(), static_cast<int>(in.size()), in.data(), out.size(),
                 static_cast<int>(out.size()), out.data());
    std::abort();
}

std::vector<char> flat(const OutSpans& o) {
    std::vector<char> v(o.bytes);
    if (flattenSpans(o, v.data(), v.size()) != o.bytes) std::abort();
    return v;
}

bool fullyValid(SipMsg& m) {
    return parseAll(m) && checkMessage(m);
}

void forward(std::string_view in, bool valid, int variant) {
    SipMsg msg;
    if (!parseMsg(msg, in)) return;
    MsgBuilder b(msg);
    if (msg.isRequest()) {
        if (b.decrementMaxForwards() == BuildError::TooManyHops) return;
        b.addReceived(variant ? "2001:db8::7" : "192.0.2.7", 5060);
        b.addRecordRoute("<sip:192.0.2.1;lr>");
        b.pushVia("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz;rport");
        if (variant) {
            b.setRequestUri("sip:user@[2001:db8::1]:5080;transport=tcp");
            b.removeHeaders(HeaderKind::Contact);
            b.appendHeader("X-Fuzz", "1");
            b.setBody("v=0\r\n", "application/sdp");
        }
    } else {
        b.popVia();
    }
    OutSpans out;
    if (b.build(out) != BuildError::Ok) return;
    std::vector<char> o = flat(out);
    std::string_view os(o.data(), o.size());
    SipMsg re;
    bool ok = parseMsg(re, os);
    failIf(valid && msg.isRequest() && !(ok && fullyValid(re)),
           "forwarded request no longer parses", in, os);
}

void reply(std::string_view in, uint16_t status) {
    SipMsg msg;
    parseMsg(msg, in);
    if (!msg.isRequest()) return;
    parseAll(msg);
    ReplyOptions opt;
    opt.srcIp = "198.51.100.2";
    opt.srcPort = 1234;
    opt.extraHeaders = "Server: fuzz\r\n";
    OutSpans out;
    if (buildReply(msg, status, msg.error ? msg.reasonPhrase() : std::string_view(), opt, out) !=
        BuildError::Ok) {
        return;
    }
    std::vector<char> o = flat(out);
    std::string_view os(o.data(), o.size());
    SipMsg re;
    failIf(!parseMsg(re, os) || re.isRequest() || re.start.status != status,
           "local reply does not parse", in, os);
}

void frame(std::string_view in) {
    StreamFramer f;
    std::string_view rest = in;
    // Feed in two reads, then drain; each step consumes or stops, so this ends.
    size_t cut = in.size() / 2;
    f.next(rest.substr(0, cut));
    for (int i = 0; i < 10000; ++i) {
        Frame fr = f.next(rest);
        if (fr.kind == FrameKind::NeedMore || fr.kind == FrameKind::Error) return;
        if (fr.length == 0 || fr.length > rest.size()) std::abort();
        if (fr.kind == FrameKind::Message) {
            SipMsg m;
            if (parseMsg(m, rest.substr(0, fr.length))) parseAll(m);
        }
        rest.remove_prefix(fr.length);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    SipMsg msg;
    bool valid = parseMsg(msg, in) && fullyValid(msg);
    forward(in, valid, 0);
    forward(in, valid, 1);
    reply(in, valid ? 200 : 400);
    reply(in, 100);
    frame(in);
    return 0;
}
