// URIs that must parse (uri_checks: Request-URI, From, To, Contact) and the tag parameter of
// From and To appearing once (RFC 3261 §19.3; a second tag makes dialog matching ambiguous).
// URIs of schemes other than sip/sips/tel in From, To and Contact are accepted as opaque
// (RFC 4475 3.3.4: an unknown scheme in a header is not an error).
#include "core/sip/contact.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/name_addr.h"
#include "core/sip/params.h"
#include "core/sip/sip_lex.h"
#include "modules/sanity/check_steps.h"

namespace osprey::sanity {

namespace {

using sip::HeaderKind;

struct FromToReasons {
    HeaderKind kind;
    const char* missing;
    const char* invalid;
    const char* badUri;
    const char* manyTags;
};

constexpr FromToReasons kFrom = {HeaderKind::From, "Missing From Header", "Invalid From Header",
                                 "Bad From URI", "Many From Tag Params"};
constexpr FromToReasons kTo = {HeaderKind::To, "Missing To Header", "Invalid To Header",
                               "Bad To URI", "Many To Tag Params"};

// A name-addr's URI parses, or is of a scheme the parser keeps opaque. The parsed bodies live
// in the message's arena and cache the URI on first use, hence the const_cast.
bool uriOk(sip::SipMsg& msg, const sip::NameAddr& na, const sip::HeaderField& h) {
    auto& cache = const_cast<sip::NameAddr&>(na);
    return sip::nameAddrUri(msg, cache, &h) != nullptr || cache.uriState != sip::UriState::Bad;
}

const sip::FromToBody* fromTo(sip::SipMsg& msg, const FromToReasons& r, Check which,
                              sip::HeaderField*& h, Verdict& v) {
    h = sip::findHeader(msg, r.kind);
    if (h == nullptr) {
        fail(v, which, 400, r.missing);
        return nullptr;
    }
    const sip::FromToBody* b = sip::parseFromTo(msg, *h);
    if (b == nullptr) fail(v, which, 400, r.invalid);
    return b;
}

bool fromToUriOk(sip::SipMsg& msg, const FromToReasons& r, Verdict& v) {
    sip::HeaderField* h = nullptr;
    const sip::FromToBody* b = fromTo(msg, r, kParseUris, h, v);
    if (b == nullptr) return false;
    return uriOk(msg, b->addr, *h) || fail(v, kParseUris, 400, r.badUri);
}

bool contactsOk(sip::SipMsg& msg, Verdict& v) {
    for (sip::HeaderField* h = sip::findHeader(msg, HeaderKind::Contact); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        const sip::ContactBody* b = sip::parseContact(msg, *h);
        if (b == nullptr) return fail(v, kParseUris, 400, "Bad Contact Header");
        for (const sip::ContactValue* c = b->first; c != nullptr; c = c->next) {
            if (!uriOk(msg, c->addr, *h)) return fail(v, kParseUris, 400, "Bad Contact URI");
        }
    }
    return true;
}

bool oneTag(sip::SipMsg& msg, const FromToReasons& r, Verdict& v) {
    sip::HeaderField* h = nullptr;
    const sip::FromToBody* b = fromTo(msg, r, kDuplicateTags, h, v);
    if (b == nullptr) return false;
    if (b->tag.empty()) return true;
    unsigned tags = 0;
    sip::ParamIter it(b->addr.params);
    for (sip::Param p; it.next(p);) {
        if (sip::lex::equalsNoCase(p.name, "tag") && ++tags > 1)
            return fail(v, kDuplicateTags, 400, r.manyTags);
    }
    return true;
}

}  // namespace

bool checkParseUris(sip::SipMsg& msg, uint32_t uriChecks, Verdict& v) {
    if ((uriChecks & kUriRuri) && msg.isRequest() && !requestUriParses(msg, kParseUris, v))
        return false;
    if ((uriChecks & kUriFrom) && !fromToUriOk(msg, kFrom, v)) return false;
    if ((uriChecks & kUriTo) && !fromToUriOk(msg, kTo, v)) return false;
    if ((uriChecks & kUriContact) && !contactsOk(msg, v)) return false;
    return true;
}

bool checkDuplicateTags(sip::SipMsg& msg, Verdict& v) {
    return oneTag(msg, kFrom, v) && oneTag(msg, kTo, v);
}

}  // namespace osprey::sanity
