// The stateless proxy's branch (RFC 3261 §16.11): equal for a retransmission, a CANCEL and a
// non-2xx ACK of the same INVITE; different for other transactions and other next hops; the
// RFC 2543 fallback (no magic cookie) hashes the transaction's identifying fields.
#include <gtest/gtest.h>

#include <string>

#include "core/route/branch.h"
#include "core/sip/msg.h"
#include "mem/pkg.h"

namespace osprey::route {
namespace {

class RouteBranch : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
    }

    // The branch the proxy computes for `text` sent to `nextHop`.
    static std::string branchOf(const std::string& text, std::string_view nextHop = "sip:h") {
        sip::SipMsg msg;
        EXPECT_TRUE(sip::parseMsg(msg, text)) << text;
        char out[kStatelessBranchLen];
        return std::string(statelessBranch(msg, nextHop, out));
    }

    static std::string request(const std::string& method, const std::string& via,
                               const std::string& cseqMethod = "", const std::string& callId = "c1",
                               const std::string& toTag = "") {
        return method + " sip:bob@example.com SIP/2.0\r\nVia: " + via +
               "\r\nFrom: <sip:a@example.com>;tag=f1\r\nTo: <sip:bob@example.com>" +
               (toTag.empty() ? "" : ";tag=" + toTag) + "\r\nCall-ID: " + callId +
               "\r\nCSeq: 7 " + (cseqMethod.empty() ? method : cseqMethod) +
               "\r\nContent-Length: 0\r\n\r\n";
    }
};

TEST_F(RouteBranch, HasTheMagicCookieAndAFixedLength) {
    const std::string b = branchOf(request("INVITE", "SIP/2.0/UDP a;branch=z9hG4bK1"));
    EXPECT_EQ(b.size(), kStatelessBranchLen);
    EXPECT_EQ(b.rfind("z9hG4bK", 0), 0u);
}

TEST_F(RouteBranch, SameTransactionSameBranch) {
    const std::string via = "SIP/2.0/UDP a;branch=z9hG4bKabc";
    const std::string invite = branchOf(request("INVITE", via));
    EXPECT_EQ(branchOf(request("INVITE", via)), invite) << "retransmission";
    EXPECT_EQ(branchOf(request("CANCEL", via)), invite) << "CANCEL";
    EXPECT_EQ(branchOf(request("ACK", via, "ACK", "c1", "t9")), invite) << "ACK of a non-2xx";
}

TEST_F(RouteBranch, OtherTransactionsAndNextHopsDiffer) {
    const std::string invite = branchOf(request("INVITE", "SIP/2.0/UDP a;branch=z9hG4bKabc"));
    EXPECT_NE(branchOf(request("INVITE", "SIP/2.0/UDP a;branch=z9hG4bKabd")), invite);
    EXPECT_NE(branchOf(request("INVITE", "SIP/2.0/UDP a;branch=z9hG4bKabc"), "sip:other"),
              invite);
}

TEST_F(RouteBranch, Rfc2543RequestsHashTheirIdentifyingFields) {
    const std::string via = "SIP/2.0/UDP a:5060";  // no branch at all
    const std::string invite = branchOf(request("INVITE", via));
    EXPECT_EQ(branchOf(request("INVITE", via)), invite);
    EXPECT_EQ(branchOf(request("CANCEL", via)), invite) << "the method is not hashed";
    EXPECT_NE(branchOf(request("INVITE", via, "", "c2")), invite) << "Call-ID";
    EXPECT_NE(branchOf(request("INVITE", via, "", "c1", "t1")), invite) << "To tag";
    EXPECT_NE(branchOf(request("INVITE", "SIP/2.0/UDP b:5060")), invite) << "top Via";
}

}  // namespace
}  // namespace osprey::route
