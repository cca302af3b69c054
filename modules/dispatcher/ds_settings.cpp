// The module's settings and the reload entry point (ds_module.h), apart from the module's
// description so the unit tests and benchmarks link them.
#include <string>
#include <vector>

#include "core/config/config.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_module.h"
#include "modules/dispatcher/ds_source.h"

namespace osprey::dispatcher {

Settings g_settings;

const Settings& settings() {
    return g_settings;
}

std::string listFilePath() {
    const std::string& f = g_settings.listFile;
    if (f.empty() || f[0] == '/') return f;
    const std::string& dir = config::current().dir;
    return dir.empty() ? f : dir + "/" + f;
}

bool reloadLists(std::string* error) {
    std::vector<Row> rows;
    const bool ok = g_settings.dbUrl.empty()
                        ? readListFile(listFilePath(), &rows, error)
                        : readListTable(g_settings.dbUrl, g_settings.tableName, &rows, error);
    return ok && publishRows(rows, error);
}

}  // namespace osprey::dispatcher
