// nathelper: NAT traversal for user agents behind NATs (Kamailio's nathelper module).
//   KSR.nathelper.nat_uac_test(flags)          1 when one selected test says "behind a NAT",
//                                              -1 when none does (bits: nat_detect.h)
//   KSR.nathelper.is_rfc1918(address)          1 private, -1 not (RFC 1918, RFC 6598, ...)
//   KSR.nathelper.fix_nated_register()         the source address becomes the binding's
//                                              `received` when registrar.save stores it
//   KSR.nathelper.fix_nated_contact()          Contact host:port := source address
//   KSR.nathelper.fix_nated_sdp(level)         SDP addresses := source address (sdp_fix.h)
//   KSR.nathelper.fix_nated_sdp_ip(level, ip)  ... := ip
//   KSR.nathelper.add_contact_alias()          ;alias=ip~port~proto when the Contact is not
//   KSR.nathelper.add_contact_alias_addr(ip, port, proto)    the source (1 added, 2 not needed)
//   KSR.nathelper.set_contact_alias()          ;alias=... always (set_contact_alias_trim():
//                                              an older alias removed first)
//   KSR.nathelper.handle_ruri_alias()          R-URI alias -> $du, alias removed (1, 2 none)
//   KSR.nathelper.handle_ruri_alias_mode(mode) mode 1: the last alias parameter
//   KSR.nathelper.add_rcv_param(flag)          ;received="sip:ip:port" on every Contact
// NAT keepalives (natping_interval, sipping_bflag, ...): pinger.h; RPC nathelper.enable_ping.
// Documented in
// modules/nathelper/README.md.
#include <optional>
#include <string>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "core/proc/child.h"
#include "core/route/msg_context.h"
#include "core/route/msg_extension.h"
#include "core/rpc/method.h"
#include "core/stats/registry.h"
#include "modules/nathelper/api.h"
#include "modules/nathelper/contact_fix.h"
#include "modules/nathelper/nat_detect.h"
#include "modules/nathelper/pinger.h"
#include "modules/nathelper/sdp_fix.h"
#include "modules/usrloc/api.h"

namespace osprey::nathelper {

namespace {

struct Params {
    int natpingInterval = 0;
    int pingNatedOnly = 0;
    int sippingBflag = -1;
    std::string sippingFrom;
    std::string sippingMethod;
    int natpingProcesses = 1;
    int keepaliveTimeout = 0;
    int natpingDisableBflag = -1;
    std::string nortpproxyStr;
    int appendSdpOldmediaip = 1;
    int natAddrMode = 1;
    std::string receivedAvp;
};
Params g_p;
PingStats g_stats;
SdpFixOptions g_sdp;

// --- per message: what fix_nated_register recorded ---
struct RegisterData {
    std::string_view received;  // in msg.arena
};
void releaseData(route::MsgContext&, void*) {}
bool onReply(route::MsgContext& mc) {
    return takeKeepaliveReply(mc);
}
const route::MsgExtension kExt = {.onReply = &onReply, .release = &releaseData};

std::string_view registerReceived(route::MsgContext& mc) {
    const RegisterData* d = mc.extData<RegisterData>(kExt);
    return d != nullptr ? d->received : std::string_view();
}
const Api kApi = {&registerReceived};

bool extraNets() {
    return g_p.natAddrMode == 1;
}

// --- KSR functions ---
int natUacTestK(lua::Ctx& ctx, int flags) noexcept {
    return ctx.route != nullptr ? natUacTest(*ctx.route, static_cast<uint32_t>(flags), extraNets())
                                : -1;
}
int isRfc1918K(lua::Ctx&, std::string_view address) noexcept {
    if (address.empty()) return -2;
    return privateIpv4(address, extraNets()) == 1 ? 1 : -1;
}
int fixNatedRegisterK(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -1;
    char buf[96];
    const size_t n = sourceUri(*mc, buf, sizeof buf);
    if (n == 0) return -1;
    RegisterData* d = mc->extData<RegisterData>(kExt);
    if (d == nullptr) {
        void* mem = mc->msg.arena.alloc(sizeof(RegisterData));
        if (mem == nullptr) return -1;
        d = new (mem) RegisterData();
        if (!mc->setExtData(kExt, d)) return -1;
    }
    d->received = mc->keep({buf, n});
    return d->received.empty() ? -1 : 1;
}
int fixNatedContactK(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr ? fixNatedContact(*ctx.route) : -1;
}
int fixNatedSdpK(lua::Ctx& ctx, int level) noexcept {
    return ctx.route != nullptr ? fixNatedSdp(*ctx.route, level, {}, g_sdp) : -1;
}
int fixNatedSdpIpK(lua::Ctx& ctx, int level, std::string_view ip) noexcept {
    return ctx.route != nullptr ? fixNatedSdp(*ctx.route, level, ip, g_sdp) : -1;
}
int addContactAliasK(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr ? addContactAlias(*ctx.route) : -1;
}
int addContactAliasAddrK(lua::Ctx& ctx, std::string_view ip, std::string_view port,
                         std::string_view proto) noexcept {
    return ctx.route != nullptr ? addContactAliasAddr(*ctx.route, ip, port, proto) : -1;
}
int setContactAliasK(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr ? setContactAlias(*ctx.route, false) : -1;
}
int setContactAliasTrimK(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr ? setContactAlias(*ctx.route, true) : -1;
}
int handleRuriAliasK(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr ? handleRuriAlias(*ctx.route, 0) : -1;
}
int handleRuriAliasModeK(lua::Ctx& ctx, int mode) noexcept {
    return ctx.route != nullptr ? handleRuriAlias(*ctx.route, mode) : -1;
}
int addRcvParamK(lua::Ctx& ctx, int flag) noexcept {
    return ctx.route != nullptr ? addRcvParam(*ctx.route, flag != 0) : -1;
}

// Kamailio's nathelper.enable_ping <0|1>.
rpc::Result enablePing(std::optional<int64_t> value) noexcept {
    if (!value) return rpc::Result::fault(rpc::kInternal, "No parameter");
    if (!setPingEnabled(*value != 0)) return rpc::Result::fault(rpc::kInternal, "NATping disabled");
    return rpc::Result::empty();
}

constexpr rpc::Method kRpc[] = {
    rpc::method<&enablePing>("nathelper.enable_ping", "value", "Set (enable/disable) nat ping"),
};

using stats::counterDef;
const stats::Def kStats[] = {
    counterDef("natping_sent", &g_stats.sent, "NAT keepalives sent (OPTIONS and UDP pings)"),
    counterDef("natping_answered", &g_stats.answered, "Answers to OPTIONS keepalives"),
    counterDef("natping_timeouts", &g_stats.timeouts,
               "Bindings removed for silence (keepalive_timeout)"),
};

uint32_t maskOf(int bit) {
    return bit < 0 ? 0 : uint32_t{1} << bit;
}

bool modInit() {
    if (!stats::declareGroup("nathelper", kStats)) return false;
    g_sdp.noRtpProxy = g_p.nortpproxyStr;
    while (!g_sdp.noRtpProxy.empty() &&
           (g_sdp.noRtpProxy.back() == '\n' || g_sdp.noRtpProxy.back() == '\r'))
        g_sdp.noRtpProxy.remove_suffix(1);
    g_sdp.oldMediaIp = g_p.appendSdpOldmediaip != 0;
    if (g_p.natpingInterval <= 0) return true;

    const usrloc::Api* ul = module::loadedModules().api<usrloc::Api>("usrloc");
    if (ul == nullptr) {
        LM_ERR("nathelper: natping_interval needs the usrloc module");
        return false;
    }
    PingSettings s;
    s.interval = g_p.natpingInterval;
    s.processes = g_p.natpingProcesses;
    s.keepaliveTimeout = g_p.keepaliveTimeout;
    s.natedOnly = g_p.pingNatedOnly != 0;
    s.sipMask = maskOf(g_p.sippingBflag);
    s.natMask = maskOf(ul->natBflag());
    s.disableMask = maskOf(g_p.natpingDisableBflag);
    s.method = g_p.sippingMethod;
    s.from = g_p.sippingFrom;
    if (s.natedOnly && s.natMask == 0) {
        LM_ERR("nathelper: ping_nated_only is set, but usrloc has no nat_bflag");
        return false;
    }
    if (s.sipMask != 0 && (s.from.empty() || s.method.empty())) {
        LM_ERR("nathelper: SIP pings (sipping_bflag) need sipping_from and sipping_method");
        return false;
    }
    if (!configurePinger(s, ul, &g_stats)) {
        LM_ERR("nathelper: out of shm");
        return false;
    }
    proc::declareProcesses(proc::ProcessKind{proc::Rank::Custom, static_cast<unsigned>(s.processes),
                                             &pingerMain, proc::OnExit::Restart, "natping", false});
    return true;
}

constexpr const char* kDeps[] = {"usrloc"};

constexpr module::ParamSpec kParams[] = {
    module::intParam("natping_interval", &g_p.natpingInterval, 0, 0, 3600,
                     "seconds between keepalives of a binding; 0 = no pinging"),
    module::intParam("ping_nated_only", &g_p.pingNatedOnly, 0, 0, 1,
                     "1: only bindings with usrloc's nat_bflag; 0: every UDP binding"),
    module::intParam("sipping_bflag", &g_p.sippingBflag, -1, -1, 31,
                     "branch flag of bindings pinged with a SIP request instead of 4 bytes"),
    module::stringParam("sipping_from", &g_p.sippingFrom, "", "From URI of SIP pings"),
    module::stringParam("sipping_method", &g_p.sippingMethod, "OPTIONS", "method of SIP pings"),
    module::intParam("natping_processes", &g_p.natpingProcesses, 1, 1, 16,
                     "processes sharing the pinging (each a share of the slots)"),
    module::intParam("keepalive_timeout", &g_p.keepaliveTimeout, 0, 0, 1 << 20,
                     "seconds without an answer after which a SIP-pinged binding is removed; 0 "
                     "never"),
    module::intParam("natping_disable_bflag", &g_p.natpingDisableBflag, -1, -1, 31,
                     "branch flag of bindings never pinged"),
    module::stringParam("nortpproxy_str", &g_p.nortpproxyStr, "a=nortpproxy:yes",
                        "SDP line fix_nated_sdp adds with level bit 4"),
    module::intParam("append_sdp_oldmediaip", &g_p.appendSdpOldmediaip, 1, 0, 1,
                     "fix_nated_sdp adds a=oldmediaip:<old address>"),
    module::intParam("nat_addr_mode", &g_p.natAddrMode, 1, 0, 1,
                     "1: 192.0.0.0/24 counts as private too"),
    module::stringParam("received_avp", &g_p.receivedAvp, "",
                        "accepted for Kamailio configurations; the registrar asks nathelper "
                        "directly"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&natUacTestK>("nat_uac_test"),
    lua::fn<&isRfc1918K>("is_rfc1918"),
    lua::fn<&fixNatedRegisterK>("fix_nated_register"),
    lua::fn<&fixNatedContactK>("fix_nated_contact"),
    lua::fn<&fixNatedSdpK>("fix_nated_sdp"),
    lua::fn<&fixNatedSdpIpK>("fix_nated_sdp_ip"),
    lua::fn<&addContactAliasK>("add_contact_alias"),
    lua::fn<&addContactAliasAddrK>("add_contact_alias_addr"),
    lua::fn<&setContactAliasK>("set_contact_alias"),
    lua::fn<&setContactAliasTrimK>("set_contact_alias_trim"),
    lua::fn<&handleRuriAliasK>("handle_ruri_alias"),
    lua::fn<&handleRuriAliasModeK>("handle_ruri_alias_mode"),
    lua::fn<&addRcvParamK>("add_rcv_param"),
};

}  // namespace

}  // namespace osprey::nathelper

OSPREY_MODULE_EXPORT = {
    .name = "nathelper",
    .version = OSPREY_VERSION,
    .deps = osprey::nathelper::kDeps,
    .params = osprey::nathelper::kParams,
    .functions = osprey::nathelper::kFunctions,
    .rpc = osprey::nathelper::kRpc,
    .api = &osprey::nathelper::kApi,
    .msgExtension = &osprey::nathelper::kExt,
    .init = &osprey::nathelper::modInit,
};
