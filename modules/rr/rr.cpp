// rr: record-routing (Kamailio's rr module; RFC 3261 §16.4, §16.6 step 4, §16.12, RFC 5658).
//
//   KSR.rr.record_route()              Record-Route for the interface each copy leaves from
//                                      (two entries with ;r2=on across interfaces): 1 / -1
//   KSR.rr.record_route_params(p)      the same with extra URI parameters ";a=b"
//   KSR.rr.add_rr_param(p)             extra parameters for this message's Record-Route
//   KSR.rr.loose_route()               route by the Route set (loose_route.h): 1, -1, -3
//   KSR.rr.check_route_param(re)       after loose_route: 1 when the parameters of our Route
//                                      URI (";lr;ftag=..;x=y") match the POSIX extended regex
//   KSR.rr.is_direction(dir)           after loose_route, with append_fromtag: "downstream"
//                                      when the Route's ftag is the From tag, else "upstream"
//
// Parameters (Kamailio's): enable_full_lr (0: ";lr", 1: ";lr=on"), append_fromtag (0/1),
// enable_double_rr (0 never, 1 when the interfaces differ (default), 2 always).
#include <regex.h>

#include <cstring>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/sip/from_to.h"
#include "core/sip/uri.h"
#include "modules/rr/loose_route.h"
#include "modules/rr/record_route.h"

namespace {

using namespace osprey;

int g_enableFullLr = 0;
int g_appendFromtag = 0;
int g_enableDoubleRr = 1;

rr::RrOptions g_options;

// What loose_route found on the message being routed (check_route_param, is_direction).
uint64_t g_routedId = 0;
std::string_view g_routedParams;  // view into that message

bool modInit() {
    g_options.fullLr = g_enableFullLr != 0;
    g_options.appendFromTag = g_appendFromtag != 0;
    g_options.doubleRr = g_enableDoubleRr;
    return true;
}

int recordRoute(lua::Ctx& ctx) noexcept {
    return ctx.route != nullptr ? rr::recordRoute(*ctx.route, g_options, {}) : -1;
}

int recordRouteParams(lua::Ctx& ctx, std::string_view params) noexcept {
    if (ctx.route == nullptr) return -1;
    if (!params.empty() && !rr::validRrParams(params)) {
        LM_ERR("rr: record_route_params: bad parameters '%.*s'", static_cast<int>(params.size()),
               params.data());
        return -1;
    }
    return rr::recordRoute(*ctx.route, g_options, params);
}

int addRrParam(lua::Ctx& ctx, std::string_view param) noexcept {
    if (ctx.route == nullptr) return -1;
    if (!rr::validRrParams(param)) {
        LM_ERR("rr: add_rr_param: bad parameter '%.*s'", static_cast<int>(param.size()),
               param.data());
        return -1;
    }
    return rr::addRrParam(*ctx.route, g_options, param);
}

int looseRoute(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    const rr::LooseRouteResult r = rr::looseRoute(*ctx.route, g_options.doubleRr > 0);
    if (r.ours) {
        g_routedId = ctx.route->id;
        g_routedParams = r.ownParams;
    }
    return r.code;
}

bool routedHere(lua::Ctx& ctx) {
    return ctx.route != nullptr && g_routedId == ctx.route->id;
}

// One compiled pattern per process: scripts pass the same literal every time.
struct RegexCache {
    char pattern[256];
    size_t len = 0;
    bool valid = false;
    regex_t re;

    const regex_t* get(std::string_view p) {
        if (valid && p.size() == len && std::memcmp(p.data(), pattern, len) == 0) return &re;
        if (p.size() >= sizeof pattern) return nullptr;
        if (valid) regfree(&re);
        valid = false;
        if (!p.empty()) std::memcpy(pattern, p.data(), p.size());
        pattern[p.size()] = '\0';
        len = p.size();
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return nullptr;
        valid = true;
        return &re;
    }
};

RegexCache g_regex;

int checkRouteParam(lua::Ctx& ctx, std::string_view re) noexcept {
    if (!routedHere(ctx)) return -1;
    const regex_t* compiled = g_regex.get(re);
    if (compiled == nullptr) {
        LM_ERR("rr: check_route_param: bad regular expression '%.*s'", static_cast<int>(re.size()),
               re.data());
        return -1;
    }
    char text[1024];
    if (g_routedParams.size() >= sizeof text) return -1;
    if (!g_routedParams.empty()) {
        std::memcpy(text, g_routedParams.data(), g_routedParams.size());
    }
    text[g_routedParams.size()] = '\0';
    return regexec(compiled, text, 0, nullptr, 0) == 0 ? 1 : -1;
}

int isDirection(lua::Ctx& ctx, std::string_view dir) noexcept {
    bool wantDown;
    if (dir == "downstream") {
        wantDown = true;
    } else if (dir == "upstream") {
        wantDown = false;
    } else {
        LM_ERR("rr: is_direction: unknown direction '%.*s'", static_cast<int>(dir.size()),
               dir.data());
        return -1;
    }
    // As Kamailio: without a Route of ours carrying ftag, the request counts as downstream.
    bool down = true;
    std::string_view ftag;
    if (routedHere(ctx) && g_routedParams.size() > 1 &&
        sip::findUriParam(g_routedParams.substr(1), "ftag", &ftag)) {
        const sip::FromToBody* from = sip::getFrom(ctx.route->msg);
        down = from != nullptr && from->tag == ftag;
    }
    return down == wantDown ? 1 : -1;
}

constexpr module::ParamSpec kParams[] = {
    module::intParam("enable_full_lr", &g_enableFullLr, 0, 0, 1,
                     "1: write ';lr=on' instead of ';lr'"),
    module::intParam("append_fromtag", &g_appendFromtag, 0, 0, 1,
                     "1: add ';ftag=<From tag>' to the Record-Route URI (is_direction needs it)"),
    module::intParam("enable_double_rr", &g_enableDoubleRr, 1, 0, 2,
                     "two Record-Route entries: 0 never, 1 when the interfaces differ, 2 always"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&recordRoute>("record_route"),
    lua::fn<&recordRouteParams>("record_route_params"),
    lua::fn<&addRrParam>("add_rr_param"),
    lua::fn<&looseRoute>("loose_route"),
    lua::fn<&checkRouteParam>("check_route_param"),
    lua::fn<&isDirection>("is_direction"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "rr",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .init = &modInit,
};
