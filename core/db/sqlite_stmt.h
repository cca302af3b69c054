// A prepared SQLite statement that finalizes itself. Text columns are views into SQLite's
// buffer: valid until the next step(), reset() or destruction, so copy what outlives the row.
#pragma once
#include <cstdint>
#include <string_view>

struct sqlite3_stmt;

namespace osprey::db {

enum class Step { Row, Done, Error };

class SqliteStmt {
public:
    SqliteStmt() = default;
    explicit SqliteStmt(sqlite3_stmt* st) : st_(st) {}
    ~SqliteStmt();
    SqliteStmt(SqliteStmt&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
    SqliteStmt& operator=(SqliteStmt&& o) noexcept;
    SqliteStmt(const SqliteStmt&) = delete;
    SqliteStmt& operator=(const SqliteStmt&) = delete;

    explicit operator bool() const { return st_ != nullptr; }

    // Parameters are numbered from 1, as in the SQL text (?1, ?2, ...). Text is copied.
    void bindText(int i, std::string_view s);
    void bindInt(int i, int64_t v);
    void bindNull(int i);

    Step step();
    // Ready to run again, bindings cleared.
    void reset();
    // Runs a statement that returns no rows; false on an error.
    bool run() { return step() == Step::Done; }

    // Columns are numbered from 0.
    int columns() const;
    bool isNull(int col) const;
    std::string_view text(int col) const;
    int64_t integer(int col) const;

private:
    sqlite3_stmt* st_ = nullptr;
};

}  // namespace osprey::db
