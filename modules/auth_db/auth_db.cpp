// auth_db: digest authentication against the subscriber table (Kamailio's auth_db module).
//
// Script functions (KSR.auth_db.*), Kamailio's names and return codes (modules/auth/verify.h):
//   auth_check(realm, table, flags)   Authorization for REGISTER, else Proxy-Authorization;
//                                     flags 1: the credentials' user must be the To (REGISTER,
//                                     PUBLISH) or From user; 2 (with 1): not checked for
//                                     INVITE, BYE, PRACK, UPDATE, MESSAGE
//   www_authorize / www_authenticate(realm, table)       Authorization
//   proxy_authorize / proxy_authenticate(realm, table)   Proxy-Authorization
//   is_subscriber(uri, table, flags)  1 a row exists, -2 none, -1 error; flags 1: match the
//                                     URI's domain too
// Codes: 1 ok, -1 error, -2 wrong password, -3 unknown user, -4 stale nonce, -5 no
// credentials, -6 nonce reused, -8 user mismatch.
//
// The nonces, their replay state and the algorithms are auth's (this module binds auth's API,
// modules/auth/api.h, as Kamailio's auth_db binds auth); only the secret comes from here: the
// row of the credentials' user (subscriber_db.h). A database that cannot answer (locked past
// the busy timeout, corrupt, missing table) is logged and answered 500 here, and nothing else
// may be sent for the message (the script's challenge that follows a negative code is
// suppressed), so the client sees one defined answer and the worker goes on.
#include <string>
#include <string_view>

#include "core/db/sql_name.h"
#include "core/db/sqlite_conn.h"
#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"
#include "core/stats/registry.h"
#include "modules/auth/api.h"
#include "modules/auth_db/subscriber_db.h"

namespace {

using namespace osprey;
using namespace osprey::authdb;

// --- parameters (Kamailio's names and defaults; the loader writes them before init) ---
std::string g_dbUrl;
std::string g_userColumn;
std::string g_domainColumn;
std::string g_passwordColumn;
std::string g_passwordColumn2;
bool g_calculateHa1;
bool g_useDomain;
std::string g_loadCredentials;
int g_busyTimeout;
std::string g_schemaTables;

const auth::AuthApi* g_auth = nullptr;
SubscriberDb g_db;  // per process after fork (connections are opened on first use)

// --- statistics (auth_db:*) ---
struct Stats {
    stats::Counter lookups, dbErrors;
} g_st;
const stats::Def kStats[] = {
    stats::counterDef("lookups", &g_st.lookups, "Subscriber rows looked up"),
    stats::counterDef("db_errors", &g_st.dbErrors,
                      "Lookups the database could not answer (answered 500)"),
};

constexpr int kAuthCheckId = 1;
constexpr int kAuthCheckSkipFwd = 2;
constexpr int kSubsUseDomain = 1;

// What a lookup tells the function that started it.
struct LookupCtx {
    std::string_view table;
    bool dbError = false;
};

// The row just read, per process: its strings keep their capacity, so a lookup allocates
// nothing once they have grown to the longest secret.
SubscriberRow& rowBuffer() {
    static SubscriberRow row;
    return row;
}

// RFC 3261 quoted-string content with quoted-pairs undone; false when it does not fit.
bool unquote(std::string_view q, char* out, size_t cap, size_t* len) {
    size_t n = 0;
    for (size_t i = 0; i < q.size(); ++i) {
        char c = q[i];
        if (c == '\\' && i + 1 < q.size()) c = q[++i];
        if (n == cap) return false;
        out[n++] = c;
    }
    *len = n;
    return true;
}

auth::Secret lookupSecret(void* user, const sip::AuthBody& cred, std::string_view realm,
                          auth::Algorithm) {
    auto* lc = static_cast<LookupCtx*>(user);
    char buf[256];
    size_t len = 0;
    if (!unquote(cred.username, buf, sizeof buf, &len) || len == 0) return {};
    const std::string_view whole(buf, len);
    // "user@domain" in the username (some user agents send it): the user is the part before
    // '@', the domain after it replaces the realm in the lookup (Kamailio's get_ha1).
    const size_t at = whole.find('@');
    const std::string_view name = at == std::string_view::npos ? whole : whole.substr(0, at);
    const std::string_view userDomain =
        at == std::string_view::npos ? std::string_view() : whole.substr(at + 1);
    const std::string_view domain = !g_useDomain         ? std::string_view()
                                    : userDomain.empty() ? realm
                                                         : userDomain;
    std::string error;
    SubscriberRow& row = rowBuffer();
    stats::inc(g_st.lookups);
    switch (g_db.find(lc->table, name, domain, row, &error)) {
        case Lookup::NotFound:
            return {auth::Secret::UnknownUser, {}};
        case Lookup::Error:
            LM_ERR("auth_db: looking up '%.*s' in table %.*s of %s: %s",
                   static_cast<int>(name.size()), name.data(), static_cast<int>(lc->table.size()),
                   lc->table.data(), g_dbUrl.c_str(), error.c_str());
            lc->dbError = true;
            stats::inc(g_st.dbErrors);
            return {};
        case Lookup::Found:
            break;
    }
    if (g_calculateHa1) return {auth::Secret::Password, row.password};
    // Precomputed HA1: ha1b covers a username with "@domain" in it, ha1 one without.
    return {auth::Secret::Ha1, userDomain.empty() ? row.password : row.password2};
}

// A database failure: one 500, nothing else sent for this message.
int answerDbError(lua::Ctx& ctx) {
    route::MsgContext* mc = ctx.route;
    route::sendReply(*mc, 500, "Server Internal Error");
    ctx.dropped = true;
    return auth::kAuthError;
}

int digestAuthenticate(lua::Ctx& ctx, std::string_view realm, std::string_view table,
                       sip::HeaderKind kind, const sip::AuthBody** used) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest() || g_auth == nullptr) return auth::kAuthError;
    if (realm.empty() || table.empty()) {
        LM_ERR("auth_db: empty realm or table");
        return auth::kAuthError;
    }
    LookupCtx lc;
    lc.table = table;
    const int rc = g_auth->authenticate(*mc, kind, realm, mc->msg.start.methodText, &lookupSecret,
                                        &lc, 0, used);
    if (lc.dbError) return answerDbError(ctx);
    return rc;
}

bool isAckOrCancel(const sip::SipMsg& msg) {
    return msg.method() == sip::Method::Ack || msg.method() == sip::Method::Cancel;
}

int authCheck(lua::Ctx& ctx, std::string_view realm, std::string_view table, int flags) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return auth::kAuthError;
    if (isAckOrCancel(mc->msg)) return auth::kAuthOk;  // cannot be challenged
    const sip::Method m = mc->msg.method();
    const auto kind = m == sip::Method::Register ? sip::HeaderKind::Authorization
                                                 : sip::HeaderKind::ProxyAuthorization;
    const sip::AuthBody* used = nullptr;
    const int rc = digestAuthenticate(ctx, realm, table, kind, &used);
    if (rc != auth::kAuthOk || used == nullptr || !(flags & kAuthCheckId)) return rc;
    const bool anonymousAllowed =
        (flags & kAuthCheckSkipFwd) &&
        (m == sip::Method::Invite || m == sip::Method::Bye || m == sip::Method::Prack ||
         m == sip::Method::Update || m == sip::Method::Message);
    if (anonymousAllowed) return rc;
    return g_auth->checkIdentity(*mc, *used, g_useDomain);
}

int wwwAuthorize(lua::Ctx& ctx, std::string_view realm, std::string_view table) noexcept {
    return digestAuthenticate(ctx, realm, table, sip::HeaderKind::Authorization, nullptr);
}

int proxyAuthorize(lua::Ctx& ctx, std::string_view realm, std::string_view table) noexcept {
    return digestAuthenticate(ctx, realm, table, sip::HeaderKind::ProxyAuthorization, nullptr);
}

int isSubscriber(lua::Ctx&, std::string_view uri, std::string_view table, int flags) noexcept {
    sip::SipUri u;
    if (sip::parseUri(uri, u) != sip::UriError::Ok || u.user.empty()) {
        LM_ERR("auth_db: is_subscriber: '%.*s' is not a SIP URI with a user",
               static_cast<int>(uri.size() > 128 ? 128 : uri.size()), uri.data());
        return -1;
    }
    std::string error;
    stats::inc(g_st.lookups);
    switch (g_db.find(table, u.user, (flags & kSubsUseDomain) ? u.host : std::string_view(),
                      rowBuffer(), &error)) {
        case Lookup::Found:
            return 1;
        case Lookup::NotFound:
            return -2;
        case Lookup::Error:
            break;
    }
    stats::inc(g_st.dbErrors);
    LM_ERR("auth_db: is_subscriber in table %.*s of %s: %s", static_cast<int>(table.size()),
           table.data(), g_dbUrl.c_str(), error.c_str());
    return -1;
}

// --- life cycle ---

bool modInit() {
    if (!stats::declareGroup("auth_db", kStats)) return false;
    g_auth = module::loadedModules().api<auth::AuthApi>("auth");
    if (g_auth == nullptr) {
        LM_ERR("auth_db: the auth module is not loaded");
        return false;
    }
    if (!g_loadCredentials.empty())
        LM_WARN("auth_db: load_credentials is not supported; '%s' ignored",
                g_loadCredentials.c_str());
    Columns cols;
    cols.user = g_userColumn;
    cols.domain = g_domainColumn;
    cols.password = g_passwordColumn;
    cols.password2 = g_passwordColumn2;
    for (const std::string* c : {&cols.user, &cols.domain, &cols.password, &cols.password2}) {
        if (!db::isSqlName(*c)) {
            LM_ERR("auth_db: '%s' is not a column name", c->c_str());
            return false;
        }
    }
    // The schema is made once, here; a database that cannot be opened now is not fatal: every
    // lookup tries again (and answers 500 until the file is usable).
    db::SqliteConn conn;
    std::string error;
    db::OpenOptions o;
    o.busyTimeoutMs = g_busyTimeout;
    if (!conn.open(g_dbUrl, o, &error)) {
        LM_ERR("auth_db: cannot open %s: %s; authentication answers 500 until it can",
               g_dbUrl.c_str(), error.c_str());
    } else {
        std::string_view tables = g_schemaTables;
        while (!tables.empty()) {
            const size_t comma = tables.find(',');
            const std::string_view t = tables.substr(0, comma);
            tables =
                comma == std::string_view::npos ? std::string_view() : tables.substr(comma + 1);
            if (t.empty()) continue;
            if (!createSubscriberTable(conn, t, cols, &error)) {
                LM_ERR("auth_db: creating table %.*s in %s: %s", static_cast<int>(t.size()),
                       t.data(), g_dbUrl.c_str(), error.c_str());
                return false;
            }
        }
    }
    g_db.configure(g_dbUrl, cols, g_busyTimeout);
    return true;
}

constexpr const char* kDeps[] = {"auth"};

constexpr module::ParamSpec kParams[] = {
    module::stringParam("db_url", &g_dbUrl, "sqlite://osprey.sqlite",
                        "sqlite:///path/to/file.db holding the subscriber table"),
    module::stringParam("user_column", &g_userColumn, "username", "column of user names"),
    module::stringParam("domain_column", &g_domainColumn, "domain", "column of domains"),
    module::stringParam("password_column", &g_passwordColumn, "ha1",
                        "column of passwords (calculate_ha1) or HA1 values"),
    module::stringParam("password_column_2", &g_passwordColumn2, "ha1b",
                        "column of HA1 values computed with user@domain as the user name"),
    module::boolParam("calculate_ha1", &g_calculateHa1, false,
                      "password_column holds plain passwords; HA1 is computed per request"),
    module::boolParam("use_domain", &g_useDomain, false,
                      "look users up by user name and domain (multi-domain)"),
    module::stringParam("load_credentials", &g_loadCredentials, "",
                        "not supported (accepted empty, as the reference configuration sets it)"),
    module::intParam("busy_timeout", &g_busyTimeout, 2000, 0, 60000,
                     "ms a lookup waits for a database another process holds locked"),
    module::stringParam("schema_tables", &g_schemaTables, "subscriber",
                        "comma-separated tables created at start when missing"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&authCheck>("auth_check"),
    lua::fn<&wwwAuthorize>("www_authorize"),
    lua::fn<&wwwAuthorize>("www_authenticate"),
    lua::fn<&proxyAuthorize>("proxy_authorize"),
    lua::fn<&proxyAuthorize>("proxy_authenticate"),
    lua::fn<&isSubscriber>("is_subscriber"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "auth_db",
    .version = OSPREY_VERSION,
    .deps = kDeps,
    .params = kParams,
    .functions = kFunctions,
    .init = &modInit,
};
