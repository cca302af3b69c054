// pv: Kamailio's KSR.pv functions over the core's pseudo-variables (core/pv/).
//   KSR.pv.get(name)        string, integer, or nil for $null
//   KSR.pv.gete(name)       as get, "" for $null;  KSR.pv.getw(name): "<<null>>" for $null
//   KSR.pv.getvn(name, n) / getvs(name, s): as get, n / s for $null
//   KSR.pv.sets(name, s) / seti(name, i) / unset(name)   1 ok, -1 read-only or bad value
//   KSR.pv.is_null(name)    true when $null
// $shv(name) values are shared by every process (created in init, before fork).
// A bad name logs script:line and gives nil (get) or -1 (setters), as in Kamailio; names are
// parsed once per process (pv_cache.h).
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/lua/script_location.h"
#include "core/module/module_export.h"
#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/pv/shared_vars.h"
#include "core/route/msg_context.h"

namespace {

using namespace osprey;
using lua::PvValue;

// The spec for name, or false after logging why there is none.
bool resolve(const char* fn, std::string_view name, pv::PvSpec& spec) {
    const pv::PvLookup r = pv::pvLookup(name);
    if (r.error == pv::PvNameError::Ok) {
        spec = r.spec;
        return true;
    }
    char where[96];
    LM_ERR("%s: KSR.pv.%s: bad pseudo-variable name '%.*s' (%s)",
           lua::scriptLocation(where, sizeof where).data(), fn, static_cast<int>(name.size()),
           name.data(), pv::pvNameErrorText(r.error));
    return false;
}

PvValue getOr(lua::Ctx& ctx, const char* fn, std::string_view name, PvValue ifNull) {
    pv::PvSpec spec;
    if (ctx.route == nullptr || !resolve(fn, name, spec)) return ifNull;
    PvValue v = pv::pvGet(*ctx.route, spec);
    return std::holds_alternative<std::monostate>(v) ? ifNull : v;
}

PvValue get(lua::Ctx& ctx, std::string_view name) noexcept {
    return getOr(ctx, "get", name, {});
}

PvValue gete(lua::Ctx& ctx, std::string_view name) noexcept {
    return getOr(ctx, "gete", name, std::string_view());
}

PvValue getw(lua::Ctx& ctx, std::string_view name) noexcept {
    return getOr(ctx, "getw", name, std::string_view("<<null>>"));
}

PvValue getvn(lua::Ctx& ctx, std::string_view name, int64_t ifNull) noexcept {
    return getOr(ctx, "getvn", name, ifNull);
}

PvValue getvs(lua::Ctx& ctx, std::string_view name, std::string_view ifNull) noexcept {
    return getOr(ctx, "getvs", name, ifNull);
}

// Resolves a name for writing; logs when it is not writable.
bool resolveWritable(const char* fn, std::string_view name, pv::PvSpec& spec) {
    if (!resolve(fn, name, spec)) return false;
    if (pv::pvWritable(spec.kind)) return true;
    char where[96];
    LM_ERR("%s: KSR.pv.%s: '%.*s' is read-only", lua::scriptLocation(where, sizeof where).data(),
           fn, static_cast<int>(name.size()), name.data());
    return false;
}

int sets(lua::Ctx& ctx, std::string_view name, std::string_view value) noexcept {
    pv::PvSpec spec;
    if (ctx.route == nullptr || !resolveWritable("sets", name, spec)) return -1;
    return pv::pvSetStr(*ctx.route, spec, value) ? 1 : -1;
}

int seti(lua::Ctx& ctx, std::string_view name, int64_t value) noexcept {
    pv::PvSpec spec;
    if (ctx.route == nullptr || !resolveWritable("seti", name, spec)) return -1;
    return pv::pvSetInt(*ctx.route, spec, value) ? 1 : -1;
}

int unset(lua::Ctx& ctx, std::string_view name) noexcept {
    pv::PvSpec spec;
    if (ctx.route == nullptr || !resolveWritable("unset", name, spec)) return -1;
    return pv::pvUnset(*ctx.route, spec) ? 1 : -1;
}

bool isNull(lua::Ctx& ctx, std::string_view name) noexcept {
    pv::PvSpec spec;
    if (ctx.route == nullptr || !resolve("is_null", name, spec)) return true;
    return std::holds_alternative<std::monostate>(pv::pvGet(*ctx.route, spec));
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&get>("get"),     lua::fn<&gete>("gete"),   lua::fn<&getw>("getw"),
    lua::fn<&getvn>("getvn"), lua::fn<&getvs>("getvs"), lua::fn<&sets>("sets"),
    lua::fn<&seti>("seti"),   lua::fn<&unset>("unset"), lua::fn<&isNull>("is_null"),
};

// The $shv table is created before fork so that every process shares it.
bool modInit() {
    if (pv::sharedVarsInit()) return true;
    LM_ERR("pv: no shared memory for the $shv table");
    return false;
}

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "pv",
    .version = OSPREY_VERSION,
    .functions = kFunctions,
    .init = &modInit,
};
