// tm's API for other modules (tmx), reached with
// module::loadedModules().api<tm::TmApi>("tm").
#pragma once

namespace osprey::route {
struct MsgContext;
}

namespace osprey::tm {

struct Stats;

struct TmApi {
    // KSR.tmx.t_precheck_trans semantics (docs/ksr-api.md).
    int (*precheckTrans)(route::MsgContext& mc);
    const Stats& (*stats)();
    // True while a failure route runs (Kamailio's route_type == FAILURE_ROUTE): media relay
    // modules delete the session there instead of offering the request's SDP again.
    bool (*inFailureRoute)();
};

}  // namespace osprey::tm
