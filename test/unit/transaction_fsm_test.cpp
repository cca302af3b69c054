// (Named transaction_fsm_*, not tm_*: the tm_* unit-test rule links core/sip and mem only, and
// this test drives the whole module with the router core.)
// tm's state machines with a fake clock: the module's own code (compiled into this test) with
// the shared timer wheel advanced by hand, real UDP sockets on loopback for the UAC and UAS
// sides, and the counters in tm::counters(). Checked: timers E/F (non-INVITE retransmissions,
// 408 at fr_timer, deletion after wt_timer), timers A/B, G/H/I (a negative final to an
// INVITE resent until the ACK, then gone after T4), a reply that arrives after the branch
// timed out (no second final upstream), the hash table's matching (retransmission, CANCEL,
// ACK) and the branch id round trip.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "core/net/listen_socket.h"
#include "core/route/basic_check.h"
#include "core/route/msg_context.h"
#include "core/timer/timer_process.h"
#include "mem/pkg.h"
#include "mem/shm.h"
// The module, compiled in (it is a .so in the server).
#include "modules/tm/budget.cpp"
#include "modules/tm/cell_lock.cpp"
#include "modules/tm/cell_mem.cpp"
#include "modules/tm/dns_branch.cpp"
#include "modules/tm/match.cpp"
#include "modules/tm/precheck.cpp"
#include "modules/tm/reply.cpp"
#include "modules/tm/routes.cpp"
#include "modules/tm/stats.cpp"
#include "modules/tm/table.cpp"
#include "modules/tm/timers.cpp"
#include "modules/tm/tm.cpp"
#include "modules/tm/tm_pv.cpp"
#include "modules/tm/tm_rpc.cpp"
#include "modules/tm/uac.cpp"
#include "modules/tm/uas.cpp"

namespace osprey::tm {
namespace {

struct Udp {
    int fd = -1;
    uint16_t port = 0;
    Udp() {
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Udp() { close(fd); }
    // The next datagram within timeoutMs ("" on timeout).
    std::string recv(int timeoutMs = 200) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeoutMs) <= 0) return {};
        char buf[65536];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }
    void drain() {
        while (!recv(20).empty()) {
        }
    }
};

class TmTransaction : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::pkgReady()) mem::pkgInit(16u << 20);
        if (!mem::shmReady()) mem::shmInit(32u << 20);
        proxy_ = new Udp();
        net::ListenSocket ls;
        ls.fd = proxy_->fd;
        net::parseIp("127.0.0.1", proxy_->port, ls.bound);
        ls.host = "127.0.0.1";
        ls.port = proxy_->port;
        ls.sentBy = "127.0.0.1:" + std::to_string(proxy_->port);
        ls.viaPrefix = "Via: SIP/2.0/UDP " + ls.sentBy + ";branch=";
        ls.name = "udp:" + ls.sentBy;
        net::addListenSocket(ls);
        g_params.frTimer = 3000;
        g_params.wtTimer = 5000;
        ASSERT_TRUE(osprey_module.init());
    }

    void SetUp() override { start_ = wheel().now(); }

    // The fake clock: fire everything due up to `ms` after the test started.
    void at(uint64_t ms) { wheel().advance(start_ + ms); }

    // Runs t_relay on `text` as if received from the UAC, to the UAS.
    int relay(const std::string& text) {
        auto mc = std::make_unique<route::MsgContext>();
        net::RecvInfo info;
        info.socket = 0;
        net::parseIp("127.0.0.1", uac_.port, info.src);
        mc->start(info);
        held_.push_back(text);
        EXPECT_TRUE(sip::parseMsg(mc->msg, held_.back()) && route::basicCheck(mc->msg));
        mc->setDstUri("sip:127.0.0.1:" + std::to_string(uas_.port));
        const int rc = tRelay(mc->lua);
        mc->reset();  // drops the message's reference, as the worker does
        return rc;
    }

    // Feeds a reply (as received by the proxy) to tm's reply handler.
    bool reply(const std::string& text) {
        auto mc = std::make_unique<route::MsgContext>();
        net::RecvInfo info;
        info.socket = 0;
        net::parseIp("127.0.0.1", uas_.port, info.src);
        mc->start(info);
        held_.push_back(text);
        EXPECT_TRUE(sip::parseMsg(mc->msg, held_.back()));
        const bool taken = onReply(*mc);
        mc->reset();
        return taken;
    }

    int checkTrans(const std::string& text) {
        auto mc = std::make_unique<route::MsgContext>();
        net::RecvInfo info;
        info.socket = 0;
        net::parseIp("127.0.0.1", uac_.port, info.src);
        mc->start(info);
        held_.push_back(text);
        EXPECT_TRUE(sip::parseMsg(mc->msg, held_.back()));
        const int rc = tCheckTrans(mc->lua);
        mc->reset();
        return rc;
    }

    std::string request(const std::string& method, const std::string& callId,
                        const std::string& branch = "z9hG4bKuac1",
                        const std::string& cseqMethod = "") {
        return method + " sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" +
               std::to_string(uac_.port) + ";branch=" + branch +
               "\r\nFrom: <sip:a@x>;tag=f1\r\nTo: <sip:bob@example.com>\r\nCall-ID: " + callId +
               "\r\nCSeq: 1 " + (cseqMethod.empty() ? method : cseqMethod) +
               "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    }

    // A reply to what the UAS received (its Via lines copied).
    static std::string answer(const std::string& req, int status, const std::string& reason) {
        std::string vias, rest;
        size_t pos = req.find("\r\n") + 2;
        while (pos < req.size()) {
            const size_t e = req.find("\r\n", pos);
            const std::string line = req.substr(pos, e - pos);
            pos = e + 2;
            if (line.empty()) break;
            if (line.rfind("Via:", 0) == 0) vias += line + "\r\n";
            if (line.rfind("From:", 0) == 0 || line.rfind("Call-ID:", 0) == 0 ||
                line.rfind("CSeq:", 0) == 0) {
                rest += line + "\r\n";
            }
            if (line.rfind("To:", 0) == 0) rest += line + ";tag=uas\r\n";
        }
        return "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n" + vias + rest +
               "Content-Length: 0\r\n\r\n";
    }

    static Udp* proxy_;
    Udp uac_, uas_;
    uint64_t start_ = 0;
    std::vector<std::string> held_;
};

Udp* TmTransaction::proxy_ = nullptr;

TEST_F(TmTransaction, NonInviteRetransmitsUntilFrTimerThen408AndDeletion) {
    const int64_t before = stats::value(counters().inuse);
    const uint64_t timeouts = stats::value(counters().replied[4]);
    ASSERT_EQ(relay(request("OPTIONS", "c-nonin")), 1);
    const std::string sent = uas_.recv();
    ASSERT_NE(sent.find("OPTIONS sip:bob@example.com"), std::string::npos);
    EXPECT_EQ(stats::value(counters().inuse), before + 1);
    at(499);
    EXPECT_TRUE(uas_.recv(50).empty()) << "timer E fired early";
    at(500);
    EXPECT_EQ(uas_.recv(), sent) << "timer E: the same request again";
    at(1499);
    EXPECT_TRUE(uas_.recv(50).empty());
    at(1500);  // 500 + 1000
    EXPECT_EQ(uas_.recv(), sent);
    at(2999);
    uas_.drain();
    EXPECT_TRUE(uac_.recv(50).empty());
    at(3000);  // fr_timer: 408 upstream
    const std::string timeout = uac_.recv();
    EXPECT_EQ(timeout.rfind("SIP/2.0 408", 0), 0u) << timeout;
    EXPECT_EQ(stats::value(counters().replied[4]), timeouts + 1);
    // The retransmitted request gets the 408 again, without forwarding.
    EXPECT_EQ(checkTrans(request("OPTIONS", "c-nonin")), 0);
    EXPECT_EQ(uac_.recv(), timeout);
    at(3000 + 5000);  // wt_timer
    EXPECT_EQ(stats::value(counters().inuse), before);
    EXPECT_EQ(checkTrans(request("OPTIONS", "c-nonin")), -1) << "the transaction is gone";
}

TEST_F(TmTransaction, NegativeFinalToInviteIsResentUntilTheAck) {
    const int64_t before = stats::value(counters().inuse);
    ASSERT_EQ(relay(request("INVITE", "c-inv")), 1);
    EXPECT_EQ(uac_.recv().rfind("SIP/2.0 100", 0), 0u) << "100 Trying at once";
    const std::string inv = uas_.recv();
    ASSERT_NE(inv.find("INVITE "), std::string::npos);
    ASSERT_TRUE(reply(answer(inv, 486, "Busy Here")));
    const std::string busy = uac_.recv();
    EXPECT_EQ(busy.rfind("SIP/2.0 486", 0), 0u) << busy;
    EXPECT_EQ(uas_.recv().rfind("ACK ", 0), 0u) << "local ACK downstream";
    at(500);  // timer G
    EXPECT_EQ(uac_.recv(), busy);
    at(1500);
    EXPECT_EQ(uac_.recv(), busy);
    // The ACK (same branch) stops G; the transaction ends after T4.
    EXPECT_EQ(checkTrans(request("ACK", "c-inv")), 0);
    at(3500);
    EXPECT_TRUE(uac_.recv(50).empty()) << "G went on after the ACK";
    at(1500 + 5000);
    EXPECT_EQ(stats::value(counters().inuse), before);
}

TEST_F(TmTransaction, InviteBranchTimesOutThenALateReplyChangesNothing) {
    const int64_t before = stats::value(counters().inuse);
    ASSERT_EQ(relay(request("INVITE", "c-late")), 1);
    uac_.drain();
    const std::string inv = uas_.recv();
    at(500);
    EXPECT_EQ(uas_.recv(), inv) << "timer A";
    at(1500);
    EXPECT_EQ(uas_.recv(), inv);
    at(3000);  // timer B (fr_timer): 408 upstream
    EXPECT_EQ(uac_.recv().rfind("SIP/2.0 408", 0), 0u);
    // The UAS answers late: ACKed, not relayed (the caller has its final reply).
    ASSERT_TRUE(reply(answer(inv, 486, "Busy Here")));
    EXPECT_EQ(uas_.recv().rfind("ACK ", 0), 0u);
    std::string got;
    while (!(got = uac_.recv(50)).empty()) EXPECT_NE(got.rfind("SIP/2.0 486", 0), 0u) << got;
    EXPECT_EQ(checkTrans(request("ACK", "c-late")), 0);
    at(3000 + 64 * 500 + 5000);
    EXPECT_EQ(stats::value(counters().inuse), before);
}

TEST_F(TmTransaction, MatchingRetransmissionCancelAndAck) {
    ASSERT_EQ(relay(request("INVITE", "c-match", "z9hG4bKm1")), 1);
    uac_.drain();
    uas_.drain();
    EXPECT_EQ(relay(request("INVITE", "c-match", "z9hG4bKm1")), 0) << "retransmission";
    EXPECT_TRUE(uas_.recv(50).empty());
    EXPECT_EQ(checkTrans(request("CANCEL", "c-match", "z9hG4bKm1")), 1);
    EXPECT_EQ(checkTrans(request("CANCEL", "c-match", "z9hG4bKother")), -1);
    EXPECT_EQ(checkTrans(request("INVITE", "c-match", "z9hG4bKother")), -1) << "new branch";
    EXPECT_EQ(checkTrans(request("BYE", "c-match", "z9hG4bKm1")), -1) << "other method";
    at(200000);  // everything times out and goes
}

TEST(TmBranchId, RoundTrip) {
    char out[kBranchMax];
    const size_t n = formatBranch(0x1a2b, 0xdeadbeef, 11, out);
    uint32_t bucket = 0, label = 0;
    unsigned index = 0;
    ASSERT_TRUE(parseBranch(std::string_view(out, n), &bucket, &label, &index));
    EXPECT_EQ(bucket, 0x1a2bu);
    EXPECT_EQ(label, 0xdeadbeefu);
    EXPECT_EQ(index, 11u);
    EXPECT_FALSE(parseBranch("z9hG4bKsl1234", &bucket, &label, &index));
    EXPECT_FALSE(parseBranch("z9hG4bKtm12.zz.1", &bucket, &label, &index));
    EXPECT_FALSE(parseBranch("z9hG4bKtm12.34.", &bucket, &label, &index));
}

}  // namespace
}  // namespace osprey::tm
