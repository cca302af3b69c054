// The tree's default configuration (etc/osprey.cfg with etc/osprey.lua, what `make run`
// starts) with the real osprey: a stateful proxy and registrar. Two UAs register, one calls
// the other through it (INVITE, 180, 200, ACK, BYE), a registration survives a restart
// (usrloc writes through to SQLite), the README's sipp commands work, the script's checks
// answer what they should, and uncommenting the auth module turns on digest authentication.
// The configuration is used as it is in the tree; only the listen address (-l), the number of
// workers (-n) and the database's directory (db_url) are changed for the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test/support/osprey_process.h"
#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

std::string sourceFile(const std::string& name) {
    std::ifstream in(std::string(OSPREY_SOURCE_DIR) + "/" + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// etc/osprey.cfg with its database in `dataDir` instead of the tree's data/.
std::string defaultConfig(const std::string& dataDir) {
    std::string cfg = sourceFile("etc/osprey.cfg");
    const std::string url = "sqlite://data/osprey.sqlite";
    const size_t at = cfg.find(url);
    if (at == std::string::npos) return "";
    return cfg.replace(at, url.size(), "sqlite://" + dataDir + "/osprey.sqlite");
}

// osprey started with the default configuration on a free UDP port of 127.0.0.1.
class DefaultRouter {
public:
    // `data` holds the database; a second router on the same one sees the first's bindings.
    explicit DefaultRouter(const TempDir& data)
        : data_(data), config(defaultConfig(data.path())), script(sourceFile("etc/osprey.lua")) {}

    bool start() {
        if (config.empty() || script.empty()) return false;
        port_ = freePort(SOCK_DGRAM);
        StartOptions so;
        so.config = config;
        so.files = {{"osprey.lua", script}};
        so.args = {"-l", "udp:127.0.0.1:" + std::to_string(port_), "-n", "2", "-d", "info"};
        proc_ = std::make_unique<OspreyProcess>(so);
        return proc_->start() && proc_->waitReady();
    }
    int stop() { return proc_->stop(); }
    uint16_t port() const { return port_; }
    std::string me() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string log() const { return proc_ ? proc_->log() : "(not started)"; }

private:
    const TempDir& data_;

public:
    std::string config;  // etc/osprey.cfg as the test runs it (edit before start())
    std::string script;  // etc/osprey.lua, likewise

private:
    uint16_t port_ = 0;
    std::unique_ptr<OspreyProcess> proc_;
};

// sipp (the sip-tester package) running one of the README's quick-start commands, with its
// output in a file; killed by pid if it is still running when the object goes.
class Sipp {
public:
    Sipp(const TempDir& dir, const std::string& name, std::vector<std::string> args)
        : out_(dir.file(name + ".out")) {
        args.insert(args.begin(), "sipp");
        args.push_back("-nostdin");
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addchdir_np(&fa, dir.path().c_str());  // where sipp writes
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (posix_spawnp(&pid_, "sipp", &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Sipp() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    Sipp(const Sipp&) = delete;
    Sipp& operator=(const Sipp&) = delete;

    // Waits up to timeoutMs for sipp to end; its exit code (-1: still running or not started).
    int wait(int timeoutMs) {
        int status = 0;
        if (pid_ <= 0) return -1;
        if (!pollUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeoutMs, 20))
            return -1;
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::string output() const { return readFile(out_); }

private:
    std::string out_;
    pid_t pid_ = -1;
};

// True once something (sipp) has bound UDP port `port` on 127.0.0.1.
bool udpPortTaken(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool taken =
        bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

// The first final (>= 200) response with this Call-ID, skipping provisional ones.
std::unique_ptr<ReceivedMsg> finalResponse(SipPeer& peer, const std::string& callId) {
    for (int i = 0; i < 5; ++i) {
        auto m = peer.receiveCall(callId, 3000);
        if (!m || m->isRequest() || m->status() >= 200) return m;
    }
    return nullptr;
}

// A UA with its own UDP socket: sip:<user>@<router> registered at its socket's address.
struct Phone {
    explicit Phone(std::string u) : user(std::move(u)) {}
    std::string aor(const DefaultRouter& r) const { return "sip:" + user + "@" + r.me(); }
    std::string contact() const { return "sip:" + user + "@" + peer.hostPort(); }

    // REGISTERs its contact; the final response's status (0 when none came).
    int registerAt(const DefaultRouter& r) {
        SipRequest reg;
        reg.method = "REGISTER";
        reg.ruri = "sip:" + r.me();
        reg.from = "<" + aor(r) + ">;tag=" + uniqueToken("reg");
        reg.to = "<" + aor(r) + ">";
        reg.extraHeaders = "Contact: <" + contact() + ">\r\nExpires: 600\r\n";
        if (!peer.sendTo(buildRequest(peer, reg), r.port())) return 0;
        auto resp = finalResponse(peer, reg.callId);
        return resp ? resp->status() : 0;
    }

    std::string user;
    SipPeer peer;
};

struct DefaultConfig : ::testing::Test {
    TempDir data;
    DefaultRouter router{data};
    Phone alice{"alice"}, bob{"bob"};
    void SetUp() override { ASSERT_TRUE(router.start()) << router.log(); }

    // Sends r from alice and returns the final answer she gets (nullptr: none).
    std::unique_ptr<ReceivedMsg> ask(SipRequest& r) {
        if (!alice.peer.sendTo(buildRequest(alice.peer, r), router.port())) return nullptr;
        return finalResponse(alice.peer, r.callId);
    }
};

TEST_F(DefaultConfig, TwoPhonesRegisterAndCallEachOtherThroughTheProxy) {
    ASSERT_EQ(alice.registerAt(router), 200) << router.log();
    ASSERT_EQ(bob.registerAt(router), 200) << router.log();

    // alice calls bob at his address of record; the proxy finds his contact.
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = bob.aor(router);
    inv.from = "<" + alice.aor(router) + ">;tag=" + uniqueToken("alice");
    inv.to = "<" + bob.aor(router) + ">";
    inv.extraHeaders = "Contact: <" + alice.contact() + ">\r\n";
    ASSERT_TRUE(alice.peer.sendTo(buildRequest(alice.peer, inv), router.port()));
    auto ringing = bob.peer.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(ringing) << router.log();
    ASSERT_EQ(ringing->method(), "INVITE");
    EXPECT_EQ(ringing->requestUri(), bob.contact());
    const std::string recordRoute = ringing->header("Record-Route");
    ASSERT_NE(recordRoute.find("sip:" + router.me() + ";lr"), std::string::npos) << ringing->text();

    // bob rings, then answers (the 2xx carries the Record-Route back, RFC 3261 §12.1.1).
    const std::string answer =
        "Contact: <" + bob.contact() + ">\r\nRecord-Route: " + recordRoute + "\r\n";
    ASSERT_TRUE(
        bob.peer.sendBack(buildResponse(*ringing, 180, "Ringing", "bob-tag", answer), *ringing));
    auto r180 = alice.peer.receiveCall(inv.callId, 3000);
    if (r180 && r180->status() == 100) r180 = alice.peer.receiveCall(inv.callId, 3000);  // tm's
    ASSERT_TRUE(r180) << router.log();
    EXPECT_EQ(r180->status(), 180);
    ASSERT_TRUE(bob.peer.sendBack(buildResponse(*ringing, 200, "OK", "bob-tag", answer), *ringing));
    auto r200 = finalResponse(alice.peer, inv.callId);
    ASSERT_TRUE(r200) << router.log();
    ASSERT_EQ(r200->status(), 200);
    const std::string dialogTo = r200->header("To");
    const std::string routeSet = r200->header("Record-Route");
    ASSERT_FALSE(routeSet.empty()) << r200->text();

    // ACK and BYE go to bob's contact along the route set, through the proxy.
    SipRequest ack;
    ack.method = "ACK";
    ack.ruri = bob.contact();
    ack.from = inv.from;
    ack.to = dialogTo;
    ack.callId = inv.callId;
    ack.cseq = inv.cseq;
    ack.extraHeaders = "Route: " + routeSet + "\r\n";
    ASSERT_TRUE(alice.peer.sendTo(buildRequest(alice.peer, ack), router.port()));
    auto ackAtBob = bob.peer.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(ackAtBob) << router.log();
    EXPECT_EQ(ackAtBob->method(), "ACK");

    SipRequest bye = ack;
    bye.method = "BYE";
    bye.via.clear();
    bye.cseqMethod.clear();
    bye.cseq = inv.cseq + 1;
    ASSERT_TRUE(alice.peer.sendTo(buildRequest(alice.peer, bye), router.port()));
    auto byeAtBob = bob.peer.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(byeAtBob) << router.log();
    ASSERT_EQ(byeAtBob->method(), "BYE");
    EXPECT_EQ(byeAtBob->requestUri(), bob.contact());
    EXPECT_FALSE(byeAtBob->has("Route")) << "the proxy consumes its own Route entry\n"
                                         << byeAtBob->text();
    ASSERT_TRUE(bob.peer.sendBack(buildResponse(*byeAtBob, 200, "OK", "bob-tag"), *byeAtBob));
    auto byeOk = finalResponse(alice.peer, inv.callId);
    ASSERT_TRUE(byeOk) << router.log();
    EXPECT_EQ(byeOk->status(), 200);
    EXPECT_EQ(byeOk->header("CSeq"), std::to_string(bye.cseq) + " BYE");
}

// The README's quick start, on free ports: bob registers and answers, alice registers and calls
// him with the scenarios in etc/sipp/; each sipp exits 0 only when its whole scenario ran
// (bob's includes the ACK and the BYE that the route set brings through the proxy).
TEST_F(DefaultConfig, QuickStartSippPhonesCallThroughTheProxy) {
    TempDir work;
    const std::string scenarios = std::string(OSPREY_SOURCE_DIR) + "/etc/sipp/";
    const std::string bobPort = std::to_string(freePort(SOCK_DGRAM));
    const std::string alicePort = std::to_string(freePort(SOCK_DGRAM));
    const std::string proxy = router.me();

    Sipp bobReg(work, "bob-register",
                {"-sf", scenarios + "register.xml", "-s", "bob", "-p", bobPort, "-m", "1", proxy});
    ASSERT_EQ(bobReg.wait(10000), 0) << bobReg.output() << router.log();
    Sipp bobAnswer(work, "bob-answer", {"-sf", scenarios + "answer.xml", "-p", bobPort, "-m", "1"});
    ASSERT_TRUE(pollUntil([&] { return udpPortTaken(uint16_t(std::stoi(bobPort))); }, 5000))
        << bobAnswer.output();
    Sipp aliceReg(
        work, "alice-register",
        {"-sf", scenarios + "register.xml", "-s", "alice", "-p", alicePort, "-m", "1", proxy});
    ASSERT_EQ(aliceReg.wait(10000), 0) << aliceReg.output() << router.log();
    Sipp aliceCall(work, "alice-call",
                   {"-sf", scenarios + "call.xml", "-s", "bob", "-p", alicePort, "-m", "1", proxy});
    EXPECT_EQ(aliceCall.wait(15000), 0) << aliceCall.output() << router.log();
    EXPECT_EQ(bobAnswer.wait(10000), 0) << bobAnswer.output() << router.log();
}

// Replaces the one occurrence of `from` in text; false when it is not there.
bool replaceOnce(std::string& text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    if (at == std::string::npos) return false;
    text.replace(at, from.size(), to);
    return true;
}

// Digest authentication is one line away: the auth module's line in etc/osprey.cfg uncommented
// (and a user listed in the script) makes REGISTER need credentials; sipp answers the 401.
TEST(DefaultConfigAuth, UncommentingTheAuthModuleChallengesAndAcceptsUsers) {
    TempDir data, work;
    DefaultRouter router(data);
    ASSERT_TRUE(replaceOnce(router.config, "# , { name = \"auth\"", ", { name = \"auth\""));
    ASSERT_TRUE(
        replaceOnce(router.script, "-- alice = \"alice-secret\",", "alice = \"alice-secret\","));
    ASSERT_TRUE(router.start()) << router.log();

    Phone bob("bob");  // not a user: challenged, and no password can answer it
    EXPECT_EQ(bob.registerAt(router), 401) << router.log();

    // register.xml with the 401 answered: [authentication] computes the digest response.
    std::string scenario = sourceFile("etc/sipp/register.xml");
    const size_t send = scenario.find("  <send");
    const size_t recv = scenario.find("  <recv response=\"200\"/>");
    ASSERT_TRUE(send != std::string::npos && recv != std::string::npos);
    std::string again = scenario.substr(send, recv - send);
    ASSERT_TRUE(replaceOnce(again, "CSeq: 1 REGISTER",
                            "CSeq: 2 REGISTER\n      [authentication username=alice "
                            "password=alice-secret]"));
    scenario.insert(recv, "  <recv response=\"401\" auth=\"true\"/>\n" + again);
    const std::string file = work.write("register-auth.xml", scenario);
    Sipp alice(work, "alice-register",
               {"-sf", file, "-s", "alice", "-p", std::to_string(freePort(SOCK_DGRAM)), "-m", "1",
                router.me()});
    EXPECT_EQ(alice.wait(10000), 0) << alice.output() << router.log();
}

TEST_F(DefaultConfig, RegistrationSurvivesARestart) {
    ASSERT_EQ(bob.registerAt(router), 200) << router.log();
    EXPECT_EQ(router.stop(), 0) << router.log();

    DefaultRouter again(data);
    ASSERT_TRUE(again.start()) << again.log();
    SipRequest inv;
    inv.method = "INVITE";
    inv.ruri = bob.aor(again);
    ASSERT_TRUE(alice.peer.sendTo(buildRequest(alice.peer, inv), again.port()));
    // bob's binding came from the database: the INVITE reaches his contact.
    auto req = bob.peer.receiveCall(inv.callId, 3000);
    ASSERT_TRUE(req) << again.log();
    EXPECT_EQ(req->requestUri(), bob.contact());
    ASSERT_TRUE(bob.peer.sendBack(buildResponse(*req, 486, "Busy Here"), *req));
    auto resp = finalResponse(alice.peer, inv.callId);
    ASSERT_TRUE(resp) << again.log();
    EXPECT_EQ(resp->status(), 486);
}

TEST_F(DefaultConfig, UnknownUserIs404) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:nobody@" + router.me();
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 404);
}

TEST_F(DefaultConfig, RequestWithoutUserForUsIs484) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:" + router.me();
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 484);
}

TEST_F(DefaultConfig, KeepaliveOptionsToTheProxyIsAnswered) {
    SipRequest r;
    r.ruri = "sip:" + router.me();
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 200);
    EXPECT_EQ(resp->reason(), "Keepalive");
}

TEST_F(DefaultConfig, MaxForwardsZeroIs483) {
    ASSERT_EQ(bob.registerAt(router), 200) << router.log();
    SipRequest r;
    r.method = "INVITE";
    r.ruri = bob.aor(router);
    r.maxForwards = 0;
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 483);
    EXPECT_FALSE(bob.peer.receiveMsg(200)) << "must not be forwarded";
}

TEST_F(DefaultConfig, MalformedRequestIsAnsweredBySanity) {
    SipRequest r;
    r.ruri = "sip:bob@" + router.me();
    r.cseqMethod = "INVITE";  // CSeq method differs from the request method
    auto resp = ask(r);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 400);
}

TEST_F(DefaultConfig, InDialogRequestNotRoutedThroughUsIs404) {
    SipRequest bye;
    bye.method = "BYE";
    bye.ruri = bob.contact();
    bye.to = "<sip:bob@example.com>;tag=callee";
    auto resp = ask(bye);
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 404);
    EXPECT_FALSE(bob.peer.receiveMsg(200));
}

}  // namespace
}  // namespace osprey::testsupport
