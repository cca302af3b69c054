// What htable offers other modules through ModuleExport::api (pike writing a ban, a core
// early-drop step checking one) without going through Lua:
//
//     const htable::Api* ht = module::loadedModules().api<htable::Api>("htable");
//     htable::Table* ban = ht->table("ipban");
//     if (ban != nullptr && ht->exists(ban, srcIp)) { /* drop */ }
//
// Each call locks one bucket for its duration; expired items are never seen. Valid in every
// process once the module's init ran (the tables are created before fork).
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::htable {

struct Table;

struct Api {
    Table* (*table)(std::string_view name);  // nullptr when no such table
    bool (*exists)(Table* t, std::string_view key);
    // The integer value; false when absent, expired or a string.
    bool (*getInt)(Table* t, std::string_view key, int64_t* out);
    // False when shm is full.
    bool (*setInt)(Table* t, std::string_view key, int64_t value);
    bool (*setStr)(Table* t, std::string_view key, std::string_view value);
    int (*remove)(Table* t, std::string_view key);  // 1 removed, 0 absent
};

const Api& api();

}  // namespace osprey::htable
