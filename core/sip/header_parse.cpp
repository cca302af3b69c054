// Which typed parser handles which header kind.
#include "core/sip/contact.h"
#include "core/sip/content_type.h"
#include "core/sip/cseq.h"
#include "core/sip/digest.h"
#include "core/sip/event.h"
#include "core/sip/from_to.h"
#include "core/sip/header_error.h"
#include "core/sip/number_header.h"
#include "core/sip/route.h"
#include "core/sip/text_header.h"
#include "core/sip/token_list.h"
#include "core/sip/via.h"

namespace osprey::sip {

bool parseHeaderBody(SipMsg& msg, HeaderField& h) {
    if (h.state != BodyState::Unparsed) return h.state == BodyState::Parsed;
    using K = HeaderKind;
    switch (h.kind) {
        case K::Via:
            return parseVia(msg, h) != nullptr;
        case K::From:
        case K::To:
            return parseFromTo(msg, h) != nullptr;
        case K::CSeq:
            return parseCSeq(msg, h) != nullptr;
        case K::MaxForwards:
        case K::ContentLength:
        case K::Expires:
        case K::MinExpires:
            return parseNumberHeader(msg, h) != nullptr;
        case K::ContentType:
            return parseContentType(msg, h) != nullptr;
        case K::Contact:
            return parseContact(msg, h) != nullptr;
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
        case K::ErrorInfo:
            return parseRoute(msg, h) != nullptr;
        case K::Require:
        case K::ProxyRequire:
        case K::Supported:
        case K::Unsupported:
        case K::Allow:
        case K::AllowEvents:
        case K::Accept:
        case K::AcceptEncoding:
        case K::AcceptLanguage:
        case K::ContentEncoding:
        case K::ContentLanguage:
            return parseTokenList(msg, h) != nullptr;
        case K::Authorization:
        case K::ProxyAuthorization:
        case K::WwwAuthenticate:
        case K::ProxyAuthenticate:
            return parseAuth(msg, h) != nullptr;
        case K::Event:
            return parseEvent(msg, h) != nullptr;
        default:
            return parseTextHeader(msg, h);
    }
}

}  // namespace osprey::sip
