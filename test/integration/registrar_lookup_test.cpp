// Location lookup end to end: the request goes (statelessly forwarded, until tm forks) to the
// best binding — highest q, then the most recently refreshed — with the others as branches in
// that order (seen in the debug log), Path turned into a Route set and the next hop, unknown
// users get -1 (404 in the script), registered() answers for the R-URI.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/registrar_test_util.h"

namespace osprey::testsupport {
namespace {

std::string contactOf(const SipPeer& uas, const std::string& user, const std::string& params = "") {
    return "<sip:" + user + "@" + uas.hostPort() + ">" + params;
}

std::unique_ptr<ReceivedMsg> sendMessage(SipPeer& uac, RegRouter& r, const std::string& user,
                                         std::string* callId) {
    SipRequest req;
    req.method = "MESSAGE";
    req.ruri = "sip:" + user + "@example.com";
    req.body = "hi";
    req.extraHeaders = "Content-Type: text/plain\r\n";
    uac.sendTo(buildRequest(uac, req), r.port());
    *callId = req.callId;
    return nullptr;
}

TEST(RegistrarLookup, UnknownUserIsNotFound) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    std::string callId;
    sendMessage(uac, r, "nobody", &callId);
    auto resp = uac.receiveCall(callId);
    ASSERT_TRUE(resp) << r.log();
    EXPECT_EQ(resp->status(), 404);
    EXPECT_EQ(resp->reason(), "Not Found -1");
}

TEST(RegistrarLookup, RequestGoesToTheRegisteredContact) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uas;
    Registration reg(r, "alice");
    ASSERT_EQ(reg.send("Contact: " + contactOf(uas, "alice") + "\r\n")->status(), 200);

    SipPeer uac;
    std::string callId;
    sendMessage(uac, r, "alice", &callId);
    auto req = uas.receiveCall(callId);
    ASSERT_TRUE(req) << r.log();
    EXPECT_EQ(req->requestUri(), "sip:alice@" + uas.hostPort());
    EXPECT_EQ(req->method(), "MESSAGE");
}

TEST(RegistrarLookup, HighestQFirstOthersAsBranchesInQOrder) {
    RegRouterOptions o;
    o.logLevel = "debug";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer low, high, mid;
    Registration reg(r, "bob");
    ASSERT_EQ(
        reg.send("Contact: " + contactOf(low, "bob", ";q=0.1") + ", " +
                 contactOf(high, "bob", ";q=0.9") + ", " + contactOf(mid, "bob", ";q=0.5") + "\r\n")
            ->status(),
        200);
    SipPeer uac;
    std::string callId;
    sendMessage(uac, r, "bob", &callId);
    auto req = high.receiveCall(callId);
    ASSERT_TRUE(req) << r.log();
    EXPECT_EQ(req->requestUri(), "sip:bob@" + high.hostPort());
    EXPECT_FALSE(low.receiveMsg(200)) << "stateless forwarding sends one copy only";

    ASSERT_NE(r.process().waitForLog("registrar: lookup bob: target 2 "), std::string::npos);
    const std::string log = r.log();
    const size_t t1 =
        log.find("registrar: lookup bob: target 1 sip:bob@" + mid.hostPort() + " q=500");
    const size_t t2 =
        log.find("registrar: lookup bob: target 2 sip:bob@" + low.hostPort() + " q=100");
    EXPECT_NE(t1, std::string::npos) << log;
    EXPECT_NE(t2, std::string::npos) << log;
}

TEST(RegistrarLookup, EqualQPrefersTheMostRecentlyRefreshed) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer first, second;
    Registration reg(r, "carol");
    ASSERT_EQ(reg.send("Contact: " + contactOf(first, "carol") + "\r\n")->status(), 200);
    ASSERT_EQ(reg.send("Contact: " + contactOf(second, "carol") + "\r\n")->status(), 200);
    SipPeer uac;
    std::string callId;
    sendMessage(uac, r, "carol", &callId);
    ASSERT_TRUE(second.receiveCall(callId)) << r.log();

    // Refreshing the first makes it the most recent.
    ASSERT_EQ(reg.send("Contact: " + contactOf(first, "carol") + "\r\n")->status(), 200);
    sendMessage(uac, r, "carol", &callId);
    ASSERT_TRUE(first.receiveCall(callId)) << r.log();
}

TEST(RegistrarLookup, PathBecomesRouteAndNextHop) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer edge;
    Registration reg(r, "dave");
    const std::string path = "<sip:" + edge.hostPort() + ";lr>, <sip:edge2.example.com;lr>";
    ASSERT_EQ(reg.send("Path: " + path + "\r\nContact: <sip:dave@10.1.2.3:5090>\r\n")->status(),
              200);
    SipPeer uac;
    std::string callId;
    sendMessage(uac, r, "dave", &callId);
    auto req = edge.receiveCall(callId);
    ASSERT_TRUE(req) << r.log();
    EXPECT_EQ(req->requestUri(), "sip:dave@10.1.2.3:5090");
    auto routes = req->headers("Route");
    ASSERT_EQ(routes.size(), 1u) << req->text();
    EXPECT_EQ(routes[0], path);
}

TEST(RegistrarLookup, RegisteredAnswersForTheRequestUri) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac, uas;
    SipRequest opt;
    opt.ruri = "sip:erin@example.com";
    uac.sendTo(buildRequest(uac, opt), r.port());
    auto resp = uac.receiveCall(opt.callId);
    ASSERT_TRUE(resp) << r.log();
    EXPECT_EQ(resp->status(), 404);
    EXPECT_EQ(resp->reason(), "Not Registered");

    Registration reg(r, "erin");
    ASSERT_EQ(reg.send("Contact: " + contactOf(uas, "erin") + "\r\n")->status(), 200);
    SipRequest again;
    again.ruri = "sip:erin@example.com";
    uac.sendTo(buildRequest(uac, again), r.port());
    ASSERT_TRUE(uas.receiveCall(again.callId)) << r.log();
}

}  // namespace
}  // namespace osprey::testsupport

namespace osprey::testsupport {
namespace {

TEST(RegistrarLookup, UnregisterRemovesEveryBindingOfTheAor) {
    RegRouterOptions o;
    o.beforeLookup = R"(
    if KSR.is_INFO() then
        local rc = KSR.registrar.unregister("location", "sip:gus@example.com")
        KSR.sl.send_reply(200, "rc " .. rc)
        return
    end
)";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "gus");
    ASSERT_EQ(reg.send("Contact: <sip:gus@192.0.2.1>, <sip:gus@192.0.2.2>\r\n")->status(), 200);
    SipPeer uac;
    SipRequest info;
    info.method = "INFO";
    info.ruri = "sip:anyone@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, info), r.port()));
    auto resp = uac.receiveCall(info.callId);
    ASSERT_TRUE(resp) << r.log();
    EXPECT_EQ(resp->reason(), "rc 1");
    EXPECT_TRUE(reg.send("")->headers("Contact").empty());
    SipRequest again;
    again.method = "INFO";
    again.ruri = "sip:anyone@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, again), r.port()));
    resp = uac.receiveCall(again.callId);
    ASSERT_TRUE(resp) << r.log();
    EXPECT_EQ(resp->reason(), "rc -1") << "nothing left to remove";
}

TEST(RegistrarLookup, UseDomainKeysByUserAndDomain) {
    RegRouterOptions o;
    o.usrlocParams = "use_domain = 1;";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uas;
    Registration reg(r, "hal");  // To: sip:hal@example.com
    ASSERT_EQ(reg.send("Contact: <sip:hal@" + uas.hostPort() + ">\r\n")->status(), 200);
    SipPeer uac;
    SipRequest other;
    other.method = "MESSAGE";
    other.ruri = "sip:hal@other.example.org";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, other), r.port()));
    auto nf = uac.receiveCall(other.callId);
    ASSERT_TRUE(nf) << r.log();
    EXPECT_EQ(nf->status(), 404) << "another domain is another AOR";
    SipRequest same;
    same.method = "MESSAGE";
    same.ruri = "sip:hal@EXAMPLE.com";  // the domain compares case-insensitively
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, same), r.port()));
    ASSERT_TRUE(uas.receiveCall(same.callId)) << r.log();
}

}  // namespace
}  // namespace osprey::testsupport
