// Database URLs as Kamailio writes them. Osprey's embedded database is SQLite, addressed as
// "sqlite:///absolute/path.db" (three slashes: scheme, empty host, absolute path) or
// "sqlite://relative/path.db" (relative to the working directory).
#pragma once
#include <string>
#include <string_view>

namespace osprey::db {

// The file path of a sqlite URL; "" when `url` is not a sqlite URL or names no file.
std::string sqlitePath(std::string_view url);

}  // namespace osprey::db
