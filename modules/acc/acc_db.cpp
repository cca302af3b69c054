// AccDb: acc records into SQLite.
#include "modules/acc/acc_db.h"

#include <ctime>

#include "core/db/record_ring.h"
#include "core/db/sql_name.h"
#include "core/db/transaction.h"
#include "modules/acc/acc_record.h"

namespace osprey::acc {

namespace {

// Kamailio writes `time` as a DATETIME in local time.
std::string_view datetime(std::string_view epochText, char (&buf)[32]) {
    time_t t = 0;
    for (char c : epochText) {
        if (c < '0' || c > '9') break;
        t = t * 10 + (c - '0');
    }
    tm parts{};
    localtime_r(&t, &parts);
    const size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
    return {buf, n};
}

}  // namespace

bool ensureAccTable(db::SqliteConn& conn, std::string_view table,
                    const std::vector<std::string>& extras, std::string* error) {
    if (!db::isSqlName(table)) {
        *error = "'" + std::string(table) + "' is not a table name";
        return false;
    }
    const std::string t(table);
    std::string sql = "CREATE TABLE IF NOT EXISTS " + t +
                      " (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                      "method VARCHAR(16) NOT NULL DEFAULT '', "
                      "from_tag VARCHAR(128) NOT NULL DEFAULT '', "
                      "to_tag VARCHAR(128) NOT NULL DEFAULT '', "
                      "callid VARCHAR(255) NOT NULL DEFAULT '', "
                      "sip_code VARCHAR(3) NOT NULL DEFAULT '', "
                      "sip_reason VARCHAR(128) NOT NULL DEFAULT '', "
                      "time DATETIME NOT NULL";
    for (const std::string& e : extras) sql += ", " + e + " VARCHAR(255) NOT NULL DEFAULT ''";
    sql += "); CREATE INDEX IF NOT EXISTS " + t + "_callid_idx ON " + t + " (callid);";
    if (!conn.exec(sql, error)) return false;
    // An existing table made with fewer extras gets the missing columns.
    db::SqliteStmt info = conn.prepare("PRAGMA table_info(" + t + ")", error);
    if (!info) return false;
    std::vector<std::string> have;
    while (info.step() == db::Step::Row) have.emplace_back(info.text(1));
    for (const std::string& e : extras) {
        bool found = false;
        for (const std::string& h : have) found = found || h == e;
        if (!found && !conn.exec("ALTER TABLE " + t + " ADD COLUMN " + e +
                                     " VARCHAR(255) NOT NULL DEFAULT ''",
                                 error))
            return false;
    }
    return true;
}

bool AccDb::open(std::string* error) {
    inserts_.clear();
    return conn_.open(url_, db::OpenOptions{}, error);
}

void AccDb::close() {
    inserts_.clear();
    conn_.close();
}

db::SqliteStmt* AccDb::insertFor(std::string_view table, std::string* error) {
    for (auto& i : inserts_)
        if (i->table == table) return &i->stmt;
    if (!ensureAccTable(conn_, table, extras_, error)) return nullptr;
    std::string sql = "INSERT INTO " + std::string(table) +
                      " (time, method, from_tag, to_tag, callid, sip_code, sip_reason";
    for (const std::string& e : extras_) sql += ", " + e;
    sql += ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7";
    for (size_t i = 0; i < extras_.size(); ++i) sql += ", ?" + std::to_string(8 + i);
    sql += ")";
    auto ins = std::make_unique<Insert>();
    ins->table = std::string(table);
    ins->stmt = conn_.prepare(sql, error);
    if (!ins->stmt) return nullptr;
    inserts_.push_back(std::move(ins));
    return &inserts_.back()->stmt;
}

bool AccDb::write(const std::vector<char>& drained, size_t* written, std::string* error) {
    *written = 0;
    if (!conn_.isOpen() && !open(error)) return false;
    // Tables are made (and statements prepared) before the transaction: DDL inside it would
    // hold the write lock longer.
    const char* p = drained.data();
    const char* end = p + drained.size();
    const char* rec;
    uint32_t len;
    Record r;
    while (db::RecordRing::next(p, end, &rec, &len)) {
        if (decodeRecord({rec, len}, r) && r.count >= kCoreFields &&
            insertFor(r.fields[0], error) == nullptr) {
            close();
            return false;
        }
    }
    db::Transaction tx(conn_, error);
    if (!tx.ok()) {
        close();
        return false;
    }
    size_t n = 0;
    p = drained.data();
    while (db::RecordRing::next(p, end, &rec, &len)) {
        if (!decodeRecord({rec, len}, r) || r.count < kCoreFields) continue;  // cannot happen
        db::SqliteStmt* st = insertFor(r.fields[0], error);
        char when[32];
        st->bindText(1, datetime(r.fields[1], when));
        for (unsigned i = 2; i < kCoreFields; ++i) st->bindText(static_cast<int>(i), r.fields[i]);
        for (size_t i = 0; i < extras_.size(); ++i) {
            const unsigned f = kCoreFields + static_cast<unsigned>(i);
            st->bindText(static_cast<int>(8 + i), f < r.count ? r.fields[f] : std::string_view());
        }
        const bool ok = st->run();
        st->reset();
        if (!ok) {
            *error = conn_.lastError();
            close();  // tx's rollback runs on a closed connection: nothing was committed
            return false;
        }
        ++n;
    }
    if (!tx.commit(error)) {
        close();
        return false;
    }
    *written = n;
    return true;
}

}  // namespace osprey::acc
