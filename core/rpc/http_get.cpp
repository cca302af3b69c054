#include "core/rpc/http_get.h"

#include <array>

namespace osprey::rpc {

namespace {

struct Route {
    std::string path;
    HttpGetHandler fn = nullptr;
};

constexpr size_t kMaxRoutes = 16;
std::array<Route, kMaxRoutes> g_routes;

}  // namespace

bool setHttpGetHandler(std::string_view path, HttpGetHandler fn) {
    if (path.empty() || path.front() != '/') return false;
    Route* freeSlot = nullptr;
    for (Route& r : g_routes) {
        if (r.fn != nullptr && r.path == path) {
            r.fn = fn;
            return true;
        }
        if (r.fn == nullptr && freeSlot == nullptr) freeSlot = &r;
    }
    if (fn == nullptr) return true;
    if (freeSlot == nullptr) return false;
    freeSlot->path = std::string(path);
    freeSlot->fn = fn;
    return true;
}

HttpGetHandler httpGetHandler(std::string_view path) {
    for (const Route& r : g_routes) {
        if (r.fn != nullptr && r.path == path) return r.fn;
    }
    return nullptr;
}

}  // namespace osprey::rpc
