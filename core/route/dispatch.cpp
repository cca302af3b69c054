// route::onMessage: the per-message pipeline, and the pool of message contexts that keeps the
// messages of a send batch alive until it is flushed.
#include "core/route/dispatch.h"

#include <memory>
#include <new>

#include "core/log/log.h"
#include "core/lua/process_engine.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/proc/pkg_publish.h"
#include "core/route/basic_check.h"
#include "core/route/forward.h"
#include "core/route/log_prefix.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/stats/core_stats.h"

namespace osprey::route {

namespace {

// As many as one receive batch holds (net/udp_worker.h); more in one batch flushes early.
constexpr unsigned kPoolSize = 32;

class Pool {
public:
    // nullptr only when the process is out of memory for its first contexts.
    MsgContext* acquire() {
        if (used_ == kPoolSize) {
            // Every context holds a message whose spans may be queued: send them, then reuse.
            net::flushBatch();
            releaseAll();
        }
        if (!slots_[used_]) slots_[used_].reset(new (std::nothrow) MsgContext());
        return slots_[used_] ? slots_[used_++].get() : nullptr;
    }
    // The most recent context, when nothing queued needs it any more.
    void releaseLast() { slots_[--used_]->reset(); }
    void releaseAll() {
        for (unsigned i = 0; i < used_; ++i) slots_[i]->reset();
        used_ = 0;
    }

private:
    std::unique_ptr<MsgContext> slots_[kPoolSize];
    unsigned used_ = 0;
};

Pool g_pool;

// RFC 5626 §4.4.1 keep-alives (CRLF) and stray blank datagrams: nothing to route.
bool isBlank(const char* buf, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        const char c = buf[i];
        if (c != '\r' && c != '\n' && c != ' ' && c != '\t' && c != '\0') return false;
    }
    return true;
}

void logBad(MsgContext& mc, const char* action) {
    static net::LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        std::string_view why = mc.msg.errorText();
        LM_NOTICE("%s a malformed %s from %s: %.*s (%lu more not logged)", action,
                  mc.msg.isRequest() ? "request" : "message", net::toString(mc.recv.src).c_str(),
                  static_cast<int>(why.size()), why.data(), static_cast<unsigned long>(skipped));
    }
}

// A message that failed parsing or the checks: requests (not ACK) get the parser's answer
// when their Via allows one; the rest is dropped.
void reject(MsgContext& mc) {
    sip::SipMsg& msg = mc.msg;
    stats::countMalformed(msg.isRequest(), msg.error);
    if (msg.isRequest() && msg.method() != sip::Method::Ack &&
        sendReply(mc, msg.errorStatus(), msg.reasonPhrase())) {
        logBad(mc, "rejected");
        return;
    }
    logBad(mc, "dropped");
}

void warnNoEngine() {
    static bool warned = false;
    if (!warned) {
        warned = true;
        LM_WARN("no Lua routing script in this process: messages are dropped");
    }
}

void countDrop(uint16_t which, bool scriptError) {
    if (scriptError) stats::inc(stats::coreCounter(stats::core::kScriptErrors));
    stats::inc(stats::coreCounter(which));
}

void routeRequest(MsgContext& mc) {
    stats::countRequest(mc.msg);
    lua::Engine* engine = lua::processEngine();
    if (engine == nullptr) {
        warnNoEngine();
        return;
    }
    // Error: logged with script:line by the engine; the request is dropped (stateless).
    const bool error = engine->run("ksr_request_route", mc.lua) == lua::RouteStatus::Error;
    if (error || mc.lua.dropped) countDrop(stats::core::kDropRequests, error);
}

void routeReply(MsgContext& mc) {
    stats::countReply(mc.msg);
    if (lua::Engine* engine = lua::processEngine(); engine != nullptr) {
        // KSR.x.exit() in a reply route ends the script, not the reply's way on; only drop()
        // (ctx.dropped) or an error stops it.
        mc.lua.routeType = lua::RouteType::Reply;
        const lua::RouteStatus st = engine->run("ksr_reply_route", mc.lua);
        if (st == lua::RouteStatus::Error || mc.lua.dropped) {
            countDrop(stats::core::kDropReplies, st == lua::RouteStatus::Error);
            return;
        }
    }
    for (const MsgExtension* ext : msgExtensions()) {
        if (ext->onReply != nullptr && ext->onReply(mc)) return;
    }
    if (!forwardReply(mc)) countDrop(stats::core::kDropReplies, false);
}

}  // namespace

void onMessage(const net::RecvInfo& info, char* buf, size_t len) noexcept {
    if (sourceDropped(info)) return;  // a blocked source: before any parsing (msg_extension.h)
    if (isBlank(buf, len)) return;
    MsgContext* slot = g_pool.acquire();
    if (slot == nullptr) return;  // out of memory for the first contexts
    MsgContext& mc = *slot;
    mc.start(info);
    sip::SipMsg& msg = mc.msg;
    if (!sip::parseMsg(msg, std::string_view(buf, len)) || !basicCheck(msg)) {
        reject(mc);
    } else {
        const MessageLogPrefix prefix(mc);  // log_prefix on every line about this message
        if (msg.isRequest()) {
            routeRequest(mc);
        } else {
            routeReply(mc);
        }
    }
    if (!net::batchOpen()) g_pool.releaseLast();
    proc::publishPkgStats();
}

void releaseMessages() noexcept {
    g_pool.releaseAll();
}

}  // namespace osprey::route
