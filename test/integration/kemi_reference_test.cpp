// etc/kemi-basic.cfg (Osprey's equivalent of Kamailio's kamailio-basic-kemi.cfg) run by the
// real osprey twice over: with Kamailio 5.6.3's reference script kamailio-basic-kemi-lua.lua
// as Debian's kamailio package installs it (not copied, not changed), and with our own
// etc/kemi-basic.lua. Nothing is stood in for: subscribers and the trusted gateway are added
// with ospreyctl, media goes through a real rtpengine (its rtpproxy-compatible listener), and
// accounting is read back from the SQLite file. Private addresses (Contact, SDP) are only
// rewritten: every datagram of the test goes to 127.0.0.1.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/db/sqlite_conn.h"
#include "test/integration/auth_test_util.h"
#include "test/integration/rpc_test_util.h"
#include "test/integration/tm_test_util.h"
#include "test/support/osprey_process.h"
#include "test/support/read_file.h"
#include "test/support/rtpengine_process.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

constexpr const char* kDebianScript =
    "/usr/share/doc/kamailio/examples/kemi/kamailio-basic-kemi-lua.lua";

enum class Script { KamailioReference, OspreyOwn };

void PrintTo(Script s, std::ostream* os) {
    *os << (s == Script::KamailioReference ? "Kamailio's reference script" : "etc/kemi-basic.lua");
}

std::string scriptPath(Script s) {
    return s == Script::KamailioReference ? std::string(kDebianScript)
                                          : std::string(OSPREY_SOURCE_DIR "/etc/kemi-basic.lua");
}

// Replaces every `from` in text; false when there is none (the example config changed).
bool replaceAll(std::string& text, const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    if (at == std::string::npos) return false;
    for (; at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return true;
}

bool eventually(const std::function<bool()>& cond, int timeoutMs = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
}

std::string sdp(const std::string& ip, uint16_t port) {
    return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
}

std::string bodyOf(ReceivedMsg& m) {
    const size_t eoh = m.text().find("\r\n\r\n");
    return eoh == std::string::npos ? std::string() : m.text().substr(eoh + 4);
}

// The c= address and m= port of an SDP body.
std::pair<std::string, int> mediaOf(const std::string& body) {
    std::pair<std::string, int> m{"", 0};
    const size_t c = body.find("c=IN IP4 ");
    if (c != std::string::npos) m.first = body.substr(c + 9, body.find('\r', c) - c - 9);
    const size_t a = body.find("m=audio ");
    if (a != std::string::npos) m.second = std::stoi(body.substr(a + 8));
    return m;
}

// A phone: a UDP socket on a loopback address, a subscriber's name and password.
struct Phone {
    Phone(std::string u, std::string pw, const char* ip = "127.0.0.1")
        : peer(ip), user(std::move(u)), password(std::move(pw)) {}
    SipPeer peer;
    std::string user, password;
    uint32_t cseq = 0;
};

// One call's dialog state as the caller sees it.
struct Dialog {
    SipRequest invite;
    std::string remoteTarget;  // the callee's Contact
    std::string routeSet;      // Route header value from the Record-Route of the 2xx
    std::string to;            // To with the callee's tag
};

class KemiBasic : public ::testing::TestWithParam<Script> {
protected:
    void SetUp() override {
        ASSERT_TRUE(fileExists(kDebianScript))
            << kDebianScript << " is missing: scripts/deps.sh installs the kamailio package";
        ASSERT_TRUE(rtpe_.start()) << rtpe_.log();
        port_ = freePort(SOCK_DGRAM);
        std::string cfg = readFile(OSPREY_SOURCE_DIR "/etc/kemi-basic.cfg");
        ASSERT_FALSE(cfg.empty());
        // The example as shipped, with this test's ports and files.
        ASSERT_TRUE(replaceAll(cfg, "listen = ( \"udp:127.0.0.1:5060\", \"tcp:127.0.0.1:5060\" );",
                               "listen = ( \"udp:127.0.0.1:" + std::to_string(port_) + "\" );"));
        ASSERT_TRUE(replaceAll(cfg, "sqlite://data/kemi-basic.sqlite", "sqlite://" + db()));
        ASSERT_TRUE(replaceAll(
            cfg, "rtpproxy_sock = \"udp:127.0.0.1:7722\"",
            "rtpproxy_sock = \"udp:127.0.0.1:" + std::to_string(rtpe_.udpPort()) + "\""));
        ASSERT_TRUE(replaceAll(cfg, "log_level = \"notice\";", "log_level = \"info\";"));
        cfg += "ctl_socket = \"osprey_ctl\";\nshm_size = 32;\n";
        ASSERT_TRUE(replaceAll(cfg, "shm_size = 64;\n", ""));
        cfg_ = cfg;
        writeConfig(scriptPath(GetParam()));

        // Kamailio's kamctl add / kamctl address add, on the file the config names.
        for (const char* u : {"alice", "bob", "carol", "dave"}) {
            RunResult r =
                ctl({"subscriber", "add", std::string(u) + "@127.0.0.1", std::string(u) + "-pw"});
            ASSERT_EQ(r.exitCode, 0) << r.output;
        }
        RunResult gw = ctl({"address", "add", "1", "127.0.0.9", "32", "0", "gw1"});
        ASSERT_EQ(gw.exitCode, 0) << gw.output;
    }

    // The config with `script` naming this file: the installed reference script or
    // etc/kemi-basic.lua, read where they are.
    void writeConfig(const std::string& scriptFile) {
        std::string cfg = cfg_;
        ASSERT_TRUE(replaceAll(cfg, "script = \"" + std::string(kDebianScript) + "\";",
                               "script = \"" + scriptFile + "\";"));
        cfgPath_ = tmp_.write("kemi-basic.cfg", cfg);
    }

    // Starts osprey on the config with the parameter's script (or with this script file).
    void start(const std::string& scriptFile = "") {
        if (!scriptFile.empty()) writeConfig(scriptFile);
        StartOptions so;
        so.args = {"-f", cfgPath_};
        proc_ = std::make_unique<OspreyProcess>(so);
        ASSERT_TRUE(proc_->start());
        ASSERT_TRUE(proc_->waitReady(20000)) << proc_->log();
    }

    void TearDown() override {
        if (!proc_ || !checkScriptErrors_) return;
        const std::string log = proc_->log();
        for (const char* bad : {"bad argument", "wrong number of arguments", "lua: error in"}) {
            EXPECT_EQ(log.find(bad), std::string::npos) << bad << "\n" << log;
        }
    }

    std::string db() const { return tmp_.file("kemi.sqlite"); }
    std::string log() const { return proc_ ? proc_->log() : std::string(); }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

    RunResult ctl(std::vector<std::string> args) const {
        // With no server yet the address reload is skipped; the table is read at start.
        args.insert(args.begin(), {"-c", cfgPath_});
        if (!proc_) args.insert(args.begin() + 2, {"-s", tmp_.file("no-server")});
        return runOsprey(args, 10000, ospreyctlBinary());
    }

    SipRequest request(Phone& p, const std::string& method, const std::string& ruri) {
        SipRequest r;
        r.method = method;
        r.ruri = ruri;
        r.from = "<sip:" + p.user + "@" + host() + ">;tag=" + uniqueToken("t");
        r.to = "<" + ruri + ">";
        r.callId = uniqueToken("kb-");
        r.cseq = ++p.cseq;
        return r;
    }

    // Sends r from p and returns its first final reply.
    std::unique_ptr<ReceivedMsg> send(Phone& p, SipRequest& r, int timeoutMs = 3000) {
        if (!p.peer.sendTo(buildRequest(p.peer, r), port_)) return nullptr;
        return waitFor(p.peer, r.callId, isFinal(), timeoutMs);
    }

    // Sends r again after the challenge `c` (401/407) with p's credentials: same Call-ID, the
    // next CSeq, a new branch. False when `c` holds no challenge or the send failed.
    bool resendWithCredentials(Phone& p, SipRequest& r, ReceivedMsg& c) {
        const bool www = c.status() == 401;
        auto cs = challengesOf(c, www ? "WWW-Authenticate" : "Proxy-Authenticate");
        if (cs.empty()) return false;
        Creds cr;
        cr.user = p.user;
        cr.realm = cs[0].realm;
        cr.password = p.password;
        cr.uri = r.ruri;
        cr.qop = cs[0].qop.empty() ? "" : "auth";
        r.cseq = ++p.cseq;
        r.via.clear();
        r.extraHeaders += std::string(www ? "Authorization: " : "Proxy-Authorization: ") +
                          cr.value(r.method, cs[0].nonce, 1) + "\r\n";
        return p.peer.sendTo(buildRequest(p.peer, r), port_);
    }

    // Sends r and, when it is challenged, again with p's credentials; returns the last final
    // reply. `challenged` tells whether there was a challenge.
    std::unique_ptr<ReceivedMsg> sendAuthenticated(Phone& p, SipRequest& r,
                                                   bool* challenged = nullptr) {
        auto first = send(p, r);
        const bool ch = first && (first->status() == 401 || first->status() == 407);
        if (challenged != nullptr) *challenged = ch;
        if (!ch) return first;
        if (!resendWithCredentials(p, r, *first)) return nullptr;
        return waitFor(p.peer, r.callId, isFinal());
    }

    // REGISTER of p's AOR with this Contact (p's own address unless given).
    std::unique_ptr<ReceivedMsg> registerPhone(Phone& p, const std::string& contact = "",
                                               bool* challenged = nullptr) {
        SipRequest r = request(p, "REGISTER", "sip:" + host());
        r.to = "<sip:" + p.user + "@" + host() + ">";
        r.extraHeaders = "Contact: <" +
                         (contact.empty() ? "sip:" + p.user + "@" + p.peer.hostPort() : contact) +
                         ">\r\nExpires: 600\r\n";
        return sendAuthenticated(p, r, challenged);
    }

    // The callee's end of a call: waits for the INVITE and answers it.
    std::unique_ptr<ReceivedMsg> answer(Phone& callee, const std::string& callId, int status,
                                        const std::string& reason, const std::string& body = "",
                                        const std::string& contactHost = "") {
        auto inv = waitFor(callee.peer, callId, isMethod("INVITE"));
        if (!inv) return nullptr;
        std::string extra = "Contact: <sip:" + callee.user + "@" +
                            (contactHost.empty() ? callee.peer.hostPort() : contactHost) + ">\r\n";
        if (!inv->header("Record-Route").empty()) {
            for (const std::string& rr : inv->headers("Record-Route")) {
                extra += "Record-Route: " + rr + "\r\n";
            }
        }
        if (!body.empty()) extra += "Content-Type: application/sdp\r\n";
        std::string resp = buildResponse(*inv, status, reason, uniqueToken("callee-"), extra);
        if (!body.empty()) {
            const size_t cl = resp.rfind("Content-Length: 0\r\n\r\n");
            resp.replace(cl, std::string::npos,
                         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        }
        if (!callee.peer.sendBack(resp, *inv)) return nullptr;
        return inv;
    }

    // The caller's in-dialog request (ACK, BYE) along the route set of the 2xx.
    SipRequest inDialog(Phone& caller, const Dialog& d, const std::string& method) {
        SipRequest r;
        r.method = method;
        r.ruri = d.remoteTarget;
        r.from = d.invite.from;
        r.to = d.to;
        r.callId = d.invite.callId;
        r.cseq = method == "ACK" ? d.invite.cseq : ++caller.cseq;
        if (!d.routeSet.empty()) r.extraHeaders = "Route: " + d.routeSet + "\r\n";
        return r;
    }

    // The dialog's ACK reaches the callee, then its BYE, answered 200 back to the caller: both
    // along the route set (call with ASSERT_NO_FATAL_FAILURE).
    void ackThenBye(Phone& caller, Phone& callee, const Dialog& d) {
        SipRequest ack = inDialog(caller, d, "ACK");
        ASSERT_TRUE(caller.peer.sendTo(buildRequest(caller.peer, ack), port_));
        ASSERT_TRUE(waitFor(callee.peer, d.invite.callId, isMethod("ACK"))) << log();
        SipRequest bye = inDialog(caller, d, "BYE");
        ASSERT_TRUE(caller.peer.sendTo(buildRequest(caller.peer, bye), port_));
        auto byeAtCallee = waitFor(callee.peer, d.invite.callId, isMethod("BYE"));
        ASSERT_TRUE(byeAtCallee) << log();
        ASSERT_TRUE(callee.peer.sendBack(buildResponse(*byeAtCallee, 200, "OK", ""), *byeAtCallee));
        ASSERT_TRUE(waitFor(caller.peer, d.invite.callId, isStatus(200))) << log();
    }

    // The dialog of a 2xx to d.invite.
    static void established(Dialog& d, ReceivedMsg& ok) {
        const std::string contact = ok.header("Contact");
        const size_t lt = contact.find('<');
        d.remoteTarget = contact.substr(lt + 1, contact.find('>') - lt - 1);
        std::vector<std::string> rr = ok.headers("Record-Route");
        std::reverse(rr.begin(), rr.end());  // RFC 3261 §12.1.2: the UAC's route set
        for (const std::string& v : rr) d.routeSet += (d.routeSet.empty() ? "" : ", ") + v;
        d.to = ok.header("To");
    }

    // SELECT count(*) ... on the test's database; -1 when it cannot be read.
    long long count(const std::string& sql) const {
        db::SqliteConn c;
        std::string error;
        if (!c.open("sqlite://" + db(), db::OpenOptions{}, &error)) return -1;
        db::SqliteStmt st = c.prepare(sql, &error);
        if (!st || st.step() != db::Step::Row) return -1;
        return st.integer(0);
    }

    TempDir tmp_;
    RtpengineProcess rtpe_;
    uint16_t port_ = 0;
    std::string cfg_;  // etc/kemi-basic.cfg with the test's ports and files
    std::string cfgPath_;
    std::unique_ptr<OspreyProcess> proc_;
    bool checkScriptErrors_ = true;
};

// REGISTER is challenged (401), then accepted against the subscriber row ospreyctl added; a
// call between two registered users goes INVITE / 407 / INVITE / 200 / ACK / BYE through the
// proxy, record-routed, and is accounted (log and the acc table, INVITE and BYE).
TEST_P(KemiBasic, RegisterWithAuthDbThenCallCompletesAndIsAccounted) {
    start();
    Phone alice("alice", "alice-pw"), bob("bob", "bob-pw");
    bool challenged = false;
    auto reg = registerPhone(bob, "", &challenged);
    ASSERT_TRUE(reg) << log();
    EXPECT_TRUE(challenged) << "the first REGISTER is answered 401";
    ASSERT_EQ(reg->status(), 200) << reg->text() << log();
    Phone eve("bob", "wrong-pw");
    auto bad = registerPhone(eve);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status(), 401) << "a wrong password is challenged again";

    Dialog d;
    d.invite = request(alice, "INVITE", "sip:bob@" + host());
    d.invite.extraHeaders = "Contact: <sip:alice@" + alice.peer.hostPort() + ">\r\n";
    auto first = send(alice, d.invite);
    ASSERT_TRUE(first) << log();
    ASSERT_EQ(first->status(), 407) << "a call from our domain is authenticated";
    ASSERT_TRUE(resendWithCredentials(alice, d.invite, *first));
    auto atBob = answer(bob, d.invite.callId, 200, "OK");
    ASSERT_TRUE(atBob) << log();
    EXPECT_EQ(atBob->header("Proxy-Authorization"), "") << "consume_credentials()";
    EXPECT_FALSE(atBob->header("Record-Route").empty()) << atBob->text();
    auto ok = waitFor(alice.peer, d.invite.callId, isStatus(200));
    ASSERT_TRUE(ok) << log();
    established(d, *ok);

    ASSERT_NO_FATAL_FAILURE(ackThenBye(alice, bob, d));

    const std::string where = " FROM acc WHERE callid = '" + d.invite.callId + "'";
    EXPECT_TRUE(eventually([&] {
        return count("SELECT count(*)" + where +
                     " AND method = 'INVITE' AND sip_code = '200' "
                     "AND src_user = 'alice' AND dst_user = 'bob'") == 1 &&
               count("SELECT count(*)" + where + " AND method = 'BYE' AND sip_code = '200'") == 1;
    })) << log();
    EXPECT_NE(proc_->waitForLog("ACC: transaction answered: "), std::string::npos);
    EXPECT_NE(log().find("method=INVITE"), std::string::npos) << log();
}

// 484 without a user in the R-URI, 403 "Not relaying" between foreign domains, a scanner
// answered 200 and nothing else, the keepalive OPTIONS, a 404 for an unregistered user.
TEST_P(KemiBasic, RejectionsScannerAndKeepalive) {
    start();
    Phone mallory("mallory", "");
    SipRequest noUser = request(mallory, "INVITE", "sip:" + host());
    noUser.from = "<sip:mallory@example.org>;tag=" + uniqueToken("t");
    auto r484 = send(mallory, noUser);
    ASSERT_TRUE(r484) << log();
    EXPECT_EQ(r484->status(), 484);
    EXPECT_EQ(r484->reason(), "Address Incomplete");

    SipRequest relay = request(mallory, "MESSAGE", "sip:bob@example.com");
    relay.from = "<sip:mallory@example.org>;tag=" + uniqueToken("t");
    auto r403 = send(mallory, relay);
    ASSERT_TRUE(r403) << log();
    EXPECT_EQ(r403->status(), 403);
    EXPECT_EQ(r403->reason(), "Not relaying");

    // Without the scanner's User-Agent this INVITE would be challenged (407).
    SipRequest scan = request(mallory, "INVITE", "sip:100@" + host());
    scan.extraHeaders = "User-Agent: friendly-scanner\r\n";
    auto r200 = send(mallory, scan);
    ASSERT_TRUE(r200) << log();
    EXPECT_EQ(r200->status(), 200);
    EXPECT_EQ(r200->reason(), "OK");
    EXPECT_FALSE(mallory.peer.receiveCall(scan.callId, 300)) << "nothing follows the 200";
    SipRequest same = request(mallory, "INVITE", "sip:100@" + host());
    auto challenged = send(mallory, same);
    ASSERT_TRUE(challenged);
    EXPECT_EQ(challenged->status(), 407);

    SipRequest ka = request(mallory, "OPTIONS", "sip:" + host());
    auto keepalive = send(mallory, ka);
    ASSERT_TRUE(keepalive);
    EXPECT_EQ(keepalive->status(), 200);
    EXPECT_EQ(keepalive->reason(), "Keepalive");

    Phone alice("alice", "alice-pw");
    SipRequest nobody = request(alice, "INVITE", "sip:dave@" + host());
    auto r404 = sendAuthenticated(alice, nobody);
    ASSERT_TRUE(r404) << log();
    EXPECT_EQ(r404->status(), 404) << "dave never registered";
}

// A source sending faster than pike's 16 requests per 2 s unit is banned into the htable
// "ipban" and dropped; a source put into ipban by hand (RPC htable.seti) is dropped at once;
// another source is served throughout.
TEST_P(KemiBasic, FloodingSourceBannedByPikeIntoIpbanThenDropped) {
    start();
    Phone flooder("flood", "", "127.0.0.77");
    unsigned answered = 0;
    for (int i = 0; i < 60; ++i) {
        SipRequest ka = request(flooder, "OPTIONS", "sip:" + host());
        flooder.peer.sendTo(buildRequest(flooder.peer, ka), port_);
    }
    while (flooder.peer.receiveMsg(500)) ++answered;
    EXPECT_GE(answered, 1u) << log();
    EXPECT_LT(answered, 60u) << "pike blocked the flood";
    RunResult ban = ctl({"htable.get", "ipban", "127.0.0.77"});
    EXPECT_EQ(ban.exitCode, 0) << ban.output;
    EXPECT_NE(ban.output.find("value: 1"), std::string::npos) << ban.output;
    EXPECT_NE(log().find("(IP:127.0.0.77:"), std::string::npos) << "the script logs the ban";
    SipRequest later = request(flooder, "OPTIONS", "sip:" + host());
    EXPECT_FALSE(send(flooder, later, 500)) << "a banned source is dropped";

    Phone quiet("quiet", "", "127.0.0.78");
    SipRequest before = request(quiet, "OPTIONS", "sip:" + host());
    auto served = send(quiet, before);
    ASSERT_TRUE(served) << log();
    EXPECT_EQ(served->reason(), "Keepalive");
    RunResult seti = ctl({"htable.seti", "ipban", "127.0.0.78", "1"});
    ASSERT_EQ(seti.exitCode, 0) << seti.output;
    SipRequest after = request(quiet, "OPTIONS", "sip:" + host());
    EXPECT_FALSE(send(quiet, after, 500)) << "dropped by the ipban lookup";

    Phone local("alice", "alice-pw");
    SipRequest ka = request(local, "OPTIONS", "sip:" + host());
    auto ok = send(local, ka);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->reason(), "Keepalive");
}

// A gateway in the address table (group 1) calls a user without credentials; the same call
// from an address not in the table is challenged.
TEST_P(KemiBasic, TrustedGatewayAdmittedByPermissions) {
    start();
    Phone bob("bob", "bob-pw");
    auto reg = registerPhone(bob);
    ASSERT_TRUE(reg);
    ASSERT_EQ(reg->status(), 200) << log();

    Phone stranger("gw", "", "127.0.0.10");
    SipRequest r1 = request(stranger, "INVITE", "sip:bob@" + host());
    auto challenged = send(stranger, r1);
    ASSERT_TRUE(challenged) << log();
    EXPECT_EQ(challenged->status(), 407);

    Phone gw("gw", "", "127.0.0.9");
    SipRequest r2 = request(gw, "INVITE", "sip:bob@" + host());
    ASSERT_TRUE(gw.peer.sendTo(buildRequest(gw.peer, r2), port_));
    auto atBob = answer(bob, r2.callId, 486, "Busy Here");
    ASSERT_TRUE(atBob) << log();
    auto busy = waitFor(gw.peer, r2.callId, isStatus(486));
    ASSERT_TRUE(busy) << log();
}

// A missed call (486: log and missed_calls) and a failed transaction (a BYE answered 481 with
// the failed-transaction flag: log and acc), beside nothing accounted for an OPTIONS.
TEST_P(KemiBasic, MissedCallAndFailedTransactionAccounted) {
    start();
    Phone alice("alice", "alice-pw"), bob("bob", "bob-pw");
    auto reg = registerPhone(bob);
    ASSERT_TRUE(reg);
    ASSERT_EQ(reg->status(), 200) << log();

    SipRequest missed = request(alice, "INVITE", "sip:bob@" + host());
    auto first = send(alice, missed);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status(), 407);
    ASSERT_TRUE(resendWithCredentials(alice, missed, *first));
    ASSERT_TRUE(answer(bob, missed.callId, 486, "Busy Here")) << log();
    ASSERT_TRUE(waitFor(alice.peer, missed.callId, isStatus(486))) << log();
    EXPECT_TRUE(eventually([&] {
        return count("SELECT count(*) FROM missed_calls WHERE callid = '" + missed.callId +
                     "' AND method = 'INVITE' AND sip_code = '486' AND src_user = 'alice'") == 1;
    })) << log();
    EXPECT_NE(proc_->waitForLog("ACC: call missed: "), std::string::npos) << log();

    // A BYE of a dialog the callee no longer knows: loose-routed, flagged acc + failed.
    Dialog d;
    d.invite = request(alice, "INVITE", "sip:bob@" + host());
    d.remoteTarget = "sip:bob@" + bob.peer.hostPort();
    d.routeSet = "<sip:" + host() + ";lr>";
    d.to = "<sip:bob@" + host() + ">;tag=gone";
    SipRequest bye = inDialog(alice, d, "BYE");
    ASSERT_TRUE(alice.peer.sendTo(buildRequest(alice.peer, bye), port_));
    auto byeAtBob = waitFor(bob.peer, bye.callId, isMethod("BYE"));
    ASSERT_TRUE(byeAtBob) << log();
    ASSERT_TRUE(bob.peer.sendBack(
        buildResponse(*byeAtBob, 481, "Call/Transaction Does Not Exist", ""), *byeAtBob));
    ASSERT_TRUE(waitFor(alice.peer, bye.callId, isStatus(481))) << log();
    EXPECT_TRUE(eventually([&] {
        return count("SELECT count(*) FROM acc WHERE callid = '" + bye.callId +
                     "' AND method = 'BYE' AND sip_code = '481'") == 1;
    })) << log();
    EXPECT_NE(log().find("code=481"), std::string::npos) << log();
    EXPECT_EQ(count("SELECT count(*) FROM acc WHERE method = 'OPTIONS'"), 0);
}

// A call cancelled while ringing: the CANCEL follows the INVITE's transaction to the callee,
// the 487 comes back, and the unanswered call is accounted as missed.
TEST_P(KemiBasic, CancelledCallReachesCalleeAndIsAccountedMissed) {
    start();
    Phone alice("alice", "alice-pw"), bob("bob", "bob-pw");
    auto reg = registerPhone(bob);
    ASSERT_TRUE(reg);
    ASSERT_EQ(reg->status(), 200) << log();

    SipRequest inv = request(alice, "INVITE", "sip:bob@" + host());
    auto first = send(alice, inv);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status(), 407);
    ASSERT_TRUE(resendWithCredentials(alice, inv, *first));
    auto atBob = answer(bob, inv.callId, 180, "Ringing");
    ASSERT_TRUE(atBob) << log();
    ASSERT_TRUE(waitFor(alice.peer, inv.callId, isStatus(180))) << log();

    SipRequest cancel = cancelOf(inv);
    ASSERT_TRUE(alice.peer.sendTo(buildRequest(alice.peer, cancel), port_));
    auto cancelAtBob = waitFor(bob.peer, inv.callId, isMethod("CANCEL"));
    ASSERT_TRUE(cancelAtBob) << log();
    ASSERT_TRUE(bob.peer.sendBack(buildResponse(*cancelAtBob, 200, "OK", ""), *cancelAtBob));
    ASSERT_TRUE(bob.peer.sendBack(buildResponse(*atBob, 487, "Request Terminated"), *atBob));
    ASSERT_TRUE(waitFor(alice.peer, inv.callId, isStatus(487))) << log();
    EXPECT_TRUE(eventually([&] {
        return count("SELECT count(*) FROM missed_calls WHERE callid = '" + inv.callId +
                     "' AND sip_code = '487'") == 1;
    })) << log();
}

// A REGISTER from behind a NAT (private Contact) is saved with its source address, which the
// call to it then uses; a call from a NAT'd caller gets rtpengine's address and ports in both
// SDP bodies, and the dialog's requests reach the NAT'd party through its Contact alias.
TEST_P(KemiBasic, NatRegisterAndCallThroughRtpengine) {
    start();
    Phone alice("alice", "alice-pw"), carol("carol", "carol-pw");
    auto reg = registerPhone(carol, "sip:carol@192.168.1.50:5060");
    ASSERT_TRUE(reg) << log();
    ASSERT_EQ(reg->status(), 200) << reg->text() << log();
    // Before any call: the binding carries the NAT's (here: the test's own) address, so that
    // nothing is sent to the private one.
    RunResult show = ctl({"ul", "show", "carol"});
    ASSERT_NE(show.output.find("Received: sip:127.0.0.1:" + std::to_string(carol.peer.port())),
              std::string::npos)
        << show.output << log();

    Dialog d;
    d.invite = request(alice, "INVITE", "sip:carol@" + host());
    d.invite.extraHeaders =
        "Contact: <sip:alice@10.0.0.1:5060>\r\nContent-Type: application/sdp\r\n";
    d.invite.body = sdp("10.0.0.1", 40000);
    auto first = send(alice, d.invite);
    ASSERT_TRUE(first) << log();
    ASSERT_EQ(first->status(), 407);
    ASSERT_TRUE(resendWithCredentials(alice, d.invite, *first));

    auto atCarol = waitFor(carol.peer, d.invite.callId, isMethod("INVITE"));
    ASSERT_TRUE(atCarol) << log();
    const auto offered = mediaOf(bodyOf(*atCarol));
    EXPECT_EQ(offered.first, "127.0.0.1") << atCarol->text();
    // rtpengine's own port, not the caller's 40000 (which its range may include).
    EXPECT_TRUE(rtpe_.ownsMediaPort(offered.second)) << atCarol->text();
    EXPECT_EQ(bodyOf(*atCarol).find("10.0.0.1"), std::string::npos) << atCarol->text();
    EXPECT_TRUE(rtpe_.hasCall(d.invite.callId)) << rtpe_.log();
    EXPECT_NE(atCarol->header("Contact").find("alias="), std::string::npos)
        << "set_contact_alias() for the NAT'd caller\n"
        << atCarol->text();
    EXPECT_NE(atCarol->text().find("nat=yes"), std::string::npos) << atCarol->text();

    std::string extra = "Contact: <sip:carol@192.168.1.50:5060>\r\n";
    for (const std::string& rr : atCarol->headers("Record-Route")) {
        extra += "Record-Route: " + rr + "\r\n";
    }
    const std::string answerSdp = sdp("192.168.1.50", 50000);
    std::string resp = buildResponse(*atCarol, 200, "OK", "carol-tag",
                                     extra + "Content-Type: application/sdp\r\n");
    resp.replace(resp.rfind("Content-Length: 0\r\n\r\n"), std::string::npos,
                 "Content-Length: " + std::to_string(answerSdp.size()) + "\r\n\r\n" + answerSdp);
    ASSERT_TRUE(carol.peer.sendBack(resp, *atCarol));
    auto ok = waitFor(alice.peer, d.invite.callId, isStatus(200));
    ASSERT_TRUE(ok) << log();
    const auto answered = mediaOf(bodyOf(*ok));
    EXPECT_EQ(answered.first, "127.0.0.1") << ok->text();
    EXPECT_TRUE(rtpe_.ownsMediaPort(answered.second)) << ok->text();
    EXPECT_EQ(bodyOf(*ok).find("192.168.1.50"), std::string::npos) << ok->text();
    // The callee registered from behind NAT: its Contact carries where to reach it.
    ASSERT_NE(ok->header("Contact").find("alias=127.0.0.1~" + std::to_string(carol.peer.port())),
              std::string::npos)
        << ok->text();
    established(d, *ok);

    // BYE along the route set: handle_ruri_alias() sends it to the alias, not the Contact.
    ASSERT_NO_FATAL_FAILURE(ackThenBye(alice, carol, d));
}

// app_lua's argument rules with the script under test loaded as it is (dofile): a probe
// around it calls a KSR function with a wrong number of arguments (an error naming it, false, the
// route goes on) and with numeric strings for integers, then hands over to the script's route.
TEST_P(KemiBasic, NumericStringAndWrongArityDoNotEndTheRoute) {
    checkScriptErrors_ = false;
    const std::string probe = "dofile(\"" + scriptPath(GetParam()) + "\")\n" + R"lua(
local script_request_route = ksr_request_route
function ksr_request_route()
    if KSR.hdr.is_present("X-Probe") > 0 then
        local wrong = KSR.sl.send_reply("500")
        if KSR.maxfwd.process_maxfwd("10") < 0 then return 1 end
        KSR.sl.send_reply("299", "Probe " .. tostring(wrong))
        return 1
    end
    return script_request_route()
end
)lua";
    start(tmp_.write("probe.lua", probe));
    Phone p("alice", "alice-pw");
    SipRequest r = request(p, "OPTIONS", "sip:" + host());
    r.extraHeaders = "X-Probe: 1\r\n";
    auto reply = send(p, r);
    ASSERT_TRUE(reply) << log();
    EXPECT_EQ(reply->status(), 299) << log();
    EXPECT_EQ(reply->reason(), "Probe false");
    EXPECT_NE(proc_->waitForLog("wrong number of arguments to 'KSR.sl.send_reply'"),
              std::string::npos)
        << log();
    // The script's own route, behind the probe, still runs.
    SipRequest ka = request(p, "OPTIONS", "sip:" + host());
    auto keepalive = send(p, ka);
    ASSERT_TRUE(keepalive);
    EXPECT_EQ(keepalive->reason(), "Keepalive");
    EXPECT_EQ(log().find("lua: error in"), std::string::npos) << log();
}

INSTANTIATE_TEST_SUITE_P(Scripts, KemiBasic,
                         ::testing::Values(Script::KamailioReference, Script::OspreyOwn),
                         [](const ::testing::TestParamInfo<Script>& i) {
                             return i.param == Script::KamailioReference
                                        ? std::string("KamailioReferenceScript")
                                        : std::string("OspreyKemiBasicLua");
                         });

}  // namespace
}  // namespace osprey::testsupport
