// The non-lazy entry points: body bounds (RFC 3261 §18.3), the Request-URI, the full parse,
// and the sanity checks a proxy applies before routing (RFC 3261 §8.2.2, §16.3).
#include "core/sip/contact.h"
#include "core/sip/cseq.h"
#include "core/sip/from_to.h"
#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/number_header.h"
#include "core/sip/route.h"
#include "core/sip/text_header.h"

namespace osprey::sip {

namespace {

bool msgFail(SipMsg& msg, ParseErrc code, HeaderKind kind, const char* detail, size_t offset,
             std::string_view got = {}, std::string_view want = {}) {
    ParseError e;
    e.code = code;
    e.kind = kind;
    e.header = headerKindName(kind);
    e.offset = static_cast<uint32_t>(offset);
    e.detail = detail;
    e.got = got;
    e.want = want;
    return msg.fail(e);
}

HeaderField* first(SipMsg& msg, HeaderKind k) {
    return (msg.seen & headerBit(k)) ? &msg.header(msg.firstOf[static_cast<unsigned>(k)]) : nullptr;
}

// Parses the URIs inside an already parsed header.
bool parseHeaderUris(SipMsg& msg, HeaderField& h) {
    using K = HeaderKind;
    auto ok = [&msg](NameAddr& na, const HeaderField& hf) {
        return nameAddrUri(msg, na, &hf) != nullptr || na.uriState != UriState::Bad;
    };
    switch (h.kind) {
        case K::From:
        case K::To: {
            auto* b = static_cast<FromToBody*>(h.body);
            return ok(b->addr, h);
        }
        case K::Contact: {
            auto* b = static_cast<ContactBody*>(h.body);
            for (ContactValue* v = b->first; v; v = v->next)
                if (!ok(v->addr, h)) return false;
            return true;
        }
        case K::Route:
        case K::RecordRoute:
        case K::Path:
        case K::ReplyTo:
        case K::ReferTo:
        case K::ReferredBy:
        case K::PAssertedIdentity:
        case K::PPreferredIdentity:
        case K::Diversion:
        case K::AlertInfo:
        case K::CallInfo:
        case K::ErrorInfo: {
            for (auto* r = static_cast<RouteBody*>(h.body); r; r = r->next)
                if (!ok(r->addr, h)) return false;
            return true;
        }
        default:
            return true;
    }
}

}  // namespace

bool findBody(SipMsg& msg) {
    if (msg.bodyFound) return true;
    if (!parseHeaders(msg, HDR_EOH)) return false;
    const size_t avail = msg.data.size() - msg.bodyStart;
    HeaderField* cl = first(msg, HeaderKind::ContentLength);
    if (!cl) {  // datagram without Content-Length: the rest of it (RFC 3261 §18.3)
        msg.body = msg.data.substr(msg.bodyStart);
        msg.bodyFound = true;
        return true;
    }
    if (cl->nextSame != kNoHeader) {
        HeaderField& second = msg.header(cl->nextSame);
        return msgFail(msg, ParseErrc::DuplicateHeader, HeaderKind::ContentLength,
                       "more than one Content-Length", second.start);
    }
    const NumberBody* n = parseNumberHeader(msg, *cl);
    if (!n) return false;
    if (n->value > avail) {
        return msgFail(msg, ParseErrc::BodyTooShort, HeaderKind::ContentLength,
                       "Content-Length %1 but the body has fewer octets", msg.offsetOf(cl->value),
                       cl->value);
    }
    msg.body = msg.data.substr(msg.bodyStart, n->value);
    msg.bodyFound = true;
    return true;
}

const SipUri* requestUri(SipMsg& msg) {
    if (!msg.start.isRequest) return nullptr;
    if (msg.ruri) return msg.ruri;
    SipUri* u = msg.arena.make<SipUri>();
    const size_t at = msg.offsetOf(msg.start.uri);
    if (!u) {
        msgFail(msg, ParseErrc::OutOfMemory, HeaderKind::Other, "", at);
        return nullptr;
    }
    size_t where = 0;
    UriError r = parseUri(msg.start.uri, *u, &where);
    if (r == UriError::BadScheme) {
        msgFail(msg, ParseErrc::UnsupportedUriScheme, HeaderKind::Other,
                "unsupported scheme in Request-URI '%1'", at, msg.start.uri);
        return nullptr;
    }
    if (r != UriError::Ok) {
        msgFail(msg, ParseErrc::BadRequestUri, HeaderKind::Other, uriErrorText(r), at + where,
                msg.start.uri);
        return nullptr;
    }
    if (!u->headers.empty()) {  // RFC 3261 §19.1.1: headers are not allowed in a Request-URI
        msgFail(msg, ParseErrc::BadRequestUri, HeaderKind::Other,
                "headers '?%1' not allowed in Request-URI", msg.offsetOf(u->headers) - 1,
                u->headers);
        return nullptr;
    }
    msg.ruri = u;
    return u;
}

bool parseAll(SipMsg& msg) {
    if (msg.error) return false;
    if (msg.start.isRequest && !requestUri(msg)) return false;
    if (!parseHeaders(msg, HDR_EOH)) return false;
    for (uint32_t i = 0; i < msg.count; ++i) {
        HeaderField& h = msg.header(i);
        if (!parseHeaderBody(msg, h)) return false;
        if (!parseHeaderUris(msg, h)) return false;
    }
    return findBody(msg);
}

bool checkMessage(SipMsg& msg) {
    if (msg.error) return false;
    if (!parseHeaders(msg, HDR_EOH)) return false;
    using K = HeaderKind;
    // RFC 3261 §8.1.1: the headers every request (and so every response) carries. Max-Forwards
    // is left out: RFC 2543 peers omit it (RFC 4475 3.4.1).
    static constexpr K kRequired[] = {K::To, K::From, K::CallId, K::CSeq, K::Via};
    for (K k : kRequired) {
        if (!(msg.seen & headerBit(k)))
            return msgFail(msg, ParseErrc::MissingHeader, k, "missing %1 header", msg.bodyStart,
                           headerKindName(k));
    }
    static constexpr K kSingle[] = {K::CallId,      K::CSeq,          K::From,        K::To,
                                    K::MaxForwards, K::ContentLength, K::ContentType, K::Expires};
    for (K k : kSingle) {
        HeaderField* h = first(msg, k);
        if (h && h->nextSame != kNoHeader) {
            HeaderField& second = msg.header(h->nextSame);
            return msgFail(msg, ParseErrc::DuplicateHeader, k, "%1 appears more than once",
                           second.start, second.name);
        }
    }
    if (!getFrom(msg) || !getTo(msg) || getCallId(msg).empty()) return false;
    const CSeqBody* cseq = getCSeq(msg);
    if (!cseq) return false;
    if (first(msg, K::MaxForwards) && !getMaxForwards(msg)) return false;
    if (msg.start.isRequest) {
        if (cseq->methodText != msg.start.methodText) {
            return msgFail(msg, ParseErrc::CSeqMethodMismatch, K::CSeq,
                           "method '%1' does not match request method '%2'",
                           msg.offsetOf(cseq->methodText), cseq->methodText, msg.start.methodText);
        }
        if (!requestUri(msg)) return false;
    }
    return findBody(msg);
}

}  // namespace osprey::sip
