// rtpengine: media relay through Sipwise rtpengine over its NG control protocol (Kamailio's
// rtpengine module: names, parameters, flags and return values). The SDP of an offer or answer
// is sent to the call's rtpengine instance and the body is replaced by the one it returns
// (Content-Length follows); BYE, CANCEL and failed calls delete the session.
//
//   KSR.rtpengine.rtpengine_manage(flags)   offer, answer or delete, chosen from the message
//   KSR.rtpengine.rtpengine_offer(flags)    KSR.rtpengine.rtpengine_answer(flags)
//   KSR.rtpengine.rtpengine_delete(flags)   KSR.rtpengine.rtpengine_query(flags)
//   (and the *0 forms without flags), KSR.rtpengine.set_rtpengine_set(id)
//   Return 1 on success, -1 on failure (no instance answered, rtpengine refused, no SDP).
//   $rtpstat: "RTP: <b> bytes, <p> packets, <e> errors; RTCP: ..." of the message's call.
//
// Parameters: rtpengine_sock, rtpengine_tout_ms, rtpengine_retr, rtpengine_disable_tout
// (core/relay/relay_set.h, core/relay/relay_client.h). Statistics: group "rtpengine".
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/module/module_set.h"
#include "core/pv/pv_class.h"
#include "core/relay/relay_client.h"
#include "core/relay/relay_set.h"
#include "core/route/msg_context.h"
#include "core/rpc/method.h"
#include "core/stats/registry.h"
#include "core/timer/clock.h"
#include "modules/rtpengine/manage.h"
#include "modules/rtpengine/ng_command.h"
#include "modules/tm/api.h"

namespace {

using namespace osprey;
using rtpengine::Op;

std::string g_sock;
int g_toutMs;
int g_retr;
int g_disableTout;

relay::RelaySets g_sets;
const tm::TmApi* g_tm = nullptr;

relay::ClientStats g_clientStats;
stats::Counter g_errors;
stats::Counter g_offers;
stats::Counter g_answers;
stats::Counter g_deletes;

const stats::Def kStats[] = {
    stats::counterDef("requests", &g_clientStats.requests, "NG requests rtpengine answered"),
    stats::counterDef("timeouts", &g_clientStats.timeouts, "NG tries without an answer in time"),
    stats::counterDef("failovers", &g_clientStats.failovers,
                      "NG requests moved to another rtpengine instance"),
    stats::counterDef("unavailable", &g_clientStats.unavailable,
                      "NG requests with no rtpengine instance left"),
    stats::counterDef("errors", &g_errors, "NG requests rtpengine answered with an error"),
    stats::counterDef("offers", &g_offers, "offers that rewrote the SDP"),
    stats::counterDef("answers", &g_answers, "answers that rewrote the SDP"),
    stats::counterDef("deletes", &g_deletes, "sessions deleted"),
};

rtpengine::Engine g_engine;

bool inFailureRoute() {
    return g_tm != nullptr && g_tm->inFailureRoute != nullptr && g_tm->inFailureRoute();
}

// $rtpstat: Kamailio's text of the call's RTP and RTCP totals, from a query to its rtpengine
// ($null when the query fails).
lua::PvValue rtpstat(route::MsgContext& mc, std::string_view) {
    if (g_engine.run(&mc, Op::Query, {}) < 0 || g_engine.lastRtpstat().empty()) return {};
    return g_engine.lastRtpstat();
}

const pv::PvClass kPvClasses[] = {{.name = "rtpstat", .get = &rtpstat, .plain = true}};

bool modInit() {
    std::string err;
    if (g_sock.empty()) {
        LM_ERR("rtpengine: rtpengine_sock is not set");
        return false;
    }
    if (!g_sets.parse(g_sock, err)) {
        LM_ERR("rtpengine: rtpengine_sock: %s", err.c_str());
        return false;
    }
    if (!g_sets.placeHealth()) {
        LM_ERR("rtpengine: out of shared memory");
        return false;
    }
    if (!stats::declareGroup("rtpengine", kStats)) return false;
    if (pv::findPvClass("rtpstat") < 0 && !pv::registerPvClasses(kPvClasses)) {
        LM_ERR("rtpengine: cannot register $rtpstat");
        return false;
    }
    // tm is optional: without it there is no failure route to tell apart.
    g_tm = module::loadedModules().api<tm::TmApi>("tm");
    g_engine.sets = &g_sets;
    g_engine.cfg = relay::ClientConfig{g_toutMs, g_retr, g_disableTout};
    g_engine.clientStats = &g_clientStats;
    g_engine.errors = g_errors;
    g_engine.offers = g_offers;
    g_engine.answers = g_answers;
    g_engine.deletes = g_deletes;
    g_engine.inFailureRoute = &inFailureRoute;
    return true;
}

void modDestroy() {
    g_sets.release();
}

int manage(lua::Ctx& ctx, std::string_view flags) noexcept {
    return g_engine.manage(ctx.route, flags);
}
int manage0(lua::Ctx& ctx) noexcept {
    return g_engine.manage(ctx.route, {});
}
int offer(lua::Ctx& ctx, std::string_view flags) noexcept {
    return g_engine.run(ctx.route, Op::Offer, flags);
}
int offer0(lua::Ctx& ctx) noexcept {
    return g_engine.run(ctx.route, Op::Offer, {});
}
int answer(lua::Ctx& ctx, std::string_view flags) noexcept {
    return g_engine.run(ctx.route, Op::Answer, flags);
}
int answer0(lua::Ctx& ctx) noexcept {
    return g_engine.run(ctx.route, Op::Answer, {});
}
int del(lua::Ctx& ctx, std::string_view flags) noexcept {
    return g_engine.run(ctx.route, Op::Delete, flags);
}
int del0(lua::Ctx& ctx) noexcept {
    return g_engine.run(ctx.route, Op::Delete, {});
}
int query(lua::Ctx& ctx, std::string_view flags) noexcept {
    return g_engine.run(ctx.route, Op::Query, flags);
}
int query0(lua::Ctx& ctx) noexcept {
    return g_engine.run(ctx.route, Op::Query, {});
}
int setSet(lua::Ctx& ctx, int id) noexcept {
    return g_engine.selectSet(ctx.route, id);
}

// --- RPC (Kamailio's rtpengine.show / enable / ping): `url` is an rtpengine_sock entry as
// configured ("udp:127.0.0.1:2223", with its "=weight" if it had one) or "all".

template <class F>
int forEachNode(std::string_view url, F&& f) {
    int n = 0;
    for (const relay::Set& s : g_sets.sets()) {
        for (const relay::Node& node : s.nodes) {
            if (url == "all" || node.url == url) {
                f(s, node);
                ++n;
            }
        }
    }
    return n;
}

rpc::Result rpcShow(std::string_view url) noexcept {
    rpc::Value out = rpc::Value::array();
    const int64_t now = timer::nowMs();
    const int n = forEachNode(url, [&](const relay::Set& s, const relay::Node& node) {
        const int64_t until = g_sets.downUntil(node);
        rpc::Value v = rpc::Value::structure();
        v.add("url", node.url);
        v.add("set", s.id);
        v.add("index", node.slot);
        v.add("weight", node.weight);
        v.add("disabled", until > now ? 1 : 0);
        // Seconds until it is tried again; -1: disabled by hand until enabled.
        v.add("recheck_ticks", until == std::numeric_limits<int64_t>::max() ? int64_t{-1}
                               : until > now                                ? (until - now) / 1000
                                                                            : int64_t{0});
        out.push(std::move(v));
    });
    if (n == 0) return rpc::Result::fault(rpc::kNotFound, "Instance not found");
    return out;
}

rpc::Result rpcEnable(std::string_view url, int64_t enable) noexcept {
    const int n = forEachNode(url, [&](const relay::Set&, const relay::Node& node) {
        if (enable != 0) {
            g_sets.markUp(node);
        } else {
            g_sets.markDown(node, std::numeric_limits<int64_t>::max());
        }
    });
    if (n == 0) return rpc::Result::fault(rpc::kNotFound, "Instance not found");
    return rpc::Result::empty();
}

rpc::Result rpcPing(std::string_view url) noexcept {
    rpc::Value out = rpc::Value::array();
    const int n = forEachNode(url, [&](const relay::Set&, const relay::Node& node) {
        relay::Reply r;
        const bool ok = relay::requestNode(node, "d7:command4:pinge", g_engine.cfg, r) &&
                        r.body.find("4:pong") != std::string_view::npos;
        if (ok) {
            g_sets.markUp(node);
        } else {
            g_sets.markDown(node, timer::nowMs() + int64_t{g_engine.cfg.disableSec} * 1000);
        }
        rpc::Value v = rpc::Value::structure();
        v.add("url", node.url);
        v.add("status", ok ? "success" : "fail");
        out.push(std::move(v));
    });
    if (n == 0) return rpc::Result::fault(rpc::kNotFound, "Instance not found");
    return out;
}

constexpr rpc::Method kRpc[] = {
    rpc::method<&rpcShow>("rtpengine.show", "url", "Show rtpengine instances (url or all).",
                          rpc::kReturnsArray),
    rpc::method<&rpcEnable>("rtpengine.enable", "url flag",
                            "Enable (1) or disable (0) rtpengine instances (url or all)."),
    rpc::method<&rpcPing>("rtpengine.ping", "url", "Ping rtpengine instances (url or all).",
                          rpc::kReturnsArray),
};

constexpr module::ParamSpec kParams[] = {
    module::stringParam("rtpengine_sock", &g_sock, "",
                        "rtpengine NG control sockets: [<set> ==] udp:host:port[=weight] ..."),
    module::intParam("rtpengine_tout_ms", &g_toutMs, 1000, 1, 60000,
                     "ms to wait for an answer to each try"),
    module::intParam("rtpengine_retr", &g_retr, 5, 0, 100, "tries per instance"),
    module::intParam("rtpengine_disable_tout", &g_disableTout, 60, 0, 86400,
                     "seconds an instance that did not answer is left out"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&manage>("rtpengine_manage"),  lua::fn<&manage0>("rtpengine_manage0"),
    lua::fn<&offer>("rtpengine_offer"),    lua::fn<&offer0>("rtpengine_offer0"),
    lua::fn<&answer>("rtpengine_answer"),  lua::fn<&answer0>("rtpengine_answer0"),
    lua::fn<&del>("rtpengine_delete"),     lua::fn<&del0>("rtpengine_delete0"),
    lua::fn<&query>("rtpengine_query"),    lua::fn<&query0>("rtpengine_query0"),
    lua::fn<&setSet>("set_rtpengine_set"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "rtpengine",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .rpc = kRpc,
    .init = &modInit,
    .destroy = &modDestroy,
};
