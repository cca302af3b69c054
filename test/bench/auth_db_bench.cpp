// What auth_db's subscriber lookup adds to a digest check (make bench-auth-db): a REGISTER
// parsed and checked with the password the script gives (auth's pv_auth_check) against the
// same with the password read from the subscriber table on the process's own SQLite
// connection (auth_db's auth_check: one prepared SELECT on a WAL file), for tables of 1,000
// and 100,000 subscribers; and the lookup alone. The difference is the cost of the database.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/db/sqlite_conn.h"
#include "core/db/transaction.h"
#include "modules/auth/verify.h"
#include "modules/auth_db/subscriber_db.h"
#include "test/unit/auth_digest_client.h"
#include "test/unit/sip_test_pkg.h"

namespace {

using namespace osprey;
using namespace osprey::auth;

constexpr int64_t kNow = 1700000000;

char g_dir[] = "/tmp/osprey-authdb-bench-XXXXXX";

// The benchmark's files go when it ends.
void removeDir() {
    const std::string cmd = std::string("rm -rf '") + g_dir + "'";
    if (std::system(cmd.c_str()) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
}

// A subscriber file with `rows` users (alice among them), made once per size.
std::string subscriberFile(int rows) {
    static bool made = mkdtemp(g_dir) != nullptr && std::atexit(&removeDir) == 0;
    if (!made) abort();
    const char* dir = g_dir;
    const std::string path = std::string(dir) + "/subs-" + std::to_string(rows) + ".db";
    if (access(path.c_str(), R_OK) == 0) return path;
    db::SqliteConn c;
    std::string error;
    authdb::Columns cols;
    cols.password = "password";
    if (!c.open(path, db::OpenOptions{}, &error) ||
        !authdb::createSubscriberTable(c, "subscriber", cols, &error))
        abort();
    db::Transaction tx(c, &error);
    db::SqliteStmt ins = c.prepare(
        "INSERT INTO subscriber (username, domain, password) VALUES (?1, ?2, ?3)", &error);
    for (int i = 0; i < rows - 1; ++i) {
        ins.bindText(1, "user" + std::to_string(i));
        ins.bindText(2, "example.com");
        ins.bindText(3, "pw" + std::to_string(i));
        if (!ins.run()) abort();
        ins.reset();
    }
    ins.bindText(1, "alice");
    ins.bindText(2, "example.com");
    ins.bindText(3, "secret");
    if (!ins.run() || !tx.commit(&error)) abort();
    return path;
}

authdb::SubscriberDb& subscriberDb(int rows) {
    static std::unique_ptr<authdb::SubscriberDb> db;
    static int dbRows = -1;
    if (dbRows != rows) {
        db = std::make_unique<authdb::SubscriberDb>();
        authdb::Columns cols;
        cols.password = "password";
        db->configure(subscriberFile(rows), cols, 2000);
        dbRows = rows;
    }
    return *db;
}

// 255 REGISTERs from alice with good credentials for one nonce (nc 1..255).
struct Requests {
    Requests() {
        codec.setSecret("bench-secret");
        digest_client::Client c;
        char nonce[kNonceLen];
        if (!codec.make({static_cast<uint32_t>(kNow), 1}, Algorithm::Md5, "example.com", nonce))
            abort();
        const std::string n(nonce, kNonceLen);
        for (int i = 1; i <= 255; ++i) {
            char nc[9];
            snprintf(nc, sizeof nc, "%08x", i);
            reqs.push_back(std::make_unique<digest_client::Request>(
                "REGISTER", "Authorization: " + c.header(n, nc, c.response(n, nc)) + "\r\n"));
        }
        v.codec = &codec;
    }
    digest_client::Request& next() {
        digest_client::Request& r = *reqs[i++ % reqs.size()];
        r.msg.reset();
        return r;
    }
    NonceCodec codec;
    Verifier v;
    std::vector<std::unique_ptr<digest_client::Request>> reqs;
    size_t i = 0;
};

struct DbLookup {
    authdb::SubscriberDb* db;
    authdb::SubscriberRow row;
};

Secret fromDb(void* user, const sip::AuthBody& cred, std::string_view, Algorithm) {
    auto* l = static_cast<DbLookup*>(user);
    std::string error;
    std::string_view name = cred.username;  // no escapes in these usernames
    if (l->db->find("subscriber", name, "", l->row, &error) != authdb::Lookup::Found) return {};
    return {Secret::Password, l->row.password};
}

void BM_CheckScriptPassword(benchmark::State& state) {
    Requests q;
    for (auto _ : state) {
        digest_client::Request& r = q.next();
        sip::parseMsg(r.msg, r.text);
        if (authenticate(q.v, r.msg, sip::HeaderKind::Authorization, "example.com", "secret", 0,
                         "REGISTER", kNow) != kAuthOk)
            state.SkipWithError("credentials refused");
    }
}
BENCHMARK(BM_CheckScriptPassword);

void BM_CheckSubscriberTable(benchmark::State& state) {
    Requests q;
    DbLookup l{&subscriberDb(static_cast<int>(state.range(0))), {}};
    for (auto _ : state) {
        digest_client::Request& r = q.next();
        sip::parseMsg(r.msg, r.text);
        if (authenticateWith(q.v, r.msg, sip::HeaderKind::Authorization, "example.com", &fromDb, &l,
                             0, "REGISTER", kNow) != kAuthOk)
            state.SkipWithError("credentials refused");
    }
    state.SetLabel(std::to_string(state.range(0)) + " subscribers");
}
BENCHMARK(BM_CheckSubscriberTable)->Arg(1000)->Arg(100000);

void BM_LookupOnly(benchmark::State& state) {
    authdb::SubscriberDb& db = subscriberDb(static_cast<int>(state.range(0)));
    authdb::SubscriberRow row;
    std::string error;
    for (auto _ : state) {
        if (db.find("subscriber", "alice", "", row, &error) != authdb::Lookup::Found)
            state.SkipWithError(error.c_str());
    }
    state.SetLabel(std::to_string(state.range(0)) + " subscribers");
}
BENCHMARK(BM_LookupOnly)->Arg(1000)->Arg(100000);

}  // namespace

BENCHMARK_MAIN();
