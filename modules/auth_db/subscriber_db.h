// The subscriber table (Kamailio's schema and column names: username, domain, password, ha1,
// ha1b), read by the process that routes the request. Each process opens its own connection
// on first use (SQLite handles never cross fork) and keeps one prepared statement per table
// name, so a lookup is one bind + step on a WAL database: it never waits for a writer (the
// operator's `ospreyctl subscriber add`); only a writer holding the file exclusively, a
// corrupt file or a missing table is an error, after at most the busy timeout. A connection
// that failed is closed and opened again on the next lookup, so a repaired file is picked up
// without a restart.
#pragma once
#include <string>
#include <string_view>

#include "core/db/sqlite_conn.h"

namespace osprey::authdb {

struct Columns {
    std::string user = "username";
    std::string domain = "domain";
    std::string password = "ha1";    // password_column
    std::string password2 = "ha1b";  // password_column_2
};

// CREATE TABLE IF NOT EXISTS for `table` with Kamailio's subscriber columns (and those named
// by `cols`, when they differ). A name that is not a plain identifier is refused.
bool createSubscriberTable(db::SqliteConn& conn, std::string_view table, const Columns& cols,
                           std::string* error);

enum class Lookup : uint8_t { Found, NotFound, Error };

struct SubscriberRow {
    std::string password;   // password_column
    std::string password2;  // password_column_2
};

class SubscriberDb {
public:
    void configure(std::string url, Columns cols, int busyTimeoutMs) {
        url_ = std::move(url);
        cols_ = std::move(cols);
        busyTimeoutMs_ = busyTimeoutMs;
    }
    const Columns& columns() const { return cols_; }

    // The row of user (and domain, when not empty) in table. Error: *error says why.
    Lookup find(std::string_view table, std::string_view user, std::string_view domain,
                SubscriberRow& out, std::string* error);

private:
    struct Prepared {
        std::string table;
        bool withDomain = false;
        db::SqliteStmt stmt;
    };
    static constexpr int kPrepared = 4;  // distinct (table, domain?) pairs kept per process

    db::SqliteStmt* statement(std::string_view table, bool withDomain, std::string* error);
    void drop();

    std::string url_;
    Columns cols_;
    int busyTimeoutMs_ = 2000;
    db::SqliteConn conn_;
    Prepared prepared_[kPrepared];
    int nextSlot_ = 0;
};

}  // namespace osprey::authdb
