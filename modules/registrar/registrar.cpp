// registrar: REGISTER processing and location lookup (Kamailio's registrar module) on top of
// usrloc's tables.
//   KSR.registrar.save(table, flags)      RFC 3261 §10.3; replies itself (save.h)
//   KSR.registrar.lookup(table)           R-URI := best binding, others as branches (lookup.h)
//                                         unless append_branches = 0
//   KSR.registrar.registered(table)       1 / -1
//   KSR.registrar.unregister(table, uri)  1 / -1 / -2
// Parameters: default_expires (3600), min_expires (1; shorter is 423 Interval Too Brief),
// max_expires (3600; longer is lowered, 0 = no limit), max_contacts (0 = no limit; more is
// 503 like Kamailio), append_branches (1). Documented in modules/registrar/README.md.
// Statistics (Kamailio's): accepted_regs, rejected_regs (save's outcome), and the settings
// max_expires, max_contacts, default_expire, default_expires_range, expires_range.
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/live_params.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "core/route/msg_context.h"
#include "core/stats/registry.h"
#include "modules/registrar/lookup.h"
#include "modules/registrar/registrar_state.h"
#include "modules/registrar/save.h"

namespace osprey::registrar {

namespace {

Settings g_settings;
Settings* g_live = &g_settings;  // the shm copy after init: cfg.set registrar ... changes it
const usrloc::Api* g_ul = nullptr;

bool shareLiveParams();
struct RegStats {
    stats::Counter accepted, rejected;
    stats::Gauge maxExpires, maxContacts, defaultExpire, defaultExpiresRange, expiresRange;
};
RegStats g_st;

using stats::counterDef;
using stats::gaugeDef;
const stats::Def kStats[] = {
    gaugeDef("max_expires", &g_st.maxExpires, "max_expires setting", stats::Kind::Level),
    gaugeDef("max_contacts", &g_st.maxContacts, "max_contacts setting", stats::Kind::Level),
    gaugeDef("default_expire", &g_st.defaultExpire, "default_expires setting", stats::Kind::Level),
    gaugeDef("default_expires_range", &g_st.defaultExpiresRange, "Always 0 (no such setting)",
             stats::Kind::Level),
    gaugeDef("expires_range", &g_st.expiresRange, "Always 0 (no such setting)", stats::Kind::Level),
    counterDef("accepted_regs", &g_st.accepted, "REGISTER requests saved"),
    counterDef("rejected_regs", &g_st.rejected, "REGISTER requests save refused"),
};

int kSave(lua::Ctx& ctx, std::string_view table, int flags) noexcept {
    const int rc = ctx.route != nullptr ? save(*ctx.route, table, flags) : -1;
    stats::inc(rc > 0 ? g_st.accepted : g_st.rejected);
    return rc;
}
int kLookup(lua::Ctx& ctx, std::string_view table) noexcept {
    return ctx.route != nullptr ? lookup(*ctx.route, table) : -3;
}
int kRegistered(lua::Ctx& ctx, std::string_view table) noexcept {
    return ctx.route != nullptr ? registered(*ctx.route, table) : -1;
}
int kUnregister(lua::Ctx& ctx, std::string_view table, std::string_view uri) noexcept {
    return ctx.route != nullptr ? unregister(*ctx.route, table, uri) : -2;
}

bool modInit() {
    g_ul = module::loadedModules().api<usrloc::Api>("usrloc");
    if (g_ul == nullptr) {
        LM_ERR("registrar: the usrloc module is not loaded");
        return false;
    }
    if (g_settings.maxExpires > 0 && g_settings.minExpires > g_settings.maxExpires) {
        LM_ERR("registrar: min_expires %d is above max_expires %d", g_settings.minExpires,
               g_settings.maxExpires);
        return false;
    }
    if (!stats::declareGroup("registrar", kStats)) return false;
    stats::setLevel(g_st.maxExpires, g_settings.maxExpires);
    stats::setLevel(g_st.maxContacts, g_settings.maxContacts);
    stats::setLevel(g_st.defaultExpire, g_settings.defaultExpires);
    return shareLiveParams();
}

constexpr const char* kDeps[] = {"usrloc"};

constexpr module::ParamSpec kParams[] = {
    module::intParam("default_expires", &g_settings.defaultExpires, 3600, 0, 1 << 30,
                     "seconds, when neither the contact nor an Expires header gives one"),
    module::intParam("min_expires", &g_settings.minExpires, 1, 0, 1 << 30,
                     "shorter non-zero expiry is refused with 423 Interval Too Brief"),
    module::intParam("max_expires", &g_settings.maxExpires, 3600, 0, 1 << 30,
                     "longer expiry is lowered to this; 0 = no limit"),
    module::intParam("max_contacts", &g_settings.maxContacts, 0, 0, 1 << 20,
                     "bindings per AOR (more: 503); 0 = no limit"),
    module::intParam("append_branches", &g_settings.appendBranches, 1, 0, 1,
                     "lookup: 1 the other bindings become branches (parallel forking), 0 only the "
                     "best binding rewrites the R-URI"),
};

bool shareLiveParams() {
    Settings* p = module::shareParams(
        "registrar", g_settings, kParams,
        {"default_expires", "min_expires", "max_expires", "max_contacts", "append_branches"});
    if (p == nullptr) return false;
    g_live = p;
    return true;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&kSave>("save"),
    lua::fn<&kLookup>("lookup"),
    lua::fn<&kRegistered>("registered"),
    lua::fn<&kUnregister>("unregister"),
};

}  // namespace

Settings settings() {
    const Settings& l = *g_live;
    Settings s;
    s.defaultExpires = module::liveRead(l.defaultExpires);
    s.minExpires = module::liveRead(l.minExpires);
    s.maxExpires = module::liveRead(l.maxExpires);
    s.maxContacts = module::liveRead(l.maxContacts);
    s.appendBranches = module::liveRead(l.appendBranches);
    return s;
}
const usrloc::Api* ul() {
    return g_ul;
}

}  // namespace osprey::registrar

OSPREY_MODULE_EXPORT = {
    .name = "registrar",
    .version = OSPREY_VERSION,
    .deps = osprey::registrar::kDeps,
    .params = osprey::registrar::kParams,
    .functions = osprey::registrar::kFunctions,
    .init = &osprey::registrar::modInit,
};
