// Building NG requests and reading NG replies (ng_command.h).
#include "modules/rtpengine/ng_command.h"

#include <cinttypes>
#include <cstdio>

namespace osprey::rtpengine {

const char* opName(Op op) {
    switch (op) {
        case Op::Offer:
            return "offer";
        case Op::Answer:
            return "answer";
        case Op::Delete:
            return "delete";
        case Op::Query:
            return "query";
        case Op::Ping:
            return "ping";
        case Op::List:
            return "list";
    }
    return "?";
}

BuildResult buildCommand(Op op, const CallInfo& call, const NgFlags& flags, bencode::Writer& w) {
    w.beginDict();
    w.entry("command", opName(op));
    if (op != Op::Ping && op != Op::List) {
        w.entry("call-id", flags.callId.empty() ? call.callId : flags.callId);
        // Kamailio's rule: a request other than an answer, and a reply carrying an answer (or
        // deleting), speak for the From side; otherwise (an answer in an ACK) for the To side.
        std::string_view from = call.fromTag;
        std::string_view to = call.toTag;
        const bool sendTo = op != Op::Delete || flags.toTagFlag;
        if (!flags.toTag.empty()) to = flags.toTag;
        if (!flags.fromTag.empty() && flags.directional) {
            from = flags.fromTag;
        } else if (!((call.request && op != Op::Answer) ||
                     (!call.request && (op == Op::Delete || op == Op::Answer)))) {
            if (to.empty()) return BuildResult::NoToTag;
            std::swap(from, to);
        }
        w.entry("from-tag", from);
        if (sendTo && !to.empty()) w.entry("to-tag", to);
        if (op == Op::Offer || op == Op::Answer) w.entry("sdp", call.sdp);
        writeNgFlags(flags, w);
        if ((op == Op::Offer || op == Op::Answer) && flags.receivedFrom.empty() &&
            !call.receivedFrom.empty()) {
            w.str("received-from");
            w.beginList();
            w.str(call.receivedFrom.find(':') != std::string_view::npos ? "IP6" : "IP4");
            w.str(call.receivedFrom);
            w.end();
        }
    }
    w.end();
    return w.overflow() ? BuildResult::TooBig : BuildResult::Ok;
}

bool parseReply(std::string_view body, std::span<bencode::Node> nodes, NgReply& out) {
    uint32_t count = 0;
    if (bencode::decode(body, nodes, count) || nodes[0].type != bencode::Type::Dict) return false;
    const std::span<const bencode::Node> all(nodes.data(), count);
    auto str = [&](std::string_view key) {
        const bencode::Node* n = bencode::dictGet(all, 0, key);
        return n != nullptr && n->type == bencode::Type::Str ? n->str : std::string_view();
    };
    out.result = str("result");
    out.errorReason = str("error-reason");
    out.warning = str("warning");
    out.sdp = str("sdp");
    out.root = &nodes[0];
    return !out.result.empty();
}

size_t rtpstatText(std::span<const bencode::Node> nodes, const NgReply& reply, char* out,
                   size_t cap) {
    if (reply.root == nullptr) return 0;
    const uint32_t root = bencode::indexOf(nodes, reply.root);
    const bencode::Node* totals = bencode::dictGet(nodes, root, "totals");
    if (totals == nullptr) return 0;
    const uint32_t t = bencode::indexOf(nodes, totals);
    const bencode::Node* rtp = bencode::dictGet(nodes, t, "RTP");
    const bencode::Node* rtcp = bencode::dictGet(nodes, t, "RTCP");
    if (rtp == nullptr || rtcp == nullptr) return 0;
    auto num = [&](const bencode::Node* d, std::string_view key) -> int64_t {
        const bencode::Node* n = bencode::dictGet(nodes, bencode::indexOf(nodes, d), key);
        return n != nullptr && n->type == bencode::Type::Int ? n->num : -1;
    };
    const int len =
        snprintf(out, cap,
                 "RTP: %" PRId64 " bytes, %" PRId64 " packets, %" PRId64 " errors; RTCP: %" PRId64
                 " bytes, %" PRId64 " packets, %" PRId64 " errors",
                 num(rtp, "bytes"), num(rtp, "packets"), num(rtp, "errors"), num(rtcp, "bytes"),
                 num(rtcp, "packets"), num(rtcp, "errors"));
    return len < 0 ? 0 : static_cast<size_t>(len) < cap ? static_cast<size_t>(len) : cap - 1;
}

}  // namespace osprey::rtpengine
