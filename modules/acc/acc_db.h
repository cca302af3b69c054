// The database side of acc, used only by the acc writer process (and the master, for the
// schema): Kamailio's acc / missed_calls tables (id, method, from_tag, to_tag, callid,
// sip_code, sip_reason, time, then one column per db_extra attribute) in SQLite. Records
// drained from the ring are written in one transaction; a table named by acc_db_request that
// does not exist yet is created on first use.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/db/sqlite_conn.h"

namespace osprey::acc {

// CREATE TABLE IF NOT EXISTS with the core columns and `extras`; adds extra columns an older
// table lacks (Kamailio asks for ALTER TABLE by hand when log/db_extra grow).
bool ensureAccTable(db::SqliteConn& conn, std::string_view table,
                    const std::vector<std::string>& extras, std::string* error);

class AccDb {
public:
    void configure(std::string url, std::vector<std::string> extras) {
        url_ = std::move(url);
        extras_ = std::move(extras);
    }
    bool isOpen() const { return conn_.isOpen(); }
    bool open(std::string* error);
    void close();

    // Writes every record of a drained ring buffer (u32 length + record, repeated) in one
    // transaction. False (nothing written, connection closed) on a database error.
    bool write(const std::vector<char>& drained, size_t* written, std::string* error);

private:
    struct Insert {
        std::string table;
        db::SqliteStmt stmt;
    };
    db::SqliteStmt* insertFor(std::string_view table, std::string* error);

    std::string url_;
    std::vector<std::string> extras_;
    db::SqliteConn conn_;
    std::vector<std::unique_ptr<Insert>> inserts_;
};

}  // namespace osprey::acc
