// tm's pseudo-variables, with the values of Kamailio's tmx ones:
//   $T_branch_idx   a branch or onreply route: the branch's index in the transaction; the
//                   request route: how many branches the script appended so far; a failure
//                   route: the branches sent so far plus those appended there
//   $T_reply_code   a reply route: the reply's status; a failure route: the winning reply's;
//                   the request or a branch route: the last status sent upstream (0 if none)
//   $T_req(pv)      pv read from the transaction's request (in an onreply route, the request
//                   the reply answers; elsewhere the message itself when it is the request)
//   $T_rpl(pv)      pv read from the reply: the reply itself in a reply route, the winning
//                   reply in a failure route; $null elsewhere
// A value from another message is read from a scratch context parsed for it, copied into Lua
// by the caller (KSR.pv.get) before the next read replaces it.
#include <memory>
#include <new>

#include "core/pv/pv_access.h"
#include "core/pv/pv_class.h"
#include "core/route/msg_context.h"
#include "modules/tm/cell.h"
#include "modules/tm/cell_mem.h"
#include "modules/tm/tm_core.h"

namespace osprey::tm {

namespace {

using lua::PvValue;
using lua::RouteType;
using route::MsgContext;

Cell* cellOf(MsgContext& mc) {
    if (mc.lua.routeType == RouteType::Failure) return failureCell();
    MsgState* st = msgState(mc, false);
    return st != nullptr ? st->cell : nullptr;
}

bool isReplyRoute(const MsgContext& mc) {
    return mc.lua.routeType == RouteType::OnReply || mc.lua.routeType == RouteType::Reply;
}

PvValue branchIdx(MsgContext& mc, std::string_view) {
    switch (mc.lua.routeType) {
        case RouteType::Branch:
        case RouteType::OnReply:
            return int64_t{routeBranchIdx()};
        case RouteType::Failure: {
            Cell* c = failureCell();
            const int64_t sent = c != nullptr ? c->nBranches : 0;
            return sent + static_cast<int64_t>(mc.branches().size());
        }
        case RouteType::Request:
            return static_cast<int64_t>(mc.branches().size());
        case RouteType::Reply:
            break;
    }
    return int64_t{-1};
}

PvValue replyCode(MsgContext& mc, std::string_view) {
    if (isReplyRoute(mc)) return int64_t{mc.msg.start.status};
    if (mc.lua.routeType == RouteType::Failure) return int64_t{routeReplyStatus()};
    Cell* c = cellOf(mc);
    return int64_t{c != nullptr ? c->uasStatus : 0};
}

// The pv named inner, read from text parsed into the scratch context.
PvValue readFrom(std::string_view text, const net::RecvInfo& recv, std::string_view inner) {
    static std::unique_ptr<MsgContext> scratch;
    if (!scratch) scratch.reset(new (std::nothrow) MsgContext());
    if (!scratch || text.empty()) return {};
    scratch->reset();
    scratch->start(recv);
    if (!sip::parseMsg(scratch->msg, text)) return {};
    pv::PvSpec spec;
    if (pv::parsePvName(inner, spec) != pv::PvNameError::Ok) return {};
    return pv::pvGet(*scratch, spec);
}

PvValue readHere(MsgContext& mc, std::string_view inner) {
    pv::PvSpec spec;
    if (pv::parsePvName(inner, spec) != pv::PvNameError::Ok) return {};
    return pv::pvGet(mc, spec);
}

PvValue tReq(MsgContext& mc, std::string_view inner) {
    if (mc.msg.isRequest()) return readHere(mc, inner);
    Cell* c = cellOf(mc);
    return c != nullptr ? readFrom(c->request(), c->recv, inner) : PvValue();
}

PvValue tRpl(MsgContext& mc, std::string_view inner) {
    if (!mc.msg.isRequest()) return readHere(mc, inner);
    if (mc.lua.routeType != RouteType::Failure) return {};
    Cell* c = failureCell();
    if (c == nullptr) return {};
    // The winning reply: the branch whose final status the failure route runs with.
    const int status = routeReplyStatus();
    for (uint8_t i = 0; i < c->nBranches; ++i) {
        const Branch* b = c->branches[i];
        if (b != nullptr && b->reply != nullptr && b->status == status) {
            return readFrom({b->reply, b->replyLen}, c->recv, inner);
        }
    }
    return {};
}

// Read-only, as tmx's.
constexpr pv::PvClass kPvs[] = {
    {.name = "T_branch_idx", .get = &branchIdx, .plain = true},
    {.name = "T_reply_code", .get = &replyCode, .plain = true},
    {.name = "T_req", .get = &tReq},
    {.name = "T_rpl", .get = &tRpl},
};

}  // namespace

bool registerPvs() {
    // Once per process: tm's init may run again in the same process (tests).
    const int32_t had = pv::findPvClass(kPvs[0].name);
    if (had >= 0 && pv::pvClassAt(had) == &kPvs[0]) return true;
    return pv::registerPvClasses(kPvs);
}

}  // namespace osprey::tm
