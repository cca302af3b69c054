// Path per branch (RFC 3327 §5.3): registrar lookup finds two bindings of one AOR behind
// different Paths and t_relay forks; each branch leaves for its own Path's first hop with only
// its own Path as Route (the best binding's Path must not ride along on the other branch).
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"

namespace osprey::testsupport {
namespace {

// Registers a contact of bob behind the edge proxy `edge` (its Path), with q.
void registerBehind(SipPeer& edge, uint16_t routerPort, const std::string& contact,
                    const std::string& path, const std::string& q) {
    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:example.com";
    reg.to = "<sip:bob@example.com>";
    reg.from = reg.to + ";tag=" + uniqueToken("t");
    reg.extraHeaders = "Path: " + path + "\r\nContact: <" + contact + ">;q=" + q +
                       "\r\nExpires: 300\r\nSupported: path\r\n";
    ASSERT_TRUE(edge.sendTo(buildRequest(edge, reg), routerPort));
    auto r = waitFor(edge, reg.callId, isFinal());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status(), 200) << r->text();
}

TEST(TmPath, EachForkedBranchCarriesOnlyItsOwnPath) {
    SipPeer uac, edgeA, edgeB;
    SipRouter router(kRegistrarRelayScript, tmRouterOptions("", 2, true));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string pathA = "<sip:" + edgeA.hostPort() + ";lr>";
    const std::string pathB = "<sip:" + edgeB.hostPort() + ";lr;ob>";
    registerBehind(edgeA, router.port(), "sip:bob@10.9.9.1:5070", pathA, "0.9");
    registerBehind(edgeB, router.port(), "sip:bob@10.9.9.2:5070", pathB, "0.5");

    SipRequest inv = invite();
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto a = waitFor(edgeA, inv.callId, isMethod("INVITE"));
    auto b = waitFor(edgeB, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(a && b) << router.log();
    EXPECT_EQ(a->requestUri(), "sip:bob@10.9.9.1:5070");
    EXPECT_EQ(b->requestUri(), "sip:bob@10.9.9.2:5070");
    auto routesA = a->headers("Route");
    auto routesB = b->headers("Route");
    ASSERT_EQ(routesA.size(), 1u) << a->text();
    ASSERT_EQ(routesB.size(), 1u) << b->text();
    EXPECT_EQ(routesA[0], pathA);
    EXPECT_EQ(routesB[0], pathB);

    // The first branch's CANCEL/ACK are built from the copy as sent: its Route goes along.
    ASSERT_TRUE(edgeA.sendBack(buildResponse(*a, 486, "Busy Here", "tag-a"), *a));
    auto ack = waitFor(edgeA, inv.callId, isMethod("ACK"));
    ASSERT_TRUE(ack) << router.log();
    EXPECT_EQ(ack->headers("Route").size(), 1u) << ack->text();
    ASSERT_TRUE(edgeB.sendBack(buildResponse(*b, 486, "Busy Here", "tag-b"), *b));
    auto busy = waitFor(uac, inv.callId, isFinal());
    ASSERT_TRUE(busy) << router.log();
    EXPECT_EQ(busy->status(), 486);
}

}  // namespace
}  // namespace osprey::testsupport
