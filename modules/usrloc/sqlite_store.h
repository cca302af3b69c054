// The usrloc database (db_url "sqlite:///path/file.db"): one SQLite table per usrloc table,
// named like it (Kamailio's "location"), one row per binding keyed by (aor, contact), expiry
// stored as absolute wall-clock seconds so a restart keeps the remaining time.
//
// Durability (WAL journal): with synchronous=NORMAL (the default) a committed transaction is in
// the WAL file, i.e. in the kernel's page cache, when COMMIT returns: it survives any crash or
// kill -9 of osprey's processes, not a power loss or kernel crash (which may lose the last
// transactions, never corrupt the file). setFullSync(true) selects synchronous=FULL: the WAL is
// fsync'ed at every commit, so a commit survives power loss too, at one fsync per transaction
// (per group commit batch in write-through mode).
//
// Used by the master (load at start-up, final flush at shutdown) and the usrloc process
// (writes); never by SIP workers. Errors are returned as text for the caller to log.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/usrloc/change_ring.h"

struct sqlite3;
struct sqlite3_stmt;

namespace osprey::usrloc {

class SqliteStore {
public:
    SqliteStore() = default;
    ~SqliteStore();
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    // synchronous=FULL instead of NORMAL from the next open() on.
    void setFullSync(bool on) { fullSync_ = on; }
    // Opens (creating the file if needed), sets WAL and creates the tables.
    bool open(const std::string& path, const std::vector<std::string>& tables, std::string* error);
    bool isOpen() const { return db_ != nullptr; }
    void close();

    // Calls fn for every row of `table` whose expiry is after nowSec.
    bool load(const std::string& table, int64_t nowSec,
              const std::function<void(std::string_view aor, const ContactData&)>& fn,
              std::string* error);

    // Writes drained ring records (ChangeRing::drain format) in one transaction; tables[i] is
    // the name of table index i. Returns the number of changes written.
    bool apply(std::string_view records, const std::vector<std::string>& tables, size_t* written,
               std::string* error);

    // Deletes rows expired at nowSec from every table.
    bool purgeExpired(const std::vector<std::string>& tables, int64_t nowSec, std::string* error);

private:
    bool exec(const char* sql, std::string* error);
    bool stepOnce(sqlite3_stmt* st, std::string* error);  // a prepared statement without rows
    bool addSocketColumn(const std::string& table, std::string* error);
    std::string lastError() const;

    sqlite3* db_ = nullptr;
    bool fullSync_ = false;
    std::vector<sqlite3_stmt*> upsert_;  // per table index
    std::vector<sqlite3_stmt*> delete_;
    sqlite3_stmt* begin_ = nullptr;
    sqlite3_stmt* commit_ = nullptr;
};

}  // namespace osprey::usrloc
