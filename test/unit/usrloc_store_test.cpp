// The SQLite store: tables created in WAL mode, ring records written in one transaction and read
// back field for field, deletes, expired rows skipped on load and purged, and a corrupt file
// reported as an error (not a crash, not overwritten).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include <stdlib.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include "mem/shm.h"
#include "modules/usrloc/change_ring.h"
#include "modules/usrloc/sqlite_store.h"
#include "test/support/read_file.h"

namespace osprey::usrloc {
namespace {

// A scratch directory (module unit tests link no test support library).
struct ScratchDir {
    ScratchDir() {
        char tmpl[] = "/tmp/osprey-usrloc-XXXXXX";
        path = mkdtemp(tmpl) ? tmpl : "/tmp";
    }
    ~ScratchDir() {
        std::error_code ec;
        if (path != "/tmp") std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string& n) const { return path + "/" + n; }
    std::string write(const std::string& n, const std::string& content) const {
        std::ofstream(file(n), std::ios::binary) << content;
        return file(n);
    }
    std::string path;
};

using testsupport::readFile;

class UsrlocStore : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(16u << 20));
        }
    }
    void SetUp() override {
        ring = ChangeRing::create(1 << 20, -1, true);
        ASSERT_NE(ring, nullptr);
    }
    void TearDown() override { ChangeRing::destroy(ring); }

    std::string drain() {
        std::vector<char> buf;
        ring->drain(buf);
        return std::string(buf.begin(), buf.end());
    }

    struct Row {
        std::string aor;
        ContactData c;
        std::string keep[7];
    };
    std::vector<Row> loadAll(SqliteStore& s, const std::string& table, int64_t now) {
        std::vector<Row> out;
        std::string error;
        EXPECT_TRUE(s.load(
            table, now,
            [&](std::string_view aor, const ContactData& c) {
                Row r;
                r.aor = aor;
                r.c = c;
                r.keep[0] = c.uri;
                r.keep[1] = c.callId;
                r.keep[2] = c.path;
                r.keep[3] = c.received;
                r.keep[4] = c.userAgent;
                r.keep[5] = c.instance;
                r.keep[6] = c.socket;
                out.push_back(std::move(r));
            },
            &error))
            << error;
        return out;
    }

    ChangeRing* ring = nullptr;
    ScratchDir dir;
    std::vector<std::string> tables{"location", "other"};
};

TEST_F(UsrlocStore, WritesReadsAndDeletes) {
    SqliteStore s;
    std::string error;
    ASSERT_TRUE(s.open(dir.file("ul.db"), tables, &error)) << error;
    ContactData c;
    c.uri = "sip:alice@192.0.2.1:5060";
    c.callId = "cid@x";
    c.path = "<sip:edge;lr>";
    c.received = "sip:192.0.2.1:5060";
    c.userAgent = "ua";
    c.instance = "\"<urn:uuid:1>\"";
    c.socket = "udp:127.0.0.1:5060";
    c.cseq = 42;
    c.regId = 2;
    c.q = 500;
    c.flags = 3;
    c.expires = 2000;
    c.lastModified = 1999123;
    ASSERT_TRUE(ring->pushUpsert(0, "alice", c));
    ContactData d = c;
    d.uri = "sip:alice@192.0.2.2";
    ASSERT_TRUE(ring->pushUpsert(0, "alice", d));
    ASSERT_TRUE(ring->pushUpsert(1, "bob", c));
    ASSERT_TRUE(ring->pushDelete(0, "alice", "sip:alice@192.0.2.2"));
    size_t written = 0;
    ASSERT_TRUE(s.apply(drain(), tables, &written, &error)) << error;
    EXPECT_EQ(written, 4u);

    auto rows = loadAll(s, "location", 1000);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].aor, "alice");
    EXPECT_EQ(rows[0].keep[0], c.uri);
    EXPECT_EQ(rows[0].keep[1], "cid@x");
    EXPECT_EQ(rows[0].keep[2], "<sip:edge;lr>");
    EXPECT_EQ(rows[0].keep[3], "sip:192.0.2.1:5060");
    EXPECT_EQ(rows[0].keep[4], "ua");
    EXPECT_EQ(rows[0].keep[5], "\"<urn:uuid:1>\"");
    EXPECT_EQ(rows[0].keep[6], "udp:127.0.0.1:5060");
    EXPECT_EQ(rows[0].c.cseq, 42u);
    EXPECT_EQ(rows[0].c.regId, 2u);
    EXPECT_EQ(rows[0].c.q, 500);
    EXPECT_EQ(rows[0].c.flags, 3u);
    EXPECT_EQ(rows[0].c.expires, 2000);
    EXPECT_EQ(rows[0].c.lastModified, 1999123);
    EXPECT_EQ(loadAll(s, "other", 1000).size(), 1u);

    EXPECT_TRUE(loadAll(s, "location", 2000).empty()) << "expired at its expiry second";
    ASSERT_TRUE(s.purgeExpired(tables, 2000, &error)) << error;
    EXPECT_TRUE(loadAll(s, "location", 0).empty());
}

TEST_F(UsrlocStore, UsesWalAndSurvivesReopen) {
    const std::string path = dir.file("ul.db");
    std::string error;
    {
        SqliteStore s;
        ASSERT_TRUE(s.open(path, tables, &error)) << error;
        ContactData c;
        c.uri = "sip:a@h";
        c.expires = 5000;
        ASSERT_TRUE(ring->pushUpsert(0, "a", c));
        size_t written = 0;
        ASSERT_TRUE(s.apply(drain(), tables, &written, &error)) << error;
    }
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    sqlite3_close(h);
    SqliteStore again;
    ASSERT_TRUE(again.open(path, tables, &error)) << error;
    EXPECT_EQ(loadAll(again, "location", 0).size(), 1u);
}

TEST_F(UsrlocStore, CorruptFileIsAnError) {
    const std::string path = dir.write("bad.db", std::string(8192, '\x5a'));
    SqliteStore s;
    std::string error;
    EXPECT_FALSE(s.open(path, tables, &error));
    EXPECT_NE(error.find("not a database"), std::string::npos) << error;
    EXPECT_FALSE(s.isOpen());
    EXPECT_EQ(readFile(path), std::string(8192, '\x5a'));
}

// A database from before bindings kept their socket gets the column; its rows load with none.
TEST_F(UsrlocStore, OlderDatabaseGetsTheSocketColumn) {
    const std::string path = dir.file("old.db");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE location (aor TEXT NOT NULL, contact TEXT NOT NULL, "
                           "expires INTEGER, q INTEGER, callid TEXT, cseq INTEGER, path TEXT, "
                           "received TEXT, user_agent TEXT, instance TEXT, reg_id INTEGER, "
                           "flags INTEGER, last_modified INTEGER, PRIMARY KEY (aor, contact)) "
                           "WITHOUT ROWID; INSERT INTO location VALUES ('old', 'sip:old@h', 5000, "
                           "-1, 'c', 1, '', '', '', '', 0, 0, 0);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    SqliteStore s;
    std::string error;
    ASSERT_TRUE(s.open(path, {"location"}, &error)) << error;
    ContactData c;
    c.uri = "sip:new@h";
    c.callId = "c2";
    c.socket = "udp:127.0.0.1:5070";
    c.expires = 5000;
    ASSERT_TRUE(ring->pushUpsert(0, "new", c));
    size_t written = 0;
    ASSERT_TRUE(s.apply(drain(), {"location"}, &written, &error)) << error;
    auto rows = loadAll(s, "location", 1000);
    ASSERT_EQ(rows.size(), 2u);
    for (const Row& r : rows) EXPECT_EQ(r.keep[6], r.aor == "new" ? "udp:127.0.0.1:5070" : "");
}

}  // namespace
}  // namespace osprey::usrloc
