// The per-message context a route runs with: the message being routed plus the script-visible
// state that belongs to it (flags, drop mark). Exported functions that take `Ctx&` as their
// first parameter receive the context of the route that is running. The routing state of the
// message ($du, new R-URI, builder edits, where it came from: core/route/msg_context.h) hangs
// off `route`; it is null when a route runs without the router (engine tests).
#pragma once
#include <cstdint>

struct lua_State;

namespace osprey::sip {
struct SipMsg;
}
namespace osprey::route {
struct MsgContext;
}

namespace osprey::lua {

// Which kind of route is running (Kamailio's route_type): KSR.tmx.t_is_failure_route() etc.
enum class RouteType : uint8_t {
    Request,  // ksr_request_route
    Reply,    // ksr_reply_route (Kamailio's core onreply_route)
    Failure,  // tm failure route
    Branch,   // tm branch route
    OnReply,  // tm onreply route
};

struct Ctx {
    sip::SipMsg* msg = nullptr;
    uint64_t flags = 0;    // KSR.setflag / resetflag / isflagset (flags 0..63)
    bool dropped = false;  // KSR.x.drop(): nothing may be sent for this message
    RouteType routeType = RouteType::Request;
    route::MsgContext* route = nullptr;  // the router's per-message state, if any
    // Branch flags of branch 0, the Request-URI (KSR.setbflag, $bf; 0..31 as Kamailio's); the
    // other branches carry their own (route::Branch::bflags). In a branch route: that branch's.
    uint32_t bflags = 0;
};

// What trampolines reach through their first upvalue. Its address doubles as the error object
// KSR.x.exit()/drop() raise, so the engine can tell "stop" from a real error without a global.
struct CallState {
    Ctx* current = nullptr;  // set by Engine::run for the duration of a route
    // Logs a bad call's error at the script line calling it (set by the engine). Reached
    // through here because trampolines live in module .so files, which use no core symbols.
    void (*logError)(::lua_State* L, const char* text) = nullptr;
};

}  // namespace osprey::lua
