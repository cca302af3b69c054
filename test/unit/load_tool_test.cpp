// The pieces of the benchmarks' load tool (test/bench/load/): addresses and the loopback rule,
// Via branches, the requests of each scenario, the UAS's 200 OK, the in-dialog requests of a
// call, the transaction table and the percentiles. The benchmarks' numbers rest on these.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/bench/load/cli.h"
#include "test/bench/load/endpoint.h"
#include "test/bench/load/latency_stats.h"
#include "test/bench/load/scenario.h"
#include "test/bench/load/sip_text.h"
#include "test/bench/load/transaction_table.h"
#include "test/bench/load/uas_reply.h"

namespace osprey::load {
namespace {

std::string_view headerValue(const SplitMessage& m, std::string_view name, int nth = 0) {
    for (int i = 0; i < m.count; i++)
        if (headerIs(m.headers[i].name, name) && nth-- == 0) return m.headers[i].value;
    return {};
}

int headerCount(const SplitMessage& m, std::string_view name) {
    int n = 0;
    for (int i = 0; i < m.count; i++) n += headerIs(m.headers[i].name, name) ? 1 : 0;
    return n;
}

TEST(LoadEndpoint, ParsesIpv4AndBracketedIpv6) {
    Endpoint e;
    ASSERT_TRUE(parseEndpoint("127.0.0.1:5070", e));
    EXPECT_EQ(e.port, 5070);
    EXPECT_FALSE(e.isV6());
    EXPECT_EQ(e.uriHostPort(), "127.0.0.1:5070");
    ASSERT_TRUE(parseEndpoint("[::1]:5090", e));
    EXPECT_TRUE(e.isV6());
    EXPECT_EQ(e.uriHostPort(), "[::1]:5090");
}

TEST(LoadEndpoint, RejectsNamesMissingPortsAndBadPorts) {
    Endpoint e;
    EXPECT_FALSE(parseEndpoint("localhost:5070", e));
    EXPECT_FALSE(parseEndpoint("127.0.0.1", e));
    EXPECT_FALSE(parseEndpoint("127.0.0.1:70000", e));
    EXPECT_FALSE(parseEndpoint("127.0.0.1:50a", e));
    EXPECT_FALSE(parseEndpoint("[::1]5070", e));
}

TEST(LoadEndpoint, LoopbackIs127Slash8AndColonColon1Only) {
    Endpoint e;
    ASSERT_TRUE(parseEndpoint("127.3.2.1:1", e));
    EXPECT_TRUE(isLoopback(e));
    ASSERT_TRUE(parseEndpoint("[::1]:1", e));
    EXPECT_TRUE(isLoopback(e));
    ASSERT_TRUE(parseEndpoint("10.0.0.1:1", e));
    EXPECT_FALSE(isLoopback(e));
    ASSERT_TRUE(parseEndpoint("[2001:db8::1]:1", e));
    EXPECT_FALSE(isLoopback(e));
}

Command parse(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return parseCommandLine(static_cast<int>(args.size()), argv.data());
}

TEST(LoadCli, RefusesNonLoopbackTargetsUnlessAllowed) {
    EXPECT_TRUE(std::holds_alternative<CliError>(parse({"x", "uac", "-t", "10.1.1.1:5060"})));
    auto ok = parse({"x", "uac", "-t", "10.1.1.1:5060", "--allow-non-loopback"});
    ASSERT_TRUE(std::holds_alternative<UacOptions>(ok));
    EXPECT_TRUE(std::holds_alternative<CliError>(parse({"x", "uas", "-l", "10.1.1.1:5090"})));
    EXPECT_TRUE(std::holds_alternative<CliError>(
        parse({"x", "relay", "-l", "127.0.0.1:5070", "-u", "10.1.1.1:5090"})));
}

TEST(LoadCli, ReadsUacOptionsAndRejectsBadValues) {
    auto c = parse({"x", "uac", "-t", "127.0.0.1:5070", "-s", "invite", "-w", "8", "-r", "50", "-n",
                    "500", "-d", "30", "-K", "10", "-T", "900"});
    ASSERT_TRUE(std::holds_alternative<UacOptions>(c));
    const auto& o = std::get<UacOptions>(c);
    EXPECT_EQ(o.scenario, Scenario::Invite);
    EXPECT_EQ(o.window, 8u);
    EXPECT_EQ(o.rate, 50);
    EXPECT_EQ(o.count, 500u);
    EXPECT_EQ(o.duration, 30);
    EXPECT_EQ(o.aors, 10u);
    EXPECT_EQ(o.timeoutMs, 900);
    EXPECT_TRUE(std::holds_alternative<CliError>(
        parse({"x", "uac", "-t", "127.0.0.1:5070", "-s", "subscribe"})));
    EXPECT_TRUE(
        std::holds_alternative<CliError>(parse({"x", "uac", "-t", "127.0.0.1:5070", "-w", "0"})));
    EXPECT_TRUE(std::holds_alternative<CliError>(
        parse({"x", "uac", "-t", "127.0.0.1:5070", "-d", "4000"})));  // over an hour
    EXPECT_TRUE(std::holds_alternative<CliError>(parse({"x", "uac", "-s", "options"})));
}

TEST(LoadBranch, RoundTripsAndIgnoresOtherRunsAndOtherBranches) {
    char b[64];
    formatBranch(b, 0x00c0ffee, BranchId{17, 42, 'b'});
    EXPECT_EQ(std::string_view(b).substr(0, 7), "z9hG4bK");
    std::string via = std::string("SIP/2.0/UDP 127.0.0.1:4000;branch=") + b + ";rport=4000";
    auto id = parseBranch(via, 0x00c0ffee);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->slot, 17u);
    EXPECT_EQ(id->generation, 42u);
    EXPECT_EQ(id->phase, 'b');
    EXPECT_FALSE(parseBranch(via, 0x00c0ffef).has_value());
    EXPECT_FALSE(parseBranch("SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKabc", 0x00c0ffee).has_value());
}

RequestContext context(Scenario s) {
    RequestContext c;
    c.scenario = s;
    c.local = "127.0.0.1:40000";
    c.localHost = "127.0.0.1";
    c.target = "127.0.0.1:5070";
    c.targetHost = "127.0.0.1";
    c.uas = "127.0.0.1:5090";
    c.runId = 0xabcdef01;
    c.aors = 10;
    return c;
}

TEST(LoadScenario, EachScenarioSendsAWellFormedRequestCarryingItsBranch) {
    struct Case {
        Scenario s;
        std::string_view startLine;
    } cases[] = {
        {Scenario::Options, "OPTIONS sip:bench@127.0.0.1:5070 SIP/2.0"},
        {Scenario::Message, "MESSAGE sip:bench@127.0.0.1:5070 SIP/2.0"},
        {Scenario::Register, "REGISTER sip:127.0.0.1:5070 SIP/2.0"},
        {Scenario::Lookup, "MESSAGE sip:user4@127.0.0.1:5070 SIP/2.0"},  // seq 13 % 10 + 1
        {Scenario::Invite, "INVITE sip:bench@127.0.0.1:5070 SIP/2.0"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(scenarioName(c.s));
        RequestContext ctx = context(c.s);
        char branch[64], buf[2048];
        formatBranch(branch, ctx.runId, BranchId{3, 1, 'i'});
        size_t n = writeInitialRequest(ctx, 13, branch, buf, sizeof(buf));
        ASSERT_GT(n, 0u);
        std::string_view msg(buf, n);
        ASSERT_NE(msg.find("\r\n\r\n"), std::string_view::npos);
        SplitMessage m;
        ASSERT_TRUE(splitMessage(msg, m));
        EXPECT_EQ(m.startLine, c.startLine);
        auto id = parseBranch(headerValue(m, "via"), ctx.runId);
        ASSERT_TRUE(id.has_value());
        EXPECT_EQ(id->slot, 3u);
        // Content-Length matches the body.
        size_t bodyAt = msg.find("\r\n\r\n") + 4;
        EXPECT_EQ(std::to_string(msg.size() - bodyAt),
                  std::string(headerValue(m, "content-length")));
    }
}

TEST(LoadScenario, RegisterBindsTheAorToTheUas) {
    RequestContext ctx = context(Scenario::Register);
    char buf[2048];
    size_t n = writeInitialRequest(ctx, 13, "z9hG4bK-x", buf, sizeof(buf));
    SplitMessage m;
    ASSERT_TRUE(splitMessage(std::string_view(buf, n), m));
    EXPECT_EQ(headerValue(m, "to"), "<sip:user4@127.0.0.1>");
    EXPECT_EQ(headerValue(m, "contact"), "<sip:user4@127.0.0.1:5090>");
    EXPECT_EQ(headerValue(m, "expires"), "3600");
}

constexpr std::string_view kRelayedInvite =
    "INVITE sip:bench@127.0.0.1:5090 SIP/2.0\r\n"
    "Record-Route: <sip:127.0.0.1:5070;lr>\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKproxy\r\n"
    "v: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-ol.abcdef01.3.1.i;rport=40000\r\n"
    "Max-Forwards: 69\r\n"
    "f: <sip:load@127.0.0.1>;tag=abc\r\n"
    "To: <sip:bench@127.0.0.1:5070>\r\n"
    "Call-ID: 13-abcdef01@load\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:load@127.0.0.1:40000>\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(LoadUasReply, CopiesTheTransactionHeadersInOrderAndTagsTo) {
    SplitMessage req;
    ASSERT_TRUE(splitMessage(kRelayedInvite, req));
    char buf[2048];
    size_t n =
        writeOkReply(req, true, "Contact: <sip:uas@127.0.0.1:5090>\r\n", 0x2a, buf, sizeof(buf));
    ASSERT_GT(n, 0u);
    SplitMessage r;
    ASSERT_TRUE(splitMessage(std::string_view(buf, n), r));
    EXPECT_EQ(r.startLine, "SIP/2.0 200 OK");
    EXPECT_EQ(statusCode(std::string_view(buf, n)), 200);
    EXPECT_EQ(headerValue(r, "via"), "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKproxy");
    EXPECT_EQ(headerValue(r, "v"),
              "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-ol.abcdef01.3.1.i;rport=40000");
    EXPECT_EQ(headerValue(r, "to"), "<sip:bench@127.0.0.1:5070>;tag=uas2a");
    EXPECT_EQ(headerValue(r, "record-route"), "<sip:127.0.0.1:5070;lr>");
    EXPECT_EQ(headerValue(r, "call-id"), "13-abcdef01@load");
    EXPECT_EQ(headerValue(r, "cseq"), "1 INVITE");
    EXPECT_EQ(headerValue(r, "contact"), "<sip:uas@127.0.0.1:5090>");
    EXPECT_EQ(headerCount(r, "max-forwards"), 0);
    EXPECT_EQ(headerValue(r, "content-length"), "0");
}

TEST(LoadUasReply, KeepsAnExistingToTagAndAddsNoContactOutsideInvite) {
    std::string bye(kRelayedInvite);
    bye.replace(bye.find("To: <sip:bench@127.0.0.1:5070>"), 30,
                "To: <sip:bench@127.0.0.1:5070>;tag=uas1");
    SplitMessage req;
    ASSERT_TRUE(splitMessage(bye, req));
    char buf[2048];
    size_t n =
        writeOkReply(req, false, "Contact: <sip:uas@127.0.0.1:5090>\r\n", 7, buf, sizeof(buf));
    SplitMessage r;
    ASSERT_TRUE(splitMessage(std::string_view(buf, n), r));
    EXPECT_EQ(headerValue(r, "to"), "<sip:bench@127.0.0.1:5070>;tag=uas1");
    EXPECT_EQ(headerCount(r, "contact"), 0);
    EXPECT_EQ(writeOkReply(req, false, "", 7, buf, 40), 0u);  // does not fit: nothing
}

TEST(LoadDialog, AckAndByeGoToTheContactThroughTheReversedRouteSet) {
    constexpr std::string_view ok =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-ol.abcdef01.3.1.i\r\n"
        "Record-Route: <sip:a.example;lr>, <sip:b.example;lr>\r\n"
        "Record-Route: <sip:c.example;lr>\r\n"
        "From: <sip:load@127.0.0.1>;tag=abc\r\n"
        "To: <sip:bench@127.0.0.1:5070>;tag=uas1\r\n"
        "Call-ID: 13-abcdef01@load\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:uas@127.0.0.1:5090>\r\n"
        "Content-Length: 0\r\n\r\n";
    SplitMessage resp;
    ASSERT_TRUE(splitMessage(ok, resp));
    RequestContext ctx = context(Scenario::Invite);
    char buf[2048];
    size_t n = writeBye(ctx, resp, "z9hG4bK-bye", buf, sizeof(buf));
    ASSERT_GT(n, 0u);
    SplitMessage bye;
    ASSERT_TRUE(splitMessage(std::string_view(buf, n), bye));
    EXPECT_EQ(bye.startLine, "BYE sip:uas@127.0.0.1:5090 SIP/2.0");
    EXPECT_EQ(headerValue(bye, "route", 0), "<sip:c.example;lr>");
    EXPECT_EQ(headerValue(bye, "route", 1), "<sip:b.example;lr>");
    EXPECT_EQ(headerValue(bye, "route", 2), "<sip:a.example;lr>");
    EXPECT_EQ(headerValue(bye, "to"), "<sip:bench@127.0.0.1:5070>;tag=uas1");
    EXPECT_EQ(headerValue(bye, "cseq"), "2 BYE");
    n = writeAck2xx(ctx, resp, "z9hG4bK-ack", buf, sizeof(buf));
    SplitMessage ack;
    ASSERT_TRUE(splitMessage(std::string_view(buf, n), ack));
    EXPECT_EQ(ack.startLine, "ACK sip:uas@127.0.0.1:5090 SIP/2.0");
    EXPECT_EQ(headerValue(ack, "cseq"), "1 ACK");
    EXPECT_EQ(headerCount(ack, "route"), 3);
}

TEST(LoadTransactions, WindowBoundsOutstandingAndGenerationsTellReusedSlotsApart) {
    TransactionTable t(2);
    uint32_t s1 = 0, s2 = 0, s3 = 0;
    Transaction* a = t.open(1, 1000, true, s1);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(t.open(2, 1000, true, s2), nullptr);
    EXPECT_EQ(t.open(3, 1000, true, s3), nullptr);  // window full
    EXPECT_EQ(t.outstanding(), 2u);
    uint32_t oldGeneration = a->generation;
    t.close(s1);
    Transaction* b = t.open(4, 2000, true, s3);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(s3, s1);
    EXPECT_EQ(t.find(s1, oldGeneration), nullptr);  // a late answer to the old one
    EXPECT_EQ(t.find(s1, b->generation), b);
    int expired = 0;
    t.expire(2500, 1000, [&](const Transaction& x) {
        expired++;
        EXPECT_EQ(x.seq, 2u);  // started at 1000: over the 1000 ns timeout; seq 4 is not
    });
    EXPECT_EQ(expired, 1);
    EXPECT_EQ(t.outstanding(), 1u);
}

TEST(LoadLatency, NearestRankPercentiles) {
    LatencyStats s(100);
    for (int i = 100; i >= 1; i--) s.add(static_cast<uint64_t>(i));
    s.finish();
    EXPECT_EQ(s.percentile(0.50), 50u);
    EXPECT_EQ(s.percentile(0.99), 99u);
    EXPECT_EQ(s.percentile(1.0), 100u);
    EXPECT_EQ(s.max(), 100u);
    LatencyStats empty(0);
    empty.finish();
    EXPECT_EQ(empty.percentile(0.5), 0u);
}

}  // namespace
}  // namespace osprey::load
