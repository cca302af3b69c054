// Shared by the registrar integration tests: an osprey with usrloc + registrar and a script
// that saves REGISTERs and looks up everything else (forwarding statelessly to the best
// binding), and a UA that registers through it with one Call-ID and increasing CSeqs.
#pragma once
#include <cstdlib>
#include <memory>
#include <string>

#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {

struct RegRouterOptions {
    std::string usrlocParams;     // e.g. "db_mode = 1; db_url = \"sqlite:///x.db\";"
    std::string registrarParams;  // e.g. "min_expires = 60;"
    std::string logLevel = "info";
    unsigned children = 2;
    std::string beforeLookup;  // Lua run for non-REGISTER requests before the lookup
};

inline std::string registrarScript(const std::string& beforeLookup = "") {
    return R"(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return
    end
)" + beforeLookup +
           R"(
    if KSR.is_OPTIONS() and KSR.registrar.registered("location") < 0 then
        KSR.sl.send_reply(404, "Not Registered")
        return
    end
    local rc = KSR.registrar.lookup("location")
    if rc < 0 then
        KSR.sl.send_reply(404, "Not Found " .. rc)
        return
    end
    if KSR.forward() < 0 then KSR.sl.sl_reply_error() end
end
)";
}

inline SipRouterOptions regRouterOptions(const RegRouterOptions& o) {
    SipRouterOptions so;
    so.children = o.children;
    so.logLevel = o.logLevel;
    so.modules = "{ name = \"sl\"; }, { name = \"maxfwd\"; }, { name = \"usrloc\"; params = { " +
                 o.usrlocParams + " }; }, { name = \"registrar\"; params = { " + o.registrarParams +
                 " }; }";
    return so;
}

class RegRouter {
public:
    explicit RegRouter(RegRouterOptions o = {})
        : router_(registrarScript(o.beforeLookup), regRouterOptions(o)) {}
    bool start() { return router_.start(); }
    uint16_t port() const { return router_.port(); }
    std::string log() const { return router_.log(); }
    OspreyProcess& process() { return router_.process(); }

private:
    SipRouter router_;
};

// One UA registering an AOR (sip:<user>@example.com) through the router.
struct Registration {
    Registration(RegRouter& r, std::string u) : router(r), user(std::move(u)) {
        callId = uniqueToken("reg-");
    }

    // Sends a REGISTER with these extra header lines (each ending in \r\n) and waits for its
    // reply; a reply with status 0 when none came.
    std::unique_ptr<ReceivedMsg> send(const std::string& headers, int timeoutMs = 3000) {
        SipRequest req;
        req.method = "REGISTER";
        req.ruri = "sip:example.com";
        req.to = user.empty() ? "<sip:example.com>" : "<sip:" + user + "@example.com>";
        req.from = req.to + ";tag=" + uniqueToken("t");
        req.callId = callId;
        req.cseq = cseq++;
        req.extraHeaders = headers;
        if (!uac.sendTo(buildRequest(uac, req), router.port()))
            return std::make_unique<ReceivedMsg>("");
        auto resp = uac.receiveCall(callId, timeoutMs);
        return resp ? std::move(resp) : std::make_unique<ReceivedMsg>("");
    }

    RegRouter& router;
    std::string user;
    std::string callId;
    uint32_t cseq = 1;
    SipPeer uac;
};

// The expires parameter of a Contact value from a 200 OK; -1 when absent.
inline int expiresOf(const std::string& contact) {
    const size_t p = contact.find(";expires=");
    return p == std::string::npos ? -1 : std::atoi(contact.c_str() + p + 9);
}

}  // namespace osprey::testsupport
