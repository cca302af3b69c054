// From / To parser (RFC 3261 §20.20, §20.39): one name-addr, tag picked out.
#include "core/sip/from_to.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"

namespace osprey::sip {

const FromToBody* parseFromTo(SipMsg& msg, HeaderField& h) {
    const FromToBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    FromToBody* b = msg.arena.make<FromToBody>();
    if (!b) {
        outOfMemory(msg, h);
        return nullptr;
    }
    ParseError err;
    size_t p = 0;
    if (!parseNameAddr(s, p, b->addr, err)) {
        headerFail(msg, h, err);
        return nullptr;
    }
    bool ok =
        scanParams(s, p, b->addr.params, err,
                   [&](std::string_view name, std::string_view value, bool hasValue, size_t at) {
                       if (paramIs(name, "tag")) {
                           if (!hasValue) {
                               err.code = ParseErrc::BadParam;
                               err.detail = "tag without value";
                               err.offset = static_cast<uint32_t>(at);
                               return false;
                           }
                           b->tag = value;
                       }
                       return true;
                   });
    if (!ok) {
        headerFail(msg, h, err);
        return nullptr;
    }
    b->addr.text = s.substr(0, p);
    return finishSingleValue(msg, h, p, b, "more than one address",
                             "unexpected '%1' after address");
}

const FromToBody* getFrom(SipMsg& msg) {
    HeaderField* h = findHeader(msg, HeaderKind::From);
    return h ? parseFromTo(msg, *h) : nullptr;
}

const FromToBody* getTo(SipMsg& msg) {
    HeaderField* h = findHeader(msg, HeaderKind::To);
    return h ? parseFromTo(msg, *h) : nullptr;
}

}  // namespace osprey::sip
