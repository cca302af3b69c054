// htable: Kamailio's htable module — named hash tables in shared memory, declared with
// Kamailio's definition strings ("ipban=>size=8;autoexpire=300;"), read and written from the
// script through $sht(table=>key) and KSR.htable.*, expired by the timer process, optionally
// loaded from and saved to SQLite, and managed over RPC (htable.*). Return codes are
// Kamailio 5.6's, quirks included (sht_reset and sht_setxi answer 0 on success; sht_inc/
// sht_dec answer the new value or -255). modules/htable/README.md documents each function.
#include <new>
#include <string>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/log_limit.h"
#include "core/pv/pv_class.h"
#include "core/timer/timer_process.h"
#include "mem/shm.h"
#include "modules/htable/api.h"
#include "modules/htable/ht_db.h"
#include "modules/htable/ht_rpc.h"
#include "modules/htable/ht_script.h"
#include "modules/htable/ht_state.h"
#include "modules/htable/table_spec.h"

namespace osprey::htable {

namespace {

std::vector<Table*>& g_tables = tables();

constexpr int kNoIntVal = -255;  // Kamailio's KSR_HT_KEMI_NOINTVAL

// A full shm pool fails the write and says so, at most once a second per process.
void logNoMemory(std::string_view table, std::string_view key) {
    static net::LogLimit limit;
    if (uint64_t skipped; limit.allow(&skipped)) {
        LM_ERR("htable: cannot set %.*s=>%.*s: out of shared memory (%lu more)",
               static_cast<int>(table.size()), table.data(), static_cast<int>(key.size()),
               key.data(), static_cast<unsigned long>(skipped));
    }
}

Table* need(std::string_view name) {
    Table* t = findTable(name);
    if (t == nullptr)
        LM_ERR("htable: no such htable: %.*s", static_cast<int>(name.size()), name.data());
    return t;
}

// --- KSR.htable.* ---

lua::PvValue getMode(std::string_view ht, std::string_view key, lua::PvValue ifNull) {
    Table* t = need(ht);
    if (t == nullptr) return ifNull;
    lua::PvValue v;
    if (tableGet(
            t, key, nowSec(),
            [](void* u, const CellView& c) { *static_cast<lua::PvValue*>(u) = keepValue(c); }, &v))
        return v;
    if (tableHasInitval(t)) return tableInitval(t);
    return ifNull;
}

lua::PvValue shtGet(std::string_view ht, std::string_view key) noexcept {
    return getMode(ht, key, {});
}
lua::PvValue shtGete(std::string_view ht, std::string_view key) noexcept {
    return getMode(ht, key, std::string_view());
}
lua::PvValue shtGetw(std::string_view ht, std::string_view key) noexcept {
    return getMode(ht, key, std::string_view("<<null>>"));
}

int setOrLog(Table* t, bool ok, std::string_view key, int success) {
    if (ok) return success;
    logNoMemory(tableName(t), key);
    return -1;
}

int shtSets(std::string_view ht, std::string_view key, std::string_view value) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    return setOrLog(t, tableSetStr(t, key, value, nowSec()), key, 1);
}

int shtSeti(std::string_view ht, std::string_view key, int64_t value) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    return setOrLog(t, tableSetInt(t, key, value, nowSec()), key, 1);
}

int shtSetex(std::string_view ht, std::string_view key, int64_t exv) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    tableSetExpire(t, key, exv, nowSec());
    return 1;
}

int shtSetxs(std::string_view ht, std::string_view key, std::string_view value,
             int64_t exv) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    return setOrLog(t, tableSetStr(t, key, value, nowSec(), exv), key, 1);
}

int shtSetxi(std::string_view ht, std::string_view key, int64_t value, int64_t exv) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    return setOrLog(t, tableSetInt(t, key, value, nowSec(), exv), key, 0);  // 0: Kamailio's
}

int shtIsNull(std::string_view ht, std::string_view key) noexcept {
    Table* t = findTable(ht);
    if (t == nullptr) return 2;
    if (tableHasInitval(t)) return -2;
    return tableExists(t, key, nowSec()) ? -1 : 1;
}

int addOp(std::string_view ht, std::string_view key, int64_t delta) {
    Table* t = findTable(ht);
    int64_t r = 0;
    if (t == nullptr || !tableAdd(t, key, delta, nowSec(), &r)) return kNoIntVal;
    return static_cast<int>(r);
}

int shtInc(std::string_view ht, std::string_view key) noexcept {
    return addOp(ht, key, 1);
}
int shtDec(std::string_view ht, std::string_view key) noexcept {
    return addOp(ht, key, -1);
}

int shtRm(std::string_view ht, std::string_view key) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    tableDel(t, key);
    return 1;
}

int removeMatching(Table* t, MatchField f, MatchOp op, std::string_view pattern) {
    if (pattern.empty()) return -1;  // an empty prefix would match (and remove) everything
    Matcher* m = matcherCreate(op, pattern);
    if (m == nullptr) {
        LM_ERR("htable: bad regular expression '%.*s'", static_cast<int>(pattern.size()),
               pattern.data());
        return -1;
    }
    tableRemoveMatching(t, f, *m);
    matcherDestroy(m);
    return 1;
}

// Kamailio answers 1 for an unknown table here (and -1 for a bad expression).
int shtRmNameRe(std::string_view ht, std::string_view re) noexcept {
    Table* t = findTable(ht);
    if (t == nullptr) return 1;
    return removeMatching(t, MatchField::Name, MatchOp::Re, re);
}
int shtRmValueRe(std::string_view ht, std::string_view re) noexcept {
    Table* t = findTable(ht);
    if (t == nullptr) return 1;
    return removeMatching(t, MatchField::Value, MatchOp::Re, re);
}

bool parseOp(std::string_view op, bool removal, MatchOp* out) {
    if (op == "re")
        *out = MatchOp::Re;
    else if (op == "sw")
        *out = MatchOp::Sw;
    else if (!removal && op == "eq")
        *out = MatchOp::Eq;
    else if (!removal && op == "ne")
        *out = MatchOp::Ne;
    else {
        LM_WARN("htable: unsupported match operator: %.*s", static_cast<int>(op.size()), op.data());
        return false;
    }
    return true;
}

int rmItems(std::string_view ht, std::string_view op, std::string_view val, MatchField f) {
    Table* t = need(ht);
    MatchOp mop;
    if (t == nullptr || !parseOp(op, true, &mop)) return -1;
    return removeMatching(t, f, mop, val);
}
int shtRmName(std::string_view ht, std::string_view op, std::string_view val) noexcept {
    return rmItems(ht, op, val, MatchField::Name);
}
int shtRmValue(std::string_view ht, std::string_view op, std::string_view val) noexcept {
    return rmItems(ht, op, val, MatchField::Value);
}

int matchItems(std::string_view ht, std::string_view op, std::string_view val, MatchField f) {
    Table* t = need(ht);
    MatchOp mop;
    if (t == nullptr || val.empty() || !parseOp(op, false, &mop)) return -1;
    // "Is there an item named val" is a lookup, not a scan: the ban check of Kamailio's
    // reference script (sht_match_name("ipban", "eq", srcip)) runs on every request.
    if (f == MatchField::Name && mop == MatchOp::Eq) return tableExists(t, val, nowSec()) ? 1 : -1;
    Matcher* m = matcherCreate(mop, val);
    if (m == nullptr) {
        LM_ERR("htable: bad regular expression '%.*s'", static_cast<int>(val.size()), val.data());
        return -1;
    }
    const bool any = tableAnyMatch(t, f, *m, nowSec());
    matcherDestroy(m);
    return any ? 1 : -1;
}
int shtMatchName(std::string_view ht, std::string_view op, std::string_view val) noexcept {
    return matchItems(ht, op, val, MatchField::Name);
}
int shtMatchStrValue(std::string_view ht, std::string_view op, std::string_view val) noexcept {
    return matchItems(ht, op, val, MatchField::Value);
}

int shtReset(std::string_view ht) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    tableFlush(t);
    return 0;  // Kamailio's ki_ht_reset_by_name answers 0
}

int shtLock(std::string_view ht, std::string_view key) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    tableLockKey(t, key);
    return 1;
}
int shtUnlock(std::string_view ht, std::string_view key) noexcept {
    Table* t = need(ht);
    if (t == nullptr) return -1;
    tableUnlockKey(t, key);
    return 1;
}

int itStart(std::string_view iname, std::string_view hname) noexcept {
    return iteratorStart(iname, hname);
}
int itNext(std::string_view iname) noexcept {
    return iteratorNext(iname);
}
int itEnd(std::string_view iname) noexcept {
    return iteratorEnd(iname);
}
int itRm(std::string_view iname) noexcept {
    return iteratorRm(iname);
}
int itSets(std::string_view iname, std::string_view v) noexcept {
    return iteratorSets(iname, v);
}
int itSeti(std::string_view iname, int64_t v) noexcept {
    return iteratorSeti(iname, v);
}
int itSetex(std::string_view iname, int64_t v) noexcept {
    return iteratorSetex(iname, v);
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&shtLock>("sht_lock"),
    lua::fn<&shtUnlock>("sht_unlock"),
    lua::fn<&shtReset>("sht_reset"),
    lua::fn<&itStart>("sht_iterator_start"),
    lua::fn<&itNext>("sht_iterator_next"),
    lua::fn<&itEnd>("sht_iterator_end"),
    lua::fn<&itRm>("sht_iterator_rm"),
    lua::fn<&itSets>("sht_iterator_sets"),
    lua::fn<&itSeti>("sht_iterator_seti"),
    lua::fn<&itSetex>("sht_iterator_setex"),
    lua::fn<&shtRm>("sht_rm"),
    lua::fn<&shtRmNameRe>("sht_rm_name_re"),
    lua::fn<&shtRmValueRe>("sht_rm_value_re"),
    lua::fn<&shtRmName>("sht_rm_name"),
    lua::fn<&shtRmValue>("sht_rm_value"),
    lua::fn<&shtMatchName>("sht_match_name"),
    lua::fn<&shtMatchName>("sht_has_name"),  // the config-language alias
    lua::fn<&shtMatchStrValue>("sht_match_str_value"),
    lua::fn<&shtMatchStrValue>("sht_has_str_value"),
    lua::fn<&shtGet>("sht_get"),
    lua::fn<&shtGete>("sht_gete"),
    lua::fn<&shtGetw>("sht_getw"),
    lua::fn<&shtSets>("sht_sets"),
    lua::fn<&shtSeti>("sht_seti"),
    lua::fn<&shtSetex>("sht_setex"),
    lua::fn<&shtSetxi>("sht_setxi"),
    lua::fn<&shtSetxs>("sht_setxs"),
    lua::fn<&shtIsNull>("sht_is_null"),
    lua::fn<&shtInc>("sht_inc"),
    lua::fn<&shtDec>("sht_dec"),
};

// --- expiry: a self re-arming node on the shared timer wheel, run by the timer process ---

timer::TimerNode* g_tick = nullptr;  // in shm

void onTick(timer::TimerNode* node) {
    const int64_t now = nowSec();
    for (Table* t : g_tables) tableExpire(t, now);
    timer::sharedWheel()->arm(*node, static_cast<uint64_t>(g_settings.timerInterval) * 1000,
                              &onTick);
}

bool startExpiry() {
    bool any = false;
    for (Table* t : g_tables) any = any || tableAutoexpire(t) > 0;
    if (!any) return true;
    if (!timer::startTimers()) return false;
    void* p = mem::shmAllocZero(sizeof(timer::TimerNode));
    if (p == nullptr) {
        LM_ERR("htable: out of shared memory for the expiry timer");
        return false;
    }
    g_tick = new (p) timer::TimerNode{};
    timer::sharedWheel()->arm(*g_tick, static_cast<uint64_t>(g_settings.timerInterval) * 1000,
                              &onTick);
    return true;
}

bool validColumn(const std::string& c) {
    if (c.empty() || c.size() > 64) return false;
    for (char ch : c) {
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

bool modInit() {
    const Settings& s = g_settings;
    for (const std::string* c : {&s.keyNameColumn, &s.keyTypeColumn, &s.valueTypeColumn,
                                 &s.keyValueColumn, &s.expiresColumn}) {
        if (!validColumn(*c)) {
            LM_ERR("htable: bad column name '%s' (letters, digits and '_')", c->c_str());
            return false;
        }
    }
    std::vector<TableSpec> specs;
    std::string error, warning;
    if (!parseTableSpecs(s.htable, &specs, &error, &warning)) {
        LM_ERR("htable: parameter 'htable': %s", error.c_str());
        return false;
    }
    if (!warning.empty()) LM_WARN("htable: %s", warning.c_str());
    for (const TableSpec& spec : specs) {
        if (!spec.dbtable.empty() && s.dbUrl.empty()) {
            LM_ERR("htable: table '%s' has dbtable=%s but db_url is not set", spec.name.c_str(),
                   spec.dbtable.c_str());
            return false;
        }
        Table* t = tableCreate(spec);
        if (t == nullptr) {
            LM_ERR("htable: no shared memory for table '%s' (2^%u buckets)", spec.name.c_str(),
                   spec.sizeBits);
            return false;
        }
        g_tables.push_back(t);
        if (!spec.dbtable.empty() && !dbLoad(t, t, &error)) {
            LM_ERR("htable: loading table '%s' from %s: %s", spec.name.c_str(),
                   spec.dbtable.c_str(), error.c_str());
            return false;
        }
    }
    if (!pv::registerPvClasses(pvClasses())) return false;
    return startExpiry();
}

// Master at shutdown, after the workers stopped: dbmode=1 tables go back to their SQL table.
void modDestroy() {
    for (Table* t : g_tables) {
        if (tableDbmode(t) != 1) continue;
        std::string error;
        if (!dbSave(t, &error))
            LM_ERR("htable: saving table '%s' to %s failed: %s", std::string(tableName(t)).c_str(),
                   std::string(tableDbtable(t)).c_str(), error.c_str());
    }
    for (Table* t : g_tables) tableDestroy(t);
    g_tables.clear();
}

constexpr module::ParamSpec kParams[] = {
    module::stringParam("htable", &g_settings.htable, "",
                        "table definitions: name=>size=N;autoexpire=S;initval=I;..."),
    module::stringParam("db_url", &g_settings.dbUrl, "", "sqlite:///path/to/file.db"),
    module::stringParam("key_name_column", &g_settings.keyNameColumn, "key_name"),
    module::stringParam("key_type_column", &g_settings.keyTypeColumn, "key_type"),
    module::stringParam("value_type_column", &g_settings.valueTypeColumn, "value_type"),
    module::stringParam("key_value_column", &g_settings.keyValueColumn, "key_value"),
    module::stringParam("expires_column", &g_settings.expiresColumn, "expires"),
    module::stringParam("array_size_suffix", &g_settings.arraySizeSuffix, "::size"),
    module::intParam("fetch_rows", &g_settings.fetchRows, 100, 1, 1 << 20,
                     "accepted for Kamailio configs; SQLite rows are read one by one"),
    module::intParam("timer_interval", &g_settings.timerInterval, 20, 1, 3600,
                     "seconds between expiry sweeps"),
    module::intParam("db_expires", &g_settings.dbExpires, 0, 0, 1,
                     "1: load and save the expires column (autoexpire tables)"),
    module::intParam("enable_dmq", &g_settings.enableDmq, 0, 0, 0,
                     "DMQ replication is not available"),
    module::intParam("timer_procs", &g_settings.timerProcs, 0, 0, 64,
                     "accepted for Kamailio configs; the timer process sweeps"),
};

}  // namespace

}  // namespace osprey::htable

OSPREY_MODULE_EXPORT = {
    .name = "htable",
    .version = OSPREY_VERSION,
    .params = osprey::htable::kParams,
    .functions = osprey::htable::kFunctions,
    .rpc = osprey::htable::rpcMethods(),
    .api = &osprey::htable::api(),
    .init = &osprey::htable::modInit,
    .destroy = &osprey::htable::modDestroy,
};
