// Sending stateless local replies.
#include "core/route/send_reply.h"

#include "core/log/log.h"
#include "core/net/log_limit.h"
#include "core/net/send.h"
#include "core/route/msg_context.h"
#include "core/sip/reply.h"
#include "core/sip/via.h"

namespace osprey::route {

namespace {

void logFailure(MsgContext& mc, int status, const char* why) {
    static net::LogLimit limit;
    uint64_t skipped = 0;
    if (limit.allow(&skipped)) {
        LM_NOTICE("cannot send a %d reply to %s: %s (%lu more not logged)", status,
                  net::toString(mc.recv.src).c_str(), why, static_cast<unsigned long>(skipped));
    }
}

}  // namespace

net::Destination replyDestination(MsgContext& mc) {
    net::Destination d;
    d.proto = mc.recv.proto;
    d.addr = mc.recv.src;
    d.socket = mc.recv.socket;
    d.connId = mc.recv.connId;
    d.noConnect = mc.replyNoConnect;
    if (d.proto == net::Proto::Udp) {
        const sip::ViaBody* via = mc.msg.topVia;
        const bool rport = mc.forceRport || (via != nullptr && via->hasRport);
        if (!rport && via != nullptr) d.addr.setPort(via->hasPort ? via->port : 5060);
    }
    return d;
}

bool sendReply(MsgContext& mc, int status, std::string_view reason, std::string_view extraHeaders) {
    sip::SipMsg& msg = mc.msg;
    if (!msg.isRequest() || mc.lua.dropped) return false;
    if (msg.method() == sip::Method::Ack) return false;  // RFC 3261 §17.1.1.3: never answered
    // The reply is sent when the receive batch is flushed, after the caller's buffers (a
    // module's stack, a Lua string the collector may take) are gone: it points into the
    // message's arena instead.
    const size_t given = reason.size() + extraHeaders.size();
    if (!reason.empty()) reason = mc.keep(reason);
    if (!extraHeaders.empty()) extraHeaders = mc.keep(extraHeaders);
    if (reason.size() + extraHeaders.size() != given) {
        logFailure(mc, status, "out of per-message memory");
        return false;
    }
    sip::ReplyOptions opt;
    opt.srcIp = mc.srcIp();
    opt.srcPort = mc.recv.src.port();
    opt.extraHeaders = extraHeaders;
    sip::OutSpans out;
    if (status < 100 || status > 699) {
        logFailure(mc, status, "status code out of range");
        return false;
    }
    const sip::BuildError e = sip::buildReply(msg, static_cast<uint16_t>(status), reason, opt, out);
    if (e != sip::BuildError::Ok) {
        logFailure(mc, status, sip::buildErrorText(e));
        return false;
    }
    if (!net::sendDeferred(replyDestination(mc), out.iov, out.count)) return false;
    mc.replied = true;
    return true;
}

bool sendErrorReply(MsgContext& mc) {
    // A module that failed may have replied itself already (registrar's save): one final
    // reply per request is enough.
    if (mc.replied) return true;
    return sendReply(mc, mc.errorStatus, mc.errorReason);
}

}  // namespace osprey::route
