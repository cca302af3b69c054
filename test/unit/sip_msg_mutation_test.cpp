// Hostile input: the RFC 4475 messages and a typical INVITE mutated at random (fixed seed,
// bounded count): flipped, inserted, deleted and truncated octets. Every outcome must be a
// clean success or a clean error (offset inside the data, printable reason phrase), and the
// stream framer must make progress or stop with an error. Run under MODE=asan as well.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/sip/msg.h"
#include "core/sip/stream_framer.h"
#include "test/support/read_file.h"
#include "test/unit/sip_test_pkg.h"

using namespace osprey::sip;

namespace {

std::vector<std::string> seeds() {
    std::vector<std::string> out;
    const std::string dir = OSPREY_SOURCE_DIR "/test/data/rfc4475/";
    std::ifstream index(dir + "INDEX.tsv");
    std::string line;
    std::getline(index, line);
    while (std::getline(index, line)) {
        std::string file = line.substr(0, line.find('\t'));
        out.push_back(osprey::testsupport::readFile(dir + file));
    }
    return out;
}

std::string mutate(std::string s, std::mt19937& rng) {
    static const char kInteresting[] = {'\r', '\n', ' ', '\t', ':', ';', ',', '"',  '<',    '>',
                                        '\\', '=',  '/', '@',  '[', ']', '%', '\0', '\x7f', '\xff'};
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
        size_t at = rng() % s.size();
        char c = (rng() % 2) ? kInteresting[rng() % sizeof kInteresting]
                             : static_cast<char>(rng() & 0xff);
        switch (rng() % 5) {
            case 0:
                s[at] = c;
                break;
            case 1:
                s.insert(s.begin() + static_cast<long>(at), c);
                break;
            case 2:
                s.erase(at, 1 + rng() % 8);
                break;
            case 3:
                s.resize(at);
                break;
            default:
                s.insert(at, s.substr(rng() % s.size(), rng() % 40));
                break;
        }
    }
    return s;
}

}  // namespace

TEST(SipMsgMutation, ParserNeverFailsUncleanly) {
    const std::vector<std::string> base = seeds();
    ASSERT_EQ(base.size(), 49u);
    std::mt19937 rng(20240601);
    SipMsg msg;
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 30000; ++i) {
        const std::string data = mutate(base[rng() % base.size()], rng);
        msg.reset();
        bool ok = parseMsg(msg, data) && parseAll(msg) && checkMessage(msg);
        if (ok) {
            ++accepted;
            EXPECT_LE(msg.body.size(), data.size());
            continue;
        }
        ++rejected;
        ASSERT_NE(msg.error.code, ParseErrc::None) << "failure without an error";
        ASSERT_LE(msg.error.offset, data.size()) << msg.errorText();
        std::string_view reason = msg.reasonPhrase();
        ASSERT_FALSE(reason.empty());
        for (char c : reason) ASSERT_TRUE(c >= 0x20 && c < 0x7f);
        ASSERT_FALSE(msg.errorText().empty());
    }
    // Both outcomes occur, so the mutations exercise the parser and not just the scanner.
    EXPECT_GT(accepted, 100);
    EXPECT_GT(rejected, 100);
}

TEST(SipMsgMutation, FramerAlwaysProgresses) {
    const std::vector<std::string> base = seeds();
    std::mt19937 rng(5626);
    for (int i = 0; i < 3000; ++i) {
        std::string stream;
        for (int k = 0; k < 4; ++k) stream += mutate(base[rng() % base.size()], rng);
        StreamFramer framer(4096);
        std::string_view pending(stream);
        int steps = 0;
        for (; steps < 10000; ++steps) {
            Frame f = framer.next(pending);
            if (f.kind == FrameKind::NeedMore || f.kind == FrameKind::Error) break;
            ASSERT_GT(f.length, 0u);
            ASSERT_LE(f.length, pending.size());
            pending.remove_prefix(f.length);
        }
        ASSERT_LT(steps, 10000) << "framer did not stop";
    }
}
