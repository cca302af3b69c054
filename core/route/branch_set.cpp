// BranchSet, and MsgContext's branch functions (kept here so msg_context.cpp stays about the
// message itself).
#include "core/route/branch_set.h"

#include "core/route/msg_context.h"

namespace osprey::route {

bool BranchSet::push(const Branch& b) {
    if (count_ == kMaxBranches) return false;
    items_[count_++] = b;
    return true;
}

uint32_t* MsgContext::branchFlags(int index) {
    if (index == 0) return &lua.bflags;
    Branch* b = index > 0 ? branches_.at(static_cast<size_t>(index) - 1) : nullptr;
    return b != nullptr ? &b->bflags : nullptr;
}

bool MsgContext::appendBranch(std::string_view uri, std::string_view dstUri, std::string_view path,
                              int q, uint32_t bflags) {
    if (uri.empty() || branches_.full() || q < -1 || q > 1000) return false;
    Branch b;
    b.uri = keep(uri);
    b.dstUri = keep(dstUri);
    b.path = keep(path);
    b.q = q;
    b.bflags = bflags;
    // keep() gives an empty view for empty input and when out of memory: only the latter fails.
    if (b.uri.empty() || b.dstUri.size() != dstUri.size() || b.path.size() != path.size()) {
        return false;
    }
    return branches_.push(b);
}

}  // namespace osprey::route
