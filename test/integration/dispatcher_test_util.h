// Shared by the dispatcher integration tests: test gateways (a UDP peer in a thread that
// answers like a media server or carrier would: 200, 503 or nothing), the routing script, and
// a router with tm and dispatcher whose list comes from a file the test writes.
#pragma once
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/rpc/value.h"
#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/stats_reader.h"
#include "test/support/temp_dir.h"
#include "test/support/time_scale.h"

namespace osprey::testsupport {

enum class GwMode { Ok, Busy503, Silent };

class Gateway {
public:
    Gateway() : thread_([this] { run(); }) {}
    ~Gateway() {
        stop_ = true;
        thread_.join();
    }
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    uint16_t port() const { return peer_.port(); }
    std::string uri() const { return "sip:127.0.0.1:" + std::to_string(peer_.port()); }
    void setMode(GwMode m) { mode_ = m; }
    int invites() const { return invites_; }
    int requests() const { return requests_; }  // anything but OPTIONS, ACK
    int options() const { return options_; }
    // Call-IDs of the requests it received (not OPTIONS).
    std::vector<std::string> callIds() {
        std::lock_guard<std::mutex> g(mu_);
        return callIds_;
    }
    // The text of the last request it received (not OPTIONS).
    std::string lastRequest() {
        std::lock_guard<std::mutex> g(mu_);
        return last_;
    }
    SipPeer& peer() { return peer_; }  // for sending its own requests (after stopListening)
    void stopListening() {
        stop_ = true;
        thread_.join();
        thread_ = std::thread([] {});
    }

private:
    void run() {
        while (!stop_) {
            auto m = peer_.receiveMsg(20);
            if (!m || !m->isRequest()) continue;
            const std::string method = m->method();
            if (method == "ACK") continue;
            if (method == "OPTIONS") {
                ++options_;
                if (mode_ != GwMode::Silent) peer_.sendBack(buildResponse(*m, 200, "OK"), *m);
                continue;
            }
            ++requests_;
            {
                std::lock_guard<std::mutex> g(mu_);
                callIds_.push_back(m->header("Call-ID"));
                last_ = m->text();
            }
            if (method == "INVITE") ++invites_;
            if (!m->header("X-Stateless").empty()) continue;  // counted only
            if (mode_ == GwMode::Ok) peer_.sendBack(buildResponse(*m, 200, "OK"), *m);
            if (mode_ == GwMode::Busy503) {
                peer_.sendBack(buildResponse(*m, 503, "Service Unavailable"), *m);
            }
        }
    }

    SipPeer peer_;
    std::atomic<bool> stop_{false};
    std::atomic<GwMode> mode_{GwMode::Ok};
    std::atomic<int> invites_{0};
    std::atomic<int> requests_{0};
    std::atomic<int> options_{0};
    std::mutex mu_;
    std::vector<std::string> callIds_;
    std::string last_;
    std::thread thread_;
};

// X-Set / X-Alg pick the set and algorithm; X-Domain selects with ds_select_domain; the selected
// destination's attrs (dst_attrs_pvname $var(dsattrs)) go along as X-Attrs; a BYE answers with
// ds_load_update()'s result; X-Test: reload answers with ds_reload()'s; X-Stateless forwards
// without tm; X-Test: fromlist answers 200 when ds_is_from_list() admits the source, 403 otherwise.
// Stateful calls fail over on 503 and 408 to the next destination of the selection.
inline const char* kDispatcherScript = R"lua(
function ksr_request_route()
    if KSR.is_ACK() or KSR.is_CANCEL() then
        if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
        return 1
    end
    if KSR.pv.get("$hdr(X-Test)") == "fromlist" then
        local grp = tonumber(KSR.pv.get("$hdr(X-Set)") or "-1")
        local ok
        if grp < 0 then ok = KSR.dispatcher.ds_is_from_lists() else ok = KSR.dispatcher.ds_is_from_list(grp) end
        if ok > 0 then KSR.sl.sl_send_reply(200, "Known " .. KSR.pv.get("$var(dsset)")) else KSR.sl.sl_send_reply(403, "Unknown") end
        return 1
    end
    if KSR.pv.get("$hdr(X-Test)") == "reload" then
        KSR.sl.sl_send_reply(200, "Reload " .. KSR.dispatcher.ds_reload())
        return 1
    end
    if KSR.is_BYE() then
        KSR.sl.sl_send_reply(200, "Load " .. KSR.dispatcher.ds_load_update())
        return 1
    end
    local set = tonumber(KSR.pv.get("$hdr(X-Set)") or "1")
    local alg = tonumber(KSR.pv.get("$hdr(X-Alg)") or "4")
    local rc
    if KSR.pv.get("$hdr(X-Domain)") then
        rc = KSR.dispatcher.ds_select_domain(set, alg)
    else
        rc = KSR.dispatcher.ds_select_dst(set, alg)
    end
    if rc < 0 then
        KSR.sl.sl_send_reply(503, "No Destination")
        return 1
    end
    local attrs = KSR.pv.get("$var(dsattrs)")
    if type(attrs) == "string" and attrs ~= "" then KSR.hdr.append("X-Attrs: " .. attrs .. "\r\n") end
    if KSR.pv.get("$hdr(X-Stateless)") then
        KSR.forward()
        return 1
    end
    KSR.tm.t_on_failure("ds_failover")
    if KSR.tm.t_relay() < 0 then KSR.sl.sl_reply_error() end
end

function ds_failover()
    if KSR.tm.t_is_canceled() > 0 then return 1 end
    if KSR.tm.t_check_status("503|408") > 0 then
        if KSR.dispatcher.ds_next_dst() > 0 then
            KSR.tm.t_on_failure("ds_failover")
            KSR.tm.t_relay()
        end
    end
end
)lua";

inline SipRouterOptions dispatcherOptions(const std::string& dsParams, unsigned children = 2) {
    SipRouterOptions o;
    o.children = children;
    o.controlSocket = true;
    o.shmMiB = 32;
    o.modules =
        "{ name = \"sl\"; }, { name = \"pv\"; }, { name = \"maxfwd\"; }, { name = \"tm\"; params = "
        "{ fr_timer = 400; "
        "fr_inv_timer = 3000; }; }, { name = \"dispatcher\"; params = { " +
        dsParams + " }; }";
    return o;
}

// Sends n stateless requests (X-Stateless) with a window of in-flight ones, waiting for the
// gateways to have received them all; false when some never arrived.
inline bool sendStateless(SipPeer& uac, uint16_t routerPort, int n, const std::string& headers,
                          const std::function<int()>& received, int callIdSeed = 0,
                          bool sameCallId = false) {
    const int start = received();
    constexpr int kWindow = 100;
    for (int sent = 0; sent < n;) {
        const int batch = std::min(kWindow, n - sent);
        for (int i = 0; i < batch; ++i) {
            SipRequest r;
            r.method = "INVITE";
            r.ruri = "sip:bob@example.com";
            r.callId = sameCallId ? "same-call-" + std::to_string(callIdSeed)
                                  : uniqueToken("ds") + std::to_string(callIdSeed);
            r.extraHeaders = "X-Stateless: 1\r\n" + headers;
            if (!uac.sendTo(buildRequest(uac, r), routerPort)) return false;
        }
        sent += batch;
        if (!pollUntil([&] { return received() - start >= sent; }, scaledMs(5000), 1)) {
            return false;
        }
    }
    return true;
}

// A stateful INVITE; the final status the UAC got (0: none within the wait).
inline int call(SipPeer& uac, uint16_t routerPort, const std::string& headers, int waitMs = 5000) {
    SipRequest r;
    r.method = "INVITE";
    r.ruri = "sip:bob@example.com";
    r.extraHeaders = headers;
    if (!uac.sendTo(buildRequest(uac, r), routerPort)) return 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) return 0;
        auto m = uac.receiveCall(r.callId, static_cast<int>(left));
        if (!m) return 0;
        if (!m->isRequest() && m->status() >= 200) return m->status();
    }
}

// The FLAGS dispatcher.list shows for a destination ("" when absent).
inline std::string destFlags(OspreyProcess& p, const std::string& uri) {
    const rpc::Value doc = ctlCall(p, "dispatcher.list");
    const rpc::Value* res = doc.isStruct() ? doc.find("result") : nullptr;
    const rpc::Value* recs = res != nullptr ? res->find("RECORDS") : nullptr;
    if (recs == nullptr) return {};
    for (const rpc::Value& rec : recs->items()) {
        const rpc::Value* set = rec.find("SET");
        const rpc::Value* targets = set != nullptr ? set->find("TARGETS") : nullptr;
        if (targets == nullptr) continue;
        for (const rpc::Value& t : targets->items()) {
            const rpc::Value* d = t.find("DEST");
            const rpc::Value* u = d != nullptr ? d->find("URI") : nullptr;
            if (u != nullptr && u->asString() == uri) return d->find("FLAGS")->asString();
        }
    }
    return {};
}

}  // namespace osprey::testsupport
