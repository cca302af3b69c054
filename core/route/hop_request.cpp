// CANCEL and ACK from a branch's request as sent (hop_request.h).
#include "core/route/hop_request.h"

#include "core/sip/builder_via.h"
#include "core/sip/cseq.h"
#include "core/sip/msg.h"

namespace osprey::route {

namespace {

std::string_view lineOf(const sip::SipMsg& m, const sip::HeaderField& h) {
    return m.data.substr(h.start, h.end - h.start);
}

}  // namespace

bool buildHopRequest(sip::SipMsg& sent, std::string_view method, std::string_view toLine,
                     sip::OutSpans* out) {
    if (!sent.isRequest() || !sip::parseHeaders(sent, sip::HDR_EOH)) return false;
    const sip::HeaderField* via = sip::findHeader(sent, sip::HeaderKind::Via);
    const sip::HeaderField* from = sip::findHeader(sent, sip::HeaderKind::From);
    const sip::HeaderField* callId = sip::findHeader(sent, sip::HeaderKind::CallId);
    const sip::HeaderField* to = sip::findHeader(sent, sip::HeaderKind::To);
    const sip::CSeqBody* cseq = sip::getCSeq(sent);
    if (via == nullptr || from == nullptr || callId == nullptr || cseq == nullptr) return false;
    if (toLine.empty()) {
        if (to == nullptr) return false;
        toLine = lineOf(sent, *to);
    }
    uint32_t routes = 0;
    for (sip::HeaderField* r = sip::findHeader(sent, sip::HeaderKind::Route); r != nullptr;
         r = sip::nextHeader(sent, *r)) {
        ++routes;
    }
    char num[24];
    const std::string_view cseqNum(num, sip::formatDecimal(cseq->number, num));
    const std::string_view cseqLine =
        sip::joinText(sent.arena, {"CSeq: ", cseqNum, " ", method, "\r\n"});
    const std::string_view requestLine =
        sip::joinText(sent.arena, {method, " ", sent.start.uri, " ", sent.start.version, "\r\n"});
    const uint32_t cap = 8 + routes;
    auto* iov = static_cast<iovec*>(sent.arena.alloc(sizeof(iovec) * cap));
    if (cseqLine.empty() || requestLine.empty() || iov == nullptr) return false;
    uint32_t n = 0;
    size_t bytes = 0;
    auto put = [&](std::string_view s) {
        iov[n++] = iovec{const_cast<char*>(s.data()), s.size()};
        bytes += s.size();
    };
    put(requestLine);
    put(lineOf(sent, *via));
    for (sip::HeaderField* r = sip::findHeader(sent, sip::HeaderKind::Route); r != nullptr;
         r = sip::nextHeader(sent, *r)) {
        put(lineOf(sent, *r));
    }
    put(lineOf(sent, *from));
    put(toLine);
    put(lineOf(sent, *callId));
    put(cseqLine);
    put("Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    out->iov = iov;
    out->count = n;
    out->bytes = bytes;
    return true;
}

}  // namespace osprey::route
