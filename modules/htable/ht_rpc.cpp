// htable's RPC handlers (ht_rpc.h). They run in the control process and lock one bucket at a
// time.
#include "modules/htable/ht_rpc.h"

#include <ctime>
#include <string>

#include "core/log/log.h"
#include "modules/htable/ht_db.h"
#include "modules/htable/ht_state.h"

namespace osprey::htable {

namespace {

constexpr int kValStr = 2;  // Kamailio's AVP_VAL_STR, the "flags" of a string item

rpc::Result noTable() {
    return rpc::Result::fault(rpc::kInternal, "No such htable");
}

rpc::Result dump(std::string_view name) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    rpc::Value out = rpc::Value::array();
    const int64_t now = nowSec();
    for (size_t b = 0; b < tableBuckets(t); ++b) {
        rpc::Value slot = rpc::Value::array();
        tableVisitBucket(
            t, b, now,
            [](void* u, const CellView& c) {
                rpc::Value item = rpc::Value::structure();
                item.add("name", c.key);
                if (c.isStr) {
                    item.add("value", c.str);
                    item.add("type", "str");
                } else {
                    item.add("value", c.num);
                    item.add("type", "int");
                }
                static_cast<rpc::Value*>(u)->push(std::move(item));
            },
            &slot);
        if (slot.items().empty()) continue;
        rpc::Value entry = rpc::Value::structure();
        entry.add("entry", static_cast<int64_t>(b));
        entry.add("size", static_cast<int64_t>(slot.items().size()));
        entry.add("slot", std::move(slot));
        out.push(std::move(entry));
    }
    return out;
}

rpc::Result get(std::string_view name, std::string_view key) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    rpc::Value item = rpc::Value::structure();
    const bool found = tableGet(
        t, key, nowSec(),
        [](void* u, const CellView& c) {
            auto* v = static_cast<rpc::Value*>(u);
            v->add("name", c.key);
            if (c.isStr)
                v->add("value", c.str);
            else
                v->add("value", c.num);
            v->add("flags", c.isStr ? kValStr : 0);
            char when[32] = "NEVER";
            if (c.expire != 0) {
                const time_t e = static_cast<time_t>(c.expire);
                tm parts{};
                localtime_r(&e, &parts);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &parts);
            }
            v->add("expire", when);
        },
        &item);
    if (!found) return rpc::Result::fault(rpc::kInternal, "Key name doesn't exist in htable.");
    rpc::Value out = rpc::Value::structure();
    out.add("item", std::move(item));
    return out;
}

rpc::Result del(std::string_view name, std::string_view key) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    if (tableDel(t, key) == 0)
        return rpc::Result::fault(rpc::kNotFound, "Key not found in htable.");
    return rpc::Value("Ok. Key deleted.");
}

rpc::Result failedSet() {
    return rpc::Result::fault(rpc::kInternal, "Failed to set the item");
}

rpc::Result sets(std::string_view name, std::string_view key, std::string_view value) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    if (!tableSetStr(t, key, value, nowSec())) return failedSet();
    return rpc::Value("Ok. Key set to new value.");
}

rpc::Result seti(std::string_view name, std::string_view key, int64_t value) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    if (!tableSetInt(t, key, value, nowSec())) return failedSet();
    return rpc::Value("Ok. Key set to new value.");
}

rpc::Result setex(std::string_view name, std::string_view key, int64_t exv) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    tableSetExpire(t, key, exv, nowSec());
    return rpc::Value("Ok");
}

rpc::Result setxs(std::string_view name, std::string_view key, std::string_view value,
                  int64_t exv) noexcept {
    Table* t = findTable(name);
    if (t == nullptr || !tableSetStr(t, key, value, nowSec(), exv)) return failedSet();
    return rpc::Value("Ok. Key set to new value.");
}

rpc::Result setxi(std::string_view name, std::string_view key, int64_t value,
                  int64_t exv) noexcept {
    Table* t = findTable(name);
    if (t == nullptr || !tableSetInt(t, key, value, nowSec(), exv)) return failedSet();
    return rpc::Value("Ok. Key set to new value.");
}

rpc::Result flush(std::string_view name) noexcept {
    Table* t = findTable(name);
    if (t == nullptr) return noTable();
    tableFlush(t);
    return rpc::Value("Ok. Htable flushed.");
}

// Kamailio's checks, in its order: db_url, the table, its dbtable.
Table* dbTable(std::string_view name, rpc::Result* fault) {
    if (settings().dbUrl.empty()) {
        *fault = rpc::Result::fault(rpc::kInternal, "No htable db_url");
        return nullptr;
    }
    Table* t = findTable(name);
    if (t == nullptr) {
        *fault = noTable();
        return nullptr;
    }
    if (tableDbtable(t).empty()) {
        *fault = rpc::Result::fault(rpc::kInternal, "No database htable");
        return nullptr;
    }
    return t;
}

// Loads into a scratch table and swaps it in bucket by bucket: a failed load leaves the
// table as it was, and no bucket is locked while SQLite reads.
rpc::Result reload(std::string_view name) noexcept {
    rpc::Result fault = rpc::Result::empty();
    Table* t = dbTable(name, &fault);
    if (t == nullptr) return fault;
    TableSpec spec;
    spec.name = std::string(tableName(t));
    spec.sizeBits = static_cast<unsigned>(__builtin_ctzll(tableBuckets(t)));
    spec.autoexpire = tableAutoexpire(t);
    spec.hasInitval = tableHasInitval(t);
    spec.initval = tableInitval(t);
    spec.updateexpire = tableUpdateexpire(t);
    spec.dbtable = std::string(tableDbtable(t));
    Table* scratch = tableCreate(spec);
    if (scratch == nullptr)
        return rpc::Result::fault(rpc::kInternal, "No resources for htable reload");
    std::string error;
    if (!dbLoad(t, scratch, &error)) {
        LM_ERR("htable: reload of %s failed: %s", spec.name.c_str(), error.c_str());
        tableDestroy(scratch);
        return rpc::Result::fault(rpc::kInternal, "Htable reload failed");
    }
    tableSwapContents(t, scratch);
    tableDestroy(scratch);
    return rpc::Value("Ok. Htable reloaded.");
}

rpc::Result store(std::string_view name) noexcept {
    rpc::Result fault = rpc::Result::empty();
    Table* t = dbTable(name, &fault);
    if (t == nullptr) return fault;
    std::string error;
    if (!dbSave(t, &error)) {
        LM_ERR("htable: store of %.*s failed: %s", static_cast<int>(name.size()), name.data(),
               error.c_str());
        return rpc::Result::fault(rpc::kInternal, "Storing htable failed");
    }
    return rpc::Value("Ok. Htable successfully stored to DB.");
}

rpc::Result listTables() noexcept {
    if (tables().empty()) return rpc::Result::fault(rpc::kInternal, "No htables");
    rpc::Value out = rpc::Value::array();
    for (Table* t : tables()) {
        rpc::Value v = rpc::Value::structure();
        v.add("name", tableName(t));
        v.add("dbtable", tableDbtable(t));
        v.add("dbmode", tableDbmode(t));
        v.add("expire", static_cast<int64_t>(tableAutoexpire(t)));
        v.add("updateexpire", tableUpdateexpire(t) ? 1 : 0);
        v.add("size", static_cast<int64_t>(tableBuckets(t)));
        v.add("dmqreplicate", 0);
        out.push(std::move(v));
    }
    return out;
}

rpc::Result stats() noexcept {
    if (tables().empty()) return rpc::Result::fault(rpc::kInternal, "No htables");
    rpc::Value out = rpc::Value::array();
    for (Table* t : tables()) {
        const TableStats s = tableStats(t);
        rpc::Value v = rpc::Value::structure();
        v.add("name", tableName(t));
        v.add("slots", static_cast<int64_t>(tableBuckets(t)));
        v.add("all", static_cast<int64_t>(s.all));
        v.add("min", static_cast<int64_t>(s.min));
        v.add("max", static_cast<int64_t>(s.max));
        out.push(std::move(v));
    }
    return out;
}

constexpr rpc::Method kMethods[] = {
    rpc::method<&dump>("htable.dump", "htable", "Dump the contents of hash table.",
                       rpc::kReturnsArray),
    rpc::method<&del>("htable.delete", "htable key", "Delete one key from a hash table."),
    rpc::method<&get>("htable.get", "htable key", "Get one key from a hash table."),
    rpc::method<&sets>("htable.sets", "htable key value",
                       "Set one key in a hash table to a string."),
    rpc::method<&seti>("htable.seti", "htable key value",
                       "Set one key in a hash table to an integer."),
    rpc::method<&setex>("htable.setex", "htable key expire", "Set the expire of one key."),
    rpc::method<&setxs>("htable.setxs", "htable key value expire",
                        "Set one key to a string, with its expire."),
    rpc::method<&setxi>("htable.setxi", "htable key value expire",
                        "Set one key to an integer, with its expire."),
    rpc::method<&listTables>("htable.listTables", "", "List all htables.", rpc::kReturnsArray),
    rpc::method<&reload>("htable.reload", "htable", "Reload hash table from database."),
    rpc::method<&store>("htable.store", "htable", "Store hash table to database."),
    rpc::method<&stats>("htable.stats", "", "Statistics of the hash tables.", rpc::kReturnsArray),
    rpc::method<&flush>("htable.flush", "htable", "Empty the hash table."),
};

}  // namespace

std::span<const rpc::Method> rpcMethods() {
    return kMethods;
}

}  // namespace osprey::htable
