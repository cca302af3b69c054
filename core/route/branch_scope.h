// Script code run for one branch of a request (tm's branch route, Kamailio's branch_route):
// while a BranchScope lives, the message's $ru, $du, Path and branch flags are that branch's, so
// the KSR functions that read and change them work on the branch; spec() is what the script left,
// and the message's own values come back when the scope ends. Header edits are not per branch: they
// reach every copy built after them.
#pragma once

#include "core/route/msg_context.h"
#include "core/route/out_request.h"

namespace osprey::route {

class BranchScope {
public:
    BranchScope(MsgContext& mc, const BranchSpec& branch)
        : mc_(mc),
          savedRuri_(mc.newRuri),
          savedDst_(mc.dstUri),
          savedPath_(mc.ruriPath),
          savedBflags_(mc.lua.bflags),
          forceSocket_(branch.forceSocket) {
        mc.newRuri = branch.uri;
        mc.dstUri = branch.dstUri;
        mc.ruriPath = branch.path;
        mc.lua.bflags = branch.bflags;
    }
    ~BranchScope() {
        mc_.newRuri = savedRuri_;
        mc_.dstUri = savedDst_;
        mc_.ruriPath = savedPath_;
        mc_.lua.bflags = savedBflags_;
    }
    BranchScope(const BranchScope&) = delete;
    BranchScope& operator=(const BranchScope&) = delete;

    // The branch as the script left it.
    BranchSpec spec() const {
        BranchSpec b = mainBranch(mc_);
        b.forceSocket = forceSocket_;
        return b;
    }

private:
    MsgContext& mc_;
    std::string_view savedRuri_, savedDst_, savedPath_;
    uint32_t savedBflags_;
    int forceSocket_;
};

}  // namespace osprey::route
