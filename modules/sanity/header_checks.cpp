// Checks on single headers: the ones every request carries (RFC 3261 §8.1.1), the top Via,
// CSeq (§20.16), Content-Length (§18.3, §20.14) and Expires (§20.19). runChecks has scanned
// the whole header section before any of these runs, so an absent header is really absent.
#include "core/sip/cseq.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/sip_lex.h"
#include "core/sip/via.h"
#include "modules/sanity/check_steps.h"

namespace osprey::sanity {

namespace {

using sip::HeaderKind;

// The CSeq parsed, or a verdict. A number that is not a 32-bit unsigned integer is told apart
// from other damage by the parser's error, when it is the message's first one.
const sip::CSeqBody* cseqOrFail(sip::SipMsg& msg, Check which, Verdict& v) {
    sip::HeaderField* h = sip::findHeader(msg, HeaderKind::CSeq);
    if (h == nullptr) {
        fail(v, which, 400, "Missing CSeq Header");
        return nullptr;
    }
    const bool hadError = static_cast<bool>(msg.error);
    const sip::CSeqBody* cseq = sip::parseCSeq(msg, *h);
    if (cseq != nullptr) return cseq;
    const sip::ParseErrc why = msg.error.code;
    if (!hadError && msg.error.kind == HeaderKind::CSeq &&
        (why == sip::ParseErrc::BadNumber || why == sip::ParseErrc::NumberTooLarge)) {
        fail(v, which, 400,
             h->value.empty() ? "Missing number in CSeq header" : "CSeq number is illegal");
    } else {
        fail(v, which, 400, "Bad CSeq Header");
    }
    return nullptr;
}

}  // namespace

bool checkRequiredHeaders(sip::SipMsg& msg, Verdict& v) {
    static constexpr HeaderKind kRequired[] = {HeaderKind::To, HeaderKind::From, HeaderKind::CallId,
                                               HeaderKind::CSeq, HeaderKind::Via};
    for (HeaderKind k : kRequired) {
        if ((msg.seen & sip::headerBit(k)) == 0)
            return fail(v, kRequiredHeaders, 400, "Missing Required Header in Request");
    }
    // RFC 4475 3.3.8/3.3.9: a second instance of these makes the request ambiguous.
    for (HeaderKind k : {HeaderKind::To, HeaderKind::From, HeaderKind::CallId, HeaderKind::CSeq}) {
        const sip::HeaderField* h = sip::findHeader(msg, k);
        if (h != nullptr && h->nextSame != sip::kNoHeader)
            return fail(v, kRequiredHeaders, 400, "Duplicate Required Header in Request");
    }
    return true;
}

bool checkVia1Header(sip::SipMsg& msg, Verdict& v) {
    // parseMsg parsed the first Via value; a message whose first Via is bad has none.
    const sip::ViaBody* via = msg.topVia;
    if (via == nullptr || via->host.empty()) return fail(v, kVia1Header, 400, "Bad Via Header");
    return true;
}

bool checkViaSipVersion(sip::SipMsg& msg, Verdict& v) {
    const sip::ViaBody* via = msg.topVia;
    if (via == nullptr) return fail(v, kViaSipVersion, 400, "Bad Via Header");
    const bool ok = sip::lex::equalsNoCase(via->protocol, "SIP") && via->version == "2.0";
    return ok || fail(v, kViaSipVersion, 505, "Version Not Supported (Via)");
}

bool checkCSeqMethod(sip::SipMsg& msg, Verdict& v) {
    const sip::CSeqBody* cseq = cseqOrFail(msg, kCSeqMethod, v);
    if (cseq == nullptr) return false;
    // RFC 3261 §7.1: method names are case-sensitive.
    if (cseq->methodText != msg.start.methodText)
        return fail(v, kCSeqMethod, 400, "CSeq method does not match request method");
    return true;
}

bool checkCSeqValue(sip::SipMsg& msg, Verdict& v) {
    return cseqOrFail(msg, kCSeqValue, v) != nullptr;
}

bool checkContentLength(sip::SipMsg& msg, const Options& opt, Verdict& v) {
    sip::HeaderField* h = sip::findHeader(msg, HeaderKind::ContentLength);
    if (h == nullptr) return true;  // a datagram's body is the rest of it (RFC 3261 §18.3)
    const sip::NumberBody* cl = sip::parseNumberHeader(msg, *h);
    if (cl == nullptr) return fail(v, kContentLength, 400, "Content-Length Failure");
    const uint64_t present = msg.data.size() - msg.bodyStart;
    // A stream transport framed the message by this very header; only a datagram can
    // disagree with it (RFC 3261 §18.3: a UDP message with a wrong length is an error).
    const bool ok = opt.datagram ? present == cl->value : present >= cl->value;
    return ok || fail(v, kContentLength, 400, "Content-Length mis-match");
}

bool checkExpiresValue(sip::SipMsg& msg, Verdict& v) {
    sip::HeaderField* h = sip::findHeader(msg, HeaderKind::Expires);
    if (h == nullptr) return true;
    if (h->value.empty()) return fail(v, kExpiresValue, 400, "Missing number in Expires header");
    const sip::NumberBody* e = sip::parseNumberHeader(msg, *h);
    if (e == nullptr) return fail(v, kExpiresValue, 400, "Expires value is illegal");
    // The parser saturates an oversized expiry at 2**32-1 for the registrar's sake (RFC 4475
    // 3.1.2.4 allows treating it as a default); this check is there to refuse it.
    if (e->value == 0xffffffffu) {
        const std::string_view digits = h->value.substr(h->value.find_first_not_of('0'));
        if (digits != "4294967295") return fail(v, kExpiresValue, 400, "Expires value is illegal");
    }
    return true;
}

}  // namespace osprey::sanity
