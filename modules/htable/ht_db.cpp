// SQLite load and save of htable tables (ht_db.h).
#include "modules/htable/ht_db.h"

#include <charconv>
#include <map>
#include <vector>

#include "core/db/db_url.h"
#include "core/db/sqlite_conn.h"
#include "core/db/transaction.h"
#include "core/log/log.h"
#include "modules/htable/ht_state.h"

namespace osprey::htable {

namespace {

bool open(db::SqliteConn& conn, std::string* error) {
    const Settings& s = settings();
    if (s.dbUrl.empty()) {
        *error = "no db_url";
        return false;
    }
    db::OpenOptions o;
    return conn.open(s.dbUrl, o, error);
}

std::string columns() {
    const Settings& s = settings();
    return s.keyNameColumn + ", " + s.keyTypeColumn + ", " + s.valueTypeColumn + ", " +
           s.keyValueColumn + ", " + s.expiresColumn;
}

bool ensure(db::SqliteConn& conn, Table* t, std::string* error) {
    const Settings& s = settings();
    const std::string sql =
        "CREATE TABLE IF NOT EXISTS " + std::string(tableDbtable(t)) +
        " (id INTEGER PRIMARY KEY NOT NULL, " + s.keyNameColumn +
        " VARCHAR(64) DEFAULT '' NOT NULL, " + s.keyTypeColumn + " INTEGER DEFAULT 0 NOT NULL, " +
        s.valueTypeColumn + " INTEGER DEFAULT 0 NOT NULL, " + s.keyValueColumn +
        " VARCHAR(128) DEFAULT '' NOT NULL, " + s.expiresColumn + " INTEGER DEFAULT 0 NOT NULL)";
    return conn.exec(sql, error);
}

bool withExpires(const Table* t) {
    return settings().dbExpires != 0 && tableAutoexpire(t) > 0;
}

}  // namespace

bool dbEnsureSchema(Table* t, std::string* error) {
    db::SqliteConn conn;
    return open(conn, error) && ensure(conn, t, error);
}

bool dbLoad(Table* t, Table* into, std::string* error) {
    db::SqliteConn conn;
    if (!open(conn, error) || !ensure(conn, t, error)) return false;
    db::SqliteStmt st = conn.prepare(
        "SELECT " + columns() + " FROM " + std::string(tableDbtable(t)) + " ORDER BY id", error);
    if (!st) return false;
    const int64_t now = nowSec();
    const bool expires = withExpires(t);
    std::map<std::string, int64_t, std::less<>> arrays;  // name -> elements so far
    std::string key;
    size_t rows = 0;
    for (;;) {
        const db::Step r = st.step();
        if (r == db::Step::Done) break;
        if (r == db::Step::Error) {
            *error = conn.lastError();
            return false;
        }
        const std::string_view name = st.text(0);
        const int64_t keyType = st.integer(1);
        const int64_t valueType = st.integer(2);
        const std::string_view value = st.text(3);
        const int64_t exp = expires ? st.integer(4) : 0;
        if (exp > 0 && exp < now) continue;  // expired while stored
        key.assign(name);
        if (keyType == 1) {
            auto it = arrays.try_emplace(std::string(name), 0).first;
            key += "[" + std::to_string(it->second++) + "]";
        }
        bool ok;
        if (valueType == 1) {
            int64_t n = 0;
            const auto conv = std::from_chars(value.data(), value.data() + value.size(), n);
            if (conv.ec != std::errc() || conv.ptr != value.data() + value.size()) {
                LM_WARN("htable: %s: key '%s': value '%.*s' is not an integer, loaded as 0",
                        std::string(tableDbtable(t)).c_str(), key.c_str(),
                        static_cast<int>(value.size()), value.data());
            }
            ok = tableSetInt(into, key, n, now);
        } else {
            ok = tableSetStr(into, key, value, now);
        }
        if (ok && exp > 0) ok = tableSetExpire(into, key, exp - now, now);
        if (!ok) {
            *error = "out of shared memory at key '" + key + "'";
            return false;
        }
        ++rows;
    }
    for (const auto& [name, count] : arrays) {
        if (!tableSetInt(into, name + settings().arraySizeSuffix, count, now)) {
            *error = "out of shared memory";
            return false;
        }
    }
    LM_INFO("htable: loaded %zu rows of %s into table %s", rows,
            std::string(tableDbtable(t)).c_str(), std::string(tableName(t)).c_str());
    return true;
}

bool dbSave(Table* t, std::string* error) {
    db::SqliteConn conn;
    if (!open(conn, error) || !ensure(conn, t, error)) return false;
    db::Transaction tx(conn, error);
    if (!tx.ok()) return false;
    const std::string table(tableDbtable(t));
    if (!conn.exec("DELETE FROM " + table, error)) return false;
    db::SqliteStmt ins = conn.prepare(
        "INSERT INTO " + table + " (" + columns() + ") VALUES (?1, 0, ?2, ?3, ?4)", error);
    if (!ins) return false;
    // Each bucket is copied out under its lock and written after: no lock is held across a
    // database call (htable.store runs while the workers use the table).
    struct Row {
        std::string key;
        bool isStr;
        std::string value;
        int64_t expire;
    };
    std::vector<Row> rows;
    const bool expires = withExpires(t);
    const int64_t now = nowSec();
    size_t written = 0;
    for (size_t b = 0; b < tableBuckets(t); ++b) {
        rows.clear();
        tableVisitBucket(
            t, b, now,
            [](void* u, const CellView& c) {
                static_cast<std::vector<Row>*>(u)->push_back(
                    Row{std::string(c.key), c.isStr,
                        c.isStr ? std::string(c.str) : std::to_string(c.num), c.expire});
            },
            &rows);
        for (const Row& r : rows) {
            ins.reset();
            ins.bindText(1, r.key);
            ins.bindInt(2, r.isStr ? 0 : 1);
            ins.bindText(3, r.value);
            ins.bindInt(4, expires ? r.expire : 0);
            if (!ins.run()) {
                *error = conn.lastError();
                return false;
            }
            ++written;
        }
    }
    if (!tx.commit(error)) return false;
    LM_INFO("htable: saved %zu rows of table %s to %s", written, std::string(tableName(t)).c_str(),
            table.c_str());
    return true;
}

}  // namespace osprey::htable
