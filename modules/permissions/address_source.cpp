// Loading the address rows (address_source.h).
#include "modules/permissions/address_source.h"

#include <charconv>
#include <fstream>
#include <string_view>

#include "core/db/sql_name.h"
#include "core/db/sqlite_conn.h"
#include "core/db/sqlite_stmt.h"

namespace osprey::permissions {

namespace {

std::vector<std::string_view> tokens(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
        if (j > i) out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

template <class T>
bool number(std::string_view s, T* out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

bool loadAddressFile(const std::string& path, std::vector<AddressRow>* rows, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        *error = "cannot open address file " + path;
        return false;
    }
    std::string line;
    int64_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        std::string_view v(line);
        if (size_t hash = v.find('#'); hash != std::string_view::npos) v = v.substr(0, hash);
        const std::vector<std::string_view> t = tokens(v);
        if (t.empty()) continue;
        const std::string where = path + ":" + std::to_string(lineNo) + ": ";
        AddressRow r;
        r.id = lineNo;
        int64_t group = 0;
        if (t.size() < 2 || t.size() > 5 || !number(t[0], &group) || group < 0 ||
            group > UINT32_MAX) {
            *error = where + "expected \"group address [mask [port [tag]]]\"";
            return false;
        }
        r.group = static_cast<uint32_t>(group);
        r.ip = std::string(t[1]);
        if (t.size() > 2 && (!number(t[2], &r.mask) || r.mask < 0 || r.mask > 128)) {
            *error = where + "bad mask '" + std::string(t[2]) + "'";
            return false;
        }
        int port = 0;
        if (t.size() > 3 && (!number(t[3], &port) || port < 0 || port > 65535)) {
            *error = where + "bad port '" + std::string(t[3]) + "'";
            return false;
        }
        r.port = static_cast<uint16_t>(port);
        if (t.size() > 4) r.tag = std::string(t[4]);
        rows->push_back(std::move(r));
    }
    return true;
}

bool createAddressSchema(const std::string& dbUrl, const std::string& table, std::string* error) {
    if (!db::isSqlName(table)) {
        *error = "address_table '" + table + "' is not a plain table name";
        return false;
    }
    db::SqliteConn conn;
    db::OpenOptions o;
    if (!conn.open(dbUrl, o, error)) return false;
    return conn.exec("CREATE TABLE IF NOT EXISTS " + table +
                         " (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                         " grp INTEGER DEFAULT 1 NOT NULL,"
                         " ip_addr VARCHAR(50) NOT NULL,"
                         " mask INTEGER DEFAULT 32 NOT NULL,"
                         " port SMALLINT DEFAULT 0 NOT NULL,"
                         " tag VARCHAR(64))",
                     error);
}

bool loadAddressDb(const std::string& dbUrl, const std::string& table,
                   std::vector<AddressRow>* rows, std::string* error) {
    if (!db::isSqlName(table)) {
        *error = "address_table '" + table + "' is not a plain table name";
        return false;
    }
    db::SqliteConn conn;
    db::OpenOptions o;
    o.create = false;
    o.readOnly = true;
    if (!conn.open(dbUrl, o, error)) return false;
    db::SqliteStmt st = conn.prepare(
        "SELECT id, grp, ip_addr, mask, port, tag FROM " + table + " ORDER BY id", error);
    if (!st) return false;
    for (;;) {
        const db::Step s = st.step();
        if (s == db::Step::Done) return true;
        if (s == db::Step::Error) {
            *error = conn.lastError();
            return false;
        }
        AddressRow r;
        r.id = st.integer(0);
        const int64_t grp = st.integer(1);
        const int64_t mask = st.isNull(3) ? 32 : st.integer(3);
        const int64_t port = st.integer(4);
        if (grp < 0 || grp > UINT32_MAX || mask < 0 || mask > 128 || port < 0 || port > 65535) {
            *error = table + " row " + std::to_string(r.id) + ": grp, mask or port out of range";
            return false;
        }
        r.group = static_cast<uint32_t>(grp);
        r.ip = std::string(st.text(2));
        r.mask = static_cast<int>(mask);
        r.port = static_cast<uint16_t>(port);
        if (!st.isNull(5)) r.tag = std::string(st.text(5));
        rows->push_back(std::move(r));
    }
}

}  // namespace osprey::permissions
