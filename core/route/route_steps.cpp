// The router's start-up step, in the master before fork: the "myself" set is built once the
// listen sockets are open (so ports left to the kernel are known).
#include "core/route/route_steps.h"

#include "core/route/myself.h"

namespace osprey::route {

bool initMyself(const app::HookContext& ctx) {
    buildMyself(ctx.cfg);
    return true;
}

}  // namespace osprey::route
