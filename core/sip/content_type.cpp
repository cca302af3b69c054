// Content-Type parser (RFC 3261 §20.15, media-type with SLASH = SWS "/" SWS).
#include "core/sip/content_type.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"
#include "core/sip/params.h"

namespace osprey::sip {

using namespace lex;

const ContentTypeBody* parseContentType(SipMsg& msg, HeaderField& h) {
    const ContentTypeBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    ContentTypeBody* b = msg.arena.make<ContentTypeBody>();
    if (!b) {
        outOfMemory(msg, h);
        return nullptr;
    }
    size_t te = scanWhile(s, 0, kToken);
    size_t sl = skipLws(s, te);
    if (te == 0 || sl >= s.size() || s[sl] != '/') {
        headerFail(msg, h, ParseErrc::BadValue, "expected type/subtype", te);
        return nullptr;
    }
    size_t ss = skipLws(s, sl + 1);
    size_t se = scanWhile(s, ss, kToken);
    if (se == ss) {
        headerFail(msg, h, ParseErrc::BadValue, "missing media subtype", ss);
        return nullptr;
    }
    b->type = s.substr(0, te);
    b->subtype = s.substr(ss, se - ss);
    size_t p = se;
    ParseError err;
    bool ok = scanParams(s, p, b->params, err,
                         [&](std::string_view name, std::string_view value, bool, size_t) {
                             if (paramIs(name, "boundary")) b->boundary = unquote(value);
                             return true;
                         });
    if (!ok) {
        headerFail(msg, h, err);
        return nullptr;
    }
    return finishSingleValue(msg, h, p, b, "unexpected '%1' after media type",
                             "unexpected '%1' after media type");
}

const ContentTypeBody* getContentType(SipMsg& msg) {
    HeaderField* h = findHeader(msg, HeaderKind::ContentType);
    return h ? parseContentType(msg, *h) : nullptr;
}

}  // namespace osprey::sip
