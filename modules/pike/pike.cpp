// pike: flood detection per source address (Kamailio's pike module; modules/pike/README.md).
// KSR.pike.pike_check_req() / pike_check_ip(ip):
//    1  the address is within reqs_density_per_unit requests per sampling_time_unit
//   -2  this request made it exceed the limit (logged once: "PIKE - BLOCKing ip ...")
//   -1  it is still over the limit
//   pike_check_ip: -1 too for text that is not an IP address.
// With early_drop = 1, messages from an address pike holds blocked are dropped by the core
// before they are parsed (core/route/msg_extension.h: dropSource) and counted as a hit, so a
// source that keeps flooding stays blocked without ever reaching the script again.
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/endpoint.h"
#include "core/net/sock_addr.h"
#include "core/route/msg_context.h"
#include "core/route/msg_extension.h"
#include "core/stats/registry.h"
#include "modules/pike/pike_rpc.h"
#include "modules/pike/pike_state.h"

namespace {

using namespace osprey;
using namespace osprey::pike;

int checkAddr(const net::SockAddr& src) noexcept {
    RateTable* t = table();
    if (t == nullptr) return 1;  // as Kamailio: an internal failure never marks the address
    const Verdict v = t->hit(keyOf(src), nowSec());
    if (v == Verdict::NewlyBlocked) {
        stats::inc(counters().blocked);
        char ip[net::kIpTextMax];
        net::formatIp(src, ip, sizeof ip);
        LM_WARN("PIKE - BLOCKing ip %s", ip);
    }
    return static_cast<int>(v);
}

int pikeCheckReq(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return 1;
    return checkAddr(ctx.route->recv.src);
}

int pikeCheckIp(std::string_view ip) noexcept {
    net::SockAddr a;
    if (!net::parseIp(ip, 0, a)) {
        LM_ERR("pike: failed to parse ip address: %.*s", static_cast<int>(ip.size()), ip.data());
        return -1;
    }
    return checkAddr(a);
}

bool dropBlockedSource(const net::RecvInfo& info) {
    RateTable* t = table();
    if (!settings().earlyDrop || t == nullptr || !t->hitIfBlocked(keyOf(info.src), nowSec()))
        return false;
    stats::inc(counters().droppedEarly);
    return true;
}

const stats::Def kStats[] = {
    stats::counterDef("blocked_ips", &counters().blocked, "Addresses pike found flooding"),
    stats::counterDef("early_dropped", &counters().droppedEarly,
                      "Messages from blocked addresses dropped before parsing (early_drop)"),
};

bool modInit() {
    const Settings& s = settings();
    if (s.removeLatency <= s.sampleUnit) {
        LM_WARN("pike: remove_latency (%d) should be longer than sampling_time_unit (%d)",
                s.removeLatency, s.sampleUnit);
    }
    RateLimits limits;
    limits.unitSeconds = static_cast<uint32_t>(s.sampleUnit);
    limits.maxHits = static_cast<uint32_t>(s.maxReqs);
    limits.removeLatency = static_cast<uint32_t>(s.removeLatency);
    RateTable* t = RateTable::create(1u << s.hashSize, limits);
    setTable(t);
    if (t == nullptr) {
        LM_ERR("pike: no shared memory for 2^%d buckets (%zu bytes)", s.hashSize,
               (size_t{1} << s.hashSize) * sizeof(Bucket));
        return false;
    }
    LM_INFO("pike: %zu addresses in %zu KiB, %d requests per %d s, forgotten after %d s%s",
            t->capacity(), ((size_t{1} << s.hashSize) * sizeof(Bucket)) >> 10, s.maxReqs,
            s.sampleUnit, s.removeLatency, s.earlyDrop ? ", blocked sources dropped early" : "");
    return stats::declareGroup("pike", kStats);
}

void modDestroy() {
    RateTable::destroy(table());
    setTable(nullptr);
}

constexpr module::ParamSpec kParams[] = {
    module::intParam("sampling_time_unit", &g_settings.sampleUnit, 2, 1, 3600,
                     "seconds per sampling unit"),
    module::intParam("reqs_density_per_unit", &g_settings.maxReqs, 30, 1, 65000,
                     "requests per unit and address above which the address is blocked"),
    module::intParam("remove_latency", &g_settings.removeLatency, 120, 1, 86400,
                     "seconds after its last request an address is forgotten"),
    module::intParam("hash_size", &g_settings.hashSize, 12, 4, 24,
                     "2^n buckets of 7 addresses each (Osprey: the table's fixed size)"),
    module::boolParam("early_drop", &g_settings.earlyDrop, false,
                      "drop messages of blocked addresses before parsing (Osprey)"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&pikeCheckReq>("pike_check_req"),
    lua::fn<&pikeCheckIp>("pike_check_ip"),
};

const route::MsgExtension kEarlyDrop = {.dropSource = &dropBlockedSource};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "pike",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .rpc = pike::rpcMethods(),
    .msgExtension = &kEarlyDrop,
    .init = &modInit,
    .destroy = &modDestroy,
};
