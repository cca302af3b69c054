// Test-only module for the RPC tests: methods with typed and optional parameters, a fault, a
// large result, and a dummy GET /metrics page on the RPC HTTP listener (the hook the
// statistics module uses).
#include <string>

#include "core/module/module_export.h"
#include "core/rpc/http_get.h"
#include "core/rpc/method.h"

namespace {

using namespace osprey;

rpc::Result echo(int64_t n, std::string_view s, std::optional<double> d) noexcept {
    rpc::Value v = rpc::Value::structure();
    v.add("n", n);
    v.add("s", s);
    if (d) v.add("d", *d);
    return v;
}

rpc::Result notFound(std::string_view aor) noexcept {
    return rpc::Result::fault(rpc::kNotFound, "AOR not found: " + std::string(aor));
}

rpc::Result many(int64_t count) noexcept {
    if (count < 0 || count > 1'000'000) return rpc::Result::fault(rpc::kBadRequest, "bad count");
    rpc::Value v = rpc::Value::array();
    for (int64_t i = 0; i < count; ++i) v.push("item-" + std::to_string(i));
    return v;
}

void metrics(rpc::HttpGetResponse* out) noexcept {
    out->contentType = "text/plain; version=0.0.4";
    out->body = "# TYPE testmod_requests counter\ntestmod_requests 42\n";
}

bool modInit() {
    return rpc::setHttpGetHandler("/metrics", &metrics);
}

constexpr rpc::Method kRpc[] = {
    rpc::method<&echo>("testmod.echo", "n s d", "Echo an integer, a string and a double."),
    rpc::method<&notFound>("testmod.not_found", "aor", "Always answers 404."),
    rpc::method<&many>("testmod.many", "count", "An array of count strings.", rpc::kReturnsArray),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "testmod_rpc",
    .rpc = kRpc,
    .init = &modInit,
};
