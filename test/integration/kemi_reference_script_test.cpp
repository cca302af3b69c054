// Kamailio 5.6.3's own reference KEMI script (kamailio-basic-kemi-lua.lua, installed by the
// kamailio package) run unchanged by the real osprey. The modules that script needs and this
// test does not load (pike, permissions, auth_db, rtpproxy) are stood in for by small Lua
// tables put in front of the script, only where KSR lacks them; everything else (sl, tm, tmx,
// rr, pv, maxfwd, sanity, siputils, usrloc, registrar, auth, kx, corex, htable, nathelper, and
// the core: is_method_in, branch flags, set_reply_no_connect, t_is_set, $T_*) is the real
// thing. No call may log an argument error or end a route with a Lua error.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"
#include "test/support/read_file.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

constexpr const char* kReferenceScript =
    "/usr/share/doc/kamailio/examples/kemi/kamailio-basic-kemi-lua.lua";

// Stand-ins: pike never blocks, no trusted peer, every credential accepted, no media relay
// (and, where the module is not loaded, no IP banned and nobody behind NAT).
constexpr const char* kStandIns = R"lua(
KSR.htable = KSR.htable or { sht_match_name = function() return -1 end,
                             sht_seti = function() return 1 end }
KSR.pike = KSR.pike or { pike_check_req = function() return 1 end }
KSR.permissions = KSR.permissions or { allow_source_address = function() return -1 end }
KSR.auth_db = KSR.auth_db or { auth_check = function() return 1 end }
KSR.nathelper = KSR.nathelper or {
    nat_uac_test = function() return -1 end, fix_nated_register = function() return 1 end,
    handle_ruri_alias = function() return 1 end, set_contact_alias = function() return 1 end }
KSR.rtpproxy = KSR.rtpproxy or { rtpproxy_manage = function() return 1 end }
)lua";

class KemiReferenceScript : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string text = readFile(kReferenceScript);
        ASSERT_FALSE(text.empty())
            << kReferenceScript << " is missing: scripts/deps.sh installs the kamailio package";
        SipRouterOptions o;
        o.modules =
            "{ name = \"sl\"; }, { name = \"tm\"; }, { name = \"tmx\"; }, { name = \"rr\"; }, "
            "{ name = \"pv\"; }, { name = \"maxfwd\"; }, { name = \"sanity\"; }, "
            "{ name = \"siputils\"; }, { name = \"usrloc\"; params = { nat_bflag = 6; }; }, "
            "{ name = \"registrar\"; }, { name = \"auth\"; }, { name = \"kx\"; }, "
            "{ name = \"corex\"; }, { name = \"nathelper\"; }, "
            "{ name = \"htable\"; params = { htable = "
            "\"ipban=>size=8;autoexpire=300;\"; }; }";
        o.logLevel = "debug";
        router_ = std::make_unique<SipRouter>(std::string(kStandIns) + text, o);
        ASSERT_TRUE(router_->start()) << router_->log();
    }

    void TearDown() override {
        if (!router_) return;
        const std::string log = router_->log();
        for (const char* bad : {"bad argument", "wrong number of arguments", "lua: error in"}) {
            EXPECT_EQ(log.find(bad), std::string::npos) << bad << "\n" << log;
        }
    }

    std::string myself() const { return "127.0.0.1:" + std::to_string(router_->port()); }

    // Sends r and returns the first final reply (nullptr when none came).
    std::unique_ptr<ReceivedMsg> final(SipPeer& from, SipRequest r) {
        if (!from.sendTo(buildRequest(from, r), router_->port())) return nullptr;
        return waitFor(from, r.callId, isFinal());
    }

    SipRequest make(const std::string& method, const std::string& ruri) {
        SipRequest r;
        r.method = method;
        r.ruri = ruri;
        r.callId = uniqueToken("ref-");
        r.from = "<sip:alice@" + myself() + ">;tag=" + uniqueToken("t");
        return r;
    }

    std::unique_ptr<SipRouter> router_;
};

TEST_F(KemiReferenceScript, KeepaliveScannerAndAddressIncomplete) {
    SipPeer uac;
    auto keepalive = final(uac, make("OPTIONS", "sip:" + myself()));
    ASSERT_TRUE(keepalive) << router_->log();
    EXPECT_EQ(keepalive->status(), 200);
    EXPECT_EQ(keepalive->reason(), "Keepalive");

    SipRequest scanner = make("OPTIONS", "sip:100@" + myself());
    scanner.extraHeaders = "User-Agent: friendly-scanner\r\n";
    auto s = final(uac, scanner);
    ASSERT_TRUE(s) << router_->log();
    EXPECT_EQ(s->status(), 200);
    EXPECT_EQ(s->reason(), "OK");

    auto noUser = final(uac, make("INVITE", "sip:" + myself()));
    ASSERT_TRUE(noUser) << router_->log();
    EXPECT_EQ(noUser->status(), 484);
    EXPECT_EQ(noUser->reason(), "Address Incomplete");

    SipRequest foreign = make("MESSAGE", "sip:bob@example.com");
    foreign.from = "<sip:mallory@example.org>;tag=" + uniqueToken("t");
    auto relay = final(uac, foreign);
    ASSERT_TRUE(relay) << router_->log();
    EXPECT_EQ(relay->status(), 403);
    EXPECT_EQ(relay->reason(), "Not relaying");
}

TEST_F(KemiReferenceScript, RegisterThenCallThroughTm) {
    SipPeer uac, bob;
    SipRequest reg = make("REGISTER", "sip:" + myself());
    reg.to = "<sip:bob@" + myself() + ">";
    reg.from = "<sip:bob@" + myself() + ">;tag=" + uniqueToken("t");
    reg.extraHeaders =
        "Contact: <sip:bob@127.0.0.1:" + std::to_string(bob.port()) + ">\r\nExpires: 300\r\n";
    auto regOk = final(bob, reg);
    ASSERT_TRUE(regOk) << router_->log();
    ASSERT_EQ(regOk->status(), 200) << router_->log();

    SipRequest inv = make("INVITE", "sip:bob@" + myself());
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router_->port()));
    auto atBob = waitFor(bob, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(atBob) << router_->log();
    EXPECT_NE(atBob->text().find("Record-Route:"), std::string::npos)
        << "is_method_in(\"IS\") record-routes the INVITE\n"
        << atBob->text();
    // The branch route the script armed through t_is_set/t_on_branch saw its branch.
    EXPECT_NE(router_->process().waitForLog("new branch [0] to sip:bob@127.0.0.1:" +
                                            std::to_string(bob.port())),
              std::string::npos)
        << router_->log();
    ASSERT_TRUE(bob.sendTo(buildResponse(*atBob, 486, "Busy Here"), router_->port()));
    auto busy = waitFor(uac, inv.callId, isStatus(486));
    ASSERT_TRUE(busy) << router_->log();
}

}  // namespace
}  // namespace osprey::testsupport
