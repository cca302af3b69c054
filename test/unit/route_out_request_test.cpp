// route::buildRequest, the one builder of every copy the router sends (stateless forward and
// tm branches), and route::buildHopRequest (CANCEL/ACK from a copy as sent), against the real
// parser and builder: Request-URI per copy, the Path's Route, received/rport on the previous
// hop's Via, our Via and copy-hook lines in their places, copies for different branches of one
// message, and lengths that match what was written.
#include <gtest/gtest.h>

#include <string>

#include "core/net/listen_socket.h"
#include "core/route/branch_scope.h"
#include "core/route/copy_hooks.h"
#include "core/route/hop_request.h"
#include "core/route/msg_context.h"
#include "core/route/out_request.h"
#include "core/sip/builder.h"
#include "mem/pkg.h"
#include "test/support/system_alloc_count.h"

namespace osprey::route {
namespace {

const bool kPkg = mem::pkgReady() || mem::pkgInit(8u << 20);

const std::string kInvite =
    "INVITE sip:bob@192.0.2.5 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKabc\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:next.example.net;lr>\r\n"
    "From: <sip:alice@example.com>;tag=f1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: call-1@test\r\n"
    "CSeq: 7 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

// A listen socket for the copies to leave from (never opened: nothing is sent here).
int testSocket() {
    static const int index = [] {
        net::ListenSocket s;
        net::SockAddr a;
        net::parseIp("127.0.0.1", 5099, a);
        net::describeSocket(a, net::Proto::Udp, &s);
        return net::addListenSocket(s);
    }();
    return index;
}

// A context holding kInvite (or text) received from src:port on the test socket.
struct Received {
    MsgContext mc;
    explicit Received(const std::string& text, const char* src = "192.0.2.10",
                      uint16_t port = 5070) {
        net::RecvInfo info;
        net::parseIp(src, port, info.src);
        info.socket = testSocket();
        mc.start(info);
        ok = sip::parseMsg(mc.msg, text);
    }
    ~Received() { mc.reset(); }
    bool ok = false;
};

std::string text(const OutRequest& out) {
    std::string s;
    size_t sum = 0;
    for (uint32_t i = 0; i < out.spans.count; ++i) {
        s.append(static_cast<const char*>(out.spans.iov[i].iov_base), out.spans.iov[i].iov_len);
        sum += out.spans.iov[i].iov_len;
    }
    EXPECT_EQ(sum, out.spans.bytes) << "bytes is the total of the spans";
    return s;
}

const std::string kOurVia = "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKone\r\n";

TEST(OutRequest, UnchangedRequestGetsOurViaOnTop) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    const std::string s = text(out);
    EXPECT_EQ(
        s, "INVITE sip:bob@192.0.2.5 SIP/2.0\r\n" + kOurVia + kInvite.substr(kInvite.find("Via: ")))
        << "sent-by equals the source: the previous hop's Via stays as it was";
    EXPECT_EQ(out.dest.addr.port(), 5060);
    EXPECT_EQ(out.dest.socket, testSocket());
}

TEST(OutRequest, BuildingCopiesMakesNoSystemAllocation) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    r.mc.ruriPath = "<sip:edge.example.net;lr>";
    OutRequest first;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &first));  // the builder exists
    const long before = testsupport::systemAllocs();
    for (int i = 0; i < 8; ++i) {
        OutRequest out;
        ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKtwo", &out));
    }
    EXPECT_EQ(testsupport::systemAllocs() - before, 0) << "per-copy work stays in the arena";
}

TEST(OutRequest, RewrittenRequestUriAndDestination) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.mc.setRequestUri("sip:bob@192.0.2.20:5080?Subject=x"));
    ASSERT_TRUE(r.mc.setDstUri("sip:192.0.2.30:5090"));
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    const std::string s = text(out);
    EXPECT_EQ(s.rfind("INVITE sip:bob@192.0.2.20:5080 SIP/2.0\r\n" + kOurVia, 0), 0u)
        << "?headers are not forwarded (RFC 4475 3.1.2.11)\n"
        << s;
    EXPECT_EQ(out.dest.addr.port(), 5090) << "$du decides where it goes";
}

TEST(OutRequest, PathBecomesTheFirstRoute) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    r.mc.ruriPath = "<sip:edge.example.net;lr>,<sip:core.example.net;lr>";
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    const std::string s = text(out);
    const size_t path = s.find("Route: <sip:edge.example.net;lr>,<sip:core.example.net;lr>\r\n");
    ASSERT_NE(path, std::string::npos) << s;
    EXPECT_LT(path, s.find("Route: <sip:next.example.net;lr>")) << "RFC 3327 §5.3: Path first";
}

TEST(OutRequest, ReceivedAndRportOnThePreviousHop) {
    ASSERT_TRUE(kPkg);
    std::string msg = kInvite;
    msg.replace(msg.find("z9hG4bKabc"), 10, "z9hG4bKabc;rport");
    Received r(msg, "192.0.2.99", 6000);
    ASSERT_TRUE(r.ok);
    OutRequest a, b;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &a));
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKtwo", &b));
    const std::string want =
        "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKabc;rport=6000;received=192.0.2.99\r\n";
    EXPECT_NE(text(a).find(want), std::string::npos) << text(a);
    EXPECT_NE(text(b).find(want), std::string::npos) << "a second copy: the same, once\n"
                                                     << text(b);
}

TEST(OutRequest, ForceRportAddsBoth) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite, "192.0.2.10", 6000);
    ASSERT_TRUE(r.ok);
    r.mc.forceRport = true;
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    EXPECT_NE(text(out).find("branch=z9hG4bKabc;received=192.0.2.10;rport=6000\r\n"),
              std::string::npos)
        << text(out);
}

TEST(OutRequest, EachBranchGetsItsOwnUriViaAndPath) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.mc.appendBranch("sip:bob@192.0.2.41:5061", "", "<sip:edge.example.net;lr>"));
    ASSERT_TRUE(r.mc.appendBranch("sip:bob@192.0.2.42"));
    ASSERT_EQ(r.mc.builder().appendHeader("X-Edit", "all"), sip::BuildError::Ok);
    OutRequest main, first, second;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKb0", &main));
    ASSERT_TRUE(buildRequest(r.mc, branchSpec(r.mc.branches()[0]), "z9hG4bKb1", &first));
    ASSERT_TRUE(buildRequest(r.mc, branchSpec(r.mc.branches()[1]), "z9hG4bKb2", &second));
    const std::string s0 = text(main), s1 = text(first), s2 = text(second);
    EXPECT_EQ(s0.rfind("INVITE sip:bob@192.0.2.5 SIP/2.0\r\n", 0), 0u) << s0;
    EXPECT_EQ(s1.rfind("INVITE sip:bob@192.0.2.41:5061 SIP/2.0\r\n", 0), 0u) << s1;
    EXPECT_EQ(s2.rfind("INVITE sip:bob@192.0.2.42 SIP/2.0\r\n", 0), 0u) << s2;
    EXPECT_NE(s0.find("branch=z9hG4bKb0\r\n"), std::string::npos);
    EXPECT_NE(s1.find("branch=z9hG4bKb1\r\n"), std::string::npos);
    EXPECT_NE(s2.find("branch=z9hG4bKb2\r\n"), std::string::npos);
    EXPECT_EQ(s0.find("edge.example.net"), std::string::npos) << "Path is per branch";
    EXPECT_NE(s1.find("Route: <sip:edge.example.net;lr>\r\n"), std::string::npos) << s1;
    EXPECT_EQ(s2.find("edge.example.net"), std::string::npos);
    for (const std::string* s : {&s0, &s1, &s2}) {
        EXPECT_NE(s->find("X-Edit: all\r\n"), std::string::npos) << "edits reach every copy";
    }
    EXPECT_EQ(first.dest.addr.port(), 5061);
    EXPECT_EQ(second.dest.addr.port(), 5060);
}

TEST(OutRequest, CopyHookLinesComeFirstPerCopy) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    auto hook = [](MsgContext& m, const CopyTarget& t, void*, std::string_view* lines) {
        *lines = m.keep("Record-Route: <sip:" + t.out->sentBy + ";lr>\r\n");
        return true;
    };
    ASSERT_TRUE(addCopyHook(r.mc, hook, nullptr));
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    EXPECT_EQ(text(out).rfind("INVITE sip:bob@192.0.2.5 SIP/2.0\r\n"
                              "Record-Route: <sip:127.0.0.1:5099;lr>\r\n" +
                                  kOurVia,
                              0),
              0u)
        << text(out);
}

TEST(OutRequest, OurViaGoesRightAboveTheReceivedOne) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.mc.builder().prependHeader("X-First", "d"), sip::BuildError::Ok);
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    EXPECT_EQ(text(out).rfind("INVITE sip:bob@192.0.2.5 SIP/2.0\r\nX-First: d\r\n" + kOurVia +
                                  "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKabc\r\n",
                              0),
              0u)
        << "a line the script put first stays first\n"
        << text(out);
}

TEST(OutRequest, ViaRemovedByTheScriptStillGetsOurs) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.mc.builder().removeHeaders(sip::HeaderKind::Via), sip::BuildError::Ok);
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    const std::string s = text(out);
    EXPECT_EQ(s.rfind("INVITE sip:bob@192.0.2.5 SIP/2.0\r\n" + kOurVia + "Max-Forwards: 70\r\n", 0),
              0u)
        << s;
    EXPECT_EQ(s.find("192.0.2.10"), std::string::npos) << s;
}

TEST(OutRequest, BadNextHopIsRecordedForTheScript) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    BranchSpec spec = mainBranch(r.mc);
    spec.dstUri = "sip:192.0.2.1;transport=sctp";
    OutRequest out;
    EXPECT_FALSE(buildRequest(r.mc, spec, "z9hG4bKone", &out));
    EXPECT_EQ(r.mc.errorStatus, 500);
    EXPECT_EQ(r.mc.errorReason, "Bad destination");
}

TEST(OutRequest, BranchScopeGivesTheBranchItsValuesAndRestores) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.mc.setDstUri("sip:192.0.2.30"));
    BranchSpec changed;
    {
        BranchScope scope(r.mc, BranchSpec{"sip:b1@192.0.2.41", "", "<sip:p;lr>", -1});
        EXPECT_EQ(r.mc.requestUri(), "sip:b1@192.0.2.41");
        EXPECT_TRUE(r.mc.dstUri.empty());
        ASSERT_TRUE(r.mc.setDstUri("sip:192.0.2.50"));  // what a branch route does
        changed = scope.spec();
    }
    EXPECT_EQ(changed.uri, "sip:b1@192.0.2.41");
    EXPECT_EQ(changed.dstUri, "sip:192.0.2.50");
    EXPECT_EQ(changed.path, "<sip:p;lr>");
    EXPECT_EQ(r.mc.requestUri(), "sip:bob@192.0.2.5") << "the message's own values are back";
    EXPECT_EQ(r.mc.dstUri, "sip:192.0.2.30");
    EXPECT_TRUE(r.mc.ruriPath.empty());
}

TEST(HopRequest, CancelAndAckFromTheCopyAsSent) {
    ASSERT_TRUE(kPkg);
    Received r(kInvite);
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.mc.setRequestUri("sip:bob@192.0.2.20"));
    r.mc.ruriPath = "<sip:edge.example.net;lr>";
    OutRequest out;
    ASSERT_TRUE(buildRequest(r.mc, mainBranch(r.mc), "z9hG4bKone", &out));
    const std::string sentText = text(out);

    sip::SipMsg sent;
    ASSERT_TRUE(sip::parseMsg(sent, sentText));
    sip::OutSpans cancel;
    ASSERT_TRUE(buildHopRequest(sent, "CANCEL", {}, &cancel));
    std::string c(sip::flattenSpans(cancel, sent.arena));
    EXPECT_EQ(c.size(), cancel.bytes);
    EXPECT_EQ(c, "CANCEL sip:bob@192.0.2.20 SIP/2.0\r\n" + kOurVia +
                     "Route: <sip:edge.example.net;lr>\r\n"
                     "Route: <sip:next.example.net;lr>\r\n"
                     "From: <sip:alice@example.com>;tag=f1\r\n"
                     "To: <sip:bob@example.com>\r\n"
                     "Call-ID: call-1@test\r\n"
                     "CSeq: 7 CANCEL\r\n"
                     "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");

    sip::OutSpans ack;
    ASSERT_TRUE(buildHopRequest(sent, "ACK", "To: <sip:bob@example.com>;tag=t9\r\n", &ack));
    std::string a(sip::flattenSpans(ack, sent.arena));
    EXPECT_EQ(a.rfind("ACK sip:bob@192.0.2.20 SIP/2.0\r\n" + kOurVia, 0), 0u) << a;
    EXPECT_NE(a.find("\r\nTo: <sip:bob@example.com>;tag=t9\r\n"), std::string::npos) << a;
    EXPECT_NE(a.find("\r\nCSeq: 7 ACK\r\n"), std::string::npos) << a;
    sent.reset();
}

}  // namespace
}  // namespace osprey::route
