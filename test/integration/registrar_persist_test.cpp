// usrloc persistence with the real osprey: a write-through (db_mode 1) 200 OK is sent only once
// the binding is committed, so it is in the database the moment the 200 arrives and survives
// kill -9 of the whole process tree; write-back bindings survive a clean restart; expiry is
// stored as wall-clock time so the remaining expiry is kept across the restart (and expired
// rows are not loaded); a corrupt or unwritable database, or a stopped writer, is logged, a
// write-through REGISTER then gets a 500 (not a hang, not a 200 that a crash would undo), and
// routing goes on from memory. (Many kills at random moments: registrar_crash_test.cpp.)
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>

#include "test/integration/registrar_test_util.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

// Runs one statement against the database file (the router may have it open: WAL allows it).
bool sql(const std::string& db, const std::string& stmt) {
    sqlite3* h = nullptr;
    bool ok = sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK;
    if (ok) sqlite3_busy_timeout(h, 2000);
    ok = ok && sqlite3_exec(h, stmt.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(h);
    return ok;
}

int rows(const std::string& db, const std::string& where) {
    sqlite3* h = nullptr;
    int n = -1;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 2000);
        sqlite3_stmt* st = nullptr;
        const std::string q = "SELECT count(*) FROM location WHERE " + where;
        if (sqlite3_prepare_v2(h, q.c_str(), -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
}

RegRouterOptions dbOptions(const std::string& db, int mode, const std::string& more = "") {
    RegRouterOptions o;
    o.usrlocParams =
        "db_mode = " + std::to_string(mode) + "; db_url = \"sqlite://" + db + "\";" + more;
    return o;
}

// kill -9 of the master and every child, by pid.
void killTree(RegRouter& r) {
    std::vector<int> kids = r.process().childPids();
    ASSERT_FALSE(kids.empty());
    kill(r.process().pid(), SIGKILL);
    for (int pid : kids) kill(pid, SIGKILL);
    int status = 0;
    ASSERT_TRUE(r.process().waitExit(5000, &status));
    r.process().killLeftovers();
}

TEST(RegistrarPersist, WriteThroughSurvivesKillOfTheWholeTree) {
    TempDir dir;
    const std::string db = dir.file("ul.db");
    SipPeer uas;
    {
        RegRouter r(dbOptions(db, 1));
        ASSERT_TRUE(r.start()) << r.log();
        Registration reg(r, "alice");
        ASSERT_EQ(
            reg.send("Contact: <sip:alice@" + uas.hostPort() + ">\r\nExpires: 600\r\n")->status(),
            200);
        Registration gone(r, "bob");
        ASSERT_EQ(gone.send("Contact: <sip:bob@192.0.2.1>\r\nExpires: 600\r\n")->status(), 200);
        Registration removed(r, "carol");
        ASSERT_EQ(removed.send("Contact: <sip:carol@192.0.2.2>\r\n")->status(), 200);
        ASSERT_EQ(removed.send("Contact: <sip:carol@192.0.2.2>\r\nExpires: 0\r\n")->status(), 200);
        // No waiting: the 200 OKs above were sent after the commits.
        ASSERT_EQ(rows(db, "aor='alice'"), 1) << r.log();
        ASSERT_EQ(rows(db, "aor='bob'"), 1) << r.log();
        ASSERT_EQ(rows(db, "aor='carol'"), 0) << r.log();
        killTree(r);
    }
    // Time passes while the router is down: alice has 100 s left, bob's binding ran out.
    const long long now = static_cast<long long>(time(nullptr));
    ASSERT_TRUE(
        sql(db, "UPDATE location SET expires=" + std::to_string(now + 100) + " WHERE aor='alice'"));
    ASSERT_TRUE(
        sql(db, "UPDATE location SET expires=" + std::to_string(now - 5) + " WHERE aor='bob'"));

    RegRouter r(dbOptions(db, 1));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("usrloc: loaded 1 bindings into location"), std::string::npos)
        << r.log();
    Registration query(r, "alice");
    auto resp = query.send("");
    ASSERT_EQ(resp->status(), 200) << r.log();
    auto c = resp->headers("Contact");
    ASSERT_EQ(c.size(), 1u) << resp->text();
    EXPECT_GE(expiresOf(c[0]), 97) << c[0];
    EXPECT_LE(expiresOf(c[0]), 100) << c[0];
    EXPECT_TRUE(Registration(r, "bob").send("")->headers("Contact").empty());
    EXPECT_TRUE(Registration(r, "carol").send("")->headers("Contact").empty());

    // And the binding routes.
    SipPeer uac;
    SipRequest m;
    m.method = "MESSAGE";
    m.ruri = "sip:alice@example.com";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, m), r.port()));
    auto req = uas.receiveCall(m.callId);
    ASSERT_TRUE(req) << r.log();
    EXPECT_EQ(req->requestUri(), "sip:alice@" + uas.hostPort());
}

TEST(RegistrarPersist, WriteBackFlushesOnCleanShutdown) {
    TempDir dir;
    const std::string db = dir.file("ul.db");
    {
        RegRouter r(dbOptions(db, 2, "timer_interval = 60;"));
        ASSERT_TRUE(r.start()) << r.log();
        Registration reg(r, "dan");
        ASSERT_EQ(reg.send("Contact: <sip:dan@192.0.2.7>\r\nExpires: 300\r\n")->status(), 200);
        EXPECT_EQ(rows(db, "aor='dan'"), 0) << "write-back: nothing written yet";
        EXPECT_EQ(r.process().stop(), 0) << r.log();
    }
    EXPECT_EQ(rows(db, "aor='dan'"), 1);
    RegRouter r(dbOptions(db, 2));
    ASSERT_TRUE(r.start()) << r.log();
    auto resp = Registration(r, "dan").send("");
    auto c = resp->headers("Contact");
    ASSERT_EQ(c.size(), 1u) << resp->text() << r.log();
    EXPECT_GE(expiresOf(c[0]), 290);
}

// Sends a MESSAGE to user@example.com through the router; true when `uas` receives it.
bool routesTo(RegRouter& r, SipPeer& uas, const std::string& user) {
    SipPeer uac;
    SipRequest m;
    m.method = "MESSAGE";
    m.ruri = "sip:" + user + "@example.com";
    return uac.sendTo(buildRequest(uac, m), r.port()) && uas.receiveCall(m.callId) != nullptr;
}

TEST(RegistrarPersist, CorruptDatabaseGetsWriteThroughA500AndRoutingContinues) {
    TempDir dir;
    const std::string db = dir.write("ul.db", std::string(4096, 'x'));
    RegRouter r(dbOptions(db, 1));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("file is not a database"), std::string::npos) << r.log();
    EXPECT_NE(r.log().find("usrloc: cannot"), std::string::npos) << r.log();
    SipPeer uas;
    Registration reg(r, "eve");
    auto resp = reg.send("Contact: <sip:eve@" + uas.hostPort() + ">\r\n");
    EXPECT_EQ(resp->status(), 500) << r.log();
    EXPECT_EQ(resp->header("P-Registrar-Error"), "Database write failed") << resp->text();
    EXPECT_NE(r.process().waitForLog("usrloc: write-through change for eve not confirmed"),
              std::string::npos)
        << r.log();
    EXPECT_TRUE(routesTo(r, uas, "eve")) << "the binding is served from memory\n" << r.log();
    EXPECT_EQ(readFile(db), std::string(4096, 'x')) << "the broken file is left for the operator";
}

TEST(RegistrarPersist, UnwritableDatabaseGetsWriteThroughA500) {
    RegRouter r(dbOptions("/nonexistent-dir/osprey/ul.db", 1));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("usrloc: cannot open database /nonexistent-dir/osprey/ul.db"),
              std::string::npos)
        << r.log();
    Registration reg(r, "fay");
    EXPECT_EQ(reg.send("Contact: <sip:fay@192.0.2.9>\r\n")->status(), 500) << r.log();
}

// The database becomes usable (here: its directory appears): write-through answers 200 again
// within about a second, and what is answered is in the file.
TEST(RegistrarPersist, WriteThroughRecoversWhenTheDatabaseBecomesUsable) {
    TempDir dir;
    const std::string sub = dir.path() + "/later";
    const std::string db = sub + "/ul.db";
    RegRouter r(dbOptions(db, 1));
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "ivy");
    EXPECT_EQ(reg.send("Contact: <sip:ivy@192.0.2.9>\r\n")->status(), 500) << r.log();
    ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
    int status = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (status != 200 && std::chrono::steady_clock::now() < end) {
        status = reg.send("Contact: <sip:ivy@192.0.2.9>\r\n")->status();
        if (status != 200) poll(nullptr, 0, 100);  // the writer retries once a second
    }
    EXPECT_EQ(status, 200) << r.log();
    EXPECT_EQ(rows(db, "aor='ivy'"), 1) << r.log();
}

TEST(RegistrarPersist, UnwritableDatabaseWriteBackStillAnswers200) {
    RegRouter r(dbOptions("/nonexistent-dir/osprey/ul.db", 2));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("usrloc: cannot open database /nonexistent-dir/osprey/ul.db"),
              std::string::npos)
        << r.log();
    Registration reg(r, "gus");
    EXPECT_EQ(reg.send("Contact: <sip:gus@192.0.2.9>\r\n")->status(), 200) << r.log();
}

// The pid of the usrloc process, from its start-up line ("usrloc#0[pid]: usrloc: database
// writer ..."); -1 when it is not there.
int usrlocPid(RegRouter& r) {
    const size_t end = r.process().waitForLog("usrloc: database writer for");
    if (end == std::string::npos) return -1;
    const std::string log = r.log();
    const size_t tag = log.rfind("usrloc#", end);
    const size_t open = log.find('[', tag);
    return tag == std::string::npos || open == std::string::npos
               ? -1
               : std::atoi(log.c_str() + open + 1);
}

// Sends a REGISTER the way a UAC over UDP does (RFC 3261 §17.1.2.2, timer E from T1 = 500 ms):
// the same request again until a final response comes or timeoutMs passes.
std::unique_ptr<ReceivedMsg> registerLikeAUac(RegRouter& r, SipPeer& uac, const std::string& user,
                                              uint32_t cseq, const std::string& contact,
                                              int timeoutMs) {
    SipRequest req;
    req.method = "REGISTER";
    req.ruri = "sip:example.com";
    req.to = "<sip:" + user + "@example.com>";
    req.from = req.to + ";tag=uac";
    req.callId = "uac-" + user;
    req.cseq = cseq;
    req.extraHeaders = "Contact: " + contact + "\r\n";
    const std::string text = buildRequest(uac, req);
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    const std::string cseqValue = std::to_string(cseq) + " REGISTER";
    int interval = 500;
    while (std::chrono::steady_clock::now() < end) {
        if (!uac.sendTo(text, r.port())) break;
        // Answers to earlier requests of this Call-ID may still come in: this CSeq's only.
        const auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval);
        while (std::chrono::steady_clock::now() < next) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                next - std::chrono::steady_clock::now());
            auto resp = uac.receiveCall(req.callId, static_cast<int>(left.count()) + 1);
            if (resp && resp->status() >= 200 && resp->header("CSeq") == cseqValue) return resp;
            if (!resp) break;
        }
        interval = std::min(interval * 2, 4000);
    }
    return std::make_unique<ReceivedMsg>("");
}

// A writer that stops turning (SIGSTOP here; a hung disk alike): the REGISTER it was handed
// is not answered 200, and its retransmission gets a 500 once db_timeout has passed without a
// commit, not a hang. When the writer runs again everything queued is written.
TEST(RegistrarPersist, StoppedWriterGivesA500WithinDbTimeoutNotAHang) {
    TempDir dir;
    const std::string db = dir.file("ul.db");
    RegRouter r(dbOptions(db, 1, "db_timeout = 300;"));
    ASSERT_TRUE(r.start()) << r.log();
    const int writer = usrlocPid(r);
    ASSERT_GT(writer, 0) << r.log();
    SipPeer uac;
    ASSERT_EQ(registerLikeAUac(r, uac, "hal", 1, "<sip:hal@192.0.2.9>", 3000)->status(), 200)
        << r.log();
    ASSERT_EQ(kill(writer, SIGSTOP), 0);
    const auto t0 = std::chrono::steady_clock::now();
    auto resp = registerLikeAUac(r, uac, "hal", 2, "<sip:hal@192.0.2.10>", 4000);
    const auto waited = std::chrono::steady_clock::now() - t0;
    kill(writer, SIGCONT);
    EXPECT_EQ(resp->status(), 500) << r.log();
    EXPECT_EQ(resp->header("P-Registrar-Error"), "Database write failed") << resp->text();
    EXPECT_LT(waited, std::chrono::milliseconds(3000)) << "bounded by db_timeout, no hang";
    EXPECT_NE(r.process().waitForLog("no commit in time"), std::string::npos) << r.log();
    // Once the writer runs again, write-through works again, and the refresh made meanwhile is
    // in the database too.
    EXPECT_EQ(registerLikeAUac(r, uac, "hal", 3, "<sip:hal@192.0.2.11>", 3000)->status(), 200)
        << r.log();
    EXPECT_EQ(rows(db, "aor='hal'"), 3) << r.log();
}

TEST(RegistrarPersist, BadDbUrlIsAStartUpError) {
    RegRouterOptions o;
    o.usrlocParams = "db_mode = 1; db_url = \"mysql://x\";";
    RegRouter r(o);
    EXPECT_FALSE(r.start());
    EXPECT_NE(r.log().find("db_url"), std::string::npos) << r.log();
}

}  // namespace
}  // namespace osprey::testsupport
