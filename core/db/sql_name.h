// Table and column names that come from configuration or scripts (auth_db's table argument,
// acc's db_extra names) are put into SQL text, which parameters cannot carry: only plain
// identifiers are accepted, so such a name can never change the statement.
#pragma once
#include <string_view>

namespace osprey::db {

// Letters, digits and '_', not starting with a digit, at most 64 characters.
inline bool isSqlName(std::string_view s) {
    if (s.empty() || s.size() > 64 || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace osprey::db
