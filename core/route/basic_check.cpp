// basicCheck.
#include "core/route/basic_check.h"

#include "core/sip/cseq.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/text_header.h"

namespace osprey::route {

namespace {

using sip::HeaderKind;

bool fail(sip::SipMsg& msg, sip::ParseErrc code, HeaderKind kind, const char* detail,
          uint32_t offset, std::string_view got = {}, std::string_view want = {}) {
    sip::ParseError e;
    e.code = code;
    e.kind = kind;
    e.header = sip::headerKindName(kind);
    e.offset = offset;
    e.detail = detail;
    e.got = got;
    e.want = want;
    return msg.fail(e);
}

sip::HeaderField* first(sip::SipMsg& msg, HeaderKind k) {
    return (msg.seen & sip::headerBit(k)) != 0
               ? &msg.header(msg.firstOf[static_cast<unsigned>(k)])
               : nullptr;
}

}  // namespace

bool basicCheck(sip::SipMsg& msg) {
    if (msg.error || !sip::parseHeaders(msg, sip::HDR_EOH)) return false;
    static constexpr HeaderKind kRequired[] = {HeaderKind::To, HeaderKind::From,
                                               HeaderKind::CallId, HeaderKind::CSeq,
                                               HeaderKind::Via};
    for (HeaderKind k : kRequired) {
        if ((msg.seen & sip::headerBit(k)) == 0) {
            return fail(msg, sip::ParseErrc::MissingHeader, k, "missing %1 header", msg.bodyStart,
                        sip::headerKindName(k));
        }
    }
    static constexpr HeaderKind kSingle[] = {HeaderKind::CallId,      HeaderKind::CSeq,
                                             HeaderKind::From,        HeaderKind::To,
                                             HeaderKind::MaxForwards, HeaderKind::ContentLength};
    for (HeaderKind k : kSingle) {
        const sip::HeaderField* h = first(msg, k);
        if (h != nullptr && h->nextSame != sip::kNoHeader) {
            const sip::HeaderField& second = msg.header(h->nextSame);
            return fail(msg, sip::ParseErrc::DuplicateHeader, k, "%1 appears more than once",
                        second.start, second.name);
        }
    }
    if (sip::getCallId(msg).empty()) return false;
    const sip::CSeqBody* cseq = sip::getCSeq(msg);
    if (cseq == nullptr) return false;
    if (first(msg, HeaderKind::MaxForwards) != nullptr && sip::getMaxForwards(msg) == nullptr) {
        return false;
    }
    if (msg.isRequest()) {
        if (cseq->methodText != msg.start.methodText) {
            return fail(msg, sip::ParseErrc::CSeqMethodMismatch, HeaderKind::CSeq,
                        "method '%1' does not match request method '%2'",
                        msg.offsetOf(cseq->methodText), cseq->methodText, msg.start.methodText);
        }
        if (sip::requestUri(msg) == nullptr) return false;
    }
    return sip::findBody(msg);
}

}  // namespace osprey::route
