// htable's pseudo-variables and iterators (ht_script.h).
#include "modules/htable/ht_script.h"

#include <cstring>
#include <string>

#include "core/log/log.h"
#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/route/msg_context.h"
#include "modules/htable/ht_state.h"

namespace osprey::htable {

namespace {

// The per-process copy a returned string views (a cell's text may change once unlocked).
std::string g_value;
std::string g_key;  // an expanded key

bool nameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Expands the pseudo-variables in a key as Kamailio's format strings do ("$au::count",
// "$si"): "$name" or "$name(...)"; $null prints "<null>". Text without '$' is returned as is.
std::string_view expandKey(route::MsgContext& mc, std::string_view key) {
    if (key.find('$') == std::string_view::npos) return key;
    g_key.clear();
    size_t i = 0;
    while (i < key.size()) {
        if (key[i] != '$') {
            g_key += key[i++];
            continue;
        }
        size_t end = i + 1;
        while (end < key.size() && nameChar(key[end])) ++end;
        if (end < key.size() && key[end] == '(') {
            int depth = 0;
            for (; end < key.size(); ++end) {
                if (key[end] == '(') ++depth;
                if (key[end] == ')' && --depth == 0) {
                    ++end;
                    break;
                }
            }
        }
        const pv::PvLookup r = pv::pvLookup(key.substr(i, end - i));
        if (end == i + 1 || r.error != pv::PvNameError::Ok) {
            g_key += key[i++];
            continue;
        }
        const lua::PvValue v = pv::pvGet(mc, r.spec);
        if (const auto* n = std::get_if<int64_t>(&v)) {
            g_key += std::to_string(*n);
        } else if (const auto* s = std::get_if<std::string_view>(&v)) {
            g_key.append(*s);
        } else {
            g_key += "<null>";
        }
        i = end;
    }
    return g_key;
}

// "table=>key": the table (logged when unknown) and the expanded key.
Table* split(route::MsgContext& mc, std::string_view arg, std::string_view* key) {
    const size_t arrow = arg.find("=>");
    if (arrow == std::string_view::npos) {
        LM_ERR("htable: '%.*s' is not table=>key", static_cast<int>(arg.size()), arg.data());
        return nullptr;
    }
    const std::string_view name = arg.substr(0, arrow);
    Table* t = findTable(name);
    if (t == nullptr) {
        LM_ERR("htable: no table '%.*s'", static_cast<int>(name.size()), name.data());
        return nullptr;
    }
    *key = expandKey(mc, arg.substr(arrow + 2));
    return t;
}

void keep(void* u, const CellView& c) {
    *static_cast<lua::PvValue*>(u) = keepValue(c);
}

lua::PvValue shtGet(route::MsgContext& mc, std::string_view arg) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    if (t == nullptr) return {};
    lua::PvValue v;
    if (tableGet(t, key, nowSec(), &keep, &v)) return v;
    if (tableHasInitval(t)) return tableInitval(t);
    return {};
}

bool shtSetStr(route::MsgContext& mc, std::string_view arg, std::string_view value) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    if (t == nullptr) return false;
    if (tableSetStr(t, key, value, nowSec())) return true;
    LM_ERR("htable: cannot set $sht(%.*s): out of shared memory", static_cast<int>(arg.size()),
           arg.data());
    return false;
}

bool shtSetInt(route::MsgContext& mc, std::string_view arg, int64_t value) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    if (t == nullptr) return false;
    if (tableSetInt(t, key, value, nowSec())) return true;
    LM_ERR("htable: cannot set $sht(%.*s): out of shared memory", static_cast<int>(arg.size()),
           arg.data());
    return false;
}

bool shtUnset(route::MsgContext& mc, std::string_view arg) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    if (t == nullptr) return false;
    tableDel(t, key);
    return true;
}

lua::PvValue shtexGet(route::MsgContext& mc, std::string_view arg) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    if (t == nullptr) return {};
    const int64_t left = tableExpiresIn(t, key, nowSec());
    return left < 0 ? int64_t{0} : left;
}

bool shtexSetInt(route::MsgContext& mc, std::string_view arg, int64_t value) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    return t != nullptr && (tableSetExpire(t, key, value, nowSec()), true);
}

lua::PvValue shtincGet(route::MsgContext& mc, std::string_view arg) {
    std::string_view key;
    Table* t = split(mc, arg, &key);
    int64_t r = 0;
    if (t == nullptr || !tableAdd(t, key, 1, nowSec(), &r)) return {};
    return r;
}

// --- iterators ---

constexpr int kIterators = 4;
constexpr size_t kIteratorName = 31;

struct Iterator {
    char name[kIteratorName + 1] = {};
    size_t nameLen = 0;  // 0: free
    Table* table = nullptr;
    Cursor cursor;
    bool positioned = false;  // cursor names a current cell
};

Iterator g_iterators[kIterators];

Iterator* findIterator(std::string_view name, bool orFree) {
    Iterator* freeOne = nullptr;
    for (Iterator& it : g_iterators) {
        if (it.nameLen == 0) {
            if (freeOne == nullptr) freeOne = &it;
        } else if (std::string_view(it.name, it.nameLen) == name) {
            return &it;
        }
    }
    return orFree ? freeOne : nullptr;
}

Iterator* usable(std::string_view iname) {
    Iterator* it = findIterator(iname, false);
    if (it == nullptr || it->table == nullptr) {
        LM_ERR("htable: iterator not found or not started [%.*s]", static_cast<int>(iname.size()),
               iname.data());
        return nullptr;
    }
    return it;
}

Iterator* current(std::string_view iname) {
    Iterator* it = usable(iname);
    if (it != nullptr && !it->positioned) {
        LM_ERR("htable: iterator not used [%.*s]", static_cast<int>(iname.size()), iname.data());
        return nullptr;
    }
    return it;
}

bool step(Iterator* it) {
    it->positioned = tableNext(it->table, it->cursor, nowSec(), nullptr, nullptr);
    return it->positioned;
}

lua::PvValue itKeyGet(route::MsgContext&, std::string_view iname) {
    Iterator* it = findIterator(iname, false);
    if (it == nullptr || !it->positioned) return {};
    g_value = it->cursor.key;
    return std::string_view(g_value);
}

lua::PvValue itValGet(route::MsgContext&, std::string_view iname) {
    Iterator* it = findIterator(iname, false);
    if (it == nullptr || !it->positioned) return {};
    lua::PvValue v;
    tableGet(it->table, it->cursor.key, nowSec(), &keep, &v);
    return v;
}

constexpr pv::PvClass kPvClasses[] = {
    {"sht", &shtGet, &shtSetStr, &shtSetInt, &shtUnset},
    {"shtex", &shtexGet, nullptr, &shtexSetInt, nullptr},
    {"shtinc", &shtincGet},
    {"shtitkey", &itKeyGet},
    {"shtitval", &itValGet},
};

}  // namespace

std::span<const pv::PvClass> pvClasses() {
    return kPvClasses;
}

lua::PvValue keepValue(const CellView& c) {
    if (!c.isStr) return c.num;
    g_value.assign(c.str);
    return std::string_view(g_value);
}

int iteratorStart(std::string_view iname, std::string_view hname) {
    if (iname.empty() || hname.empty()) return -1;
    Iterator* it = findIterator(iname, true);
    if (it == nullptr) {
        LM_ERR("htable: no iterator available - max number is %d", kIterators);
        return -1;
    }
    if (it->nameLen == 0) {
        if (iname.size() > kIteratorName) {
            LM_ERR("htable: iterator name is too big [%.*s] (max %zu)",
                   static_cast<int>(iname.size()), iname.data(), kIteratorName);
            return -1;
        }
        std::memcpy(it->name, iname.data(), iname.size());
        it->nameLen = iname.size();
    }
    it->cursor = Cursor{};
    it->positioned = false;
    it->table = findTable(hname);
    if (it->table == nullptr) {
        LM_ERR("htable: cannot get hash table [%.*s]", static_cast<int>(hname.size()),
               hname.data());
        return -1;
    }
    return 1;
}

int iteratorNext(std::string_view iname) {
    Iterator* it = usable(iname);
    if (it == nullptr) return -1;
    return step(it) ? 1 : -1;
}

int iteratorEnd(std::string_view iname) {
    Iterator* it = findIterator(iname, false);
    if (it == nullptr) {
        LM_ERR("htable: iterator not found [%.*s]", static_cast<int>(iname.size()), iname.data());
        return -1;
    }
    *it = Iterator{};
    return 1;
}

int iteratorRm(std::string_view iname) {
    Iterator* it = current(iname);
    if (it == nullptr) return -1;
    tableDel(it->table, it->cursor.key);
    return step(it) ? 1 : -2;  // Kamailio: -2 when removed and no item follows
}

int iteratorSets(std::string_view iname, std::string_view value) {
    Iterator* it = current(iname);
    if (it == nullptr) return -1;
    return tableSetStr(it->table, it->cursor.key, value, nowSec()) ? 1 : -1;
}

int iteratorSeti(std::string_view iname, int64_t value) {
    Iterator* it = current(iname);
    if (it == nullptr) return -1;
    return tableSetInt(it->table, it->cursor.key, value, nowSec()) ? 1 : -1;
}

int iteratorSetex(std::string_view iname, int64_t exval) {
    Iterator* it = current(iname);
    if (it == nullptr) return -1;
    return tableSetExpire(it->table, it->cursor.key, exval, nowSec()) ? 1 : -1;
}

}  // namespace osprey::htable
