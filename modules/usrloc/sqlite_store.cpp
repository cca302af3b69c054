// SqliteStore: the SQLite side of usrloc persistence.
#include "modules/usrloc/sqlite_store.h"

#include <sqlite3.h>

namespace osprey::usrloc {

namespace {

std::string_view colText(sqlite3_stmt* st, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return p != nullptr ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, i)))
                        : std::string_view();
}

void bindText(sqlite3_stmt* st, int i, std::string_view s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_STATIC);  // the records outlive the step
}

}  // namespace

SqliteStore::~SqliteStore() {
    close();
}

void SqliteStore::close() {
    for (sqlite3_stmt* st : upsert_) sqlite3_finalize(st);
    for (sqlite3_stmt* st : delete_) sqlite3_finalize(st);
    upsert_.clear();
    delete_.clear();
    sqlite3_finalize(begin_);
    sqlite3_finalize(commit_);
    begin_ = commit_ = nullptr;
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
}

std::string SqliteStore::lastError() const {
    return db_ != nullptr ? sqlite3_errmsg(db_) : "no database";
}

bool SqliteStore::exec(const char* sql, std::string* error) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    *error = msg != nullptr ? msg : lastError();
    sqlite3_free(msg);
    return false;
}

bool SqliteStore::open(const std::string& path, const std::vector<std::string>& tables,
                       std::string* error) {
    close();
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        *error = lastError();
        close();
        return false;
    }
    sqlite3_busy_timeout(db_, 2000);
    // Write-through commits a few bindings at a time, each in another page: what a commit costs
    // is the pages it appends to the WAL. So small pages (a new file only; WAL fixes the size),
    // one b-tree per table (WITHOUT ROWID: no separate key index to update), checkpoints every
    // 8 MiB of WAL rather than every 4 MiB (a hot page is copied back once per checkpoint, and
    // each checkpoint costs two fsyncs) and a cache that keeps the tree in memory.
    // WAL + NORMAL: a commit is durable against a crash of the process (not of the machine's
    // power), at one fsync per checkpoint instead of per transaction. FULL: fsync per commit.
    if (!exec("PRAGMA page_size=1024; PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=8192;",
              error) ||
        !exec(fullSync_ ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
              error)) {
        close();
        return false;
    }
    // Prepared once: a write-through commit is a few rows, so parsing BEGIN and COMMIT each time
    // would be a visible part of it.
    if (sqlite3_prepare_v2(db_, "BEGIN", -1, &begin_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "COMMIT", -1, &commit_, nullptr) != SQLITE_OK) {
        *error = lastError();
        close();
        return false;
    }
    for (const std::string& t : tables) {
        const std::string sql =
            "CREATE TABLE IF NOT EXISTS " + t +
            " (aor TEXT NOT NULL, contact TEXT NOT NULL, expires INTEGER, "
            "q INTEGER, callid TEXT, cseq INTEGER, path TEXT, received TEXT, "
            "user_agent TEXT, instance TEXT, reg_id INTEGER, flags INTEGER, "
            "last_modified INTEGER, socket TEXT, PRIMARY KEY (aor, contact)) WITHOUT ROWID";
        sqlite3_stmt* up = nullptr;
        sqlite3_stmt* del = nullptr;
        const std::string ups =
            "INSERT OR REPLACE INTO " + t +
            " (aor, contact, expires, q, callid, cseq, path, received, "
            "user_agent, instance, reg_id, flags, last_modified, socket) VALUES "
            "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)";
        const std::string dels = "DELETE FROM " + t + " WHERE aor=?1 AND contact=?2";
        if (!exec(sql.c_str(), error) || !addSocketColumn(t, error) ||
            sqlite3_prepare_v2(db_, ups.c_str(), -1, &up, nullptr) != SQLITE_OK ||
            sqlite3_prepare_v2(db_, dels.c_str(), -1, &del, nullptr) != SQLITE_OK) {
            if (error->empty()) *error = lastError();
            sqlite3_finalize(up);
            sqlite3_finalize(del);
            close();
            return false;
        }
        upsert_.push_back(up);
        delete_.push_back(del);
    }
    return true;
}

bool SqliteStore::load(const std::string& table, int64_t nowSec,
                       const std::function<void(std::string_view, const ContactData&)>& fn,
                       std::string* error) {
    const std::string sql =
        "SELECT aor, contact, expires, q, callid, cseq, path, received, user_agent, instance, "
        "reg_id, flags, last_modified, socket FROM " +
        table + " WHERE expires > ?1";
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        *error = lastError();
        return false;
    }
    sqlite3_bind_int64(st, 1, nowSec);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ContactData c;
        c.uri = colText(st, 1);
        c.expires = sqlite3_column_int64(st, 2);
        c.q = sqlite3_column_int(st, 3);
        c.callId = colText(st, 4);
        c.cseq = static_cast<uint32_t>(sqlite3_column_int64(st, 5));
        c.path = colText(st, 6);
        c.received = colText(st, 7);
        c.userAgent = colText(st, 8);
        c.instance = colText(st, 9);
        c.regId = static_cast<uint32_t>(sqlite3_column_int64(st, 10));
        c.flags = static_cast<uint32_t>(sqlite3_column_int64(st, 11));
        c.lastModified = sqlite3_column_int64(st, 12);
        c.socket = colText(st, 13);
        fn(colText(st, 0), c);
    }
    if (rc != SQLITE_DONE) *error = lastError();
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

bool SqliteStore::apply(std::string_view records, const std::vector<std::string>& tables,
                        size_t* written, std::string* error) {
    *written = 0;
    if (!stepOnce(begin_, error)) return false;
    Change ch;
    while (ChangeRing::next(records, ch)) {
        if (ch.op == ChangeOp::Reply) continue;    // sent by the writer after the commit
        if (ch.op == ChangeOp::Expired) continue;  // the redis store's only
        if (ch.table >= tables.size() || ch.table >= upsert_.size()) continue;
        sqlite3_stmt* st = ch.op == ChangeOp::Upsert ? upsert_[ch.table] : delete_[ch.table];
        sqlite3_reset(st);
        bindText(st, 1, ch.aor);
        bindText(st, 2, ch.c.uri);
        if (ch.op == ChangeOp::Upsert) {
            sqlite3_bind_int64(st, 3, ch.c.expires);
            sqlite3_bind_int(st, 4, ch.c.q);
            bindText(st, 5, ch.c.callId);
            sqlite3_bind_int64(st, 6, ch.c.cseq);
            bindText(st, 7, ch.c.path);
            bindText(st, 8, ch.c.received);
            bindText(st, 9, ch.c.userAgent);
            bindText(st, 10, ch.c.instance);
            sqlite3_bind_int64(st, 11, ch.c.regId);
            sqlite3_bind_int64(st, 12, ch.c.flags);
            sqlite3_bind_int64(st, 13, ch.c.lastModified);
            bindText(st, 14, ch.c.socket);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            *error = lastError();
            sqlite3_reset(st);
            std::string ignored;
            exec("ROLLBACK", &ignored);
            return false;
        }
        ++*written;
    }
    if (stepOnce(commit_, error)) return true;
    std::string ignored;
    exec("ROLLBACK", &ignored);  // a failed COMMIT (SQLITE_BUSY) leaves the transaction open
    return false;
}

// A database written before bindings kept their socket lacks that column: add it (empty for the
// rows already there).
bool SqliteStore::addSocketColumn(const std::string& table, std::string* error) {
    const std::string probe = "SELECT socket FROM " + table + " LIMIT 0";
    sqlite3_stmt* st = nullptr;
    const bool has = sqlite3_prepare_v2(db_, probe.c_str(), -1, &st, nullptr) == SQLITE_OK;
    sqlite3_finalize(st);
    if (has) return true;
    const std::string alter = "ALTER TABLE " + table + " ADD COLUMN socket TEXT";
    return exec(alter.c_str(), error);
}

bool SqliteStore::stepOnce(sqlite3_stmt* st, std::string* error) {
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) *error = lastError();
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

bool SqliteStore::purgeExpired(const std::vector<std::string>& tables, int64_t nowSec,
                               std::string* error) {
    for (const std::string& t : tables) {
        const std::string sql = "DELETE FROM " + t + " WHERE expires <= " + std::to_string(nowSec);
        if (!exec(sql.c_str(), error)) return false;
    }
    return true;
}

}  // namespace osprey::usrloc
