// The htable Api other modules call (api.h).
#include "modules/htable/api.h"

#include "modules/htable/ht_state.h"
#include "modules/htable/table.h"

namespace osprey::htable {

namespace {

bool apiExists(Table* t, std::string_view key) {
    return tableExists(t, key, nowSec());
}

bool apiGetInt(Table* t, std::string_view key, int64_t* out) {
    struct R {
        bool isInt = false;
        int64_t v = 0;
    } r;
    tableGet(
        t, key, nowSec(),
        [](void* u, const CellView& c) {
            auto* x = static_cast<R*>(u);
            x->isInt = !c.isStr;
            x->v = c.num;
        },
        &r);
    if (r.isInt) *out = r.v;
    return r.isInt;
}

bool apiSetInt(Table* t, std::string_view key, int64_t value) {
    return tableSetInt(t, key, value, nowSec());
}

bool apiSetStr(Table* t, std::string_view key, std::string_view value) {
    return tableSetStr(t, key, value, nowSec());
}

const Api kApi = {&findTable, &apiExists, &apiGetInt, &apiSetInt, &apiSetStr, &tableDel};

}  // namespace

const Api& api() {
    return kApi;
}

}  // namespace osprey::htable
