// The htable module's parameters and table list (ht_state.h).
#include "modules/htable/ht_state.h"

namespace osprey::htable {

Settings g_settings;

Settings& settings() {
    return g_settings;
}

std::vector<Table*>& tables() {
    static std::vector<Table*> t;
    return t;
}

Table* findTable(std::string_view name) {
    for (Table* t : tables()) {
        if (tableName(t) == name) return t;
    }
    return nullptr;
}

}  // namespace osprey::htable
