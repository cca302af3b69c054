// The routing state of one message (docs/design.md §4): the parsed message, where it came from, and
// what the script decided so far — $du, a new Request-URI, the edits to the forwarded copy,
// force_rport, the last error for sl_reply_error. The Lua side sees it as lua::Ctx (the
// `lua` member, whose `route` points back here), so a KSR function taking lua::Ctx& reaches
// all of it:
//
//     int myFunc(lua::Ctx& ctx) noexcept {
//         route::MsgContext* mc = ctx.route;        // null only outside the router
//         if (mc == nullptr) return -1;
//         mc->builder().appendHeader("X-Seen", "1");
//
// Everything a message uses lives in its SipMsg's arena (pkg) or in this object, and is given
// back at once when the router is done with it (reset). Edits and texts handed to it are
// copied, so callers may pass temporaries.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/lua/ctx.h"
#include "core/net/endpoint.h"
#include "core/route/branch_set.h"
#include "core/route/copy_hooks.h"
#include "core/route/msg_extension.h"
#include "core/sip/builder.h"
#include "core/sip/msg.h"

namespace osprey::route {

struct MsgContext {
    MsgContext();
    MsgContext(const MsgContext&) = delete;
    MsgContext& operator=(const MsgContext&) = delete;

    // Takes a new message (after the previous one was reset).
    void start(const net::RecvInfo& info);
    // Gives back everything the message used.
    void reset();

    // The forwarded copy's edits (created on first use).
    sip::MsgBuilder& builder();
    bool hasBuilder() const { return builder_.has_value(); }

    // Copies text into the message's arena; empty view when out of memory.
    std::string_view keep(std::string_view text);

    // $du: where the request goes instead of the Request-URI's host (empty: not set).
    bool setDstUri(std::string_view uri);
    void resetDstUri() { dstUri = {}; }
    // The Request-URI as it will be forwarded (changed by R-URI rewrites).
    std::string_view requestUri() const { return newRuri.empty() ? msg.start.uri : newRuri; }
    bool setRequestUri(std::string_view uri);

    // The source address as text, without brackets ("192.0.2.7", "::1"), for received=.
    std::string_view srcIp();

    // What sl_reply_error sends: the status and reason of the last failure of a core or module
    // action on this message (tm, registrar, forward); 500 when nothing recorded one.
    void setError(int status, std::string_view reason);

    // Extra destinations for forking (branch_set.h); texts are copied into msg.arena. False
    // when the set is full (kMaxBranches), q is outside -1..1000 or memory ran out.
    std::span<const Branch> branches() const { return branches_.all(); }
    bool appendBranch(std::string_view uri, std::string_view dstUri = {},
                      std::string_view path = {}, int q = -1, uint32_t bflags = 0);
    // The branch flags of branch `index` (Kamailio's numbering: 0 the Request-URI, 1.. the
    // destination set); nullptr when there is no such branch.
    uint32_t* branchFlags(int index);
    void clearBranches() { branches_.clear(); }

    // A module's data for this message (msg_extension.h), in msg.arena; nullptr when none.
    template <class T>
    T* extData(const MsgExtension& ext) const {
        for (uint8_t i = 0; i < extCount_; ++i) {
            if (ext_[i].ext == &ext) return static_cast<T*>(ext_[i].data);
        }
        return nullptr;
    }
    // Calls f(const MsgExtension&, void* data) for every module's data on this message.
    template <class F>
    void forEachExtData(F&& f) const {
        for (uint8_t i = 0; i < extCount_; ++i) f(*ext_[i].ext, ext_[i].data);
    }
    // Attaches data (non-null) for ext; reset() hands it to ext.release. False when a
    // module's data is there already or kMaxMsgExtensions modules attached some.
    bool setExtData(const MsgExtension& ext, void* data);

    uint64_t id = 0;  // per process, new for every message (Kamailio's msg->id)
    net::RecvInfo recv;
    sip::SipMsg msg;
    lua::Ctx lua;

    std::string_view dstUri;   // in msg.arena
    std::string_view newRuri;  // in msg.arena
    // The Request-URI's Path (RFC 3327, registrar lookup), comma separated: the Route set of
    // that destination only (tm's first branch, a stateless forward), not of appended branches.
    std::string_view ruriPath;  // in msg.arena
    bool forceRport = false;    // KSR.force_rport(): reply to the source port, rport on the Via
    bool replied = false;       // a local reply was sent
    uint32_t forwards = 0;      // copies sent on
    int forceSocket = -1;  // listen socket index copies should leave from (-1: chosen per copy)
    CopyHook copyHooks[kMaxCopyHooks];  // per-copy header lines (copy_hooks.h)
    uint8_t copyHookCount = 0;
    // KSR.set_reply_no_connect(): a local reply over a stream goes over an existing connection
    // only; none is opened for it (Kamailio's SND_F_FORCE_CON_REUSE).
    bool replyNoConnect = false;
    int errorStatus = 500;
    std::string_view errorReason = "Server Internal Error";  // static text or in msg.arena

private:
    struct ExtSlot {
        const MsgExtension* ext;
        void* data;
    };
    ExtSlot ext_[kMaxMsgExtensions];
    uint8_t extCount_ = 0;
    std::optional<sip::MsgBuilder> builder_;
    BranchSet branches_;
    char srcIpText_[48];
    uint8_t srcIpLen_ = 0;
};

}  // namespace osprey::route
