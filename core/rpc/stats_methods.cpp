#include "core/rpc/stats_methods.h"

#include <string>
#include <string_view>
#include <vector>

#include "core/rpc/http_get.h"
#include "core/stats/prometheus.h"
#include "core/stats/read.h"

namespace osprey::rpc {

namespace {

// The selectors sent ("all", "core:", "usrloc:location-users", ...); false when one is not a
// string or there is none.
bool selectors(Args args, std::vector<std::string_view>* out) {
    for (const Value& a : args) {
        if (!a.isString()) return false;
        out->push_back(a.asString());
    }
    return !out->empty();
}

Result statsGet(Args args) noexcept {
    std::vector<std::string_view> sels;
    if (!selectors(args, &sels))
        return Result::fault(kBadRequest, "Please provide which stats to retrieve");
    Value out = Value::array();
    for (std::string& line : stats::getStatistics(sels)) out.push(std::move(line));
    return out;
}

Value fetched(const std::vector<std::string_view>& sels, bool numbers) {
    Value out = Value::structure();
    for (const auto& [key, v] : stats::fetch(sels)) {
        if (numbers) {
            out.add(key, v);
        } else {
            out.add(key, std::to_string(v));
        }
    }
    return out;
}

Result statsFetch(Args args) noexcept {
    std::vector<std::string_view> sels;
    if (!selectors(args, &sels))
        return Result::fault(kBadRequest, "Please provide which stats to retrieve");
    return fetched(sels, false);
}

Result statsFetchn(Args args) noexcept {
    std::vector<std::string_view> sels;
    if (!selectors(args, &sels))
        return Result::fault(kBadRequest, "Please provide which stats to retrieve");
    return fetched(sels, true);
}

Result statsReset(Args args) noexcept {
    std::vector<std::string_view> sels;
    if (!selectors(args, &sels)) return Result::fault(kBadRequest, "Please provide stats name");
    stats::resetStatistics(sels);
    return Result::empty();
}

// The values before the reset, as Kamailio's stats.clear_statistics prints them.
Result statsClear(Args args) noexcept {
    std::vector<std::string_view> sels;
    if (!selectors(args, &sels)) return Result::fault(kBadRequest, "Please provide stats name");
    Value out = Value::array();
    for (std::string& line : stats::getStatistics(sels)) out.push(std::move(line));
    stats::resetStatistics(sels);
    return out;
}

void metricsPage(HttpGetResponse* r) noexcept {
    r->contentType = stats::kPrometheusContentType;
    r->body = stats::formatPrometheus(stats::select("all"));
}

constexpr Method kMethods[] = {
    method<&statsGet>("stats.get_statistics", "selector...",
                      "Print the statistics selected: all, group: or a name.", kReturnsArray),
    method<&statsFetch>("stats.fetch", "selector...",
                        "The statistics selected as one struct, group.name = value (strings)."),
    method<&statsFetchn>("stats.fetchn", "selector...",
                         "The statistics selected as one struct, group.name = value (numbers)."),
    method<&statsReset>("stats.reset_statistics", "selector...", "Reset the statistics selected."),
    method<&statsClear>("stats.clear_statistics", "selector...",
                        "Print, then reset, the statistics selected.", kReturnsArray),
};

}  // namespace

std::span<const Method> statsMethods() {
    return kMethods;
}

bool registerMetricsPage() {
    return setHttpGetHandler("/metrics", &metricsPage);
}

}  // namespace osprey::rpc
