#include "core/db/sqlite_conn.h"

#include <sqlite3.h>

#include "core/db/db_url.h"

namespace osprey::db {

SqliteConn& SqliteConn::operator=(SqliteConn&& o) noexcept {
    if (this != &o) {
        close();
        db_ = o.db_;
        o.db_ = nullptr;
    }
    return *this;
}

void SqliteConn::close() {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
}

std::string SqliteConn::lastError() const {
    return db_ != nullptr ? sqlite3_errmsg(db_) : "database not open";
}

int SqliteConn::changes() const {
    return db_ != nullptr ? sqlite3_changes(db_) : 0;
}

bool SqliteConn::open(std::string_view url, const OpenOptions& opts, std::string* error) {
    close();
    std::string path = sqlitePath(url);
    if (path.empty()) {
        if (url.find("://") != std::string_view::npos) {
            *error = "not a sqlite URL: " + std::string(url) + " (expected sqlite:///path)";
            return false;
        }
        path = std::string(url);
    }
    int flags = opts.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (opts.create && !opts.readOnly) flags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        *error = path + ": " + lastError();
        close();
        return false;
    }
    sqlite3_busy_timeout(db_, opts.busyTimeoutMs);
    // A corrupt or non-database file opens fine and fails on first use: ask now, so the error
    // comes at open with the file's name instead of later from an unrelated query.
    if (!exec("SELECT count(*) FROM sqlite_master", error) ||
        (opts.wal && !opts.readOnly && !exec("PRAGMA journal_mode=WAL", error))) {
        *error = path + ": " + *error;
        close();
        return false;
    }
    return true;
}

bool SqliteConn::exec(const std::string& sql, std::string* error) {
    if (db_ == nullptr) {
        *error = lastError();
        return false;
    }
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return true;
    *error = msg != nullptr ? msg : lastError();
    sqlite3_free(msg);
    return false;
}

SqliteStmt SqliteConn::prepare(std::string_view sql, std::string* error) {
    if (db_ == nullptr) {
        *error = lastError();
        return {};
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr) !=
        SQLITE_OK) {
        *error = lastError();
        sqlite3_finalize(st);
        return {};
    }
    return SqliteStmt(st);
}

}  // namespace osprey::db
