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
};

}  // namespace osprey::tm
