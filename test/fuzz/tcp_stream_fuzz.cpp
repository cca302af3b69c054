// libFuzzer target: the TCP input path (core/net/tcp_input.h over core/sip/stream_framer.h) on
// arbitrary streams cut into arbitrary reads. Input: 4 octets of schedule, then the stream
// (pipelined messages, keep-alives, garbage).
//   octet 0: the message size limit, 256 << (o & 7)
//   octet 1: the largest read, one of 1, 2, 3, 7, 64, 512, 4096, everything
//   octets 2-3: seed of the read sizes (1..largest) and of the scratch buffer size
// The same stream is also framed in one read (the reference). Invariants:
//   - the reads' cut points change nothing: the same messages and pings in the same order, the
//     same outcome (Ok or BadStream), the same unframed tail;
//   - in the reference, framed octets are the stream itself in order: a message is a run of
//     the input, and between messages there are only CR and LF (keep-alives);
//   - no message is longer than the limit, none is empty, none starts with CR or LF.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/tcp_input.h"
#include "core/sip/msg.h"

using osprey::net::InputStatus;
using osprey::net::ReadTarget;
using osprey::net::TcpInput;

namespace {

void failIf(bool bad, const char* what, std::string_view stream) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- stream (%zu)\n%.*s\n", what, stream.size(),
                 static_cast<int>(stream.size()), stream.data());
    std::abort();
}

struct Event {
    bool ping = false;
    std::string text;
    size_t offset = 0;  // in the reference only: where the message starts in the stream
};

struct Recorder {
    const char* base = nullptr;  // the reference's buffer, to know offsets
    size_t limit = 0;
    std::string_view stream;
    std::vector<Event> events;

    bool onMessage(char* p, size_t n) {
        failIf(n == 0 || n > limit, "message length out of bounds", stream);
        failIf(p[0] == '\r' || p[0] == '\n', "message starts with CR/LF", stream);
        Event e;
        e.text.assign(p, n);
        if (base != nullptr) e.offset = static_cast<size_t>(p - base);
        events.push_back(std::move(e));
        // Whatever the framer hands out goes to the parser next, as in the router.
        osprey::sip::SipMsg m;
        if (osprey::sip::parseMsg(m, std::string_view(p, n))) osprey::sip::parseAll(m);
        return true;
    }
    bool onPing() {
        Event e;
        e.ping = true;
        events.push_back(e);
        return true;
    }
};

uint32_t nextRand(uint32_t& s) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) return 0;
    const size_t limit = size_t{256} << (data[0] & 7);
    static const size_t kReads[] = {1, 2, 3, 7, 64, 512, 4096, SIZE_MAX};
    const size_t largest = kReads[data[1] & 7];
    uint32_t seed = (uint32_t{data[2]} << 8 | data[3]) + 1;
    const std::string stream(reinterpret_cast<const char*>(data) + 4, size - 4);
    if (stream.empty()) return 0;

    // Reference: the whole stream in one read.
    std::vector<char> whole(stream.begin(), stream.end());
    Recorder ref;
    ref.base = whole.data();
    ref.limit = limit;
    ref.stream = stream;
    TcpInput in1(limit);
    ReadTarget t1 = in1.target(whole.data(), whole.size());
    failIf(t1.data != whole.data() || t1.room != whole.size(), "empty input not scratch", stream);
    const InputStatus s1 = in1.commit(whole.size(), ref);
    size_t pos = 0;
    for (const Event& e : ref.events) {
        if (e.ping) continue;
        for (; pos < e.offset; ++pos) {
            failIf(stream[pos] != '\r' && stream[pos] != '\n', "octets skipped between messages",
                   stream);
        }
        pos = e.offset + e.text.size();
    }

    // The same stream in reads of random sizes, through a scratch buffer of random size.
    Recorder cut;
    cut.limit = limit;
    cut.stream = stream;
    TcpInput in2(limit);
    std::vector<char> scratch(1 + nextRand(seed) % 8192);
    InputStatus s2 = InputStatus::Ok;
    size_t off = 0;
    while (off < stream.size() && s2 == InputStatus::Ok) {
        ReadTarget t = in2.target(scratch.data(), scratch.size());
        if (t.room == 0) {
            s2 = in2.commit(0, cut);
            break;
        }
        size_t n = largest == SIZE_MAX ? stream.size() : 1 + nextRand(seed) % largest;
        n = std::min({n, t.room, stream.size() - off});
        std::memcpy(t.data, stream.data() + off, n);
        off += n;
        s2 = in2.commit(n, cut);
    }
    failIf(s2 == InputStatus::NoMemory, "no memory with malloc", stream);
    failIf(s1 != s2, "outcome depends on the read sizes", stream);
    failIf(ref.events.size() != cut.events.size(), "event count depends on the read sizes", stream);
    for (size_t i = 0; i < ref.events.size(); ++i) {
        failIf(ref.events[i].ping != cut.events[i].ping || ref.events[i].text != cut.events[i].text,
               "events depend on the read sizes", stream);
    }
    if (s1 == InputStatus::Ok) {
        failIf(in1.pending() != in2.pending(), "unframed tail depends on the read sizes", stream);
        failIf(in1.pending() > stream.size(), "tail longer than the stream", stream);
    }
    return 0;
}
