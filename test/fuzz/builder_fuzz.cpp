// libFuzzer target: the message builder (core/sip/builder.h) under script edits: header add,
// remove and replace, Request-URI, Via and body changes, in any order and any number, on any
// message. Input: a message, then a NUL, then the edit program (without a NUL the whole input
// is both). Program octet 0 picks the mode: strict (names, values and URIs from lists of valid
// ones, as a well-written script would pass) or raw (text from the program itself, as a script
// passing peer data would). Each further op is an octet and its arguments.
//
// Invariants, when build() accepts the edits of a message that passed checkMessage:
//   - the result frames on a stream as exactly one message of its full length (Content-Length
//     right), unless the script itself wrote a Content-Length;
//   - strict mode: the result parses, and its Request-URI is the one last set (without
//     ?headers) or the original.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/sip/builder.h"
#include "core/sip/builder_via.h"
#include "core/sip/msg.h"
#include "core/sip/stream_framer.h"
#include "core/sip/uri.h"
#include "core/sip/via.h"

using namespace osprey::sip;

namespace {

void failIf(bool bad, const char* what, std::string_view in, std::string_view out) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n--- output (%zu)\n%.*s\n",
                 what, in.size(), static_cast<int>(in.size()), in.data(), out.size(),
                 static_cast<int>(out.size()), out.data());
    std::abort();
}

struct Pair {
    const char* name;
    const char* value;
};
const Pair kHeaders[] = {
    {"X-Fuzz", "1"},
    {"Subject", "hello world"},
    {"Route", "<sip:192.0.2.1;lr>"},
    {"Record-Route", "<sip:p.example.com;lr>"},
    {"Via", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKf1;rport"},
    {"v", "SIP/2.0/TCP [2001:db8::9];branch=z9hG4bKf2"},
    {"Contact", "<sip:alice@192.0.2.4:5060>;expires=60"},
    {"Max-Forwards", "10"},
    {"Expires", "3600"},
    {"P-Asserted-Identity", "\"A\" <sip:a@example.com>"},
    {"Supported", "path, outbound"},
    {"Content-Type", "application/sdp"},
};
const char* const kUris[] = {
    "sip:bob@example.com",
    "sips:[2001:db8::1]:5061;transport=tcp",
    "tel:+1-201-555-0123",
    "sip:a@b.example.com?Subject=x&Priority=urgent",
    "sip:%61lice@192.0.2.1:5080;lr;maddr=192.0.2.2",
    "sip:",  // refused
};
const char* const kBodies[] = {"", "v=0\r\n", "hello"};
const char* const kTypes[] = {"", "application/sdp", "text/plain"};
const char* const kIps[] = {"192.0.2.7", "2001:db8::7", "::ffff:192.0.2.8"};
constexpr HeaderKind kKinds[] = {
    HeaderKind::Via,         HeaderKind::Route, HeaderKind::RecordRoute, HeaderKind::Contact,
    HeaderKind::MaxForwards, HeaderKind::Other, HeaderKind::ContentType, HeaderKind::ContentLength};

class Program {
public:
    Program(std::string_view p, bool strict) : p_(p), strict_(strict) {}
    bool done() const { return pos_ >= p_.size(); }
    uint8_t byte() { return pos_ < p_.size() ? static_cast<uint8_t>(p_[pos_++]) : 0; }
    std::string_view raw() {
        const size_t n = std::min<size_t>(byte() % 64, p_.size() - std::min(pos_, p_.size()));
        std::string_view s = p_.substr(std::min(pos_, p_.size()), n);
        pos_ += n;
        return s;
    }
    Pair header() {
        const Pair& d = kHeaders[byte() % std::size(kHeaders)];
        if (strict_) return d;
        names_.emplace_back(raw());
        values_.emplace_back(raw());
        return {names_.back().c_str(), values_.back().c_str()};
    }
    std::string_view text(const char* const* list, size_t n) {
        const char* d = list[byte() % n];
        return strict_ ? std::string_view(d) : raw();
    }

private:
    std::string_view p_;
    size_t pos_ = 0;
    bool strict_;
    std::vector<std::string> names_, values_;  // raw texts live until the edits are built
};

bool isContentLength(std::string_view name) {
    return name == "l" || name == "L" ||
           (name.size() == 14 && (name[0] | 0x20) == 'c' && (name[8] | 0x20) == 'l' &&
            name[7] == '-');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const size_t nul = in.rfind('\0');
    const std::string_view text = nul == std::string_view::npos ? in : in.substr(0, nul);
    const std::string_view prog = nul == std::string_view::npos ? in : in.substr(nul + 1);
    const bool strict = prog.empty() || (static_cast<uint8_t>(prog[0]) & 1) == 0;

    SipMsg msg;
    if (!parseMsg(msg, text)) return 0;
    const bool valid = parseAll(msg) && checkMessage(msg);
    scanAllHeaders(msg);
    MsgBuilder b(msg);
    Program p(prog.empty() ? prog : prog.substr(1), strict);
    bool wroteLength = false;
    std::string ruri(msg.isRequest() ? msg.start.uri : std::string_view());
    bool ruriSet = false;
    for (int ops = 0; ops < 32 && !p.done(); ++ops) {
        const uint32_t n = msg.headerCount();
        switch (p.byte() % 16) {
            case 0: {
                Pair h = p.header();
                if (b.appendHeader(h.name, h.value) == BuildError::Ok)
                    wroteLength |= isContentLength(h.name);
                break;
            }
            case 1: {
                Pair h = p.header();
                if (b.prependHeader(h.name, h.value) == BuildError::Ok)
                    wroteLength |= isContentLength(h.name);
                break;
            }
            case 2: {
                Pair h = p.header();
                const uint8_t i = p.byte();
                if (n != 0 &&
                    b.insertHeaderBefore(msg.header(i % n), h.name, h.value) == BuildError::Ok)
                    wroteLength |= isContentLength(h.name);
                break;
            }
            case 3: {
                const uint8_t i = p.byte();
                if (n != 0) b.removeHeader(msg.header(i % n));
                break;
            }
            case 4:
                b.removeHeaders(kKinds[p.byte() % std::size(kKinds)]);
                break;
            case 5:
                b.removeHeadersByName(p.header().name);
                break;
            case 6: {
                // Strict: a value of the same kind (the first header of that kind's), so the
                // header stays valid; raw: anything.
                const uint8_t i = p.byte();
                std::string_view v = p.text(kBodies, std::size(kBodies));
                if (n == 0) break;
                HeaderField& h = msg.header(i % n);
                if (strict) {
                    HeaderField* first = h.kind == HeaderKind::Other ? &h : findHeader(msg, h.kind);
                    v = first != nullptr ? first->value : h.value;
                }
                if (b.replaceHeaderValue(h, v) == BuildError::Ok &&
                    h.kind == HeaderKind::ContentLength)
                    wroteLength = true;
                break;
            }
            case 7:
                if (HeaderField* h = findHeader(msg, HeaderKind::Via);
                    h != nullptr && msg.topVia != nullptr) {
                    b.removeListValue(*h, msg.topVia->text);
                }
                break;
            case 8: {
                const std::string_view u = p.text(kUris, std::size(kUris));
                if (b.setRequestUri(u) == BuildError::Ok) {
                    SipUri parsed;
                    if (parseUri(u, parsed) != UriError::Ok) std::abort();
                    ruri = std::string(uriWithoutHeaders(parsed));
                    ruriSet = true;
                }
                break;
            }
            case 9:
                b.decrementMaxForwards();
                break;
            case 10:
                b.addRecordRoute(strict ? std::string_view("<sip:192.0.2.1;lr>") : p.raw());
                break;
            case 11:
                b.pushVia(strict ? std::string_view("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp")
                                 : p.raw());
                break;
            case 12:
                b.popVia();
                break;
            case 13: {
                const std::string_view ip = p.text(kIps, std::size(kIps));
                b.addReceived(ip, static_cast<uint16_t>(p.byte() << 8 | p.byte()));
                break;
            }
            case 14: {
                const std::string_view body = p.text(kBodies, std::size(kBodies));
                b.setBody(body, p.text(kTypes, std::size(kTypes)));
                break;
            }
            case 15:
                // The connection id forward.cpp appends to a Via received over TCP.
                if (msg.topVia != nullptr) {
                    const uint32_t end = msg.offsetOf(msg.topVia->text) +
                                         static_cast<uint32_t>(msg.topVia->text.size());
                    char t[32] = ";i=";
                    const size_t len = 3 + formatDecimal(uint64_t{p.byte()} << 40 | 7, t + 3);
                    b.insertAt(end, std::string_view(t, len));
                }
                break;
        }
    }
    OutSpans out;
    if (b.build(out) != BuildError::Ok || !valid) return 0;
    std::vector<char> o(out.bytes);
    if (flattenSpans(out, o.data(), o.size()) != out.bytes) std::abort();
    const std::string_view os(o.data(), o.size());

    if (!wroteLength) {
        StreamFramer f(1 << 20);
        const Frame fr = f.next(os);
        failIf(fr.kind != FrameKind::Message || fr.length != os.size(),
               "built message does not frame as itself", in, os);
    }
    if (strict) {
        SipMsg re;
        failIf(!parseMsg(re, os), "built message does not parse", in, os);
        if (msg.isRequest()) {
            failIf(ruriSet && re.start.uri != ruri, "Request-URI is not the one set", in, os);
        }
    }
    return 0;
}
