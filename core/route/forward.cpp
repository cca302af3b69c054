// Stateless forwarding of requests and replies.
#include "core/route/forward.h"

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/route/branch.h"
#include "core/route/msg_context.h"
#include "core/route/myself.h"
#include "core/route/next_hop.h"
#include "core/route/out_request.h"
#include "core/sip/via.h"
#include "core/stats/core_stats.h"

namespace osprey::route {

namespace {

void logDrop(MsgContext& mc, const char* what, std::string_view why) {
    static net::LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_NOTICE("cannot forward %s from %s: %.*s (%lu more not logged)", what,
                  net::toString(mc.recv.src).c_str(), static_cast<int>(why.size()), why.data(),
                  static_cast<unsigned long>(skipped));
    }
}

bool fail(MsgContext& mc, int status, const char* reason, const char* why) {
    mc.setError(status, reason);
    logDrop(mc, mc.msg.isRequest() ? "a request" : "a reply", why);
    return false;
}

}  // namespace

bool forwardRequest(MsgContext& mc, std::string_view uri) {
    sip::SipMsg& msg = mc.msg;
    if (!msg.isRequest() || mc.lua.dropped) return false;
    BranchSpec spec = mainBranch(mc);
    if (!uri.empty()) spec.dstUri = uri;

    char branch[kStatelessBranchLen];
    OutRequest out;
    if (!buildRequest(mc, spec, statelessBranch(msg, spec.nextHopUri(), branch), &out)) {
        logDrop(mc, "a request", mc.errorReason);
        stats::inc(stats::coreCounter(stats::core::kDropRequests));
        return false;
    }
    if (!net::sendDeferred(out.dest, out.spans.iov, out.spans.count)) {
        mc.setError(477, "Unfortunately error on sending to next hop occurred");
        stats::inc(stats::coreCounter(stats::core::kDropRequests));
        return false;
    }
    ++mc.forwards;
    stats::inc(stats::coreCounter(stats::core::kFwdRequests));
    return true;
}

bool forwardReply(MsgContext& mc) {
    sip::SipMsg& msg = mc.msg;
    const sip::ViaBody* top = msg.topVia;
    if (msg.isRequest() || mc.lua.dropped || top == nullptr) return false;
    if (!isMyself(top->host, top->hasPort ? top->port : 5060)) {
        logDrop(mc, "a reply", "its top Via is not ours");
        return false;
    }
    // The next Via: in the same header line, or the first value of the next Via header.
    const sip::ViaBody* next = top->next;
    if (next == nullptr) {
        sip::HeaderField* first = sip::findHeader(msg, sip::HeaderKind::Via);
        sip::HeaderField* second = first != nullptr ? sip::nextHeader(msg, *first) : nullptr;
        if (second != nullptr) next = sip::parseVia(msg, *second);
    }
    if (next == nullptr) {
        logDrop(mc, "a reply", "no second Via");  // a reply to something we sent ourselves
        return false;
    }
    net::Destination dest;
    const NextHopError he = nextHopFromVia(*next, &dest);
    if (he != NextHopError::Ok) return fail(mc, 500, "Server Internal Error", nextHopErrorText(he));
    dest.socket = net::chooseSocket(dest.proto, dest.addr.family(), mc.recv.socket);
    sip::MsgBuilder& b = mc.builder();
    sip::BuildError e = b.popVia();
    sip::OutSpans built;
    if (e == sip::BuildError::Ok) e = b.build(built);
    if (e != sip::BuildError::Ok)
        return fail(mc, 500, "Server Internal Error", sip::buildErrorText(e));
    if (!net::sendDeferred(dest, built.iov, built.count)) return false;
    ++mc.forwards;
    stats::inc(stats::coreCounter(stats::core::kFwdReplies));
    return true;
}

}  // namespace osprey::route
