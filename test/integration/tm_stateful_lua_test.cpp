// The benchmark's KEMI script (bench/kamailio/stateful.lua, copied unchanged into
// scripts/bench/) on the real osprey: an OPTIONS transaction and an INVITE call (100 Trying,
// 180, 200, ACK and BYE routed by the Record-Route the script adds) against a UAS. The script
// hard-codes its UAS at 127.0.0.1:5090; the test binds a free port instead and puts it in that
// one literal, so a benchmark running beside the test cannot take the test's port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "test/integration/tm_test_util.h"
#include "test/support/read_file.h"

namespace osprey::testsupport {
namespace {

constexpr std::string_view kScriptUasPort = "127.0.0.1:5090";

// A UAS socket on a port the kernel chose.
class FixedUas {
public:
    FixedUas() {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            close(fd_);
            fd_ = -1;
            return;
        }
        port_ = ntohs(a.sin_port);
    }
    uint16_t port() const { return port_; }
    ~FixedUas() {
        if (fd_ >= 0) close(fd_);
    }
    bool ok() const { return fd_ >= 0; }

    std::unique_ptr<ReceivedMsg> receive(int timeoutMs, sockaddr_in* from) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, timeoutMs) <= 0) return nullptr;
        char buf[65536];
        socklen_t len = sizeof *from;
        const ssize_t n =
            recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(from), &len);
        if (n <= 0) return nullptr;
        return std::make_unique<ReceivedMsg>(std::string(buf, static_cast<size_t>(n)));
    }
    // The next request with this method (others are skipped); nullptr on timeout.
    std::unique_ptr<ReceivedMsg> expect(const std::string& method, sockaddr_in* from) {
        for (int i = 0; i < 10; ++i) {
            auto m = receive(3000, from);
            if (!m) return nullptr;
            if (m->isRequest() && m->method() == method) return m;
        }
        return nullptr;
    }
    void reply(const std::string& text, const sockaddr_in& to) {
        sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

std::string readScript() {
    return readFile(std::string(OSPREY_SOURCE_DIR) + "/scripts/bench/stateful.lua");
}

TEST(TmStatefulLua, BenchmarkScriptRunsUnchanged) {
    auto uas = std::make_unique<FixedUas>();
    ASSERT_TRUE(uas->ok());
    std::string script = readScript();
    ASSERT_NE(script.find("KSR.tm.t_relay()"), std::string::npos);
    const size_t at = script.find(kScriptUasPort);
    ASSERT_NE(at, std::string::npos) << "the script no longer names its UAS 127.0.0.1:5090";
    script.replace(at, kScriptUasPort.size(), "127.0.0.1:" + std::to_string(uas->port()));
    SipRouterOptions o = tmRouterOptions("");
    o.modules += ", { name = \"rr\"; }, { name = \"siputils\"; }, { name = \"pv\"; }";
    SipRouter router(script, o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer uac;
    sockaddr_in from{};

    // Non-INVITE transaction.
    SipRequest opt;
    opt.ruri = "sip:service@127.0.0.1:" + std::to_string(router.port());
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, opt), router.port()));
    auto o1 = uas->expect("OPTIONS", &from);
    ASSERT_TRUE(o1) << router.log();
    EXPECT_EQ(o1->header("Max-Forwards"), "69");  // present: decremented (maxfwd)
    uas->reply(buildResponse(*o1, 200, "OK"), from);
    auto ok = waitFor(uac, opt.callId, isFinal());
    ASSERT_TRUE(ok) << router.log();
    EXPECT_EQ(ok->status(), 200);

    // INVITE call: 100 at once, 180, 200; ACK and BYE follow the Record-Route.
    SipRequest inv = invite("sip:bob@127.0.0.1:" + std::to_string(router.port()));
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, inv), router.port()));
    ASSERT_TRUE(waitFor(uac, inv.callId, isStatus(100))) << router.log();
    auto i1 = uas->expect("INVITE", &from);
    ASSERT_TRUE(i1) << router.log();
    const std::string rr = i1->header("Record-Route");
    ASSERT_FALSE(rr.empty()) << i1->text();
    const std::string contact =
        "Contact: <sip:bob@127.0.0.1:" + std::to_string(uas->port()) + ">\r\n";
    uas->reply(buildResponse(*i1, 180, "Ringing", "uas-tag", contact), from);
    ASSERT_TRUE(waitFor(uac, inv.callId, isStatus(180))) << router.log();
    uas->reply(buildResponse(*i1, 200, "OK", "uas-tag", contact + "Record-Route: " + rr + "\r\n"),
               from);
    auto answer = waitFor(uac, inv.callId, isFinal());
    ASSERT_TRUE(answer) << router.log();
    EXPECT_EQ(answer->status(), 200);

    for (const char* method : {"ACK", "BYE"}) {
        SipRequest r = inv;
        r.method = method;
        r.cseqMethod = "";
        r.cseq = std::string(method) == "ACK" ? 1 : 2;
        r.ruri = "sip:bob@127.0.0.1:" + std::to_string(uas->port());
        r.via = "SIP/2.0/UDP " + uac.hostPort() + ";branch=" + uniqueToken("z9hG4bK") + ";rport";
        r.to = answer->header("To");
        r.extraHeaders = "Route: " + rr + "\r\n";
        ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
        auto got = uas->expect(method, &from);
        ASSERT_TRUE(got) << method << "\n" << router.log();
        if (std::string(method) == "BYE") {
            uas->reply(buildResponse(*got, 200, "OK", "uas-tag"), from);
            auto byeOk = waitFor(uac, inv.callId, isFinal());
            ASSERT_TRUE(byeOk) << router.log();
            EXPECT_EQ(byeOk->header("CSeq"), "2 BYE");
        }
    }
}

}  // namespace
}  // namespace osprey::testsupport
