// Wires the router into start-up (core/app/hooks.h), in the master before fork: the "myself"
// set is built once the listen sockets are open (so ports left to the kernel are known), and
// the per-process random values the core derives identifiers from are drawn here, so every
// worker inherits the same ones (a retransmission answered by another worker must get the
// same To tag, RFC 3261 §8.2.6.2).
#include "core/app/hooks.h"
#include "core/route/myself.h"
#include "core/sip/msg.h"
#include "core/sip/reply.h"

namespace osprey::route {

namespace {

bool initMyself(const app::HookContext& ctx) {
    buildMyself(ctx.cfg);
    return true;
}

// sip::localToTag draws its salt on first use; make that use happen in the master.
bool drawTagSalt(const app::HookContext&) {
    static const char kProbe[] =
        "OPTIONS sip:salt@invalid SIP/2.0\r\nVia: SIP/2.0/UDP invalid;branch=z9hG4bKsalt\r\n"
        "Call-ID: salt\r\n\r\n";
    sip::SipMsg msg;
    char tag[16];
    if (sip::parseMsg(msg, kProbe)) sip::localToTag(msg, tag);
    return true;
}

const app::HookRegistrar kMyself(app::Stage::MasterInit, app::kOrderTransport + 50,
                                 "collect local addresses", initMyself);
const app::HookRegistrar kSalt(app::Stage::MasterInit, app::kOrderTransport + 50,
                               "draw the To-tag salt", drawTagSalt);

}  // namespace

}  // namespace osprey::route
