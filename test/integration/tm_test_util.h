// Shared by the tm integration tests: a stateful script, router options with tm and short
// timers, and waiting for a message of a call that satisfies a condition.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {

// A registrar in front of tm: REGISTER saved, CANCEL and ACK matched, everything else looked
// up and relayed to every binding (parallel forking).
inline const char* kRegistrarRelayScript = R"(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return 1
    end
    if KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    if KSR.registrar.lookup("location") < 0 then
        KSR.sl.send_reply(404, "Not Found")
        return 1
    end
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end
)";

// Stateful relay to one next hop ("host:port"): CANCEL and ACK matched to their transaction,
// retransmissions absorbed, everything else relayed with t_relay. `first` is Lua run at the
// top of ksr_request_route (say REGISTER handling), `after` Lua after the route (other route
// functions, globals).
inline std::string relayScript(const std::string& hop, const std::string& first = "",
                               const std::string& after = "") {
    return "function ksr_request_route()\n" + first + R"(
    if KSR.is_CANCEL() or KSR.is_ACK() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.tm.t_check_trans() == 0 then return 1 end
    KSR.setdsturi("sip:)" +
           hop + R"(")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
    return 1
end
)" + after;
}

// REGISTER saved (for relayScript's `first`).
inline const char* kSaveRegister = R"(    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return 1
    end
)";

inline SipRouterOptions tmRouterOptions(const std::string& tmParams, unsigned children = 2,
                                        bool registrar = false) {
    SipRouterOptions o;
    o.children = children;
    o.modules =
        "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"tmx\"; }, { name = \"tm\"; "
        "params = { " +
        tmParams + " }; }";
    if (registrar) o.modules += ", { name = \"usrloc\"; }, { name = \"registrar\"; }";
    return o;
}

// Receives messages of callId until one satisfies pred; nullptr on timeout.
inline std::unique_ptr<ReceivedMsg> waitFor(SipPeer& peer, const std::string& callId,
                                            const std::function<bool(ReceivedMsg&)>& pred,
                                            int timeoutMs = 3000) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return nullptr;
        auto m = peer.receiveCall(callId, static_cast<int>(left));
        if (!m) return nullptr;
        if (pred(*m)) return m;
    }
}

inline std::function<bool(ReceivedMsg&)> isStatus(int status) {
    return [status](ReceivedMsg& m) { return !m.isRequest() && m.status() == status; };
}

inline std::function<bool(ReceivedMsg&)> isMethod(const std::string& method) {
    return [method](ReceivedMsg& m) { return m.isRequest() && m.method() == method; };
}

inline std::function<bool(ReceivedMsg&)> isFinal() {
    return [](ReceivedMsg& m) { return !m.isRequest() && m.status() >= 200; };
}

// An INVITE from uac with defaults filled in.
inline SipRequest invite(const std::string& ruri = "sip:bob@example.com") {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = ruri;
    return r;
}

// The CANCEL for a sent INVITE (same branch, Call-ID, From, CSeq number).
inline SipRequest cancelOf(const SipRequest& inv) {
    SipRequest c = inv;
    c.method = "CANCEL";
    c.cseqMethod = "";
    return c;
}

}  // namespace osprey::testsupport
