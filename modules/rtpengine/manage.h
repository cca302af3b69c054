// What each rtpengine function does with the message being routed: the NG request built from
// it, sent through the relay client, and the body replaced by the SDP rtpengine returns.
// rtpengine_manage picks the operation the way Kamailio's does:
//
//   BYE, CANCEL                                  delete
//   INVITE with SDP (request route)              offer;  in a failure route: delete
//   UPDATE with SDP                              offer
//   ACK or PRACK with SDP                        answer
//   reply >= 300 to INVITE/UPDATE/...            delete
//   reply with SDP                               answer; an offer when rtpengine does not
//                                                know the call (a late offer: INVITE without
//                                                SDP, the offer in the 200)
//   anything else                                -1
//
// Nothing here holds a lock: the wait for rtpengine is the worker's own (relay_client.h).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/relay/relay_client.h"
#include "core/relay/relay_set.h"
#include "core/stats/counter.h"
#include "modules/rtpengine/ng_command.h"

namespace osprey::route {
struct MsgContext;
}

namespace osprey::rtpengine {

struct Engine {
    relay::RelaySets* sets = nullptr;
    relay::ClientConfig cfg;
    const relay::ClientStats* clientStats = nullptr;
    stats::Counter errors, offers, answers, deletes;
    bool (*inFailureRoute)() = nullptr;

    int manage(route::MsgContext* mc, std::string_view flags);
    int run(route::MsgContext* mc, Op op, std::string_view flags);
    int selectSet(route::MsgContext* mc, int id);

    // The last query's $rtpstat text in this process (empty when it had no totals).
    std::string_view lastRtpstat() const { return {rtpstat_, rtpstatLen_}; }

private:
    // offer/answer: the rtpengine result; `unknownCall` set when rtpengine did not know it.
    int exchange(route::MsgContext& mc, Op op, std::string_view flags, bool* unknownCall);
    const relay::Set* setFor(const route::MsgContext& mc) const;

    uint64_t setMsgId_ = 0;  // the message set_rtpengine_set chose a set for
    const relay::Set* chosen_ = nullptr;
    uint64_t rewrittenMsgId_ = 0;  // the message whose body this process already replaced
    char rtpstat_[256] = {};
    size_t rtpstatLen_ = 0;
};

}  // namespace osprey::rtpengine
