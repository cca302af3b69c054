// usrloc persistence with the real osprey: write-through bindings survive kill -9 of the whole
// process tree, write-back bindings a clean restart; expiry is stored as wall-clock time so the
// remaining expiry is kept across the restart (and expired rows are not loaded); a corrupt or
// unwritable database is logged and SIP service goes on from memory.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

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

// Polls (bounded) until the database holds `want` rows matching `where`.
bool waitRows(const std::string& db, const std::string& where, int want, int timeoutMs = 5000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < end) {
        if (rows(db, where) == want) return true;
        poll(nullptr, 0, 20);
    }
    return false;
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
        // The usrloc process writes asynchronously, in order: once carol's row is there, so
        // are alice's and bob's; her removal is awaited only after it.
        ASSERT_TRUE(waitRows(db, "aor='carol'", 1)) << r.log();
        ASSERT_EQ(removed.send("Contact: <sip:carol@192.0.2.2>\r\nExpires: 0\r\n")->status(), 200);
        ASSERT_TRUE(waitRows(db, "aor='carol'", 0)) << r.log();
        ASSERT_EQ(rows(db, "aor='alice'"), 1);
        ASSERT_EQ(rows(db, "aor='bob'"), 1);
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

TEST(RegistrarPersist, CorruptDatabaseIsReportedAndServiceContinues) {
    TempDir dir;
    const std::string db = dir.write("ul.db", std::string(4096, 'x'));
    RegRouter r(dbOptions(db, 1));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("file is not a database"), std::string::npos) << r.log();
    EXPECT_NE(r.log().find("usrloc: cannot"), std::string::npos) << r.log();
    Registration reg(r, "eve");
    auto resp = reg.send("Contact: <sip:eve@192.0.2.9>\r\n");
    EXPECT_EQ(resp->status(), 200) << r.log();
    EXPECT_EQ(reg.send("")->headers("Contact").size(), 1u);
    EXPECT_EQ(readFile(db), std::string(4096, 'x')) << "the broken file is left for the operator";
}

TEST(RegistrarPersist, UnwritableDatabaseIsReportedAndServiceContinues) {
    RegRouter r(dbOptions("/nonexistent-dir/osprey/ul.db", 1));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(r.process().waitForLog("usrloc: cannot open database /nonexistent-dir/osprey/ul.db"),
              std::string::npos)
        << r.log();
    Registration reg(r, "fay");
    EXPECT_EQ(reg.send("Contact: <sip:fay@192.0.2.9>\r\n")->status(), 200) << r.log();
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
