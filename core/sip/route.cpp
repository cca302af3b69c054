// Route, Record-Route, Path (name-addr lists, RFC 3261 §20.30, §20.34, RFC 3327 §4), and the
// other headers that are lists of addresses (Reply-To, Refer-To, Referred-By,
// P-Asserted-Identity, P-Preferred-Identity, Diversion, Alert-Info, Call-Info, Error-Info).
#include "core/sip/route.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"

namespace osprey::sip {

using namespace lex;

const RouteBody* parseRoute(SipMsg& msg, HeaderField& h) {
    const RouteBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    // Route-like headers take name-addr only (RFC 3261 §25.1 route-param, rec-route).
    const bool needAngle = h.kind == HeaderKind::Route || h.kind == HeaderKind::RecordRoute ||
                           h.kind == HeaderKind::Path || h.kind == HeaderKind::AlertInfo ||
                           h.kind == HeaderKind::CallInfo || h.kind == HeaderKind::ErrorInfo;
    RouteBody* first = nullptr;
    RouteBody* last = nullptr;
    size_t p = 0;
    ParseError err;
    for (;;) {
        RouteBody* r = msg.arena.make<RouteBody>();
        if (!r) {
            outOfMemory(msg, h);
            return nullptr;
        }
        const size_t start = skipLws(s, p);
        if (!parseNameAddr(s, p, r->addr, err)) {
            headerFail(msg, h, err);
            return nullptr;
        }
        if (needAngle && !r->addr.angled) {
            headerFail(msg, h, ParseErrc::BadNameAddr, "URI must be enclosed in <>", start);
            return nullptr;
        }
        if (!scanParams(s, p, r->addr.params, err,
                        [](std::string_view, std::string_view, bool, size_t) { return true; })) {
            headerFail(msg, h, err);
            return nullptr;
        }
        r->addr.text = s.substr(start, p - start);
        (last ? last->next : first) = r;
        last = r;
        p = skipLws(s, p);
        if (p >= s.size()) break;
        if (s[p] != ',') {
            headerFail(msg, h, ParseErrc::BadValue, "unexpected '%1' after address", p,
                       s.substr(p, 1));
            return nullptr;
        }
        p = skipLws(s, p + 1);
    }
    h.body = first;
    h.state = BodyState::Parsed;
    return first;
}

}  // namespace osprey::sip
