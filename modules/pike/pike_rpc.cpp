// pike.top [HOT|WARM|ALL] (default HOT), as Kamailio answers it:
//   { max_hits, list: [ { ip_addr, leaf_hits_prev, leaf_hits_curr, expires, status } ],
//     number_of_rows }
// status is "HOT" (over the limit), "WARM" (a quarter of it in this unit) or "".
// The table is walked one bucket lock at a time (docs/rpc.md).
#include "modules/pike/pike_rpc.h"

#include <strings.h>

#include <cstring>
#include <optional>
#include <string>

#include "core/net/sock_addr.h"
#include "modules/pike/pike_state.h"

namespace osprey::pike {

namespace {

std::string addrText(const SourceKey& k) {
    uint8_t b[16];
    memcpy(b, &k.hi, 8);
    memcpy(b + 8, &k.lo, 8);
    char out[net::kIpTextMax];
    const size_t n = net::formatIp(net::fromIpBytes16(b), out, sizeof out);
    return std::string(out, n);
}

enum class Filter { Hot, Warm, All };

bool selected(Filter f, const SourceView& v) {
    switch (f) {
        case Filter::Hot:
            return v.hot;
        case Filter::Warm:
            return v.warm && !v.hot;
        case Filter::All:
            return true;
    }
    return false;
}

rpc::Result top(std::optional<std::string_view> option) noexcept {
    RateTable* t = table();
    if (t == nullptr) return rpc::Result::fault(rpc::kInternal, "pike table not initialized");
    // Kamailio looks for the word anywhere in the argument, case-insensitively.
    const std::string opt(option.value_or("HOT"));
    auto has = [&](const char* w) { return strcasestr(opt.c_str(), w) != nullptr; };
    Filter f;
    if (has("ALL")) {
        f = Filter::All;
    } else if (has("HOT")) {
        f = Filter::Hot;
    } else if (has("WARM")) {
        f = Filter::Warm;
    } else {
        return rpc::Result::fault(rpc::kInternal, "Bad argument. Select: ALL, HOT or WARM");
    }
    rpc::Value list = rpc::Value::array();
    int64_t rows = 0;
    t->visit(nowSec(), [&](const SourceView& v) {
        if (!selected(f, v)) return;
        rpc::Value item = rpc::Value::structure();
        item.add("ip_addr", addrText(v.key));
        item.add("leaf_hits_prev", static_cast<int64_t>(v.hits[kPrev]));
        item.add("leaf_hits_curr", static_cast<int64_t>(v.hits[kCurr]));
        item.add("expires", static_cast<int64_t>(v.expiresIn));
        item.add("status", v.hot ? "HOT" : (v.warm ? "WARM" : ""));
        list.push(std::move(item));
        ++rows;
    });
    rpc::Value out = rpc::Value::structure();
    out.add("max_hits", static_cast<int64_t>(t->limits().maxHits));
    out.add("list", std::move(list));
    out.add("number_of_rows", rows);
    return out;
}

constexpr rpc::Method kMethods[] = {
    rpc::method<&top>("pike.top", "option", "Addresses pike tracks: HOT (default), WARM or ALL."),
    rpc::method<&top>("pike.list", "option", "Same as pike.top."),
};

}  // namespace

std::span<const rpc::Method> rpcMethods() {
    return kMethods;
}

}  // namespace osprey::pike
