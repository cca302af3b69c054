// The RFC 4475 torture messages through the builders: every valid request builds back into a
// forwardable request (Via pushed, Max-Forwards decremented, everything else as it was) that
// re-parses; valid responses forward with their Via popped; invalid requests get a 400 (or
// the status the parser suggests) that re-parses; and a forced forward of the malformed
// request lines never propagates the malformation (RFC 4475 §3.1.2.7-11).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/sip/builder.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/reply.h"
#include "core/sip/via.h"
#include "test/support/pkg_env.h"
#include "test/support/read_file.h"

using namespace osprey::sip;
using std::string;
using std::string_view;

namespace {

const string kDir = string(OSPREY_SOURCE_DIR) + "/test/data/rfc4475/";

struct Entry {
    string file;
    bool valid;
};

std::vector<Entry> loadIndex() {
    std::vector<Entry> out;
    std::ifstream in(kDir + "INDEX.tsv");
    string line;
    std::getline(in, line);  // column names
    while (std::getline(in, line)) {
        std::istringstream cols(line);
        string file, cls;
        std::getline(cols, file, '\t');
        std::getline(cols, cls, '\t');
        if (!file.empty()) out.push_back({file, cls == "valid"});
    }
    return out;
}

string readFile(const string& name) {
    return osprey::testsupport::readFile(kDir + name);
}

string flatten(const OutSpans& o) {
    string s(o.bytes, '\0');
    EXPECT_EQ(flattenSpans(o, s.data(), s.size()), o.bytes);
    return s;
}

constexpr string_view kOurVia = "SIP/2.0/UDP 192.0.2.250:5060;branch=z9hG4bKosprey.fwd1";

}  // namespace

TEST(SipBuilderRfc4475, IndexIsThere) {
    std::vector<Entry> idx = loadIndex();
    EXPECT_EQ(idx.size(), 49u) << "missing " << kDir << "INDEX.tsv";
}

TEST(SipBuilderRfc4475, ValidRequestsForwardWithViaPushedAndMaxForwardsDecremented) {
    int forwarded = 0;
    for (const Entry& e : loadIndex()) {
        if (!e.valid) continue;
        string data = readFile(e.file);
        ASSERT_FALSE(data.empty()) << e.file;
        SipMsg msg;
        ASSERT_TRUE(parseMsg(msg, data)) << e.file << ": " << msg.errorText();
        if (!msg.isRequest()) continue;
        bool fullyParsed = parseAll(msg);
        const NumberBody* mf = getMaxForwards(msg);
        uint32_t origCount = msg.headerCount();
        bool hadCl = findHeader(msg, HeaderKind::ContentLength) != nullptr;
        MsgBuilder b(msg);
        BuildError mfErr = b.decrementMaxForwards();
        if (mf != nullptr && mf->value == 0) {
            // RFC 4475 3.3.11 (zeromf): not forwarded; a 483 goes back instead.
            EXPECT_EQ(mfErr, BuildError::TooManyHops) << e.file;
            OutSpans r;
            ASSERT_EQ(buildReply(msg, 483, "", {}, r), BuildError::Ok) << e.file;
            EXPECT_EQ(flatten(r).rfind("SIP/2.0 483 Too Many Hops\r\n", 0), 0u);
            continue;
        }
        ASSERT_EQ(mfErr, BuildError::Ok) << e.file;
        ASSERT_EQ(b.pushVia(kOurVia), BuildError::Ok) << e.file;
        OutSpans out;
        ASSERT_EQ(b.build(out), BuildError::Ok) << e.file;
        string fwd = flatten(out);

        SipMsg re;
        ASSERT_TRUE(parseMsg(re, fwd)) << e.file << ": " << re.errorText() << "\n" << fwd;
        if (fullyParsed) {
            EXPECT_TRUE(parseAll(re)) << e.file << ": " << re.errorText();
        }
        ASSERT_NE(re.topVia, nullptr);
        EXPECT_EQ(re.topVia->text, kOurVia) << e.file;
        const NumberBody* mf2 = getMaxForwards(re);
        ASSERT_NE(mf2, nullptr) << e.file;
        EXPECT_EQ(mf2->value, mf ? mf->value - 1 : 70u) << e.file;
        EXPECT_EQ(re.start.methodText, msg.start.methodText);
        EXPECT_EQ(re.start.uri, msg.start.uri) << e.file;

        // Every other header is there, in order, with its value unchanged.
        ASSERT_TRUE(scanAllHeaders(re)) << e.file;
        uint32_t expected = origCount + 1 + (mf ? 0 : 1) + (hadCl ? 0 : 1);
        ASSERT_EQ(re.headerCount(), expected) << e.file << "\n" << fwd;
        uint32_t j = 0;  // index in re, skipping our Via (wherever the first Via was)
        for (uint32_t i = 0; i < origCount; ++i, ++j) {
            if (re.header(j).value == kOurVia) ++j;
            HeaderField& o = msg.header(i);
            HeaderField& n = re.header(j);
            EXPECT_EQ(n.name, o.name) << e.file;
            if (o.kind != HeaderKind::MaxForwards) {
                EXPECT_EQ(n.value, o.value) << e.file;
            }
        }
        // The body goes along untouched (and nothing after it, RFC 4475 3.1.1.8).
        ASSERT_TRUE(findBody(msg) && findBody(re)) << e.file;
        EXPECT_EQ(re.body, msg.body) << e.file;
        EXPECT_EQ(fwd.size(), re.bodyStart + re.body.size()) << e.file;
        ++forwarded;
    }
    EXPECT_GE(forwarded, 15);
}

TEST(SipBuilderRfc4475, ValidResponsesForwardWithViaPopped) {
    int popped = 0;
    for (const Entry& e : loadIndex()) {
        if (!e.valid) continue;
        string data = readFile(e.file);
        SipMsg msg;
        ASSERT_TRUE(parseMsg(msg, data)) << e.file;
        if (msg.isRequest()) continue;
        int vias = 0;
        for (HeaderField* h = findHeader(msg, HeaderKind::Via); h; h = nextHeader(msg, *h)) ++vias;
        MsgBuilder b(msg);
        if (vias > 1) {
            ASSERT_EQ(b.popVia(), BuildError::Ok) << e.file;
            ++popped;
        }
        OutSpans out;
        ASSERT_EQ(b.build(out), BuildError::Ok) << e.file;
        string fwd = flatten(out);
        SipMsg re;
        ASSERT_TRUE(parseMsg(re, fwd)) << e.file << ": " << re.errorText();
        EXPECT_EQ(re.start.status, msg.start.status);
        if (vias > 1) {
            EXPECT_NE(re.topVia->text, msg.topVia->text) << e.file;
        } else {
            EXPECT_EQ(fwd, data.substr(0, fwd.size()));
        }
    }
    EXPECT_GE(popped, 1);
}

TEST(SipBuilderRfc4475, InvalidRequestsGetAnErrorReply) {
    int replied = 0;
    for (const Entry& e : loadIndex()) {
        if (e.valid) continue;
        string data = readFile(e.file);
        SipMsg msg;
        bool ok = parseMsg(msg, data) && parseAll(msg) && checkMessage(msg);
        OutSpans out;
        ReplyOptions opt;
        opt.srcIp = "192.0.2.77";
        opt.srcPort = 5060;
        uint16_t status = ok ? 400 : static_cast<uint16_t>(msg.errorStatus());
        string reason(ok ? string_view("Bad Request") : msg.reasonPhrase());
        BuildError be = buildReply(msg, status, reason, opt, out);
        if (!msg.isRequest()) {
            EXPECT_EQ(be, BuildError::NotARequest) << e.file;
            continue;
        }
        if (be == BuildError::NoVia || be == BuildError::Unparsed) {
            std::cout << "  no reply for " << e.file << ": " << buildErrorText(be) << "\n";
            continue;
        }
        ASSERT_EQ(be, BuildError::Ok) << e.file << ": " << buildErrorText(be);
        string reply = flatten(out);
        SipMsg re;
        ASSERT_TRUE(parseMsg(re, reply)) << e.file << ": " << re.errorText() << "\n" << reply;
        EXPECT_FALSE(re.isRequest());
        EXPECT_EQ(re.start.status, status) << e.file;
        ++replied;
    }
    EXPECT_GE(replied, 15);
}

TEST(SipBuilderRfc4475, MalformedRequestLinesNeverPropagate) {
    for (const char* f :
         {"ltgtruri.dat", "lwsstart.dat", "escruri.dat", "trws.dat", "lwsruri.dat"}) {
        string data = readFile(f);
        ASSERT_FALSE(data.empty()) << f;
        SipMsg msg;
        parseMsg(msg, data);
        msg.error = ParseError{};  // as if a lenient script forwarded it anyway
        MsgBuilder b(msg);
        OutSpans out;
        if (b.build(out) != BuildError::Ok) continue;  // refusing is fine
        string fwd = flatten(out);
        string line = fwd.substr(0, fwd.find("\r\n"));
        EXPECT_EQ(line.find("  "), string::npos) << f << ": " << line;
        EXPECT_NE(line.back(), ' ') << f;
        EXPECT_EQ(line.find_first_of("<>?"), string::npos) << f << ": " << line;
    }
}

TEST(SipBuilderRfc4475, BadDisplayNameNeverForwarded) {
    string data = readFile("baddn.dat");
    SipMsg msg;
    ASSERT_TRUE(parseMsg(msg, data));
    MsgBuilder b(msg);
    OutSpans out;
    ASSERT_EQ(b.build(out), BuildError::Ok);
    string fwd = flatten(out);
    EXPECT_NE(fwd.find("\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=43"), string::npos);
    EXPECT_NE(fwd.find("\"Watson, Thomas\" <sip:t.watson@example.org>"), string::npos);
    SipMsg re;
    ASSERT_TRUE(parseMsg(re, fwd));
    EXPECT_TRUE(parseAll(re)) << re.errorText();

    // quotbal: an unterminated quote cannot be repaired safely; it is refused.
    string q = readFile("quotbal.dat");
    SipMsg qm;
    ASSERT_TRUE(parseMsg(qm, q));
    MsgBuilder qb(qm);
    OutSpans qo;
    EXPECT_EQ(qb.build(qo), BuildError::BadDisplayName);
}
