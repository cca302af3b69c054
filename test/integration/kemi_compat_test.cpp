// Kamailio KEMI compatibility with the real osprey: KSR.is_method_in's letters, branch flags
// (per branch, $bf, saved with a registered contact and restored by lookup), KSR.x.modf,
// KSR.set_drop, the kx getters, corex's helpers, siputils.is_first_hop, tm's t_is_set, tmx's
// route-type tests and the $T_* pseudo-variables in each kind of route. What a function returned
// travels back in the reply's reason phrase or in a log line, so every assertion is on what the
// script saw.
#include <gtest/gtest.h>

#include <string>

#include "test/integration/tm_test_util.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/sip_tcp_peer.h"

namespace osprey::testsupport {
namespace {

// Sends a request from uac and returns the reply's reason phrase ("" when none came).
std::string ask(SipPeer& uac, SipRouter& router, SipRequest r) {
    if (!uac.sendTo(buildRequest(uac, r), router.port())) return "";
    auto resp = uac.receiveCall(r.callId, 3000);
    return resp ? resp->reason() : "";
}

SipRequest request(const std::string& method, const std::string& ruri = "sip:bob@example.com") {
    SipRequest r;
    r.method = method;
    r.ruri = ruri;
    r.callId = uniqueToken("kemi-");
    return r;
}

TEST(KemiCompat, IsMethodInUsesKamailiosLetters) {
    SipPeer uac;
    SipRouter router(R"lua(
function ksr_request_route()
    local s = ""
    for _, l in ipairs({"IRS", "e", "P", "ABC", "mo", "NUF", "K", "x"}) do
        s = s .. (KSR.is_method_in(l) and "1" or "0")
    end
    KSR.sl.sl_send_reply(200, s)
end
)lua");
    ASSERT_TRUE(router.start()) << router.log();
    // Letters: IRS, e (PRACK), P (PUBLISH), ABC, mo, NUF, K (KDMQ), x (unknown: warned).
    EXPECT_EQ(ask(uac, router, request("REGISTER", "sip:example.com")), "10000000");
    EXPECT_EQ(ask(uac, router, request("PRACK")), "01000000");
    EXPECT_EQ(ask(uac, router, request("PUBLISH")), "00100000");
    EXPECT_EQ(ask(uac, router, request("MESSAGE")), "00001000");
    EXPECT_EQ(ask(uac, router, request("OPTIONS")), "00001000");
    EXPECT_EQ(ask(uac, router, request("UPDATE")), "00000100");
    EXPECT_EQ(ask(uac, router, request("KDMQ")), "00000010");
    EXPECT_EQ(ask(uac, router, request("INFO")), "00000000");
    EXPECT_NE(router.process().waitForLog("unsupported method letter 'x'"), std::string::npos)
        << router.log();
}

TEST(KemiCompat, BranchFlagsModfAndSetDrop) {
    SipPeer uac;
    SipRouterOptions o;
    o.modules += ", { name = \"pv\"; }, { name = \"corex\"; }";
    SipRouter router(R"lua(
function ksr_request_route()
    if KSR.is_MESSAGE() then
        KSR.set_drop()
        KSR.info("after set_drop")
        KSR.sl.sl_send_reply(200, "must not be sent")
        return
    end
    local s = tostring(KSR.setbflag(6)) .. tostring(KSR.isbflagset(6)) .. KSR.pv.get("$bf")
    KSR.setbflag("3")
    s = s .. " " .. KSR.pv.get("$bf")
    KSR.resetbflag(6)
    s = s .. " " .. tostring(KSR.isbflagset(6)) .. tostring(KSR.setbflag(32))
    KSR.pv.seti("$bf", 1)
    s = s .. " " .. tostring(KSR.isbflagset(0)) .. tostring(KSR.isbflagset(3))
    -- branch 1 exists once a branch is appended; its flags are its own
    s = s .. " " .. tostring(KSR.setbiflag(2, 1))
    KSR.corex.append_branch_uri("sip:carol@example.com")
    s = s .. tostring(KSR.setbiflag(2, 1)) .. tostring(KSR.isbiflagset(2, 1))
        .. tostring(KSR.isbflagset(2))
    s = s .. " " .. KSR.x.modf("isbflagset", "0") .. KSR.x.modf("is_method_in", "O")
        .. tostring(KSR.set_reply_no_connect())
    KSR.x.modf("sl_send_reply", "202", s)
end
)lua",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r = request("OPTIONS");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    auto resp = uac.receiveCall(r.callId, 3000);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 202);
    EXPECT_EQ(resp->reason(), "truetrue64 72 falsefalse truefalse falsetruetruefalse 11true");

    // set_drop marks the message, the script goes on, nothing is sent for it.
    SipRequest m = request("MESSAGE");
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, m), router.port()));
    EXPECT_NE(router.process().waitForLog("after set_drop"), std::string::npos) << router.log();
    EXPECT_FALSE(uac.receiveCall(m.callId, 300)) << "a dropped message gets no reply";
}

TEST(KemiCompat, BranchFlagsAreSavedWithTheContactAndRestoredByLookup) {
    SipPeer uac, uaA, uaB;
    SipRouterOptions o;
    o.modules += ", { name = \"usrloc\"; }, { name = \"registrar\"; }";
    SipRouter router(R"lua(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.hdr.is_present("X-Nat") > 0 then KSR.setbflag(6) end
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return
    end
    KSR.setbflag(1)
    if KSR.registrar.lookup("location") < 0 then
        KSR.sl.send_reply(404, "Not Found")
        return
    end
    KSR.sl.send_reply(200, tostring(KSR.isbflagset(6)) .. tostring(KSR.isbflagset(1)) .. " "
        .. tostring(KSR.isbiflagset(6, 1)) .. tostring(KSR.isbiflagset(1, 1)))
end
)lua",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    auto reg = [&](SipPeer& ua, const std::string& user, const std::string& q, bool nat) {
        SipRequest r = request("REGISTER", "sip:example.com");
        r.to = "<sip:" + user + "@example.com>";
        r.from = "<sip:" + user + "@example.com>;tag=" + uniqueToken("t");
        r.extraHeaders = "Contact: <sip:" + user + "@127.0.0.1:" + std::to_string(ua.port()) +
                         ">;q=" + q + "\r\nExpires: 600\r\n" + (nat ? "X-Nat: 1\r\n" : "");
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        auto resp = uac.receiveCall(r.callId, 3000);
        ASSERT_TRUE(resp) << router.log();
        ASSERT_EQ(resp->status(), 200) << router.log();
    };
    reg(uaA, "natted", "1.0", true);
    reg(uaA, "plain", "1.0", false);
    // Two contacts: the best (q=1.0) registered behind NAT, the other not.
    reg(uaA, "both", "1.0", true);
    reg(uaB, "both", "0.5", false);

    // Branch 0 gets the contact's saved flags on top of its own (flag 1 set before lookup);
    // the appended branch has its contact's flags only.
    EXPECT_EQ(ask(uac, router, request("OPTIONS", "sip:natted@example.com")),
              "truetrue falsefalse");
    EXPECT_EQ(ask(uac, router, request("OPTIONS", "sip:plain@example.com")),
              "falsetrue falsefalse");
    EXPECT_EQ(ask(uac, router, request("OPTIONS", "sip:both@example.com")), "truetrue falsefalse");
}

TEST(KemiCompat, KxGettersAndCorex) {
    SipPeer uac, uas;
    SipRouterOptions o;
    o.modules += ", { name = \"kx\"; }, { name = \"corex\"; }, { name = \"siputils\"; }";
    SipRouter router(R"lua(
local function v(x) if x == nil then return "nil" end return tostring(x) end
function ksr_request_route()
    if KSR.is_INVITE() then
        KSR.setdsturi("sip:127.0.0.1:)lua" +
                         std::to_string(uas.port()) +
                         R"lua(")
        KSR.forward()
        return
    end
    local t = {
        KSR.kx.get_method(), KSR.kx.get_ruri(), v(KSR.kx.get_ruser()), KSR.kx.get_rhost(),
        KSR.kx.get_furi(), KSR.kx.get_fuser(), KSR.kx.get_fhost(), KSR.kx.gete_fhost(),
        KSR.kx.get_turi(), KSR.kx.get_srcip(), v(KSR.kx.get_srcport()), KSR.kx.get_proto(),
        v(KSR.kx.get_protoid()), KSR.kx.get_rcvip(), v(KSR.kx.get_rcvport()),
        v(KSR.kx.get_status()), v(KSR.kx.get_ua()), KSR.kx.gete_ua(), KSR.kx.getw_ua(),
        KSR.kx.get_callid(), v(KSR.kx.get_bodylen()), v(KSR.kx.get_body()),
        KSR.kx.get_srcuri(), v(KSR.kx.get_msgtype()), v(KSR.kx.get_duri()),
        KSR.kx.getw_duri(), KSR.kx.gete_duri(), v(KSR.kx.get_cturi()),
        v(KSR.kx.get_msglen() == #KSR.kx.get_msgbuf()), v(KSR.kx.get_conid()),
        v(KSR.corex.has_ruri_user()), v(KSR.corex.has_user_agent()),
        v(KSR.corex.is_faked_msg()), v(KSR.corex.set_send_socket("udp:192.0.2.1:5060")),
        v(KSR.corex.set_send_socket(KSR.kx.get_rcvaddr_sock())),
        v(KSR.siputils.is_first_hop()),
    }
    KSR.seturi("sip:alice@example.net")
    t[#t + 1] = KSR.kx.get_ruri() .. "," .. KSR.kx.get_ouri()
    KSR.sl.sl_send_reply(200, table.concat(t, "|"))
end
function ksr_reply_route()
    KSR.info("reply status=" .. KSR.kx.get_status() .. " gets=" .. KSR.kx.gets_status()
        .. " method=" .. KSR.kx.get_method() .. " first_hop=" .. KSR.siputils.is_first_hop())
end
)lua",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    const std::string port = std::to_string(router.port());
    const std::string src = std::to_string(uac.port());

    SipRequest withUa = request("MESSAGE");
    withUa.extraHeaders = "User-Agent: friendly-scanner\r\nContent-Type: text/plain\r\n";
    withUa.body = "hello";
    const std::string a = ask(uac, router, withUa);
    EXPECT_EQ(a,
              "MESSAGE|sip:bob@example.com|bob|example.com|sip:alice@example.com|alice|"
              "example.com|example.com|sip:bob@example.com|127.0.0.1|" +
                  src + "|udp|1|127.0.0.1|" + port +
                  "|-1|friendly-scanner|friendly-scanner|friendly-scanner|" + withUa.callId +
                  "|5|hello|sip:127.0.0.1:" + src +
                  "|1|nil|<null>||nil|true|-1|1|1|-1|-1|1|1|sip:alice@example.net,"
                  "sip:bob@example.com");

    // No User-Agent, no body, no user part in the R-URI, a Contact, a second Via.
    SipRequest bare = request("OPTIONS", "sip:example.com");
    bare.extraHeaders =
        "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKolder\r\n"
        "Contact: <sip:x@192.0.2.9>\r\n";
    const std::string b = ask(uac, router, bare);
    EXPECT_NE(b.find("|-1|nil||<null>|"), std::string::npos) << b;
    EXPECT_NE(b.find("|0|nil|"), std::string::npos) << "no body: length 0, nil\n" << b;
    EXPECT_NE(b.find("|sip:x@192.0.2.9|"), std::string::npos) << b;
    EXPECT_NE(b.find("|-1|-1|-1|-1|-1|1|-1|"), std::string::npos)
        << "no connection, no user, no UA, not faked, unknown socket, known socket, not the "
           "first hop\n"
        << b;

    // A reply through the proxy: get_status is the status, the method the CSeq's.
    SipRequest inv = invite();
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto atUas = uas.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(atUas) << router.log();
    ASSERT_TRUE(uas.sendTo(buildResponse(*atUas, 486, "Busy Here"), router.port()));
    EXPECT_NE(router.process().waitForLog("reply status=486 gets=486 method=INVITE first_hop=1"),
              std::string::npos)
        << router.log();
}

TEST(KemiCompat, TmRouteTypesAndTIsSet) {
    SipPeer uac, uas;
    SipRouterOptions o = tmRouterOptions("fr_timer = 2000;");
    o.modules += ", { name = \"corex\"; }, { name = \"pv\"; }";
    SipRouter router(R"lua(
local function flags()
    return KSR.tmx.t_is_request_route() .. KSR.tmx.t_is_branch_route()
        .. KSR.tmx.t_is_reply_route() .. KSR.tmx.t_is_failure_route()
end
local function tpv()
    local function v(x) if x == nil then return "nil" end return tostring(x) end
    return "idx=" .. v(KSR.pv.get("$T_branch_idx")) .. " code=" .. v(KSR.pv.get("$T_reply_code"))
        .. " req=" .. v(KSR.pv.get("$T_req($fU)")) .. " rpl=" .. v(KSR.pv.get("$T_rpl($rr)"))
        .. " bf4=" .. tostring(KSR.isbflagset(4))
end
local function set()
    return KSR.tm.t_is_set("branch_route") .. KSR.tm.t_is_set("onreply_route")
        .. KSR.tm.t_is_set("failure_route")
end
function ksr_request_route()
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return
    end
    KSR.setbflag(4)
    KSR.info("request: " .. flags() .. " set " .. set() .. " " .. tpv())
    KSR.tm.t_on_branch("on_branch")
    KSR.info("after t_on_branch: set " .. set())
    KSR.tm.t_on_reply("on_reply")
    KSR.tm.t_on_failure("on_failure")
    KSR.info("after all: set " .. set())
    KSR.setdsturi("sip:127.0.0.1:)lua" +
                         std::to_string(uas.port()) +
                         R"lua(")
    KSR.tm.t_relay()
end
function on_branch() KSR.info("branch: " .. flags() .. " " .. tpv()) end
function on_reply()
    KSR.info("onreply: " .. flags() .. " faked " .. KSR.corex.is_faked_msg() .. " " .. tpv())
end
function on_failure()
    KSR.info("failure: " .. flags() .. " faked " .. KSR.corex.is_faked_msg() .. " " .. tpv())
end
function ksr_reply_route() KSR.info("core reply: " .. flags()) end
)lua",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest inv = invite();
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    auto atUas = uas.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(atUas) << router.log();
    ASSERT_TRUE(uas.sendTo(buildResponse(*atUas, 486, "Busy Here"), router.port()));
    ASSERT_TRUE(waitFor(uac, inv.callId, isStatus(486))) << router.log();
    // Kamailio's values: 1 true, -1 false; the reply route checks count ksr_reply_route too.
    // In the branch route $T_reply_code is the 100 Trying tm sent upstream for the INVITE. The
    // branch flag set before t_relay goes with the branch into the onreply and failure routes.
    for (const char* line : {
             "request: 1-1-1-1 set -1-1-1 idx=0 code=0 req=alice rpl=nil bf4=true",
             "after t_on_branch: set 1-1-1",
             "after all: set 111",
             "branch: -11-1-1 idx=0 code=100 req=alice rpl=nil bf4=true",
             "core reply: -1-11-1",
             "onreply: -1-11-1 faked -1 idx=0 code=486 req=alice rpl=Busy Here bf4=true",
             "failure: -1-1-11 faked 1 idx=1 code=486 req=alice rpl=Busy Here bf4=true",
         }) {
        EXPECT_NE(router.process().waitForLog(line), std::string::npos) << line << "\n"
                                                                        << router.log();
    }
}

// KSR.set_reply_no_connect(): when the client's TCP connection is gone by the time the answer
// comes, the reply is not sent over a new connection (without the call, tm opens one to the
// client's address, RFC 3261 §18.2.2).
TEST(KemiCompat, SetReplyNoConnectOpensNoConnectionForAReply) {
    SipPeer uas;
    SipRouterOptions o = tmRouterOptions("");
    o.tcp = true;
    o.logLevel = "debug";
    SipRouter router(R"lua(
function ksr_request_route()
    if KSR.hdr.is_present("X-No-Connect") > 0 then KSR.set_reply_no_connect() end
    KSR.setdsturi("sip:127.0.0.1:)lua" +
                         std::to_string(uas.port()) +
                         R"lua(")
    KSR.tm.t_relay()
end
)lua",
                     o);
    ASSERT_TRUE(router.start()) << router.log();
    for (const bool noConnect : {true, false}) {
        auto c = std::make_unique<SipTcpConn>(router.tcpPort());
        ASSERT_TRUE(c->ok());
        const std::string client = "127.0.0.1:" + std::to_string(c->localPort());
        SipRequest r;
        r.method = "MESSAGE";
        r.ruri = "sip:bob@example.com";
        r.callId = uniqueToken("noconn-");
        if (noConnect) r.extraHeaders = "X-No-Connect: 1\r\n";
        ASSERT_TRUE(c->send(buildTcpRequest(*c, r)));
        auto atUas = uas.receiveCall(r.callId, 3000);
        ASSERT_TRUE(atUas) << router.log();
        c->close();  // the client goes away before the answer
        ASSERT_NE(router.process().waitForLog("with " + client + ": "), std::string::npos)
            << "the router saw the close\n"
            << router.log();
        ASSERT_TRUE(uas.sendTo(buildResponse(*atUas, 200, "OK"), router.port()));
        if (noConnect) {
            EXPECT_NE(router.process().waitForLog("cannot send over TCP/TLS to " + client +
                                                  ": the connection is gone"),
                      std::string::npos)
                << router.log();
            EXPECT_EQ(router.log().find("to " + client + ": connecting"), std::string::npos)
                << router.log();
        } else {
            EXPECT_NE(router.process().waitForLog("to " + client + ": connecting"),
                      std::string::npos)
                << router.log();
        }
    }
}

}  // namespace
}  // namespace osprey::testsupport
