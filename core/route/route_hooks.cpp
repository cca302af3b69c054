// Wires the router into start-up (core/app/hooks.h), in the master before fork: the "myself"
// set is built once the listen sockets are open (so ports left to the kernel are known).
#include "core/app/hooks.h"
#include "core/route/myself.h"

namespace osprey::route {

namespace {

bool initMyself(const app::HookContext& ctx) {
    buildMyself(ctx.cfg);
    return true;
}

const app::HookRegistrar kMyself(app::Stage::MasterInit, app::kOrderTransport + 50,
                                 "collect local addresses", initMyself);

}  // namespace

}  // namespace osprey::route
