// RFC 4475 torture messages (test/data/rfc4475, listed in INDEX.tsv): every valid message
// parses fully (start line, every header, every URI) and passes the routing sanity checks;
// every invalid one fails with the specific error the RFC describes.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/sip/contact.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/route.h"
#include "core/sip/via.h"
#include "test/support/read_file.h"
#include "test/unit/sip_test_pkg.h"

using namespace osprey::sip;

namespace {

const std::string kDir = OSPREY_SOURCE_DIR "/test/data/rfc4475/";

using osprey::testsupport::readFile;

struct IndexRow {
    std::string file;
    bool valid;
    std::string ref;
};

std::vector<IndexRow> readIndex() {
    std::vector<IndexRow> rows;
    std::istringstream in(readFile(kDir + "INDEX.tsv"));
    std::string line;
    std::getline(in, line);  // header row
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream ls(line);
        IndexRow r;
        std::string cls;
        std::getline(ls, r.file, '\t');
        std::getline(ls, cls, '\t');
        std::getline(ls, r.ref, '\t');
        r.valid = cls == "valid";
        rows.push_back(r);
    }
    return rows;
}

struct Expect {
    ParseErrc code;
    HeaderKind kind;  // Other: the start line or no header
};

// What each invalid message must be rejected with (RFC 4475 §3.1.2, §3.3).
const std::map<std::string, Expect> kInvalid = {
    {"badinv01.dat", {ParseErrc::BadParam, HeaderKind::Via}},                // 3.1.2.1 ;;,;,,
    {"clerr.dat", {ParseErrc::BodyTooShort, HeaderKind::ContentLength}},     // 3.1.2.2
    {"ncl.dat", {ParseErrc::BadNumber, HeaderKind::ContentLength}},          // 3.1.2.3 -999
    {"scalar02.dat", {ParseErrc::NumberTooLarge, HeaderKind::CSeq}},         // 3.1.2.4
    {"scalarlg.dat", {ParseErrc::NumberTooLarge, HeaderKind::CSeq}},         // 3.1.2.5
    {"quotbal.dat", {ParseErrc::UnterminatedQuote, HeaderKind::To}},         // 3.1.2.6
    {"ltgtruri.dat", {ParseErrc::BadRequestUri, HeaderKind::Other}},         // 3.1.2.7 <uri>
    {"lwsruri.dat", {ParseErrc::BadRequestUri, HeaderKind::Other}},          // 3.1.2.8
    {"lwsstart.dat", {ParseErrc::RequestLineSpaces, HeaderKind::Other}},     // 3.1.2.9
    {"trws.dat", {ParseErrc::RequestLineSpaces, HeaderKind::Other}},         // 3.1.2.10
    {"escruri.dat", {ParseErrc::BadRequestUri, HeaderKind::Other}},          // 3.1.2.11 ?Route=
    {"baddate.dat", {ParseErrc::BadValue, HeaderKind::Date}},                // 3.1.2.12 EST
    {"regbadct.dat", {ParseErrc::BadNameAddr, HeaderKind::Contact}},         // 3.1.2.13
    {"badaspec.dat", {ParseErrc::BadNameAddr, HeaderKind::To}},              // 3.1.2.14
    {"baddn.dat", {ParseErrc::BadDisplayName, HeaderKind::From}},            // 3.1.2.15
    {"badvers.dat", {ParseErrc::BadVersion, HeaderKind::Other}},             // 3.1.2.16
    {"mismatch01.dat", {ParseErrc::CSeqMethodMismatch, HeaderKind::CSeq}},   // 3.1.2.17
    {"mismatch02.dat", {ParseErrc::CSeqMethodMismatch, HeaderKind::CSeq}},   // 3.1.2.18
    {"bigcode.dat", {ParseErrc::BadStatusCode, HeaderKind::Other}},          // 3.1.2.19
    {"insuf.dat", {ParseErrc::MissingHeader, HeaderKind::To}},               // 3.3.1
    {"unkscm.dat", {ParseErrc::UnsupportedUriScheme, HeaderKind::Other}},    // 3.3.2
    {"novelsc.dat", {ParseErrc::UnsupportedUriScheme, HeaderKind::Other}},   // 3.3.3
    {"multi01.dat", {ParseErrc::DuplicateHeader, HeaderKind::CallId}},       // 3.3.8
    {"mcl01.dat", {ParseErrc::DuplicateHeader, HeaderKind::ContentLength}},  // 3.3.9
};

bool parseEverything(SipMsg& msg, std::string_view data) {
    return parseMsg(msg, data) && parseAll(msg) && checkMessage(msg);
}

// Every name-addr in the message had its URI looked at (sip/sips/tel parsed, others kept).
void expectUrisParsed(SipMsg& msg, const std::string& file) {
    for (uint32_t i = 0; i < msg.headerCount(); ++i) {
        HeaderField& h = msg.header(i);
        ASSERT_NE(h.state, BodyState::Bad) << file << " header " << h.name;
        auto check = [&](const NameAddr& na) {
            EXPECT_TRUE(na.uriState == UriState::Sip || na.uriState == UriState::Foreign)
                << file << " " << h.name << " " << na.uriText;
            if (na.uriState == UriState::Sip) {
                EXPECT_NE(na.uri, nullptr);
            }
        };
        switch (h.kind) {
            case HeaderKind::From:
            case HeaderKind::To:
                check(static_cast<FromToBody*>(h.body)->addr);
                break;
            case HeaderKind::Contact:
                for (auto* c = static_cast<ContactBody*>(h.body)->first; c; c = c->next)
                    check(c->addr);
                break;
            case HeaderKind::Route:
            case HeaderKind::RecordRoute:
                for (auto* r = static_cast<RouteBody*>(h.body); r; r = r->next) check(r->addr);
                break;
            default:
                break;
        }
    }
}

}  // namespace

TEST(SipRfc4475, IndexListsAll49AndEveryInvalidHasAnExpectation) {
    auto rows = readIndex();
    ASSERT_EQ(rows.size(), 49u);
    size_t invalid = 0;
    for (const auto& r : rows) {
        if (r.valid) {
            EXPECT_EQ(kInvalid.count(r.file), 0u) << r.file;
        } else {
            ++invalid;
            EXPECT_EQ(kInvalid.count(r.file), 1u) << "no expectation for " << r.file;
        }
        EXPECT_FALSE(readFile(kDir + r.file).empty()) << r.file;
    }
    EXPECT_EQ(invalid, kInvalid.size());
}

class Rfc4475Message : public ::testing::TestWithParam<IndexRow> {};

TEST_P(Rfc4475Message, ParsesOrFailsAsTheRfcSays) {
    const IndexRow& row = GetParam();
    const std::string data = readFile(kDir + row.file);
    ASSERT_FALSE(data.empty());
    SipMsg msg;
    bool ok = parseEverything(msg, data);
    if (row.valid) {
        ASSERT_TRUE(ok) << row.file << " (" << row.ref << "): " << msg.errorText();
        EXPECT_TRUE(msg.headersComplete());
        EXPECT_TRUE(msg.bodyFound);
        if (msg.isRequest()) {
            EXPECT_NE(requestUri(msg), nullptr);
        }
        ASSERT_NE(msg.topVia, nullptr);
        expectUrisParsed(msg, row.file);
    } else {
        ASSERT_FALSE(ok) << row.file << " (" << row.ref << ") was accepted";
        const Expect& want = kInvalid.at(row.file);
        EXPECT_EQ(parseErrcName(msg.error.code), std::string(parseErrcName(want.code)))
            << row.file << ": " << msg.errorText();
        EXPECT_EQ(headerKindName(msg.error.kind), headerKindName(want.kind))
            << row.file << ": " << msg.errorText();
        EXPECT_LT(msg.error.offset, data.size()) << row.file;
        std::string_view reason = msg.reasonPhrase();
        EXPECT_FALSE(reason.empty());
        for (char c : reason) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << row.file;
    }
}

INSTANTIATE_TEST_SUITE_P(All, Rfc4475Message, ::testing::ValuesIn(readIndex()),
                         [](const ::testing::TestParamInfo<IndexRow>& info) {
                             std::string n = info.param.file.substr(0, info.param.file.find('.'));
                             for (char& c : n)
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });
