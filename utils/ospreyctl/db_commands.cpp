// ospreyctl's subscriber and address commands.
#include "utils/ospreyctl/db_commands.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <libconfig.h++>

#include "core/db/sqlite_conn.h"

namespace osprey::ctl {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::string md5Hex(const std::string& s) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(s.data(), s.size(), out, &n, EVP_md5(), nullptr);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < n; ++i) {
        hex += kHex[out[i] >> 4];
        hex += kHex[out[i] & 15];
    }
    return hex;
}

// The db_url parameter of `module` in the config file; "" when there is none.
std::string dbUrlFromConfig(const std::string& file, const char* module) {
    libconfig::Config cfg;
    try {
        cfg.readFile(file.c_str());
        const libconfig::Setting& mods = cfg.lookup("modules");
        for (int i = 0; i < mods.getLength(); ++i) {
            std::string name, url;
            if (!mods[i].lookupValue("name", name) || name != module) continue;
            if (mods[i].exists("params") && mods[i]["params"].lookupValue("db_url", url))
                return url;
        }
    } catch (const libconfig::ConfigException&) {
    }
    return "";
}

bool openDb(const DbCommandOptions& o, const char* module, db::SqliteConn& conn) {
    std::string url = o.dbUrl.empty() ? dbUrlFromConfig(o.configFile, module) : o.dbUrl;
    if (url.empty()) {
        fprintf(stderr,
                "ospreyctl: no database: give -d sqlite:///path.db or set db_url of %s "
                "in %s\n",
                module, o.configFile.c_str());
        return false;
    }
    std::string error;
    if (!conn.open(url, db::OpenOptions{}, &error)) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return false;
    }
    return true;
}

bool splitAor(const std::string& aor, std::string* user, std::string* domain) {
    std::string a = aor.rfind("sip:", 0) == 0 ? aor.substr(4) : aor;
    const size_t at = a.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == a.size()) {
        fprintf(stderr, "ospreyctl: '%s' is not user@domain\n", aor.c_str());
        return false;
    }
    *user = a.substr(0, at);
    *domain = a.substr(at + 1);
    return true;
}

// Kamailio's subscriber schema (auth_db creates the same at start).
constexpr const char* kSubscriberSchema =
    "CREATE TABLE IF NOT EXISTS subscriber (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "username VARCHAR(64) NOT NULL DEFAULT '', domain VARCHAR(64) NOT NULL DEFAULT '', "
    "password VARCHAR(64) NOT NULL DEFAULT '', ha1 VARCHAR(128) NOT NULL DEFAULT '', "
    "ha1b VARCHAR(128) NOT NULL DEFAULT '', "
    "CONSTRAINT subscriber_account_idx UNIQUE (username, domain)); "
    "CREATE INDEX IF NOT EXISTS subscriber_username_idx ON subscriber (username);";

// Kamailio's address schema (permissions).
constexpr const char* kAddressSchema =
    "CREATE TABLE IF NOT EXISTS address (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "grp INTEGER NOT NULL DEFAULT 1, ip_addr VARCHAR(50) NOT NULL, "
    "mask INTEGER NOT NULL DEFAULT 32, port SMALLINT NOT NULL DEFAULT 0, tag VARCHAR(64));";

bool run(db::SqliteConn& c, const std::string& sql, std::initializer_list<std::string> args,
         int* changed = nullptr) {
    std::string error;
    db::SqliteStmt st = c.prepare(sql, &error);
    if (!st) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return false;
    }
    int i = 1;
    for (const std::string& a : args) st.bindText(i++, a);
    if (!st.run()) {
        fprintf(stderr, "ospreyctl: %s\n", c.lastError().c_str());
        return false;
    }
    if (changed != nullptr) *changed = c.changes();
    return true;
}

int subscriber(const std::vector<std::string>& w, const DbCommandOptions& o) {
    const std::string sub = w.size() > 1 ? w[1] : "";
    const bool needsPw = sub == "add" || sub == "passwd";
    if (!((needsPw && w.size() == 4) || (sub == "rm" && w.size() == 3) ||
          (sub == "show" && w.size() <= 3))) {
        fputs(
            "usage: ospreyctl subscriber add|passwd USER@DOMAIN PASSWORD | rm USER@DOMAIN | "
            "show [USER@DOMAIN]\n",
            stderr);
        return kExitUsage;
    }
    std::string user, domain;
    if (w.size() >= 3 && !splitAor(w[2], &user, &domain)) return kExitUsage;
    db::SqliteConn c;
    std::string error;
    if (!openDb(o, "auth_db", c)) return kExitFailed;
    if (!c.exec(kSubscriberSchema, &error)) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return kExitFailed;
    }
    if (needsPw) {
        const std::string& pw = w[3];
        const std::string ha1 = md5Hex(user + ":" + domain + ":" + pw);
        const std::string ha1b = md5Hex(user + "@" + domain + ":" + domain + ":" + pw);
        int changed = 0;
        if (sub == "add") {
            if (!run(c,
                     "INSERT INTO subscriber (username, domain, password, ha1, ha1b) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     {user, domain, pw, ha1, ha1b})) {
                return kExitFailed;  // a duplicate is refused by the unique index
            }
            printf("added %s@%s\n", user.c_str(), domain.c_str());
            return kExitOk;
        }
        if (!run(c,
                 "UPDATE subscriber SET password = ?3, ha1 = ?4, ha1b = ?5 "
                 "WHERE username = ?1 AND domain = ?2",
                 {user, domain, pw, ha1, ha1b}, &changed))
            return kExitFailed;
        if (changed == 0) {
            fprintf(stderr, "ospreyctl: no subscriber %s@%s\n", user.c_str(), domain.c_str());
            return kExitFailed;
        }
        printf("password of %s@%s changed\n", user.c_str(), domain.c_str());
        return kExitOk;
    }
    if (sub == "rm") {
        int changed = 0;
        if (!run(c, "DELETE FROM subscriber WHERE username = ?1 AND domain = ?2", {user, domain},
                 &changed))
            return kExitFailed;
        if (changed == 0) {
            fprintf(stderr, "ospreyctl: no subscriber %s@%s\n", user.c_str(), domain.c_str());
            return kExitFailed;
        }
        printf("removed %s@%s\n", user.c_str(), domain.c_str());
        return kExitOk;
    }
    db::SqliteStmt st = c.prepare(
        w.size() == 3 ? "SELECT username, domain, ha1, ha1b FROM subscriber WHERE username = ?1 "
                        "AND domain = ?2"
                      : "SELECT username, domain, ha1, ha1b FROM subscriber ORDER BY domain, "
                        "username",
        &error);
    if (!st) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return kExitFailed;
    }
    if (w.size() == 3) {
        st.bindText(1, user);
        st.bindText(2, domain);
    }
    int rows = 0;
    while (st.step() == db::Step::Row) {
        printf("%.*s@%.*s ha1=%.*s ha1b=%.*s\n", static_cast<int>(st.text(0).size()),
               st.text(0).data(), static_cast<int>(st.text(1).size()), st.text(1).data(),
               static_cast<int>(st.text(2).size()), st.text(2).data(),
               static_cast<int>(st.text(3).size()), st.text(3).data());
        ++rows;
    }
    return w.size() == 3 && rows == 0 ? kExitFailed : kExitOk;
}

bool isNumber(const std::string& s) {
    if (s.empty()) return false;
    for (char ch : s)
        if (ch < '0' || ch > '9') return false;
    return true;
}

int address(const std::vector<std::string>& w, const DbCommandOptions& o, bool* reload) {
    const std::string sub = w.size() > 1 ? w[1] : "";
    const bool addOk = sub == "add" && (w.size() == 6 || w.size() == 7) && isNumber(w[2]) &&
                       isNumber(w[4]) && isNumber(w[5]) && std::atoi(w[4].c_str()) <= 128 &&
                       std::atoi(w[5].c_str()) <= 65535;
    const bool rmOk = sub == "rm" && w.size() == 4 && isNumber(w[2]);
    if (!addOk && !rmOk && !(sub == "show" && w.size() == 2)) {
        fputs("usage: ospreyctl address add GROUP IP MASK PORT [TAG] | rm GROUP IP | show\n",
              stderr);
        return kExitUsage;
    }
    db::SqliteConn c;
    std::string error;
    if (!openDb(o, "permissions", c)) return kExitFailed;
    if (!c.exec(kAddressSchema, &error)) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return kExitFailed;
    }
    if (addOk) {
        const std::string tag = w.size() == 7 ? w[6] : "";
        if (!run(c,
                 "INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES "
                 "(CAST(?1 AS INTEGER), ?2, CAST(?3 AS INTEGER), CAST(?4 AS INTEGER), "
                 "NULLIF(?5, ''))",
                 {w[2], w[3], w[4], w[5], tag}))
            return kExitFailed;
        printf("added %s/%s port %s to group %s\n", w[3].c_str(), w[4].c_str(), w[5].c_str(),
               w[2].c_str());
        *reload = true;
        return kExitOk;
    }
    if (rmOk) {
        int changed = 0;
        if (!run(c, "DELETE FROM address WHERE grp = CAST(?1 AS INTEGER) AND ip_addr = ?2",
                 {w[2], w[3]}, &changed))
            return kExitFailed;
        if (changed == 0) {
            fprintf(stderr, "ospreyctl: no address %s in group %s\n", w[3].c_str(), w[2].c_str());
            return kExitFailed;
        }
        printf("removed %d address(es)\n", changed);
        *reload = true;
        return kExitOk;
    }
    db::SqliteStmt st = c.prepare(
        "SELECT id, grp, ip_addr, mask, port, IFNULL(tag, '') FROM address ORDER BY grp, id",
        &error);
    if (!st) {
        fprintf(stderr, "ospreyctl: %s\n", error.c_str());
        return kExitFailed;
    }
    while (st.step() == db::Step::Row) {
        printf("id=%lld grp=%lld ip_addr=%.*s mask=%lld port=%lld tag=%.*s\n",
               static_cast<long long>(st.integer(0)), static_cast<long long>(st.integer(1)),
               static_cast<int>(st.text(2).size()), st.text(2).data(),
               static_cast<long long>(st.integer(3)), static_cast<long long>(st.integer(4)),
               static_cast<int>(st.text(5).size()), st.text(5).data());
    }
    return kExitOk;
}

}  // namespace

bool runDbCommand(const std::vector<std::string>& words, const DbCommandOptions& o,
                  bool* reloadAddresses, int* exitCode) {
    *reloadAddresses = false;
    if (words[0] == "subscriber") {
        *exitCode = subscriber(words, o);
        return true;
    }
    if (words[0] == "address" && words.size() > 1 &&
        (words[1] == "add" || words[1] == "rm" || words[1] == "show")) {
        *exitCode = address(words, o, reloadAddresses);
        return true;
    }
    return false;
}

}  // namespace osprey::ctl
