// BEGIN ... COMMIT on one connection, rolled back when the scope ends without commit(): a
// loader that fails half way leaves the table as it was.
#pragma once
#include <string>

#include "core/db/sqlite_conn.h"

namespace osprey::db {

class Transaction {
public:
    Transaction(SqliteConn& conn, std::string* error)
        : conn_(conn), open_(conn.exec("BEGIN IMMEDIATE", error)) {}
    ~Transaction() {
        std::string ignored;
        if (open_) conn_.exec("ROLLBACK", &ignored);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    // False when BEGIN failed (the database is locked past the busy timeout, or unreadable).
    bool ok() const { return open_; }
    bool commit(std::string* error) {
        if (!open_) return false;
        open_ = false;
        return conn_.exec("COMMIT", error);
    }

private:
    SqliteConn& conn_;
    bool open_;
};

}  // namespace osprey::db
