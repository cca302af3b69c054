#include "core/db/db_url.h"

namespace osprey::db {

std::string sqlitePath(std::string_view url) {
    constexpr std::string_view scheme = "sqlite://";
    if (!url.starts_with(scheme)) return {};
    return std::string(url.substr(scheme.size()));
}

}  // namespace osprey::db
