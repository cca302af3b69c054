// The database layer modules share: sqlite URLs, schema and prepared statements, a rollback when
// a transaction is abandoned, and the errors a missing, corrupt or locked file gives (values,
// with the file's name, never a crash).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/db/db_url.h"
#include "core/db/sqlite_conn.h"
#include "core/db/transaction.h"
#include "test/support/temp_dir.h"

namespace osprey::db {
namespace {

using testsupport::TempDir;

TEST(DbUrl, SqliteUrlsGiveTheirPath) {
    EXPECT_EQ(sqlitePath("sqlite:///var/lib/osprey/a.db"), "/var/lib/osprey/a.db");
    EXPECT_EQ(sqlitePath("sqlite://rel.db"), "rel.db");
    EXPECT_EQ(sqlitePath("mysql://u:p@h/db"), "");
    EXPECT_EQ(sqlitePath("/plain/path.db"), "");
    EXPECT_EQ(sqlitePath(""), "");
}

TEST(SqliteConn, CreatesWritesAndReadsRows) {
    TempDir dir;
    SqliteConn c;
    std::string err;
    ASSERT_TRUE(c.open("sqlite://" + dir.file("t.db"), {}, &err)) << err;
    ASSERT_TRUE(c.exec("CREATE TABLE IF NOT EXISTS s (name TEXT PRIMARY KEY, n INTEGER)", &err))
        << err;
    SqliteStmt ins = c.prepare("INSERT INTO s (name, n) VALUES (?1, ?2)", &err);
    ASSERT_TRUE(ins) << err;
    for (int i = 0; i < 3; ++i) {
        ins.reset();
        ins.bindText(1, "row" + std::to_string(i));
        ins.bindInt(2, i * 10);
        ASSERT_TRUE(ins.run()) << c.lastError();
    }
    EXPECT_EQ(c.changes(), 1);
    SqliteStmt sel = c.prepare("SELECT name, n, NULL FROM s ORDER BY n DESC", &err);
    ASSERT_TRUE(sel) << err;
    ASSERT_EQ(sel.step(), Step::Row);
    EXPECT_EQ(sel.columns(), 3);
    EXPECT_EQ(sel.text(0), "row2");
    EXPECT_EQ(sel.integer(1), 20);
    EXPECT_TRUE(sel.isNull(2));
    EXPECT_FALSE(sel.isNull(1));
    EXPECT_EQ(sel.step(), Step::Row);
    EXPECT_EQ(sel.step(), Step::Row);
    EXPECT_EQ(sel.step(), Step::Done);
}

TEST(SqliteConn, AbandonedTransactionRollsBack) {
    TempDir dir;
    SqliteConn c;
    std::string err;
    ASSERT_TRUE(c.open(dir.file("t.db"), {}, &err)) << err;
    ASSERT_TRUE(c.exec("CREATE TABLE s (n INTEGER)", &err)) << err;
    {
        Transaction tx(c, &err);
        ASSERT_TRUE(tx.ok()) << err;
        ASSERT_TRUE(c.exec("INSERT INTO s VALUES (1)", &err)) << err;
    }
    {
        Transaction tx(c, &err);
        ASSERT_TRUE(c.exec("INSERT INTO s VALUES (2)", &err)) << err;
        ASSERT_TRUE(tx.commit(&err)) << err;
    }
    SqliteStmt sel = c.prepare("SELECT group_concat(n) FROM s", &err);
    ASSERT_EQ(sel.step(), Step::Row);
    EXPECT_EQ(sel.text(0), "2");
}

TEST(SqliteConn, ErrorsAreValuesNamingTheFile) {
    TempDir dir;
    std::string err;
    SqliteConn c;
    EXPECT_FALSE(c.open("sqlite://" + dir.file("missing/dir/x.db"), {}, &err));
    EXPECT_NE(err.find("missing/dir/x.db"), std::string::npos) << err;
    EXPECT_FALSE(c.open("postgres://h/db", {}, &err));
    EXPECT_NE(err.find("not a sqlite URL"), std::string::npos) << err;

    const std::string junk = dir.write("junk.db", std::string(4096, 'x'));
    EXPECT_FALSE(c.open(junk, {}, &err));
    EXPECT_NE(err.find("junk.db"), std::string::npos) << err;
    EXPECT_FALSE(c.isOpen());
    EXPECT_FALSE(c.exec("SELECT 1", &err));
    EXPECT_FALSE(c.prepare("SELECT 1", &err));

    ASSERT_TRUE(c.open(dir.file("ok.db"), {}, &err)) << err;
    EXPECT_FALSE(c.prepare("SELEC nonsense", &err));
    EXPECT_NE(err.find("syntax"), std::string::npos) << err;
}

TEST(SqliteConn, LockedDatabaseIsAnErrorAfterTheBusyTimeout) {
    TempDir dir;
    std::string err;
    OpenOptions quick;
    quick.busyTimeoutMs = 20;
    SqliteConn holder, other;
    ASSERT_TRUE(holder.open(dir.file("l.db"), quick, &err)) << err;
    ASSERT_TRUE(holder.exec("CREATE TABLE s (n INTEGER)", &err)) << err;
    ASSERT_TRUE(other.open(dir.file("l.db"), quick, &err)) << err;
    Transaction held(holder, &err);
    ASSERT_TRUE(held.ok()) << err;
    Transaction blocked(other, &err);
    EXPECT_FALSE(blocked.ok());
    EXPECT_NE(err.find("locked"), std::string::npos) << err;
    EXPECT_FALSE(blocked.commit(&err));
}

}  // namespace
}  // namespace osprey::db
