// auth_db end to end with the real osprey on loopback: REGISTER challenged, then accepted
// against subscriber rows (plain passwords with calculate_ha1, precomputed ha1 and ha1b),
// Kamailio's codes for a wrong password, an unknown user and a user mismatch, is_subscriber,
// and a database that cannot answer (locked by another process, corrupt): 500, logged, and
// the server goes on routing.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/db/sqlite_conn.h"
#include "test/integration/auth_test_util.h"
#include "test/integration/rpc_test_util.h"
#include "test/support/stats_reader.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

// "X-Anonymous-Ok" calls auth_check with flags 3 instead of 1; "X-Report" answers auth_check's code
// in the reason phrase; "X-Ping" skips authentication; "X-Subscriber" answers is_subscriber for the
// R-URI.
const char* kScript = R"(
function ksr_request_route()
    if KSR.hdr.is_present("X-Ping") > 0 then
        KSR.sl.send_reply(200, "pong")
        return
    end
    if KSR.hdr.is_present("X-Subscriber") > 0 then
        KSR.sl.send_reply(200, "sub=" .. KSR.auth_db.is_subscriber(KSR.pv.get("$ru"), "subscriber", 1))
        return
    end
    local flags = KSR.hdr.is_present("X-Anonymous-Ok") > 0 and 3 or 1
    local rc = KSR.auth_db.auth_check("example.com", "subscriber", flags)
    if KSR.hdr.is_present("X-Report") > 0 then
        KSR.sl.send_reply(rc > 0 and 200 or 403, "rc=" .. rc)
        return
    end
    if rc < 0 then
        KSR.auth.auth_challenge("example.com", 1)
        KSR.x.exit()
    end
    KSR.sl.send_reply(200, "OK")
end
)";

class AuthDb : public ::testing::Test {
protected:
    std::string dbPath() const { return tmp_.file("auth.db"); }

    SipRouterOptions options(const std::string& params) const {
        SipRouterOptions o;
        o.controlSocket = true;  // the auth_db:* statistics
        o.modules =
            "{ name = \"sl\"; }, { name = \"pv\"; }, { name = \"auth\"; }, "
            "{ name = \"auth_db\"; params = { db_url = \"sqlite://" +
            dbPath() + "\"; busy_timeout = 200; " + params + " }; }";
        return o;
    }

    // Rows go in through SQLite directly, as an operator's tool would.
    void exec(const std::string& sql) {
        db::SqliteConn c;
        std::string error;
        ASSERT_TRUE(c.open(dbPath(), db::OpenOptions{}, &error)) << error;
        ASSERT_TRUE(c.exec(sql, &error)) << error;
    }
    // rows: "('alice', 'example.com', 'secret'), ..." (username, domain, password).
    void addSubscribers(const std::string& rows) {
        exec("INSERT INTO subscriber (username, domain, password) VALUES " + rows);
    }

    TempDir tmp_;
};

constexpr const char* kPasswordMode = "calculate_ha1 = true; password_column = \"password\";";

TEST_F(AuthDb, RegisterIsChallengedThenAcceptedWithAPlainPassword) {
    SipRouter router(kScript, options(kPasswordMode));
    ASSERT_TRUE(router.start()) << router.log();
    addSubscribers("('alice', 'example.com', 'secret')");
    Ua ua(router);
    auto resp = ua.send("REGISTER", "");
    ASSERT_TRUE(resp) << router.log();
    EXPECT_EQ(resp->status(), 401);
    auto cs = challengesOf(*resp, "WWW-Authenticate");
    ASSERT_EQ(cs.size(), 1u) << resp->text();
    Creds c;
    auto ok = ua.send("REGISTER", c.value("REGISTER", cs[0].nonce, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status(), 200) << ok->text() << router.log();
    // auth's replay protection holds for auth_db too: the same nc again is -6.
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", cs[0].nonce, 1)), "rc=-6");
}

TEST_F(AuthDb, Ha1AndHa1bColumnsAreUsedWhenHa1IsNotCalculated) {
    SipRouter router(kScript, options(""));
    ASSERT_TRUE(router.start()) << router.log();
    const std::string ha1 = hexDigest("MD5", "alice:example.com:secret");
    const std::string ha1b = hexDigest("MD5", "alice@example.com:example.com:secret");
    exec(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ('alice', "
        "'example.com', 'not-used', '" +
        ha1 + "', '" + ha1b + "')");
    Ua ua(router);
    std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, 1)), "rc=1") << router.log();
    // A username with the domain in it is checked against ha1b.
    Creds withDomain;
    withDomain.user = "alice@example.com";
    EXPECT_EQ(ua.reported("REGISTER", withDomain.value("REGISTER", nonce, 2)), "rc=1")
        << router.log();
    // ... and the plain password column is not read at all in this mode.
    Creds plain;
    plain.password = "not-used";
    EXPECT_EQ(ua.reported("REGISTER", plain.value("REGISTER", nonce, 3)), "rc=-2");
}

TEST_F(AuthDb, WrongPasswordUnknownUserAndMismatchHaveKamailiosCodes) {
    SipRouter router(kScript, options(kPasswordMode));
    ASSERT_TRUE(router.start()) << router.log();
    addSubscribers("('alice', 'example.com', 'secret'), ('carol', 'example.com', 'pw')");
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();

    Creds wrong;
    wrong.password = "guess";
    EXPECT_EQ(ua.reported("REGISTER", wrong.value("REGISTER", nonce, 1)), "rc=-2");
    // The script challenges again on a negative code (as the reference script does).
    auto r1c = ua.send("REGISTER", wrong.value("REGISTER", nonce, 2));
    ASSERT_TRUE(r1c);
    EXPECT_EQ(r1c->status(), 401);

    const std::string nonce2 = ua.challenge("REGISTER");
    Creds unknown;
    unknown.user = "mallory";
    EXPECT_EQ(ua.reported("REGISTER", unknown.value("REGISTER", nonce2, 1)), "rc=-3");

    // carol's right password, but the REGISTER is for alice's address (To): flag 1 says -8.
    Creds carol;
    carol.user = "carol";
    carol.password = "pw";
    EXPECT_EQ(ua.reported("REGISTER", carol.value("REGISTER", nonce2, 2)), "rc=-8");

    EXPECT_EQ(ua.reported("REGISTER", ""), "rc=-5");
}

// Flag 2: an INVITE (BYE, PRACK, UPDATE, MESSAGE) may come from an anonymous From; the
// credentials still have to be right.
TEST_F(AuthDb, Flag2SkipsTheIdentityCheckForCalls) {
    SipRouter router(kScript, options(kPasswordMode));
    ASSERT_TRUE(router.start()) << router.log();
    addSubscribers("('carol', 'example.com', 'pw')");
    Ua ua(router);  // its INVITEs come From alice
    const std::string nonce = ua.challenge("INVITE");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds carol;
    carol.user = "carol";
    carol.password = "pw";
    carol.uri = "sip:bob@example.com";
    EXPECT_EQ(ua.reported("INVITE", carol.value("INVITE", nonce, 1)), "rc=-8");
    const std::string nonce2 = ua.challenge("INVITE");
    EXPECT_EQ(ua.reported("INVITE", carol.value("INVITE", nonce2, 1), "X-Anonymous-Ok: 1\r\n"),
              "rc=1")
        << router.log();
    carol.password = "wrong";
    EXPECT_EQ(ua.reported("INVITE", carol.value("INVITE", nonce2, 2), "X-Anonymous-Ok: 1\r\n"),
              "rc=-2");
}

TEST_F(AuthDb, UseDomainLooksUpUserAndDomain) {
    SipRouter router(kScript, options(std::string(kPasswordMode) + " use_domain = true;"));
    ASSERT_TRUE(router.start()) << router.log();
    addSubscribers("('alice', 'other.example', 'secret')");
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, 1)), "rc=-3")
        << "alice exists only in another domain";
    addSubscribers("('alice', 'example.com', 'secret')");
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, 2)), "rc=1");
}

TEST_F(AuthDb, IsSubscriber) {
    SipRouter router(kScript, options(kPasswordMode));
    ASSERT_TRUE(router.start()) << router.log();
    addSubscribers("('bob', 'example.com', 'x')");
    Ua ua(router);
    // Ua sends INVITE to sip:bob@example.com.
    auto yes = ua.send("INVITE", "", "X-Subscriber: 1\r\n");
    ASSERT_TRUE(yes) << router.log();
    EXPECT_EQ(yes->reason(), "sub=1");
    exec("DELETE FROM subscriber");
    auto no = ua.send("INVITE", "", "X-Subscriber: 1\r\n");
    ASSERT_TRUE(no);
    EXPECT_EQ(no->reason(), "sub=-2");
}

// Held exclusively (before the workers opened it: while they have it open, WAL keeps such a
// lock out): 500 after the busy timeout; a writer's ordinary write lock blocks nothing.
TEST_F(AuthDb, LockedDatabaseAnswers500AndRoutingGoesOn) {
    SipRouter router(kScript, options(kPasswordMode));
    ASSERT_TRUE(router.start()) << router.log();
    addSubscribers("('alice', 'example.com', 'secret')");
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    unsigned nc = 0;
    {
        // Another process (this test) holds the file exclusively.
        db::SqliteConn holder;
        std::string error;
        db::OpenOptions o;
        o.wal = false;
        ASSERT_TRUE(holder.open(dbPath(), o, &error)) << error;
        ASSERT_TRUE(
            holder.exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                        "UPDATE subscriber SET password = password;",
                        &error))
            << error;
        for (int i = 0; i < 2; ++i) {  // both workers (or one twice): each answers 500
            auto r = ua.send("REGISTER", c.value("REGISTER", nonce, ++nc), "X-Report: 1\r\n");
            ASSERT_TRUE(r) << router.log();
            EXPECT_EQ(r->status(), 500) << r->text();
        }
        auto ping = ua.send("OPTIONS", "", "X-Ping: 1\r\n");
        ASSERT_TRUE(ping);
        EXPECT_EQ(ping->status(), 200);
        ASSERT_TRUE(holder.exec("ROLLBACK", &error)) << error;
        StatsReader stats;
        auto v = stats.read(router.process());
        EXPECT_EQ(StatsReader::get(v, "auth_db:db_errors"), 2);
        EXPECT_EQ(StatsReader::get(v, "auth_db:lookups"), 2);
    }
    EXPECT_NE(router.log().find("auth_db: looking up 'alice'"), std::string::npos) << router.log();
    // The lock is gone: the same worker processes authenticate again.
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, ++nc)), "rc=1") << router.log();
    // A writer holding the write lock (an operator adding a subscriber) does not block the
    // lookups at all: WAL readers see the last committed state.
    db::SqliteConn writer;
    std::string error;
    ASSERT_TRUE(writer.open(dbPath(), db::OpenOptions{}, &error)) << error;
    ASSERT_TRUE(
        writer.exec("BEGIN IMMEDIATE; INSERT INTO subscriber (username, domain, password) "
                    "VALUES ('dave', 'example.com', 'x');",
                    &error))
        << error;
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, ++nc)), "rc=1")
            << router.log();
    }
    ASSERT_TRUE(writer.exec("COMMIT", &error)) << error;
}

TEST_F(AuthDb, CorruptDatabaseAnswers500AndRoutingGoesOn) {
    {
        std::ofstream f(dbPath(), std::ios::binary);
        std::string junk(8192, '\x5a');
        junk.replace(0, 20, "not a database file!");
        f << junk;
    }
    SipRouter router(kScript, options(kPasswordMode));
    ASSERT_TRUE(router.start()) << router.log();
    EXPECT_NE(router.log().find("auth_db: cannot open"), std::string::npos) << router.log();
    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");  // needs no database
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    for (unsigned nc = 1; nc <= 3; ++nc) {
        auto r = ua.send("REGISTER", c.value("REGISTER", nonce, nc));
        ASSERT_TRUE(r) << router.log();
        EXPECT_EQ(r->status(), 500) << r->text();
        // Exactly one answer: the script's challenge after the negative code is not sent.
        EXPECT_FALSE(ua.peer_.receiveMsg(200)) << "a second reply followed the 500";
    }
    auto ping = ua.send("OPTIONS", "", "X-Ping: 1\r\n");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->status(), 200);
}

// The operator's tool writes the rows auth_db reads, on the same file, while osprey runs.
TEST_F(AuthDb, OspreyctlAddsChangesAndRemovesSubscribers) {
    SipRouter router(kScript, options(""));  // ha1 mode: ospreyctl computes ha1 and ha1b
    ASSERT_TRUE(router.start()) << router.log();
    const std::string url = "sqlite://" + dbPath();
    auto ctl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"-d", url});
        return runOsprey(args, 10000, ospreyctlBinary());
    };
    RunResult add = ctl({"subscriber", "add", "alice@example.com", "secret"});
    ASSERT_EQ(add.exitCode, 0) << add.output;
    RunResult dup = ctl({"subscriber", "add", "alice@example.com", "other"});
    EXPECT_EQ(dup.exitCode, 1) << "a subscriber is added once: " << dup.output;
    RunResult show = ctl({"subscriber", "show"});
    EXPECT_EQ(show.exitCode, 0);
    EXPECT_NE(
        show.output.find("alice@example.com ha1=" + hexDigest("MD5", "alice:example.com:secret") +
                         " ha1b=" + hexDigest("MD5", "alice@example.com:example.com:secret")),
        std::string::npos)
        << show.output;

    Ua ua(router);
    const std::string nonce = ua.challenge("REGISTER");
    ASSERT_FALSE(nonce.empty()) << router.log();
    Creds c;
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, 1)), "rc=1") << router.log();

    ASSERT_EQ(ctl({"subscriber", "passwd", "alice@example.com", "new-secret"}).exitCode, 0);
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce, 2)), "rc=-2")
        << "the old password no longer works";
    c.password = "new-secret";
    const std::string nonce2 = ua.challenge("REGISTER");  // the failed attempt spent the first
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce2, 1)), "rc=1");

    ASSERT_EQ(ctl({"subscriber", "rm", "alice@example.com"}).exitCode, 0);
    EXPECT_EQ(ctl({"subscriber", "rm", "alice@example.com"}).exitCode, 1);
    EXPECT_EQ(ua.reported("REGISTER", c.value("REGISTER", nonce2, 2)), "rc=-3");
    EXPECT_EQ(ctl({"subscriber", "add", "no-domain", "pw"}).exitCode, 2);
}

TEST(OspreyctlAddress, AddsShowsAndRemovesAddressRows) {
    TempDir tmp;
    const std::string url = "sqlite://" + tmp.file("perm.db");
    auto ctl = [&](std::vector<std::string> args) {
        // No server: the reload is skipped with a note, the table is still changed.
        args.insert(args.begin(), {"-s", tmp.file("no-such-socket"), "-d", url});
        return runOsprey(args, 10000, ospreyctlBinary());
    };
    RunResult add = ctl({"address", "add", "1", "192.0.2.0", "24", "5060", "gw1"});
    ASSERT_EQ(add.exitCode, 0) << add.output;
    EXPECT_NE(add.output.find("permissions.addressReload not done"), std::string::npos);
    ASSERT_EQ(ctl({"address", "add", "2", "127.0.0.1", "32", "0"}).exitCode, 0);
    EXPECT_EQ(ctl({"address", "add", "x", "127.0.0.1", "32", "0"}).exitCode, 2);
    RunResult show = ctl({"address", "show"});
    EXPECT_NE(show.output.find("grp=1 ip_addr=192.0.2.0 mask=24 port=5060 tag=gw1"),
              std::string::npos)
        << show.output;
    EXPECT_NE(show.output.find("grp=2 ip_addr=127.0.0.1 mask=32 port=0 tag="), std::string::npos);
    // Kamailio's column names, so permissions (and Kamailio) read the table as is.
    db::SqliteConn c;
    std::string error;
    ASSERT_TRUE(c.open(url, db::OpenOptions{}, &error)) << error;
    db::SqliteStmt st =
        c.prepare("SELECT grp, ip_addr, mask, port, tag FROM address WHERE id = 1", &error);
    ASSERT_TRUE(st) << error;
    ASSERT_EQ(st.step(), db::Step::Row);
    EXPECT_EQ(st.integer(0), 1);
    EXPECT_EQ(st.text(1), "192.0.2.0");
    EXPECT_EQ(st.integer(2), 24);
    EXPECT_EQ(st.integer(3), 5060);
    EXPECT_EQ(st.text(4), "gw1");
    st = {};
    ASSERT_EQ(ctl({"address", "rm", "1", "192.0.2.0"}).exitCode, 0);
    EXPECT_EQ(ctl({"address", "rm", "1", "192.0.2.0"}).exitCode, 1);
    EXPECT_EQ(ctl({"address", "show"}).output.find("192.0.2.0"), std::string::npos);
}

// Without -d, the database is the one the config gives auth_db (subscriber) or permissions
// (address).
TEST(OspreyctlAddress, FindsTheDatabaseInTheConfig) {
    TempDir tmp;
    const std::string cfg =
        tmp.write("osprey.cfg",
                  "modules = ( { name = \"auth\"; }, { name = \"auth_db\"; params = { "
                  "db_url = \"sqlite://" +
                      tmp.file("subs.db") +
                      "\"; }; }, { name = \"permissions\"; params = { db_url = \"sqlite://" +
                      tmp.file("perm.db") + "\"; }; } );\n");
    RunResult add = runOsprey({"-c", cfg, "subscriber", "add", "bob@example.org", "pw"}, 10000,
                              ospreyctlBinary());
    ASSERT_EQ(add.exitCode, 0) << add.output;
    RunResult addr = runOsprey(
        {"-c", cfg, "-s", tmp.file("no-socket"), "address", "add", "3", "10.1.2.3", "32", "0"},
        10000, ospreyctlBinary());
    ASSERT_EQ(addr.exitCode, 0) << addr.output;
    db::SqliteConn subs, perm;
    std::string error;
    ASSERT_TRUE(subs.open(tmp.file("subs.db"), db::OpenOptions{}, &error)) << error;
    ASSERT_TRUE(perm.open(tmp.file("perm.db"), db::OpenOptions{}, &error)) << error;
    db::SqliteStmt s1 = subs.prepare(
        "SELECT domain, password FROM subscriber WHERE username = "
        "'bob'",
        &error);
    ASSERT_TRUE(s1) << error;
    ASSERT_EQ(s1.step(), db::Step::Row);
    EXPECT_EQ(s1.text(0), "example.org");
    EXPECT_EQ(s1.text(1), "pw");
    db::SqliteStmt s2 = perm.prepare("SELECT grp, ip_addr FROM address", &error);
    ASSERT_TRUE(s2) << error;
    ASSERT_EQ(s2.step(), db::Step::Row);
    EXPECT_EQ(s2.integer(0), 3);
    EXPECT_EQ(s2.text(1), "10.1.2.3");
}

}  // namespace
}  // namespace osprey::testsupport
