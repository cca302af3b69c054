// The benchmark's routing script (scripts/bench/registrar.lua, Kamailio's KEMI
// equivalent of registrar.cfg) runs unchanged on osprey: REGISTER saved and answered, an INVITE
// to a registered user looked up and relayed statefully (its 486 back to the caller), an
// unknown user 404. (Record-Route on tm's copies is rr's and tm's business, tested there.)
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

// The repository keeps an unchanged copy next to the benchmark config.
const std::string kScriptPath =
    std::string(OSPREY_SOURCE_DIR) + "/scripts/bench/registrar.lua";

SipRouterOptions benchOptions() {
    SipRouterOptions o;
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"tm\"; }, { name = \"rr\"; }, "
        "{ name = \"siputils\"; }, { name = \"usrloc\"; params = { hash_size = 12; }; }, "
        "{ name = \"registrar\"; }";
    return o;
}

TEST(RegistrarBenchScript, RegisterThenInviteIsRelayedToTheContact) {
    const std::string script = readFile(kScriptPath);
    ASSERT_FALSE(script.empty()) << kScriptPath << " not readable";
    SipRouter r(script, benchOptions());
    ASSERT_TRUE(r.start()) << r.log();

    SipPeer uas, uac;
    SipRequest reg;
    reg.method = "REGISTER";
    reg.ruri = "sip:example.com";
    reg.to = "<sip:bob@example.com>";
    reg.from = reg.to + ";tag=" + uniqueToken("t");
    reg.extraHeaders = "Contact: <sip:bob@" + uas.hostPort() + ">\r\nExpires: 300\r\n";
    ASSERT_TRUE(uas.sendTo(buildRequest(uas, reg), r.port()));
    auto ok = waitFor(uas, reg.callId, isFinal());
    ASSERT_TRUE(ok) << r.log();
    ASSERT_EQ(ok->status(), 200) << ok->text();
    EXPECT_EQ(ok->headers("Contact").size(), 1u);

    SipRequest inv = invite("sip:bob@example.com");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), r.port()));
    auto got = waitFor(uas, inv.callId, isMethod("INVITE"));
    ASSERT_TRUE(got) << r.log();
    EXPECT_EQ(got->requestUri(), "sip:bob@" + uas.hostPort());
    ASSERT_TRUE(uas.sendBack(buildResponse(*got, 486, "Busy Here"), *got));
    auto busy = waitFor(uac, inv.callId, isStatus(486));
    EXPECT_TRUE(busy) << r.log();

    SipRequest nobody = invite("sip:nobody@example.com");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, nobody), r.port()));
    auto nf = waitFor(uac, nobody.callId, isFinal());
    ASSERT_TRUE(nf) << r.log();
    EXPECT_EQ(nf->status(), 404);
    EXPECT_EQ(nf->reason(), "Not Found");
}

}  // namespace
}  // namespace osprey::testsupport
