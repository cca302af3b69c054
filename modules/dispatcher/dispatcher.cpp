// dispatcher: load balancing and failover over destination sets, Kamailio's module of the same
// name (parameters, KSR.dispatcher.* functions, flags, return values and RPC answers).
// Design notes: docs/dispatcher.md; usage: modules/dispatcher/README.md.
#include <string>
#include <vector>

#include "core/log/log.h"
#include "core/module/module_export.h"
#include "core/proc/process_kind.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_kemi.h"
#include "modules/dispatcher/ds_module.h"
#include "modules/dispatcher/ds_ping.h"
#include "modules/dispatcher/ds_rpc.h"

namespace osprey::dispatcher {

namespace {

constexpr module::ParamSpec kParams[] = {
    module::stringParam("list_file", &g_settings.listFile, "dispatcher.list",
                        "destination list file (relative to the config file)"),
    module::stringParam("db_url", &g_settings.dbUrl, "",
                        "sqlite:///path.db: load the sets from the database instead"),
    module::stringParam("table_name", &g_settings.tableName, "dispatcher", "database table"),
    module::intParam("flags", &g_settings.flags, 0, 0, 3,
                     "1: hash over the URI user only; 2: failover (ds_next_dst)"),
    module::intParam("use_default", &g_settings.useDefault, 0, 0, 1,
                     "the last destination of a set is tried only when all others failed"),
    module::intParam("force_dst", &g_settings.forceDst, 1, 0, 1,
                     "overwrite $du when it is already set"),
    module::stringParam("hash_pvar", &g_settings.hashPvar, "", "what algorithm 7 hashes"),
    module::stringParam("setid_pvname", &g_settings.setidPvname, "",
                        "pv set to the matching set id by ds_is_from_list"),
    module::stringParam("attrs_pvname", &g_settings.attrsPvname, "",
                        "pv set to the matching destination's attrs by ds_is_from_list"),
    module::stringParam("dst_attrs_pvname", &g_settings.dstAttrsPvname, "",
                        "pv set to the selected destination's attrs by ds_select_*/ds_next_*"),
    module::intParam("ds_ping_interval", &g_settings.pingInterval, 0, 0, 86400,
                     "seconds between keepalives; 0: none"),
    module::stringParam("ds_ping_method", &g_settings.pingMethod, "OPTIONS", "keepalive method"),
    module::stringParam("ds_ping_from", &g_settings.pingFrom, "sip:dispatcher@localhost",
                        "From URI of keepalives"),
    module::stringParam("ds_ping_reply_codes", &g_settings.pingReplyCodes, "",
                        "accepted keepalive answers besides 200: class=2;code=403"),
    module::intParam("ds_probing_threshold", &g_settings.probingThreshold, 1, 1, 1000,
                     "failures before a destination becomes inactive"),
    module::intParam("ds_inactive_threshold", &g_settings.inactiveThreshold, 1, 1, 1000,
                     "answered keepalives before an inactive destination is active again"),
    module::intParam("ds_probing_mode", &g_settings.probingMode, 0, 0, 3,
                     "0 probing ones, 1 all, 2 inactive probing ones, 3 probing ones for ever"),
    module::intParam("ds_ping_latency_stats", &g_settings.pingLatencyStats, 0, 0, 1,
                     "keep latency statistics of keepalives"),
    module::intParam("ds_latency_estimator_alpha", &g_settings.latencyAlpha, 100, 1, 1000,
                     "weight of a new latency sample in the estimate, per mille"),
    module::intParam("ds_hash_size", &g_settings.hashSize, 0, 0, 20,
                     "2^n slots of the call-load table (algorithm 10); 0: off"),
    module::intParam("ds_hash_expire", &g_settings.hashExpire, 7200, 1, 86400 * 7,
                     "seconds a confirmed call counts without a BYE"),
    module::intParam("ds_hash_initexpire", &g_settings.hashInitExpire, 7200, 1, 86400 * 7,
                     "seconds an unconfirmed call counts"),
    module::intParam("ds_hash_check_interval", &g_settings.hashCheckInterval, 30, 1, 3600,
                     "seconds between sweeps of expired calls"),
};

bool modInit() {
    if (!initCurrent() ||
        !initCalls(g_settings.hashSize, g_settings.hashExpire, g_settings.hashInitExpire)) {
        LM_ERR("dispatcher: out of shared memory");
        return false;
    }
    if (!parsePingReplyCodes()) return false;
    std::string error;
    if (!reloadLists(&error)) {
        LM_ERR("dispatcher: %s", error.c_str());
        return false;
    }
    const ReloadStats st = reloadStats();
    LM_INFO("dispatcher: destination list generation %lu loaded",
            static_cast<unsigned long>(st.generation));
    declarePingProcess();
    return true;
}

void modDestroy() {
    destroyCurrent();
    destroyCalls();
}

}  // namespace

}  // namespace osprey::dispatcher

OSPREY_MODULE_EXPORT = {
    .name = "dispatcher",
    .version = OSPREY_VERSION,
    .params = osprey::dispatcher::kParams,
    .functions = osprey::dispatcher::kemiFunctions(),
    .rpc = osprey::dispatcher::rpcMethods(),
    .msgExtension = &osprey::dispatcher::kMsgExtension,
    .init = &osprey::dispatcher::modInit,
    .destroy = &osprey::dispatcher::modDestroy,
};
