// Parsing of htable definition strings (table_spec.h).
#include "modules/htable/table_spec.h"

#include <charconv>

namespace osprey::htable {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool toInt(std::string_view s, int64_t min, int64_t max, int64_t* out) {
    int64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < min || v > max) return false;
    *out = v;
    return true;
}

// Kamailio: size <= 1 gives 8 buckets, size > 31 gives 2^14.
unsigned clampSize(int64_t size) {
    if (size <= 1) return 3;
    if (size > 31) return 14;
    return static_cast<unsigned>(size);
}

bool applyAttr(TableSpec& t, std::string_view name, std::string_view value, std::string* error,
               std::string* warning) {
    int64_t v = 0;
    auto bad = [&](const char* what) {
        *error = "table '" + t.name + "': " + std::string(name) + "='" + std::string(value) +
                 "': " + what;
        return false;
    };
    if (name == "size") {
        if (!toInt(value, 0, UINT32_MAX, &v)) return bad("expected an unsigned integer");
        t.sizeBits = clampSize(v);
    } else if (name == "autoexpire") {
        if (!toInt(value, 0, UINT32_MAX, &v)) return bad("expected seconds");
        t.autoexpire = static_cast<uint32_t>(v);
    } else if (name == "initval") {
        if (!toInt(value, INT32_MIN, INT32_MAX, &v)) return bad("expected an integer");
        t.hasInitval = true;
        t.initval = v;
    } else if (name == "updateexpire") {
        if (!toInt(value, 0, UINT32_MAX, &v)) return bad("expected 0 or 1");
        t.updateexpire = v != 0;
    } else if (name == "dbtable") {
        if (value.empty() || value.size() > kMaxTableName) return bad("bad table name");
        for (char c : value) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '_';
            if (!ok) return bad("a table name is letters, digits and '_'");
        }
        t.dbtable = std::string(value);
    } else if (name == "dbmode") {
        if (!toInt(value, 0, 1, &v)) return bad("expected 0 or 1");
        t.dbmode = static_cast<int>(v);
    } else if (name == "dmqreplicate") {
        if (!toInt(value, 0, UINT32_MAX, &v)) return bad("expected 0 or 1");
        if (v != 0)
            *warning += "table '" + t.name + "': dmqreplicate ignored (no DMQ replication); ";
    } else if (name == "cols") {
        return bad("custom columns are not supported (the htable schema is used)");
    } else {
        return bad(
            "unknown attribute (size, autoexpire, initval, updateexpire, dbtable, "
            "dbmode, dmqreplicate)");
    }
    return true;
}

}  // namespace

bool parseTableSpecs(std::string_view text, std::vector<TableSpec>* out, std::string* error,
                     std::string* warning) {
    TableSpec* cur = nullptr;
    const size_t first = out->size();
    while (!text.empty()) {
        const size_t semi = text.find(';');
        std::string_view tok = trim(text.substr(0, semi));
        text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
        if (tok.empty()) continue;
        const size_t arrow = tok.find("=>");
        if (arrow != std::string_view::npos) {
            const std::string_view name = trim(tok.substr(0, arrow));
            if (name.empty() || name.size() > kMaxTableName) {
                *error = "'" + std::string(tok) + "': a table name of 1.." +
                         std::to_string(kMaxTableName) + " characters comes before '=>'";
                return false;
            }
            for (size_t i = 0; i < out->size(); ++i) {
                if ((*out)[i].name == name) {
                    *error = "table '" + std::string(name) + "' is defined twice";
                    return false;
                }
            }
            out->push_back(TableSpec{});
            cur = &out->back();
            cur->name = std::string(name);
            tok = trim(tok.substr(arrow + 2));
            if (tok.empty()) continue;
        }
        if (cur == nullptr) {
            *error = "'" + std::string(tok) + "': a definition starts with 'name=>'";
            return false;
        }
        const size_t eq = tok.find('=');
        if (eq == std::string_view::npos) {
            *error = "table '" + cur->name + "': '" + std::string(tok) + "' is not attr=value";
            return false;
        }
        if (!applyAttr(*cur, trim(tok.substr(0, eq)), trim(tok.substr(eq + 1)), error, warning))
            return false;
    }
    for (size_t i = first; i < out->size(); ++i) {
        if ((*out)[i].dbmode != 0 && (*out)[i].dbtable.empty()) {
            *error = "table '" + (*out)[i].name + "': dbmode=1 needs a dbtable";
            return false;
        }
    }
    return true;
}

}  // namespace osprey::htable
