// What a module plugs into the handling of every message. The core declares it and calls it;
// a module fills one in and names it in its description (ModuleExport::msgExtension,
// core/module/module_export.h), so the core names no module and no module sets globals in it.
//
//     const route::MsgExtension kExt = {.onReply = &onReply, .release = &releaseState};
//     OSPREY_MODULE_EXPORT = { ..., .msgExtension = &kExt };
//     ... State* st = mc.extData<State>(kExt);          // this message's data, or nullptr
//         mc.setExtData(kExt, new (mc.msg.arena.alloc(sizeof(State))) State());
//
// Per-message data lives in the message's arena; release is called for it when the message
// is reset (to drop references the data holds elsewhere, e.g. a transaction in shm). A message
// without module data costs one comparison at reset.
#pragma once
#include <span>

namespace osprey::net {
struct RecvInfo;
}

namespace osprey::route {

struct MsgContext;

struct MsgExtension {
    // A response, after ksr_reply_route and before stateless forwarding: true when the module
    // took it (matched a transaction), false to let it go on statelessly.
    bool (*onReply)(MsgContext& mc) = nullptr;
    // The module's data of a message that is being reset (never nullptr when called).
    void (*release)(MsgContext& mc, void* data) = nullptr;
    // Every received message, before anything is parsed: true drops it unseen (no parse, no
    // script, no answer). For sources already known to be hostile (pike's blocked addresses,
    // modules/pike/README.md), so a flood costs a table lookup per datagram instead of a parse
    // and a script run. Must be cheap and must not block.
    bool (*dropSource)(const net::RecvInfo& info) = nullptr;
};

inline constexpr unsigned kMaxMsgExtensions = 8;

// The extensions of this run, in module load order: collected once in the master after the
// modules' init (core/app/startup.cpp), inherited by every process. False when there are
// more than kMaxMsgExtensions.
bool installMsgExtensions(std::span<const MsgExtension* const> all);
std::span<const MsgExtension* const> msgExtensions();
// True when an extension's dropSource wants this message dropped (the extension counts it).
// Only the extensions that have one are asked.
bool sourceDropped(const net::RecvInfo& info) noexcept;

}  // namespace osprey::route
