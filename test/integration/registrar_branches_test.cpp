// registrar's append_branches (Kamailio's meaning and default): with 1, lookup() makes the
// other bindings of the AOR branches, so tm's t_relay() forks to all of them in parallel; with
// 0 only the best binding (highest q) rewrites the Request-URI and nothing else is tried. Real
// osprey with tm, usrloc and registrar; two UAs registered for one AOR.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"

namespace osprey::testsupport {
namespace {

SipRouterOptions forkingRouter(const std::string& registrarParams) {
    SipRouterOptions o;
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"tm\"; }, { name = \"usrloc\"; }, "
        "{ name = \"registrar\"; params = { " +
        registrarParams + " }; }";
    return o;
}

struct TwoBindings {
    SipPeer best, other;

    // Registers bob at best (q=0.9) and other (q=0.5), then sends a MESSAGE to bob from uac.
    // Returns its Call-ID ("" when the REGISTER failed).
    std::string registerAndSend(SipRouter& r, SipPeer& uac) {
        SipRequest reg;
        reg.method = "REGISTER";
        reg.ruri = "sip:example.com";
        reg.to = "<sip:bob@example.com>";
        reg.from = reg.to + ";tag=r1";
        reg.extraHeaders = "Contact: <sip:bob@" + best.hostPort() + ">;q=0.9, <sip:bob@" +
                           other.hostPort() + ">;q=0.5\r\n";
        if (!uac.sendTo(buildRequest(uac, reg), r.port())) return "";
        auto resp = uac.receiveCall(reg.callId);
        if (!resp || resp->status() != 200) return "";
        SipRequest m;
        m.method = "MESSAGE";
        m.ruri = "sip:bob@example.com";
        if (!uac.sendTo(buildRequest(uac, m), r.port())) return "";
        return m.callId;
    }
};

TEST(RegistrarBranches, DefaultForksToEveryBinding) {
    SipRouter r(kRegistrarRelayScript, forkingRouter(""));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    TwoBindings b;
    const std::string callId = b.registerAndSend(r, uac);
    ASSERT_FALSE(callId.empty()) << r.log();
    auto first = b.best.receiveCall(callId);
    ASSERT_TRUE(first) << r.log();
    EXPECT_EQ(first->requestUri(), "sip:bob@" + b.best.hostPort());
    auto second = b.other.receiveCall(callId);
    ASSERT_TRUE(second) << "append_branches defaults to 1: the other binding is a branch\n"
                        << r.log();
    EXPECT_EQ(second->requestUri(), "sip:bob@" + b.other.hostPort());
}

TEST(RegistrarBranches, ZeroSendsToTheBestBindingOnly) {
    SipRouter r(kRegistrarRelayScript, forkingRouter("append_branches = 0;"));
    ASSERT_TRUE(r.start()) << r.log();
    SipPeer uac;
    TwoBindings b;
    const std::string callId = b.registerAndSend(r, uac);
    ASSERT_FALSE(callId.empty()) << r.log();
    auto req = b.best.receiveCall(callId);
    ASSERT_TRUE(req) << r.log();
    EXPECT_EQ(req->requestUri(), "sip:bob@" + b.best.hostPort());
    // The transaction completes with the best binding's answer and nothing else was forked:
    // branches leave together, so a copy for the other binding would be there already.
    ASSERT_TRUE(b.best.sendBack(buildResponse(*req, 200, "OK"), *req));
    auto resp = waitFor(uac, callId, isStatus(200));
    ASSERT_TRUE(resp) << r.log();
    EXPECT_FALSE(b.other.receiveCall(callId, 200)) << r.log();
}

TEST(RegistrarBranches, OnlyZeroAndOneAreAccepted) {
    SipRouter r(kRegistrarRelayScript, forkingRouter("append_branches = 2;"));
    EXPECT_FALSE(r.start());
    EXPECT_NE(r.log().find("append_branches"), std::string::npos) << r.log();
}

}  // namespace
}  // namespace osprey::testsupport
