// The rtpengine functions on a routed message (manage.h).
#include "modules/rtpengine/manage.h"

#include "core/log/log.h"
#include "core/route/msg_context.h"
#include "core/sip/builder.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/text_header.h"

namespace osprey::rtpengine {

namespace {

// Per process: the request being built and the decoded reply. A query of a big call needs
// many nodes; the request holds the SDP.
char g_request[65536];
bencode::Node g_nodes[4096];

bool iequalsPrefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

// The message's SDP: the body when its Content-Type is application/sdp (or absent and the
// body looks like one); empty otherwise.
std::string_view sdpOf(sip::SipMsg& msg) {
    if (!msg.bodyFound && !sip::findBody(msg)) return {};
    if (msg.body.empty()) return {};
    const sip::HeaderField* ct = sip::findHeader(msg, sip::HeaderKind::ContentType);
    if (ct != nullptr) {
        std::string_view v = ct->value;
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        return iequalsPrefix(v, "application/sdp") ? msg.body : std::string_view();
    }
    return msg.body.starts_with("v=") ? msg.body : std::string_view();
}

}  // namespace

const relay::Set* Engine::setFor(const route::MsgContext& mc) const {
    if (chosen_ != nullptr && setMsgId_ == mc.id) return chosen_;
    return sets->defaultSet();
}

int Engine::selectSet(route::MsgContext* mc, int id) {
    if (mc == nullptr || id < 0) return -1;
    const relay::Set* s = sets->find(static_cast<unsigned>(id));
    if (s == nullptr) {
        LM_ERR("rtpengine: set_rtpengine_set: no set %d", id);
        return -1;
    }
    chosen_ = s;
    setMsgId_ = mc->id;
    return 1;
}

int Engine::exchange(route::MsgContext& mc, Op op, std::string_view flagsText, bool* unknownCall) {
    sip::SipMsg& msg = mc.msg;
    NgFlags flags;
    if (!parseNgFlags(flagsText, flags)) {
        LM_ERR("rtpengine: flag '%.*s': %.*s", static_cast<int>(flags.errorFlag.size()),
               flags.errorFlag.data(), static_cast<int>(flags.error.size()), flags.error.data());
        return -1;
    }
    if (flags.forceAnswer && op == Op::Offer) op = Op::Answer;
    if ((op == Op::Offer || op == Op::Answer) && rewrittenMsgId_ == mc.id) {
        return 1;  // this message already carries rtpengine's SDP (manage called again)
    }
    CallInfo call;
    call.request = msg.isRequest();
    call.callId = sip::getCallId(msg);
    const sip::FromToBody* from = sip::getFrom(msg);
    const sip::FromToBody* to = sip::getTo(msg);
    if (call.callId.empty() || from == nullptr || from->tag.empty()) {
        LM_ERR("rtpengine: %s needs a Call-ID and a From tag", opName(op));
        return -1;
    }
    call.fromTag = from->tag;
    if (to != nullptr) call.toTag = to->tag;
    call.receivedFrom = mc.srcIp();
    if (op == Op::Offer || op == Op::Answer) {
        call.sdp = sdpOf(msg);
        if (call.sdp.empty()) {
            LM_ERR("rtpengine: %s: the message has no SDP body", opName(op));
            return -1;
        }
    }
    bencode::Writer w(g_request, sizeof g_request);
    switch (buildCommand(op, call, flags, w)) {
        case BuildResult::Ok:
            break;
        case BuildResult::NoToTag:
            LM_ERR("rtpengine: %s: no To tag", opName(op));
            return -1;
        case BuildResult::TooBig:
            LM_ERR("rtpengine: %s: request larger than %zu bytes", opName(op), sizeof g_request);
            return -1;
    }
    const relay::Set* set = setFor(mc);
    if (set == nullptr) return -1;
    const std::string_view callId = flags.callId.empty() ? call.callId : flags.callId;
    if (op == Op::Delete && inFailureRoute != nullptr && inFailureRoute()) {
        // A failure route holds its transaction (and may run in the timer process): the
        // delete goes out without waiting for rtpengine's answer.
        if (!relay::sendOnly(*sets, *set, callId, w.view())) return -1;
        stats::inc(deletes);
        return 1;
    }
    relay::Reply r;
    if (relay::request(*sets, *set, callId, w.view(), cfg, *clientStats, r) != relay::Status::Ok) {
        LM_ERR("rtpengine: %s: no rtpengine instance available", opName(op));
        return -1;
    }
    NgReply reply;
    if (!parseReply(r.body, g_nodes, reply)) {
        stats::inc(errors);
        LM_ERR("rtpengine: %s: unreadable answer from %s", opName(op), r.node->url.c_str());
        return -1;
    }
    if (reply.result != "ok") {
        stats::inc(errors);
        if (unknownCall != nullptr) *unknownCall = reply.errorReason.find("Unknown call") == 0;
        if (unknownCall == nullptr || !*unknownCall) {
            LM_ERR("rtpengine: %s refused by %s: %.*s", opName(op), r.node->url.c_str(),
                   static_cast<int>(reply.errorReason.size()), reply.errorReason.data());
        }
        return -1;
    }
    switch (op) {
        case Op::Offer:
        case Op::Answer: {
            if (reply.sdp.empty()) {
                LM_ERR("rtpengine: %s: answer without SDP", opName(op));
                return -1;
            }
            if (mc.builder().setBody(reply.sdp) != sip::BuildError::Ok) {
                LM_ERR("rtpengine: %s: cannot replace the body", opName(op));
                return -1;
            }
            rewrittenMsgId_ = mc.id;
            stats::inc(op == Op::Offer ? offers : answers);
            return 1;
        }
        case Op::Delete:
            stats::inc(deletes);
            return 1;
        case Op::Query: {
            const uint32_t count = reply.root->end;
            rtpstatLen_ = rtpstatText(std::span<const bencode::Node>(g_nodes, count), reply,
                                      rtpstat_, sizeof rtpstat_);
            return 1;
        }
        default:
            return 1;
    }
}

int Engine::run(route::MsgContext* mc, Op op, std::string_view flags) {
    if (mc == nullptr || sets == nullptr) return -1;
    return exchange(*mc, op, flags, nullptr);
}

int Engine::manage(route::MsgContext* mc, std::string_view flags) {
    if (mc == nullptr || sets == nullptr) return -1;
    sip::SipMsg& msg = mc->msg;
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    if (cseq == nullptr) {
        LM_ERR("rtpengine: no CSeq header");
        return -1;
    }
    const sip::Method m = cseq->method;
    if (m == sip::Method::Cancel || m == sip::Method::Bye) return run(mc, Op::Delete, flags);
    if (m != sip::Method::Invite && m != sip::Method::Ack && m != sip::Method::Update &&
        m != sip::Method::Prack) {
        return -1;
    }
    const bool hasSdp = !sdpOf(msg).empty();
    if (msg.isRequest()) {
        if (!hasSdp) return -1;
        if (m == sip::Method::Ack || m == sip::Method::Prack) return run(mc, Op::Answer, flags);
        if (m == sip::Method::Update) return run(mc, Op::Offer, flags);
        if (inFailureRoute != nullptr && inFailureRoute()) return run(mc, Op::Delete, flags);
        return run(mc, Op::Offer, flags);
    }
    if (msg.start.status >= 300) return run(mc, Op::Delete, flags);
    if (!hasSdp) return -1;
    bool unknownCall = false;
    const int rc = exchange(*mc, Op::Answer, flags, &unknownCall);
    if (rc < 0 && unknownCall && m == sip::Method::Invite) return run(mc, Op::Offer, flags);
    return rc;
}

}  // namespace osprey::rtpengine
