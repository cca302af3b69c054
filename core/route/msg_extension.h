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
#include <cstdint>
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

    // Data that must follow the request into its transaction (what Kamailio keeps in AVPs that
    // tm moves into the transaction, e.g. dispatcher's failover list). When tm creates the
    // transaction it asks each module with data on the message for txSize bytes (0: none) and
    // lets txSave write them into the transaction's block (8-byte aligned); what the saved
    // bytes own now belongs to the transaction. A failure route run for the transaction gets
    // them back through txAttach, writable in place (the transaction's lock is held while the
    // route runs). txRelease is called once: when the final reply goes upstream (no failure
    // route can run after it) or, failing that, when the transaction is freed.
    uint32_t (*txSize)(void* data) = nullptr;
    void (*txSave)(void* data, void* out) = nullptr;
    void (*txAttach)(MsgContext& mc, void* saved) = nullptr;
    void (*txRelease)(void* saved) = nullptr;
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
