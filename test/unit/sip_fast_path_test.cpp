// Parser fast paths agree with the general code they shortcut: the scanner's common-name match
// (kindtab::matchCommon) with the token scan + hash lookup, and the one-pass Via host scan
// (lex::scanClassifyHost) with scanHost + classifyHost.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/sip/header_kind.h"
#include "core/sip/msg.h"
#include "core/sip/sip_lex.h"
#include "core/sip/via.h"
#include "test/unit/sip_test_pkg.h"

using namespace osprey::sip;

namespace {

// Every spelling variant of a name: as given, upper case, and with one letter's case flipped.
std::vector<std::string> caseVariants(const std::string& name) {
    std::vector<std::string> out{name};
    std::string up = name;
    for (char& c : up) c = static_cast<char>(lex::lower(c) == c && c >= 'a' ? c - 32 : c);
    out.push_back(up);
    for (size_t i = 0; i < name.size(); ++i) {
        std::string v = name;
        if (v[i] >= 'a' && v[i] <= 'z') v[i] = static_cast<char>(v[i] - 32);
        else if (v[i] >= 'A' && v[i] <= 'Z') v[i] = static_cast<char>(v[i] + 32);
        out.push_back(v);
    }
    return out;
}

// Scans a request with `line` as the header after its Via (headers after the top Via are only
// split, not parsed); returns that header's kind, name and value.
struct Scanned {
    bool ok = false;
    HeaderKind kind = HeaderKind::Other;
    std::string name;
    std::string value;
};

Scanned scanFirst(const std::string& line) {
    const std::string buf =
        "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKw\r\n" +
        line + "\r\n\r\n";
    SipMsg msg;
    Scanned s;
    s.ok = parseMsg(msg, buf) && parseHeaders(msg, HDR_EOH) && msg.headerCount() == 2;
    if (s.ok) {
        s.kind = msg.header(1).kind;
        s.name = std::string(msg.header(1).name);
        s.value = std::string(msg.header(1).value);
    }
    return s;
}

}  // namespace

TEST(SipFastPath, CommonNamesInAnyCaseGetTheLookupKind) {
    const char* names[] = {"Via",          "v",           "From",         "f",
                           "To",           "t",           "Call-ID",      "i",
                           "CSeq",         "Contact",     "m",            "Content-Length",
                           "l",            "Content-Type", "c",           "Max-Forwards",
                           "Route",        "Record-Route", "Allow",       "Accept",
                           "Supported",    "k",           "User-Agent",   "Expires",
                           "Accept-Encoding", "Allow-Events", "Content-Disposition", "Server"};
    for (const char* n : names) {
        for (const std::string& v : caseVariants(n)) {
            const Scanned s = scanFirst(v + ": some-value");
            ASSERT_TRUE(s.ok) << v;
            EXPECT_EQ(s.kind, lookupHeaderKind(v)) << v;
            EXPECT_NE(s.kind, HeaderKind::Other) << v;
            EXPECT_EQ(s.name, v);
            EXPECT_EQ(s.value, "some-value") << v;
            // Blank before the colon takes the general path: same kind, same name.
            const Scanned b = scanFirst(v + " \t: some-value");
            ASSERT_TRUE(b.ok) << v;
            EXPECT_EQ(b.kind, s.kind) << v;
            EXPECT_EQ(b.name, v);
        }
    }
}

TEST(SipFastPath, NearMissNamesAreNotTakenForCommonOnes) {
    // Longer tokens starting with a common name, and octets that equal a letter or '-' after
    // OR 0x20 ('\r' | 0x20 == '-', '@' | 0x20 == '`').
    const char* names[] = {"Via-Extra", "Vias",      "Tox",     "From2",   "CSeqs",
                           "Call_ID",   "Routes",    "Record-Routes", "Max-Forwardsx",
                           "Content-Lengthy", "Allowx", "Supported-X", "User-Agents", "vv", "tt"};
    for (const char* n : names) {
        const Scanned s = scanFirst(std::string(n) + ": some-value");
        ASSERT_TRUE(s.ok) << n;
        EXPECT_EQ(s.kind, lookupHeaderKind(n)) << n;
        EXPECT_EQ(s.name, n);
    }
    // "Call\x0dID" would fold onto "call-id": it is not a token, so the line is rejected.
    const std::string bad[] = {std::string("Call\x0d" "ID: x@y.z"), std::string("Via\x1a x"),
                               std::string("T\x0f: x")};
    for (const std::string& line : bad) EXPECT_FALSE(scanFirst(line).ok);
}

TEST(SipFastPath, OneWayHostScanMatchesScanThenClassify) {
    const char* hosts[] = {"pc33.atlanta.example.com", "a", "a1", "a-b", "a-b.c-d", "a--b.com",
                           "example.com.", "a..b", "a.-b", "a-.b", "ab-", "-ab", "a.1b", "a.b1",
                           "a.1", "x.y.z9", "192.0.2.1", "192.0.2", "1.2.3.4.5", "1a.example.com",
                           "[::1]", "[2001:db8::1]", "[::1", "a_b", "ab.", "a.b.", "A.B.C",
                           "host.example.com:5060", "host.example.com;branch=x", "h ;x", ""};
    for (const char* h : hosts) {
        const std::string s = std::string(h) + " trailer";
        lex::HostType fast;
        const size_t fe = lex::scanClassifyHost(s, 0, fast);
        const size_t se = lex::scanHost(s, 0);
        EXPECT_EQ(fe, se) << h;
        EXPECT_EQ(fast, lex::classifyHost(std::string_view(s).substr(0, se))) << h;
        // At the very end of the value too (no octet after the host).
        const std::string_view bare(h);
        lex::HostType fast2;
        const size_t fe2 = lex::scanClassifyHost(bare, 0, fast2);
        EXPECT_EQ(fe2, lex::scanHost(bare, 0)) << h;
        EXPECT_EQ(fast2, lex::classifyHost(bare.substr(0, fe2))) << h;
    }
}

TEST(SipFastPath, TokenIsAgreesWithOctetByOctetFolding) {
    const char* lits[] = {"t", "tag", "udp", "ws", "rport", "branch", "received", "transport",
                          "maddr", "lr", "sip/2.0/"};
    for (const char* lit : lits) {
        const std::string l(lit);
        std::vector<std::string> cands = caseVariants(l);
        for (size_t i = 0; i < l.size(); ++i) {
            std::string v = l;
            v[i] = static_cast<char>(v[i] ^ 0x01);  // a different octet
            cands.push_back(v);
            v = l;
            v[i] = static_cast<char>(v[i] & ~0x20);  // '-' -> '\r', 'a' -> 'A', '2' -> 0x12
            cands.push_back(v);
        }
        cands.push_back(l + "x");
        cands.push_back(l.substr(1));
        for (const std::string& c : cands) {
            bool want = c.size() == l.size();
            for (size_t i = 0; want && i < c.size(); ++i) want = (c[i] | 0x20) == l[i];
            EXPECT_EQ(lex::tokenIs(c, l), want) << c << " vs " << l;
        }
    }
}

TEST(SipFastPath, SipVersionInAnyCaseOnly) {
    struct Case {
        const char* line;
        bool ok;
    } cases[] = {
        {"OPTIONS sip:a@example.com SIP/2.0", true},
        {"OPTIONS sip:a@example.com sip/2.0", true},
        {"OPTIONS sip:a@example.com sIp/2.0", true},
        {"OPTIONS sip:a@example.com SIP/2.1", false},
        {"OPTIONS sip:a@example.com SIP/2.00", false},
        {"OPTIONS sip:a@example.com SIP\x0f" "2.0", false},
        {"OPTIONS sip:a@example.com S\x09P/2.0", false},
        {"SIP/2.0 200 OK", true},
        {"sip/2.0 200 OK", true},
        {"SIP/3.0 200 OK", false},
    };
    for (const Case& c : cases) {
        const std::string buf = std::string(c.line) +
                                "\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKw\r\n\r\n";
        SipMsg msg;
        EXPECT_EQ(parseMsg(msg, buf), c.ok) << c.line;
    }
}
