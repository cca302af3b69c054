// Record-routing end to end with the real osprey on loopback (RFC 3261 §12.1, §16.4, §16.6
// step 4, §16.12; RFC 5658): the Record-Route a forwarded INVITE carries, double Record-Route
// when the request leaves from another interface (IPv4 in, IPv6 out), the RR set going back to
// the caller in the reply, in-dialog requests routed by loose_route in both directions with the
// proxy's Route entries removed, next hops taken from the Route set, strict routers, and the
// ftag / add_rr_param / check_route_param / is_direction helpers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

const char* kModules =
    "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"siputils\"; }, { name = \"rr\"; }";

// In-dialog requests go where loose_route says (a failing loose_route is answered with its
// code in the reason phrase); initial ones are record-routed and sent to `target`.
std::string dialogScript(const std::string& target, const std::string& initial = "",
                         const std::string& inDialog = "") {
    return R"(
function ksr_request_route()
    if KSR.siputils.has_totag() > 0 then
        local rc = KSR.rr.loose_route()
        if rc < 0 then
            KSR.sl.sl_send_reply(404, "loose_route " .. rc)
            return
        end
)" + inDialog +
           R"(
        if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
        return
    end
)" + initial +
           R"(
    KSR.rr.record_route()
    KSR.setdsturi(")" +
           target + R"(")
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)";
}

SipRouterOptions rrOptions(const std::string& rrParams = "") {
    SipRouterOptions o;
    o.modules = std::string(kModules);
    if (!rrParams.empty()) {
        o.modules =
            "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"siputils\"; }, "
            "{ name = \"rr\"; params = { " +
            rrParams + " }; }";
    }
    return o;
}

// The UAS side of an INVITE: 200 OK with the Record-Route set copied (RFC 3261 §12.1.1).
std::string answer(ReceivedMsg& invite, const std::string& contact) {
    std::string extra;
    for (const std::string& rr : invite.headers("Record-Route")) {
        extra += "Record-Route: " + rr + "\r\n";
    }
    extra += "Contact: <" + contact + ">\r\n";
    return buildResponse(invite, 200, "OK", "uas-tag", extra);
}

// Splits Record-Route lines into entries ("a, b" lines too), in order.
std::vector<std::string> entries(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& l : lines) {
        size_t start = 0;
        while (start < l.size()) {
            size_t comma = l.find(">,", start);
            size_t end = comma == std::string::npos ? l.size() : comma + 1;
            std::string e = l.substr(start, end - start);
            while (!e.empty() && e.front() == ' ') e.erase(0, 1);
            out.push_back(e);
            start = end == l.size() ? end : end + 1;
        }
    }
    return out;
}

std::string reversedRoutes(const std::vector<std::string>& rrs) {
    std::string s;
    for (auto it = rrs.rbegin(); it != rrs.rend(); ++it) s += "Route: " + *it + "\r\n";
    return s;
}

std::string forwardRoutes(const std::vector<std::string>& rrs) {
    std::string s;
    for (const std::string& r : rrs) s += "Route: " + r + "\r\n";
    return s;
}

std::string port(uint16_t p) {
    return std::to_string(p);
}

TEST(Rr, RecordRouteOnAForwardedInviteNamesTheProxyAboveEarlierHops) {
    SipPeer uac, uas;
    SipRouter router(dialogScript("sip:127.0.0.1:" + port(uas.port())), rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    inv.extraHeaders = "Record-Route: <sip:upstream.example.net;lr>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->headers("Record-Route"),
              (std::vector<std::string>{"<sip:127.0.0.1:" + port(router.port()) + ";lr>",
                                        "<sip:upstream.example.net;lr>"}))
        << req->text();
    // Kamailio's place for it: the first header, above our Via.
    const std::string& t = req->text();
    EXPECT_LT(t.find("\r\nRecord-Route: <sip:127.0.0.1"), t.find("\r\nVia: ")) << t;
}

TEST(Rr, FullLrAndDoubleRrAlwaysFollowTheParameters) {
    SipPeer uac, uas;
    SipRouter router(dialogScript("sip:127.0.0.1:" + port(uas.port())),
                     rrOptions("enable_full_lr = 1; enable_double_rr = 2;"));
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId);
    ASSERT_TRUE(req) << router.log();
    const std::string me = "<sip:127.0.0.1:" + port(router.port()) + ";r2=on;lr=on>";
    EXPECT_EQ(req->headers("Record-Route"), (std::vector<std::string>{me, me})) << req->text();
}

// IPv4 caller, IPv6 callee: two entries, the outgoing (IPv6) interface first. The whole
// dialog then runs over them in both directions.
TEST(Rr, DoubleRecordRouteAcrossAddressFamiliesCarriesTheDialog) {
    SipPeer uac;
    SipPeer uas(AF_INET6);
    ASSERT_TRUE(uac.ok() && uas.ok());
    SipRouterOptions o = rrOptions();
    o.ipv6 = true;
    SipRouter router(dialogScript("sip:[::1]:" + port(uas.port())), o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string v4 = "<sip:127.0.0.1:" + port(router.port()) + ";r2=on;lr>";
    const std::string v6 = "<sip:[::1]:" + port(router.port6()) + ";r2=on;lr>";

    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    inv.from = "<sip:alice@example.com>;tag=alice-tag";
    inv.extraHeaders = "Contact: <sip:alice@" + uac.hostPort() + ">\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId);
    ASSERT_TRUE(req) << router.log();
    ASSERT_EQ(req->headers("Record-Route"), (std::vector<std::string>{v6, v4})) << req->text();
    EXPECT_EQ(req->vias()[0].rfind("SIP/2.0/UDP [::1]:" + port(router.port6()), 0), 0u)
        << req->text();

    // The 200 goes back statelessly with the RR set; the caller's route set is it reversed.
    const std::string uasContact = "sip:bob@" + uas.hostPort();
    ASSERT_TRUE(uas.sendBack(answer(*req, uasContact), *req));
    auto ok = uac.receiveCall(inv.callId);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);
    const std::vector<std::string> rrSet = entries(ok->headers("Record-Route"));
    ASSERT_EQ(rrSet, (std::vector<std::string>{v6, v4})) << ok->text();

    // Caller's BYE: Route v4, v6 (RFC 3261 §12.1.2). Both are ours: removed, R-URI is next.
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = uasContact;
    bye.callId = inv.callId;
    bye.cseq = 2;
    bye.from = inv.from;
    bye.to = "<sip:bob@example.com>;tag=uas-tag";
    bye.extraHeaders = reversedRoutes(rrSet);
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), router.port()));
    auto byeIn = uas.receiveCall(inv.callId);
    ASSERT_TRUE(byeIn) << router.log();
    EXPECT_EQ(byeIn->method(), "BYE");
    EXPECT_EQ(byeIn->requestUri(), uasContact);
    EXPECT_FALSE(byeIn->has("Route")) << byeIn->text();
    EXPECT_FALSE(byeIn->has("Record-Route")) << byeIn->text();
    ASSERT_TRUE(uas.sendBack(buildResponse(*byeIn, 200, "OK"), *byeIn));
    auto byeOk = uac.receiveCall(inv.callId);
    ASSERT_TRUE(byeOk) << router.log();
    EXPECT_EQ(byeOk->status(), 200);

    // Callee's re-INVITE the other way: Route v6, v4; it leaves from the IPv4 interface.
    SipRequest reinv;
    reinv.method = "INVITE";
    reinv.ruri = "sip:alice@" + uac.hostPort();
    reinv.callId = inv.callId;
    reinv.cseq = 1;
    reinv.from = "<sip:bob@example.com>;tag=uas-tag";
    reinv.to = inv.from;
    reinv.extraHeaders = forwardRoutes(rrSet);
    ASSERT_TRUE(uas.sendTo(buildRequest(uas, reinv), router.port6()));
    auto back = uac.receiveCall(inv.callId);
    ASSERT_TRUE(back) << router.log();
    EXPECT_EQ(back->method(), "INVITE");
    EXPECT_EQ(back->requestUri(), reinv.ruri);
    EXPECT_FALSE(back->has("Route")) << back->text();
    EXPECT_FALSE(back->has("Record-Route")) << "in-dialog: not record-routed again";
    EXPECT_EQ(back->vias()[0].rfind("SIP/2.0/UDP 127.0.0.1:" + port(router.port()), 0), 0u)
        << back->text();
}

// UDP caller, TCP callee: the outgoing entry names the TCP listener with transport=tcp. The
// callee's reply and its BYE come over the connection osprey opened; the BYE leaves over UDP
// from the interface of our second entry, and the caller's BYE goes back over TCP.
TEST(Rr, DoubleRecordRouteFromUdpToTcpCarriesTheDialog) {
    SipPeer uac;
    SipTcpListener uas;
    ASSERT_TRUE(uac.ok() && uas.ok());
    SipRouterOptions o = rrOptions();
    o.tcp = true;
    o.extra = "tcp_children = 2;\n";
    const std::string uasContact = "sip:bob@127.0.0.1:" + port(uas.port()) + ";transport=tcp";
    SipRouter router(dialogScript(uasContact), o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string tcpRr =
        "<sip:127.0.0.1:" + port(router.tcpPort()) + ";transport=tcp;r2=on;lr>";
    const std::string udpRr = "<sip:127.0.0.1:" + port(router.port()) + ";r2=on;lr>";

    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    inv.from = "<sip:alice@example.com>;tag=alice-tag";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto conn = uas.accept(3000);
    ASSERT_TRUE(conn) << "osprey did not connect\n" << router.log();
    auto req = conn->receiveCall(inv.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    ASSERT_EQ(req->headers("Record-Route"), (std::vector<std::string>{tcpRr, udpRr}))
        << req->text();

    ASSERT_TRUE(conn->send(answer(*req, uasContact)));
    auto ok = uac.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(ok) << router.log();
    const std::vector<std::string> rrSet = entries(ok->headers("Record-Route"));
    ASSERT_EQ(rrSet, (std::vector<std::string>{tcpRr, udpRr})) << ok->text();

    // Caller's BYE over UDP: both entries go, out over the existing connection.
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = uasContact;
    bye.callId = inv.callId;
    bye.cseq = 2;
    bye.from = inv.from;
    bye.to = "<sip:bob@example.com>;tag=uas-tag";
    bye.extraHeaders = reversedRoutes(rrSet);
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), router.port()));
    auto byeIn = conn->receiveCall(inv.callId, 3000);
    ASSERT_TRUE(byeIn) << router.log();
    EXPECT_EQ(byeIn->method(), "BYE");
    EXPECT_FALSE(byeIn->has("Route")) << byeIn->text();
    EXPECT_EQ(byeIn->vias()[0].rfind("SIP/2.0/TCP 127.0.0.1:" + port(router.tcpPort()), 0), 0u)
        << byeIn->text();

    // Callee's BYE over TCP towards the caller: both entries go, out over UDP.
    SipRequest back;
    back.method = "BYE";
    back.ruri = "sip:alice@" + uac.hostPort();
    back.callId = inv.callId;
    back.cseq = 7;
    back.from = "<sip:bob@example.com>;tag=uas-tag";
    back.to = inv.from;
    back.extraHeaders = forwardRoutes(rrSet);
    ASSERT_TRUE(conn->send(buildTcpRequest(*conn, back)));
    auto got = uac.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->method(), "BYE");
    EXPECT_EQ(got->requestUri(), back.ruri);
    EXPECT_FALSE(got->has("Route")) << got->text();
    EXPECT_EQ(got->vias()[0].rfind("SIP/2.0/UDP 127.0.0.1:" + port(router.port()), 0), 0u)
        << got->text();
}

TEST(Rr, SingleInterfaceDialogRemovesTheProxyRouteAndKeepsTheNextHops) {
    SipPeer uac, uas, next;
    SipRouter router(dialogScript("sip:127.0.0.1:" + port(uas.port())), rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    const std::string me = "<sip:127.0.0.1:" + port(router.port()) + ";lr>";

    // Route: ours, then another loose router (the peer `next`) in the same header line.
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = "sip:bob@192.0.2.1:5099";
    bye.to = "<sip:bob@example.com>;tag=t1";
    const std::string nextHop = "<sip:127.0.0.1:" + port(next.port()) + ";lr>";
    bye.extraHeaders = "Route: " + me + ", " + nextHop + "\r\nRoute: <sip:far.example.com;lr>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), router.port()));
    auto got = next.receiveCall(bye.callId);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->requestUri(), bye.ruri) << "loose routing leaves the R-URI alone";
    EXPECT_EQ(got->headers("Route"),
              (std::vector<std::string>{nextHop, "<sip:far.example.com;lr>"}))
        << got->text();

    // Only our Route: it goes, the R-URI is the next hop.
    SipRequest ack;
    ack.method = "ACK";
    ack.ruri = "sip:bob@" + uas.hostPort();
    ack.to = "<sip:bob@example.com>;tag=t1";
    ack.extraHeaders = "Route: " + me + "\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, ack), router.port()));
    auto a = uas.receiveCall(ack.callId);
    ASSERT_TRUE(a) << router.log();
    EXPECT_EQ(a->method(), "ACK");
    EXPECT_FALSE(a->has("Route")) << a->text();
}

TEST(Rr, RouteNotOursIsTheNextHopAndStays) {
    SipPeer uac, next;
    SipRouter router(dialogScript("sip:127.0.0.1:9"), rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "INFO";
    r.ruri = "sip:bob@192.0.2.1";
    r.to = "<sip:bob@example.com>;tag=t1";
    const std::string route = "<sip:127.0.0.1:" + port(next.port()) + ";lr;x=1>";
    r.extraHeaders = "Route: " + route + "\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto got = next.receiveCall(r.callId);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->headers("Route"), std::vector<std::string>{route});
    EXPECT_EQ(got->requestUri(), r.ruri);
}

TEST(Rr, NoRouteIsMinusOne) {
    SipPeer uac;
    SipRouter router(dialogScript("sip:127.0.0.1:9"), rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "BYE";
    r.ruri = "sip:bob@192.0.2.1";
    r.to = "<sip:bob@example.com>;tag=t1";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 404);
    EXPECT_EQ(resp->reason(), "loose_route -1");
}

TEST(Rr, PreloadedRouteNamingOnlyUsIsMinusThree) {
    SipPeer uac;
    SipRouter router(R"(
function ksr_request_route()
    KSR.sl.sl_send_reply(404, "loose_route " .. KSR.rr.loose_route())
end
)",
                     rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@192.0.2.1";
    r.extraHeaders = "Route: <sip:127.0.0.1:" + port(router.port()) + ";lr>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "loose_route -3");
}

// The previous hop was a strict router: the R-URI is our RR URI, the remote target is the
// last Route (RFC 3261 §16.4).
TEST(Rr, AfterAStrictRouterTheRemoteTargetComesBackFromTheLastRoute) {
    SipPeer uac, next;
    SipRouter router(dialogScript("sip:127.0.0.1:9"), rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "BYE";
    r.ruri = "sip:127.0.0.1:" + port(router.port()) + ";lr";
    r.to = "<sip:bob@example.com>;tag=t1";
    const std::string nextHop = "<sip:127.0.0.1:" + port(next.port()) + ";lr>";
    r.extraHeaders = "Route: " + nextHop + "\r\nRoute: <sip:bob@192.0.2.7:5070>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto got = next.receiveCall(r.callId);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->requestUri(), "sip:bob@192.0.2.7:5070");
    EXPECT_EQ(got->headers("Route"), std::vector<std::string>{nextHop}) << got->text();
}

// The next hop is a strict router (no ;lr): it becomes the R-URI, the R-URI goes last.
TEST(Rr, AStrictNextHopGetsTheRequestUriAndTheOldOneGoesLast) {
    SipPeer uac, next;
    SipRouter router(dialogScript("sip:127.0.0.1:9"), rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.method = "BYE";
    r.ruri = "sip:bob@192.0.2.7:5070";
    r.to = "<sip:bob@example.com>;tag=t1";
    r.extraHeaders = "Route: <sip:127.0.0.1:" + port(router.port()) +
                     ";lr>, <sip:127.0.0.1:" + port(next.port()) +
                     ">\r\nRoute: <sip:far.example.com;lr>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto got = next.receiveCall(r.callId);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->requestUri(), "sip:127.0.0.1:" + port(next.port()));
    EXPECT_EQ(got->headers("Route"),
              (std::vector<std::string>{"<sip:far.example.com;lr>", "<sip:bob@192.0.2.7:5070>"}))
        << got->text();
}

TEST(Rr, FtagParamsCheckRouteParamAndDirection) {
    SipPeer uac, uas;
    const std::string initial = R"(
    KSR.rr.add_rr_param(";nat=yes")
)";
    const std::string inDialog = R"(
        local p = KSR.rr.check_route_param("nat=yes")
        local q = KSR.rr.check_route_param("^;lr;ftag=[a-z-]+;nat=yes;cc=7$")
        local n = KSR.rr.check_route_param("nat=no")
        local d = KSR.rr.is_direction("downstream")
        local u = KSR.rr.is_direction("upstream")
        KSR.hdr.append("X-Rr: " .. p .. " " .. q .. " " .. n .. " " .. d .. " " .. u .. "\r\n")
)";
    std::string script = dialogScript("sip:127.0.0.1:" + port(uas.port()), initial, inDialog);
    // A second parameter added after record_route() still reaches the header.
    const std::string anchor = "    KSR.setdsturi(";
    script.insert(script.find(anchor), "    KSR.rr.add_rr_param(\"cc=7\")\n");
    SipRouter router(script, rrOptions("append_fromtag = 1;"));
    ASSERT_TRUE(router.start()) << router.log();

    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@example.com";
    inv.from = "<sip:alice@example.com>;tag=alice-tag";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId);
    ASSERT_TRUE(req) << router.log();
    const std::string rr =
        "<sip:127.0.0.1:" + port(router.port()) + ";lr;ftag=alice-tag;nat=yes;cc=7>";
    ASSERT_EQ(req->headers("Record-Route"), std::vector<std::string>{rr}) << req->text();

    // Caller -> callee: From tag is the ftag: downstream.
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = "sip:bob@" + uas.hostPort();
    bye.callId = inv.callId;
    bye.from = inv.from;
    bye.to = "<sip:bob@example.com>;tag=uas-tag";
    bye.extraHeaders = "Route: " + rr + "\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), router.port()));
    auto down = uas.receiveCall(inv.callId);
    ASSERT_TRUE(down) << router.log();
    EXPECT_EQ(down->header("X-Rr"), "1 1 -1 1 -1") << down->text();

    // Callee -> caller: upstream.
    SipRequest up;
    up.method = "BYE";
    up.ruri = "sip:alice@" + uac.hostPort();
    up.callId = inv.callId;
    up.from = "<sip:bob@example.com>;tag=uas-tag";
    up.to = inv.from;
    up.extraHeaders = "Route: " + rr + "\r\n";
    ASSERT_TRUE(uas.sendTo(buildRequest(uas, up), router.port()));
    auto got = uac.receiveCall(inv.callId);
    ASSERT_TRUE(got) << router.log();
    EXPECT_EQ(got->header("X-Rr"), "1 1 -1 -1 1") << got->text();
}

TEST(Rr, BadParametersAndRepeatsAreRefused) {
    SipPeer uac;
    SipRouter router(R"(
function ksr_request_route()
    local a = KSR.rr.record_route()
    local b = KSR.rr.record_route()
    local c = KSR.rr.add_rr_param(";x=<y>")
    local d = KSR.rr.add_rr_param("a\r\nEvil: 1")
    local e = KSR.rr.check_route_param("(")
    KSR.sl.sl_send_reply(404, a .. " " .. b .. " " .. c .. " " .. d .. " " .. e)
end
)",
                     rrOptions());
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@192.0.2.1";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->reason(), "1 -1 -1 -1 -1");
}

}  // namespace
}  // namespace osprey::testsupport
