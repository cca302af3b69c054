// Parsing and reading acc's extra attributes.
#include "modules/acc/acc_extra.h"

#include <cstdio>

#include "core/db/sql_name.h"
#include "core/pv/pv_access.h"
#include "core/sip/text.h"

namespace osprey::acc {

bool parseExtras(std::string_view def, std::vector<Extra>& out, std::string* error) {
    out.clear();
    while (!def.empty()) {
        const size_t semi = def.find(';');
        const std::string_view item = sip::trim(def.substr(0, semi));
        def = semi == std::string_view::npos ? std::string_view() : def.substr(semi + 1);
        if (item.empty()) continue;
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            *error = "'" + std::string(item) + "' is not name=$pv";
            return false;
        }
        Extra e;
        e.name = std::string(sip::trim(item.substr(0, eq)));
        e.pv = std::string(sip::trim(item.substr(eq + 1)));
        if (!db::isSqlName(e.name)) {
            *error = "'" + e.name + "' is not a plain name (it becomes a column)";
            return false;
        }
        out.push_back(std::move(e));
    }
    // Specs are views into the strings: parsed once the vector no longer moves them.
    for (Extra& e : out) {
        const pv::PvNameError err = pv::parsePvName(e.pv, e.spec);
        if (err != pv::PvNameError::Ok) {
            *error = "'" + e.pv + "': " + pv::pvNameErrorText(err);
            return false;
        }
    }
    return true;
}

std::string_view extraValue(route::MsgContext& mc, const Extra& e, char (&buf)[24]) {
    const lua::PvValue v = pv::pvGet(mc, e.spec);
    if (const auto* s = std::get_if<std::string_view>(&v)) return *s;
    if (const auto* i = std::get_if<int64_t>(&v)) {
        const int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(*i));
        return {buf, static_cast<size_t>(n)};
    }
    return {};
}

}  // namespace osprey::acc
