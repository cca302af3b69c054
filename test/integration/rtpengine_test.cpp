// rtpengine through Osprey, against the real daemon (user-space mode, loopback): a caller and
// a callee whose SDP names private addresses (never sent to: rtpengine is told to use the
// SIP source address, 127.0.0.1), the SDP rewritten to rtpengine's ports on the way, RTP
// relayed both ways, the session gone after BYE, CANCEL and a failed call; with an instance
// stopped the offers go to the other one, and with none left the script answers 503 at once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "test/integration/tm_test_util.h"
#include "test/support/rtpengine_process.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/stats_reader.h"

namespace osprey::testsupport {
namespace {

const char* kScript = R"(
local FLAGS = "replace-origin replace-session-connection SIP-source-address"
function ksr_request_route()
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then
            KSR.rtpengine.rtpengine_manage(FLAGS)
            KSR.tm.t_relay()
        end
        return 1
    end
    if KSR.is_ACK() then return 1 end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    if KSR.is_BYE() and KSR.rtpengine then
        local st = KSR.pv.get("$rtpstat")
        if st then KSR.hdr.append("X-RTP-Stat: " .. st .. "\r\n") end
    end
    if KSR.is_INVITE() or KSR.is_BYE() then
        if KSR.rtpengine.rtpengine_manage(FLAGS) < 0 then
            KSR.sl.send_reply(503, "Media Relay Unavailable")
            return 1
        end
    end
    KSR.tm.t_on_reply("media_reply")
    KSR.tm.t_on_failure("media_failure")
    KSR.tm.t_relay()
    return 1
end
function media_reply()
    KSR.rtpengine.rtpengine_manage(FLAGS)
end
function media_failure()
    KSR.rtpengine.rtpengine_manage(FLAGS)
end
)";

// A UDP socket on 127.0.0.1 standing for a phone's RTP port.
struct RtpSocket {
    int fd = -1;
    uint16_t port = 0;
    RtpSocket() {
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~RtpSocket() { close(fd); }
    // A minimal RTP packet (RFC 3550 §5.1: version 2, PCMU) with seq and a payload mark.
    void send(uint16_t toPort, uint16_t seq, char mark) const {
        unsigned char pkt[12 + 160] = {0x80, 0x00};
        pkt[2] = static_cast<unsigned char>(seq >> 8);
        pkt[3] = static_cast<unsigned char>(seq);
        pkt[11] = static_cast<unsigned char>(port);  // SSRC differs per side
        for (size_t i = 12; i < sizeof pkt; ++i) pkt[i] = static_cast<unsigned char>(mark);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(toPort);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sendto(fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    // The payload mark of the next packet within timeoutMs; 0 on timeout.
    char receive(int timeoutMs) const {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeoutMs) <= 0) return 0;
        unsigned char buf[2048];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        return n > 12 ? static_cast<char>(buf[12]) : 0;
    }
};

std::string sdp(const std::string& ip, uint16_t port) {
    return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
}

// A response with an SDP body.
std::string answerWith(ReceivedMsg& req, int status, const std::string& reason,
                       const std::string& body) {
    std::string s = buildResponse(req, status, reason, "callee-tag",
                                  "Contact: <sip:bob@10.0.0.2:5060>\r\n"
                                  "Content-Type: application/sdp\r\n");
    const size_t cl = s.rfind("Content-Length: 0\r\n\r\n");
    s.replace(cl, std::string::npos,
              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return s;
}

// The c= address and m= port of an SDP body.
struct Media {
    std::string ip;
    uint16_t port = 0;
};
Media mediaOf(const std::string& text) {
    Media m;
    const size_t c = text.find("c=IN IP4 ");
    if (c != std::string::npos) {
        m.ip = text.substr(c + 9, text.find('\r', c) - c - 9);
    }
    const size_t a = text.find("m=audio ");
    if (a != std::string::npos) m.port = static_cast<uint16_t>(std::stoi(text.substr(a + 8)));
    return m;
}

// The body (the Contact keeps its private address: that is nathelper's job).
std::string bodyOf(ReceivedMsg& m) {
    const size_t eoh = m.text().find("\r\n\r\n");
    return eoh == std::string::npos ? std::string() : m.text().substr(eoh + 4);
}

// Whether Content-Length tells its length.
bool contentLengthRight(ReceivedMsg& m) {
    const std::string& t = m.text();
    const size_t eoh = t.find("\r\n\r\n");
    return eoh != std::string::npos &&
           std::to_string(t.size() - eoh - 4) == m.header("Content-Length");
}

bool eventually(const std::function<bool()>& cond, int timeoutMs = 3000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
}

// The same routing with Kamailio's rtpproxy call as the reference script makes it.
std::string rtpproxyScript() {
    std::string s = kScript;
    for (size_t at; (at = s.find("KSR.rtpengine.rtpengine_manage(FLAGS)")) != std::string::npos;) {
        s.replace(at, 37, "KSR.rtpproxy.rtpproxy_manage(\"co\")");
    }
    return s;
}

class RtpengineTest : public ::testing::Test {
protected:
    void startRouter(const std::string& sock, const std::string& extraParams = "",
                     bool rtpproxy = false,
                     const std::string& tmParams = "fr_timer = 3000; fr_inv_timer = 5000;") {
        SipRouterOptions o = tmRouterOptions(tmParams);
        o.controlSocket = true;  // statistics and rtpengine.show
        rtpproxy_ = rtpproxy;
        const std::string mod = rtpproxy ? "rtpproxy" : "rtpengine";
        o.modules += ", { name = \"pv\"; }, { name = \"" + mod + "\"; params = { " + mod +
                     "_sock = \"" + sock + "\"; " + extraParams + " }; }";
        router_ = std::make_unique<SipRouter>(rtpproxy ? rtpproxyScript() : kScript, o);
        ASSERT_TRUE(router_->start()) << router_->log();
    }
    static std::string sockOf(const RtpengineProcess& p) {
        return "udp:127.0.0.1:" + std::to_string(p.ngPort());
    }
    // Sends an INVITE with the caller's SDP; returns what the callee received.
    std::unique_ptr<ReceivedMsg> sendInvite(SipRequest& inv, uint16_t rtpPort) {
        inv = invite("sip:bob@127.0.0.1:" + std::to_string(uas_.port()));
        inv.extraHeaders =
            "Contact: <sip:alice@10.0.0.1:5060>\r\nContent-Type: application/sdp\r\n";
        inv.body = sdp("10.0.0.1", rtpPort);
        uac_.sendTo(buildRequest(uac_, inv), router_->port());
        return waitFor(uas_, inv.callId, isMethod("INVITE"));
    }

    void callThroughRelay();

    RtpengineProcess rtpe_;
    std::unique_ptr<SipRouter> router_;
    bool rtpproxy_ = false;
    SipPeer uac_, uas_;
};

TEST_F(RtpengineTest, CallSdpRewrittenMediaRelayedSessionDeletedOnBye) {
    ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
    startRouter(sockOf(rtpe_));
    callThroughRelay();
}

// rtpproxy_manage("co") against rtpengine's rtpproxy-protocol listener: the same call.
TEST_F(RtpengineTest, RtpproxyManageCallThroughRtpengineUdpListener) {
    ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
    startRouter("udp:127.0.0.1:" + std::to_string(rtpe_.udpPort()), "", true);
    callThroughRelay();
}

void RtpengineTest::callThroughRelay() {
    RtpSocket callerRtp, calleeRtp;
    SipRequest inv;
    auto atCallee = sendInvite(inv, callerRtp.port);
    ASSERT_TRUE(atCallee) << router_->log();
    const Media offered = mediaOf(atCallee->text());
    EXPECT_EQ(offered.ip, "127.0.0.1") << atCallee->text();
    EXPECT_NE(offered.port, callerRtp.port);
    EXPECT_TRUE(rtpe_.ownsMediaPort(offered.port)) << atCallee->text();
    EXPECT_EQ(bodyOf(*atCallee).find("10.0.0.1"), std::string::npos) << atCallee->text();
    EXPECT_TRUE(contentLengthRight(*atCallee)) << atCallee->text();
    EXPECT_TRUE(rtpe_.hasCall(inv.callId));

    const std::string okText = answerWith(*atCallee, 200, "OK", sdp("10.0.0.2", calleeRtp.port));
    uas_.sendBack(okText, *atCallee);
    auto ok = waitFor(uac_, inv.callId, isStatus(200));
    ASSERT_TRUE(ok) << router_->log();
    const Media answered = mediaOf(ok->text());
    // The callee's retransmission of its 200 (no ACK yet) is rewritten alike.
    uas_.sendBack(okText, *atCallee);
    auto again = waitFor(uac_, inv.callId, isStatus(200));
    ASSERT_TRUE(again) << router_->log();
    EXPECT_EQ(mediaOf(again->text()).ip, "127.0.0.1") << again->text();
    EXPECT_EQ(mediaOf(again->text()).port, answered.port) << again->text();
    EXPECT_EQ(answered.ip, "127.0.0.1") << ok->text();
    EXPECT_NE(answered.port, calleeRtp.port);
    EXPECT_TRUE(rtpe_.ownsMediaPort(answered.port)) << ok->text();
    EXPECT_NE(answered.port, offered.port);
    EXPECT_EQ(bodyOf(*ok).find("10.0.0.2"), std::string::npos) << ok->text();
    EXPECT_TRUE(contentLengthRight(*ok)) << ok->text();

    // Caller to callee and back, through rtpengine's two ports.
    char got = 0;
    for (uint16_t seq = 1; seq < 20 && got != 'A'; ++seq) {
        callerRtp.send(answered.port, seq, 'A');
        got = calleeRtp.receive(200);
    }
    EXPECT_EQ(got, 'A') << rtpe_.log();
    got = 0;
    for (uint16_t seq = 1; seq < 20 && got != 'B'; ++seq) {
        calleeRtp.send(offered.port, seq, 'B');
        got = callerRtp.receive(200);
    }
    EXPECT_EQ(got, 'B') << rtpe_.log();

    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = inv.ruri;
    bye.from = inv.from;
    bye.to = ok->header("To");
    bye.callId = inv.callId;
    bye.cseq = 2;
    uac_.sendTo(buildRequest(uac_, bye), router_->port());
    auto byeAtCallee = waitFor(uas_, inv.callId, isMethod("BYE"));
    ASSERT_TRUE(byeAtCallee) << router_->log();
    if (!rtpproxy_) {
        // $rtpstat, queried before the delete: the packets relayed both ways are counted.
        const std::string stat = byeAtCallee->header("X-RTP-Stat");
        EXPECT_EQ(stat.rfind("RTP: ", 0), 0u) << byeAtCallee->text();
        EXPECT_EQ(stat.find("RTP: 0 bytes"), std::string::npos) << stat;
    }
    uas_.sendBack(buildResponse(*byeAtCallee, 200, "OK"), *byeAtCallee);
    EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(200)));
    EXPECT_TRUE(eventually([&] { return !rtpe_.hasCall(inv.callId); })) << rtpe_.log();
}

TEST_F(RtpengineTest, CancelDeletesSession) {
    ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
    startRouter(sockOf(rtpe_));
    RtpSocket callerRtp;
    SipRequest inv;
    auto atCallee = sendInvite(inv, callerRtp.port);
    ASSERT_TRUE(atCallee) << router_->log();
    EXPECT_TRUE(rtpe_.hasCall(inv.callId));
    uas_.sendBack(buildResponse(*atCallee, 180, "Ringing"), *atCallee);
    ASSERT_TRUE(waitFor(uac_, inv.callId, isStatus(180)));
    SipRequest cancel = cancelOf(inv);
    uac_.sendTo(buildRequest(uac_, cancel), router_->port());
    EXPECT_TRUE(eventually([&] { return !rtpe_.hasCall(inv.callId); })) << rtpe_.log();
    auto cancelAtCallee = waitFor(uas_, inv.callId, isMethod("CANCEL"));
    ASSERT_TRUE(cancelAtCallee);
    uas_.sendBack(buildResponse(*cancelAtCallee, 200, "OK"), *cancelAtCallee);
    uas_.sendBack(buildResponse(*atCallee, 487, "Request Terminated"), *atCallee);
    EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(487)));
}

TEST_F(RtpengineTest, FailedCallDeletesSession) {
    ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
    startRouter(sockOf(rtpe_));
    RtpSocket callerRtp;
    SipRequest inv;
    auto atCallee = sendInvite(inv, callerRtp.port);
    ASSERT_TRUE(atCallee) << router_->log();
    EXPECT_TRUE(rtpe_.hasCall(inv.callId));
    uas_.sendBack(buildResponse(*atCallee, 486, "Busy Here"), *atCallee);
    EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(486)));
    EXPECT_TRUE(eventually([&] { return !rtpe_.hasCall(inv.callId); })) << rtpe_.log();
}

// No answer at all: the failure route's rtpengine_manage deletes the session (sent without
// waiting: the route holds its transaction), for rtpengine and for rtpproxy.
TEST_F(RtpengineTest, UnansweredCallDeletedFromTheFailureRoute) {
    ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
    for (const bool rtpproxy : {false, true}) {
        startRouter(rtpproxy ? "udp:127.0.0.1:" + std::to_string(rtpe_.udpPort()) : sockOf(rtpe_),
                    "", rtpproxy, "fr_timer = 500; fr_inv_timer = 5000;");
        RtpSocket callerRtp;
        SipRequest inv;
        auto atCallee = sendInvite(inv, callerRtp.port);
        ASSERT_TRUE(atCallee) << router_->log();
        EXPECT_TRUE(rtpe_.hasCall(inv.callId)) << rtpproxy;
        EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(408), 5000)) << router_->log();
        EXPECT_TRUE(eventually([&] { return !rtpe_.hasCall(inv.callId); })) << rtpproxy;
        router_.reset();
    }
}

TEST_F(RtpengineTest, StoppedInstanceFailsOverAndNoneLeftAnswers503) {
    RtpengineProcess second;
    ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
    ASSERT_TRUE(second.start()) << second.log();
    startRouter(sockOf(rtpe_) + " " + sockOf(second),
                "rtpengine_tout_ms = 200; rtpengine_retr = 2; rtpengine_disable_tout = 60;");
    rtpe_.stop();
    RtpSocket callerRtp;
    // Whichever instance a Call-ID hashes to, every offer lands on the live one.
    for (int i = 0; i < 4; ++i) {
        SipRequest inv;
        auto atCallee = sendInvite(inv, callerRtp.port);
        ASSERT_TRUE(atCallee) << router_->log();
        EXPECT_EQ(mediaOf(atCallee->text()).ip, "127.0.0.1");
        EXPECT_TRUE(second.hasCall(inv.callId)) << i;
        uas_.sendBack(buildResponse(*atCallee, 486, "Busy Here"), *atCallee);
        EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(486)));
    }
    second.stop();
    SipRequest inv;
    inv = invite("sip:bob@127.0.0.1:" + std::to_string(uas_.port()));
    inv.extraHeaders = "Content-Type: application/sdp\r\n";
    inv.body = sdp("10.0.0.1", callerRtp.port);
    uac_.sendTo(buildRequest(uac_, inv), router_->port());
    // The dead instance costs its tries (2 x 200 ms) once, then the script's error answer.
    EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(503), 5000)) << router_->log();
    // Both are down now: the next call is refused without waiting on either.
    SipRequest inv2 = inv;
    inv2.callId.clear();
    inv2.via.clear();
    inv2.from.clear();
    uac_.sendTo(buildRequest(uac_, inv2), router_->port());
    EXPECT_TRUE(waitFor(uac_, inv2.callId, isStatus(503), 5000)) << router_->log();
    // No INVITE went on without a relay.
    EXPECT_FALSE(waitFor(uas_, inv.callId, isMethod("INVITE"), 100));
    EXPECT_FALSE(waitFor(uas_, inv2.callId, isMethod("INVITE"), 100));
    // Counted: tries without answer, a request moved on, requests with no instance left.
    StatsReader stats;
    const auto v = stats.read(router_->process());
    EXPECT_GE(StatsReader::get(v, "rtpengine:timeouts"), 2);
    EXPECT_GE(StatsReader::get(v, "rtpengine:failovers"), 1);
    EXPECT_GE(StatsReader::get(v, "rtpengine:unavailable"), 2);
    EXPECT_GE(StatsReader::get(v, "rtpengine:offers"), 4);
    // Both instances are down, as rtpengine.show says.
    const rpc::Value shown = ctlCall(router_->process(), "rtpengine.show", "[\"all\"]");
    const rpc::Value* result = shown.find("result");
    ASSERT_TRUE(result != nullptr && result->isArray());
    ASSERT_EQ(result->items().size(), 2u);
    for (const rpc::Value& node : result->items()) {
        const rpc::Value* url = node.find("url");
        const rpc::Value* disabled = node.find("disabled");
        ASSERT_TRUE(url != nullptr && disabled != nullptr);
        EXPECT_TRUE(url->asString() == sockOf(rtpe_) || url->asString() == sockOf(second))
            << url->asString();
        EXPECT_EQ(disabled->asInt(), 1) << url->asString();
    }
}

// A stand-in for rtpengine that answers an offer at once and an answer only after
// answerDelayMs: enough to see what the router does while a script waits for the relay.
class SlowNgServer {
public:
    explicit SlowNgServer(int answerDelayMs) : delayMs_(answerDelayMs) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~SlowNgServer() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    uint16_t port() const { return port_; }
    bool answerSeen() const { return answerSeen_; }

private:
    void serve() {
        const std::string sdpText = sdp("127.0.0.1", 30000);
        const std::string reply = "d3:sdp" + bstr(sdpText).substr(0) + "6:result2:oke";
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            char buf[65536];
            sockaddr_in from{};
            socklen_t fromLen = sizeof from;
            const ssize_t n =
                recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
            if (n <= 0) continue;
            const std::string req(buf, static_cast<size_t>(n));
            const std::string cookie = req.substr(0, req.find(' '));
            if (req.find("7:command6:answer") != std::string::npos) {
                answerSeen_ = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(delayMs_));
            }
            const std::string out = cookie + " " + reply;
            sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fromLen);
        }
    }

    int fd_ = -1;
    uint16_t port_ = 0;
    int delayMs_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> answerSeen_{false};
    std::thread thread_;
};

// While the onreply route waits for the relay's answer to the 200, the transaction is not
// locked: a retransmitted INVITE is answered from the transaction at once (its 100 again),
// before the slow 200 goes on. (Were the route run under the transaction's lock, the
// retransmission would wait for it and find the 200.)
TEST_F(RtpengineTest, OnreplyRouteWaitsForTheRelayWithoutHoldingTheTransaction) {
    SlowNgServer ng(1500);
    SipRouterOptions o = tmRouterOptions("fr_timer = 3000; fr_inv_timer = 10000;");
    o.modules += ", { name = \"rtpengine\"; params = { rtpengine_sock = \"udp:127.0.0.1:" +
                 std::to_string(ng.port()) + "\"; rtpengine_tout_ms = 4000; }; }";
    router_ = std::make_unique<SipRouter>(R"(
function ksr_request_route()
    if KSR.tm.t_check_trans() == 0 then return 1 end
    if KSR.is_INVITE() then KSR.rtpengine.rtpengine_offer("") end
    KSR.tm.t_on_reply("media_reply")
    KSR.tm.t_relay()
end
function media_reply()
    KSR.rtpengine.rtpengine_manage("")
end
)",
                                          o);
    ASSERT_TRUE(router_->start()) << router_->log();
    RtpSocket callerRtp;
    SipRequest inv;
    auto atCallee = sendInvite(inv, callerRtp.port);
    ASSERT_TRUE(atCallee) << router_->log();
    ASSERT_TRUE(waitFor(uac_, inv.callId, isStatus(100)));
    uas_.sendBack(answerWith(*atCallee, 200, "OK", sdp("10.0.0.2", 4000)), *atCallee);
    ASSERT_TRUE(eventually([&] { return ng.answerSeen(); })) << router_->log();
    uac_.sendTo(buildRequest(uac_, inv), router_->port());  // the same INVITE again
    auto first = waitFor(
        uac_, inv.callId, [](ReceivedMsg& m) { return !m.isRequest(); }, 5000);
    ASSERT_TRUE(first) << router_->log();
    EXPECT_EQ(first->status(), 100) << first->text();
    EXPECT_TRUE(waitFor(uac_, inv.callId, isStatus(200), 5000)) << router_->log();
}

}  // namespace
}  // namespace osprey::testsupport
