// Reading destination rows from the list file or the database table (ds_source.h).
#include "modules/dispatcher/ds_source.h"

#include <charconv>
#include <fstream>

#include "core/db/sqlite_conn.h"

namespace osprey::dispatcher {

namespace {

bool parseNumber(std::string_view t, int64_t* out) {
    int base = 10;
    bool neg = false;
    if (!t.empty() && t[0] == '-') {
        neg = true;
        t.remove_prefix(1);
    }
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        t.remove_prefix(2);
    }
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size()) return false;
    *out = neg ? -v : v;
    return true;
}

std::string_view nextToken(std::string_view& line) {
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    std::string_view tok = line.substr(i, j - i);
    line.remove_prefix(j);
    return tok;
}

bool checkRow(const Row& r, std::string* why) {
    if (r.setid < 0) {
        *why = "set id " + std::to_string(r.setid) + " is negative";
        return false;
    }
    if ((r.flags & ~uint32_t{63}) != 0) {
        *why = "flags " + std::to_string(r.flags) + " has unknown bits (known: 1..32)";
        return false;
    }
    return true;
}

}  // namespace

bool readListFile(const std::string& path, std::vector<Row>* rows, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        *error = path + ": cannot open";
        return false;
    }
    std::string text;
    unsigned lineNo = 0;
    while (std::getline(in, text)) {
        ++lineNo;
        std::string_view line = text;
        if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string where = path + ":" + std::to_string(lineNo);
        std::string_view setTok = nextToken(line);
        if (setTok.empty()) continue;
        Row r;
        r.where = where;
        int64_t v = 0;
        if (!parseNumber(setTok, &v) || v > INT32_MAX) {
            *error = where + ": set id '" + std::string(setTok) + "' is not a number";
            return false;
        }
        r.setid = static_cast<int32_t>(v);
        const std::string_view uri = nextToken(line);
        if (uri.empty()) {
            *error = where + ": destination missing after the set id";
            return false;
        }
        r.uri = std::string(uri);
        if (std::string_view t = nextToken(line); !t.empty()) {
            if (!parseNumber(t, &v) || v < 0 || v > UINT32_MAX) {
                *error = where + ": flags '" + std::string(t) + "' is not a number";
                return false;
            }
            r.flags = static_cast<uint32_t>(v);
        }
        if (std::string_view t = nextToken(line); !t.empty()) {
            if (!parseNumber(t, &v) || v < INT32_MIN || v > INT32_MAX) {
                *error = where + ": priority '" + std::string(t) + "' is not a number";
                return false;
            }
            r.priority = static_cast<int32_t>(v);
        }
        if (std::string_view t = nextToken(line); !t.empty()) r.attrs = std::string(t);
        if (std::string_view t = nextToken(line); !t.empty()) {
            *error = where + ": unexpected '" + std::string(t) + "' after the attributes";
            return false;
        }
        std::string why;
        if (!checkRow(r, &why)) {
            *error = where + ": " + why;
            return false;
        }
        rows->push_back(std::move(r));
    }
    return true;
}

bool readListTable(const std::string& dbUrl, const std::string& table, std::vector<Row>* rows,
                   std::string* error) {
    db::SqliteConn conn;
    db::OpenOptions opts;
    std::string why;
    if (!conn.open(dbUrl, opts, &why)) {
        *error = dbUrl + ": " + why;
        return false;
    }
    // Kamailio's schema, so a table exported from a Kamailio database loads unchanged.
    if (!conn.exec("CREATE TABLE IF NOT EXISTS " + table +
                       " (id INTEGER PRIMARY KEY AUTOINCREMENT, setid INTEGER NOT NULL DEFAULT 0,"
                       " destination VARCHAR(192) NOT NULL DEFAULT '', flags INTEGER NOT NULL "
                       "DEFAULT 0, priority INTEGER NOT NULL DEFAULT 0, attrs VARCHAR(198) NOT "
                       "NULL DEFAULT '', description VARCHAR(64) NOT NULL DEFAULT '')",
                   &why)) {
        *error = dbUrl + ": " + why;
        return false;
    }
    db::SqliteStmt st = conn.prepare(
        "SELECT id, setid, destination, flags, priority, attrs FROM " + table + " ORDER BY id",
        &why);
    if (!st) {
        *error = dbUrl + ": " + why;
        return false;
    }
    for (;;) {
        const db::Step s = st.step();
        if (s == db::Step::Done) break;
        if (s == db::Step::Error) {
            *error = dbUrl + ": " + conn.lastError();
            return false;
        }
        Row r;
        r.where = table + " table row id " + std::to_string(st.integer(0));
        r.setid = static_cast<int32_t>(st.integer(1));
        r.uri = std::string(st.text(2));
        r.flags = static_cast<uint32_t>(st.integer(3));
        r.priority = static_cast<int32_t>(st.integer(4));
        r.attrs = st.isNull(5) ? std::string() : std::string(st.text(5));
        if (r.uri.empty()) {
            *error = r.where + ": empty destination";
            return false;
        }
        if (!checkRow(r, &why)) {
            *error = r.where + ": " + why;
            return false;
        }
        rows->push_back(std::move(r));
    }
    return true;
}

}  // namespace osprey::dispatcher
