// The tree's default routing script (etc/osprey.lua) with the real osprey: as the stateless
// proxy etc/osprey.cfg loads it as (sl, maxfwd, sanity, siputils, pv, rr), and as a
// stateful proxy and registrar once tm, tmx, usrloc and registrar are loaded too.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "test/support/read_file.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

const char* kStatelessModules =
    "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"sanity\"; }, "
    "{ name = \"siputils\"; }, { name = \"pv\"; }, { name = \"rr\"; }";

std::string defaultScript() {
    return readFile(OSPREY_SOURCE_DIR "/etc/osprey.lua");
}

// The first final (>= 200) response with this Call-ID, skipping provisional ones.
std::unique_ptr<ReceivedMsg> finalResponse(SipPeer& peer, const std::string& callId) {
    for (int i = 0; i < 5; ++i) {
        auto m = peer.receiveCall(callId, 3000);
        if (!m || m->isRequest() || m->status() >= 200) return m;
    }
    return nullptr;
}

struct Stateless : ::testing::Test {
    SipPeer uac, uas;
    std::unique_ptr<SipRouter> router;
    void SetUp() override {
        SipRouterOptions o;
        o.modules = kStatelessModules;
        router = std::make_unique<SipRouter>(defaultScript(), o);
        ASSERT_TRUE(router->start()) << router->log();
    }
    std::string me() const { return "127.0.0.1:" + std::to_string(router->port()); }
    std::string uasUri(const std::string& user) const {
        return "sip:" + user + "@127.0.0.1:" + std::to_string(uas.port());
    }
    // Sends r and returns the final answer the UAC gets (nullptr: none).
    std::unique_ptr<ReceivedMsg> ask(SipRequest& r) {
        if (!uac.sendTo(buildRequest(uac, r), router->port())) return nullptr;
        return finalResponse(uac, r.callId);
    }
};

TEST_F(Stateless, KeepaliveOptionsToTheProxyIsAnswered) {
    SipRequest r;
    r.ruri = "sip:" + me();
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router->log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_EQ(resp->reason(), "Keepalive");
}

TEST_F(Stateless, MaxForwardsZeroIs483) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = uasUri("bob");
    r.maxForwards = 0;
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router->log();
    EXPECT_EQ(resp->status(), 483);
    EXPECT_FALSE(uas.receiveMsg(200)) << "must not be forwarded";
}

TEST_F(Stateless, MalformedRequestIsAnsweredBySanity) {
    SipRequest r;
    r.ruri = uasUri("bob");
    r.cseqMethod = "INVITE";  // CSeq method differs from the request method (check 32)
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router->log();
    EXPECT_EQ(resp->status(), 400);
    EXPECT_FALSE(uas.receiveMsg(200));
}

TEST_F(Stateless, InitialInviteIsRecordRoutedAndForwarded) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = uasUri("bob");
    r.extraHeaders = "Route: <sip:preloaded.example.com;lr>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router->port()));
    auto req = uas.receiveCall(r.callId);
    ASSERT_TRUE(req) << router->log();
    EXPECT_EQ(req->requestUri(), r.ruri);
    EXPECT_EQ(req->header("Max-Forwards"), "69");
    const std::string rr = req->header("Record-Route");
    EXPECT_NE(rr.find("sip:" + me() + ";lr"), std::string::npos) << req->text();
    EXPECT_FALSE(req->has("Route")) << "preloaded Route headers are dropped\n" << req->text();

    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 486, "Busy Here"), *req));
    auto resp = finalResponse(uac, r.callId);
    ASSERT_TRUE(resp) << router->log();
    EXPECT_EQ(resp->status(), 486);
}

TEST_F(Stateless, RequestsForOurDomainWithoutRegistrarGet404) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:carol@" + me();
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router->log();
    EXPECT_EQ(resp->status(), 404);
}

TEST_F(Stateless, InDialogRequestFollowsItsRouteSet) {
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = uasUri("bob");
    bye.to = "<sip:bob@example.com>;tag=callee";
    bye.extraHeaders = "Route: <sip:" + me() + ";lr>\r\n";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, bye), router->port()));
    auto req = uas.receiveCall(bye.callId);
    ASSERT_TRUE(req) << router->log();
    EXPECT_EQ(req->method(), "BYE");
    EXPECT_FALSE(req->has("Route")) << "our own Route entry is consumed\n" << req->text();
}

TEST_F(Stateless, InDialogRequestNotRoutedThroughUsIs404) {
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = uasUri("bob");
    bye.to = "<sip:bob@example.com>;tag=callee";
    auto resp = ask(bye);
    ASSERT_TRUE(resp) << router->log();
    EXPECT_EQ(resp->status(), 404);
    EXPECT_FALSE(uas.receiveMsg(200));
}

TEST(DefaultScript, StatefulRegistrarSavesAndRoutesToTheContact) {
    SipPeer uac, uas;
    SipRouterOptions o;
    o.modules = std::string(kStatelessModules) +
                ", { name = \"tm\"; }, { name = \"tmx\"; }, { name = \"usrloc\"; },"
                " { name = \"registrar\"; }";
    SipRouter router(defaultScript(), o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string me = "127.0.0.1:" + std::to_string(router.port());
    const std::string contact = "sip:bob@127.0.0.1:" + std::to_string(uas.port());

    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:" + me;
    reg.from = "<sip:bob@" + me + ">;tag=" + uniqueToken("r");
    reg.to = "<sip:bob@" + me + ">";
    reg.extraHeaders = "Contact: <" + contact + ">\r\nExpires: 60\r\n";
    ASSERT_TRUE(uas.sendTo(buildRequest(uas, reg), router.port()));
    auto ok = finalResponse(uas, reg.callId);
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200) << ok->text();

    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@" + me;
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    EXPECT_EQ(req->requestUri(), contact);
    ASSERT_TRUE(uas.sendBack(buildResponse(*req, 486, "Busy Here"), *req));
    auto resp = finalResponse(uac, inv.callId);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 486);

    SipRequest nobody;
    nobody.method = "INVITE";
    nobody.ruri = "sip:nobody@" + me;
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, nobody), router.port()));
    auto nf = finalResponse(uac, nobody.callId);
    ASSERT_TRUE(nf) << router.log();
    EXPECT_EQ(nf->status(), 404);
}

// rr's per-copy Record-Route reaches tm's branches as it does the stateless forward().
TEST(DefaultScript, StatefulInviteIsRecordRouted) {
    SipPeer uac, uas;
    SipRouterOptions o;
    o.modules = std::string(kStatelessModules) + ", { name = \"tm\"; }, { name = \"tmx\"; }";
    SipRouter router(defaultScript(), o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string me = "127.0.0.1:" + std::to_string(router.port());
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = "sip:bob@127.0.0.1:" + std::to_string(uas.port());
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto req = uas.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(req) << router.log();
    EXPECT_NE(req->header("Record-Route").find("sip:" + me + ";lr"), std::string::npos)
        << req->text();
}

}  // namespace
}  // namespace osprey::testsupport
