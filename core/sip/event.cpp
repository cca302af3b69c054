// Event parser (RFC 6665 §8.2.1): event-type (token, '.'-separated templates) and params.
#include "core/sip/event.h"

#include "core/sip/header_error.h"
#include "core/sip/msg.h"
#include "core/sip/param_scan.h"

namespace osprey::sip {

using namespace lex;

const EventBody* parseEvent(SipMsg& msg, HeaderField& h) {
    const EventBody* cached;
    if (cachedBody(h, cached)) return cached;
    const std::string_view s = h.value;
    EventBody* b = msg.arena.make<EventBody>();
    if (!b) {
        outOfMemory(msg, h);
        return nullptr;
    }
    size_t te = scanWhile(s, 0, kToken);
    if (te == 0) {
        headerFail(msg, h, ParseErrc::BadValue, "missing event type", 0);
        return nullptr;
    }
    b->type = s.substr(0, te);
    size_t p = te;
    ParseError err;
    bool ok = scanParams(s, p, b->params, err,
                         [&](std::string_view name, std::string_view value, bool, size_t) {
                             if (paramIs(name, "id")) b->id = value;
                             return true;
                         });
    if (!ok) {
        headerFail(msg, h, err);
        return nullptr;
    }
    return finishSingleValue(msg, h, p, b, "unexpected '%1' after event",
                             "unexpected '%1' after event");
}

}  // namespace osprey::sip
