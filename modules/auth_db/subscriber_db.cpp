// SubscriberDb: per-process subscriber lookups on SQLite.
#include "modules/auth_db/subscriber_db.h"

#include "core/db/sql_name.h"

namespace osprey::authdb {

bool createSubscriberTable(db::SqliteConn& conn, std::string_view table, const Columns& cols,
                           std::string* error) {
    for (std::string_view n : {table, std::string_view(cols.user), std::string_view(cols.domain),
                               std::string_view(cols.password), std::string_view(cols.password2)}) {
        if (!db::isSqlName(n)) {
            *error = "'" + std::string(n) + "' is not a table or column name";
            return false;
        }
    }
    const std::string t(table);
    std::string sql = "CREATE TABLE IF NOT EXISTS " + t +
                      " (id INTEGER PRIMARY KEY AUTOINCREMENT, " + cols.user +
                      " VARCHAR(64) NOT NULL DEFAULT '', " + cols.domain +
                      " VARCHAR(64) NOT NULL DEFAULT '', password VARCHAR(64) NOT NULL DEFAULT '', "
                      "ha1 VARCHAR(128) NOT NULL DEFAULT '', ha1b VARCHAR(128) NOT NULL DEFAULT ''";
    for (const std::string& c : {cols.password, cols.password2}) {
        if (c != "password" && c != "ha1" && c != "ha1b")
            sql += ", " + c + " VARCHAR(128) NOT NULL DEFAULT ''";
    }
    sql += ", CONSTRAINT " + t + "_account_idx UNIQUE (" + cols.user + ", " + cols.domain +
           ")); CREATE INDEX IF NOT EXISTS " + t + "_username_idx ON " + t + " (" + cols.user +
           ");";
    return conn.exec(sql, error);
}

void SubscriberDb::drop() {
    for (Prepared& p : prepared_) p = Prepared{};
    conn_.close();
}

db::SqliteStmt* SubscriberDb::statement(std::string_view table, bool withDomain,
                                        std::string* error) {
    for (Prepared& p : prepared_)
        if (p.stmt && p.withDomain == withDomain && p.table == table) return &p.stmt;
    if (!db::isSqlName(table)) {
        *error = "'" + std::string(table) + "' is not a table name";
        return nullptr;
    }
    if (!conn_.isOpen()) {
        db::OpenOptions o;
        o.create = false;  // the master created the schema; a vanished file is an error
        o.wal = false;     // the file is WAL already; a reader does not switch modes
        o.busyTimeoutMs = busyTimeoutMs_;
        if (!conn_.open(url_, o, error)) return nullptr;
    }
    std::string sql = "SELECT " + cols_.password + ", " + cols_.password2 + " FROM " +
                      std::string(table) + " WHERE " + cols_.user + " = ?1";
    if (withDomain) sql += " AND " + cols_.domain + " = ?2";
    sql += " LIMIT 1";
    Prepared& slot = prepared_[nextSlot_];
    nextSlot_ = (nextSlot_ + 1) % kPrepared;
    slot.stmt = conn_.prepare(sql, error);
    if (!slot.stmt) return nullptr;
    slot.table.assign(table);
    slot.withDomain = withDomain;
    return &slot.stmt;
}

Lookup SubscriberDb::find(std::string_view table, std::string_view user, std::string_view domain,
                          SubscriberRow& out, std::string* error) {
    db::SqliteStmt* st = statement(table, !domain.empty(), error);
    if (st == nullptr) {
        drop();
        return Lookup::Error;
    }
    st->bindText(1, user);
    if (!domain.empty()) st->bindText(2, domain);
    Lookup result = Lookup::NotFound;
    switch (st->step()) {
        case db::Step::Row:
            out.password.assign(st->text(0));
            out.password2.assign(st->text(1));
            result = Lookup::Found;
            break;
        case db::Step::Done:
            break;
        case db::Step::Error:
            *error = conn_.lastError();
            result = Lookup::Error;
            break;
    }
    st->reset();
    if (result == Lookup::Error) drop();  // reopened on the next lookup
    return result;
}

}  // namespace osprey::authdb
