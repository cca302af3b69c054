// One connection to an SQLite database file, owned by one process (SQLite handles are never
// shared across fork, so each process that needs the database opens its own after forking).
//
// This is the database layer every module with a table uses (auth_db's subscriber, htable,
// permissions, acc, dispatcher): open a sqlite URL, create the module's schema if missing,
// prepare statements, run them. Errors are values: a missing, locked or corrupt database is a
// message for the caller to log and turn into a defined SIP answer, never an exception.
#pragma once
#include <string>
#include <string_view>

#include "core/db/sqlite_stmt.h"

struct sqlite3;

namespace osprey::db {

struct OpenOptions {
    bool create = true;     // create the file when missing
    bool readOnly = false;  // readers that must never write (loaders)
    bool wal = true;        // WAL journal: readers don't block the writer
    int busyTimeoutMs = 2000;
};

class SqliteConn {
public:
    SqliteConn() = default;
    ~SqliteConn() { close(); }
    SqliteConn(SqliteConn&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
    SqliteConn& operator=(SqliteConn&& o) noexcept;
    SqliteConn(const SqliteConn&) = delete;
    SqliteConn& operator=(const SqliteConn&) = delete;

    // Opens `url` ("sqlite:///path.db") or, when it has no scheme, a plain file path.
    bool open(std::string_view url, const OpenOptions& opts, std::string* error);
    bool isOpen() const { return db_ != nullptr; }
    void close();

    // Runs one or more statements without results (schema, PRAGMA, BEGIN/COMMIT).
    bool exec(const std::string& sql, std::string* error);
    // An empty statement (false when tested) with *error set on failure.
    SqliteStmt prepare(std::string_view sql, std::string* error);

    // The message of the last failed call on this connection.
    std::string lastError() const;
    // Rows changed by the last INSERT/UPDATE/DELETE.
    int changes() const;

private:
    sqlite3* db_ = nullptr;
};

}  // namespace osprey::db
