// The htable module's parameters and its tables, shared by its files. Filled in the master
// (parameters by the loader, tables by init) before fork and read-only afterwards, so every
// process reads them without a lock; the tables themselves live in shm.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "modules/htable/table.h"

namespace osprey::htable {

struct Settings {
    std::string htable;  // the definition strings
    std::string dbUrl;
    std::string keyNameColumn;
    std::string keyTypeColumn;
    std::string valueTypeColumn;
    std::string keyValueColumn;
    std::string expiresColumn;
    std::string arraySizeSuffix;
    int fetchRows = 100;
    int timerInterval = 20;
    int dbExpires = 0;
    int enableDmq = 0;
    int timerProcs = 0;
};

Settings& settings();
extern Settings g_settings;  // the same object; the parameter table takes its members' addresses

// Tables in definition order.
std::vector<Table*>& tables();
Table* findTable(std::string_view name);

inline int64_t nowSec() {
    return static_cast<int64_t>(time(nullptr));
}

}  // namespace osprey::htable
