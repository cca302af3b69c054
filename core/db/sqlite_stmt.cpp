#include "core/db/sqlite_stmt.h"

#include <sqlite3.h>

namespace osprey::db {

SqliteStmt::~SqliteStmt() {
    sqlite3_finalize(st_);
}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(st_);
        st_ = o.st_;
        o.st_ = nullptr;
    }
    return *this;
}

void SqliteStmt::bindText(int i, std::string_view s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

void SqliteStmt::bindInt(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
}

void SqliteStmt::bindNull(int i) {
    sqlite3_bind_null(st_, i);
}

Step SqliteStmt::step() {
    switch (sqlite3_step(st_)) {
        case SQLITE_ROW:
            return Step::Row;
        case SQLITE_DONE:
            return Step::Done;
        default:
            return Step::Error;
    }
}

void SqliteStmt::reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
}

int SqliteStmt::columns() const {
    return sqlite3_column_count(st_);
}

bool SqliteStmt::isNull(int col) const {
    return sqlite3_column_type(st_, col) == SQLITE_NULL;
}

std::string_view SqliteStmt::text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    if (p == nullptr) return {};
    return {p, static_cast<size_t>(sqlite3_column_bytes(st_, col))};
}

int64_t SqliteStmt::integer(int col) const {
    return sqlite3_column_int64(st_, col);
}

}  // namespace osprey::db
