// tm's API for other modules (tmx, acc), reached with
// module::loadedModules().api<tm::TmApi>("tm").
#pragma once
#include <cstdint>
#include <string_view>

namespace osprey::route {
struct MsgContext;
}
namespace osprey::net {
struct RecvInfo;
}

namespace osprey::tm {

struct Stats;

// A transaction's first final reply, as it goes upstream (relayed or generated here).
struct FinalReply {
    std::string_view request;             // the request as received (the transaction's copy)
    std::string_view reply;               // the reply as sent
    const net::RecvInfo* recv = nullptr;  // where the request came from
    int status = 0;
    uint64_t flags = 0;  // the message flags (KSR.setflag) as of the last t_relay / failure route
};

// Runs with the transaction locked, in whichever process sends the reply (a SIP worker, the
// timer process for a local 408): copy what you need and queue work; do not call into tm.
using FinalReplyFn = void (*)(const FinalReply& r);

struct TmApi {
    // KSR.tmx.t_precheck_trans semantics (docs/ksr-api.md).
    int (*precheckTrans)(route::MsgContext& mc);
    const Stats& (*stats)();
    // Registers fn for every transaction's first final reply (Kamailio's TMCB_RESPONSE_OUT for
    // final replies). Only in init (before fork); false when the few slots are taken.
    bool (*onFinalReply)(FinalReplyFn fn);
    // True while a failure route runs (Kamailio's route_type == FAILURE_ROUTE): media relay
    // modules delete the session there instead of offering the request's SDP again.
    bool (*inFailureRoute)();
};

}  // namespace osprey::tm
