// dispatcher.list, dispatcher.set_state, dispatcher.reload, dispatcher.ping_active
// (ds_rpc.h). The answers follow Kamailio 5.6: {NRSETS, RECORDS: [{SET: {ID, TARGETS:
// [{DEST: {URI, FLAGS, PRIORITY, ATTRS?, LATENCY?, RUNTIME?}}]}}]}, and "Ok. ..." texts.
#include "modules/dispatcher/ds_rpc.h"

#include <cmath>
#include <optional>
#include <string>

#include "core/log/log.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_module.h"
#include "modules/dispatcher/ds_state.h"

namespace osprey::dispatcher {

namespace {

enum class ListMode { Normal, Short, Full };

rpc::Value destValue(const Dest& d, ListMode mode) {
    rpc::Value v = rpc::Value::structure();
    char letters[3];
    stateLetters(d.flags.load(std::memory_order_relaxed), letters);
    v.add("URI", d.uri.view());
    v.add("FLAGS", letters);
    v.add("PRIORITY", int64_t{d.priority});
    if (mode == ListMode::Full) {
        char ip[net::kIpTextMax];
        const size_t n = d.hasAddr ? net::formatIp(d.addr, ip, sizeof(ip)) : 0;
        v.add("IPADDR", std::string_view(ip, n));
        v.add("PORT", int64_t{d.hasAddr ? d.addr.port() : 0});
        v.add("PROTOID", int64_t{static_cast<int>(d.proto) + 1});  // Kamailio: 1 udp, 2 tcp, 3 tls
    }
    if (mode != ListMode::Short && d.attrs.len != 0) {
        rpc::Value a = rpc::Value::structure();
        a.add("BODY", d.attrs.view());
        a.add("DUID", d.duid.view());
        a.add("MAXLOAD", int64_t{d.maxload});
        a.add("WEIGHT", int64_t{d.weight});
        a.add("RWEIGHT", int64_t{d.rweight});
        a.add("SOCKET", d.socket.view());
        a.add("SOCKNAME", "");
        a.add("OBPROXY", "");
        v.add("ATTRS", std::move(a));
    }
    const Settings& cfg = settings();
    if (cfg.pingLatencyStats != 0) {
        const Latency& l = d.latency;
        const uint32_t n = l.count.load(std::memory_order_relaxed);
        rpc::Value lat = rpc::Value::structure();
        lat.add("AVG", l.avg.load(std::memory_order_relaxed));
        lat.add("STD", n > 0 ? std::sqrt(l.m2.load(std::memory_order_relaxed) / n) : 0.0);
        lat.add("EST", l.est.load(std::memory_order_relaxed));
        lat.add("MAX", int64_t{l.max.load(std::memory_order_relaxed)});
        lat.add("TIMEOUT", int64_t{l.timeout.load(std::memory_order_relaxed)});
        v.add("LATENCY", std::move(lat));
    }
    if (cfg.hashSize > 0) {
        rpc::Value rt = rpc::Value::structure();
        rt.add("DLGLOAD", int64_t{callLoad(d.loadSlot)});
        v.add("RUNTIME", std::move(rt));
    }
    return v;
}

rpc::Result dsList(std::optional<std::string_view> modeText) noexcept {
    ListMode mode = ListMode::Normal;
    if (modeText && *modeText == "short") mode = ListMode::Short;
    if (modeText && *modeText == "full") mode = ListMode::Full;
    ReadScope rs;
    const List* l = rs.list();
    if (l == nullptr || l->nSets == 0) return rpc::Result::fault(500, "No Destination Sets");
    rpc::Value records = rpc::Value::array();
    for (uint32_t si = 0; si < l->nSets; ++si) {
        const Set& s = l->sets[si];
        rpc::Value targets = rpc::Value::array();
        for (uint32_t i = 0; i < s.count; ++i) {
            rpc::Value dest = rpc::Value::structure();
            dest.add("DEST", destValue(l->dest(s, i), mode));
            targets.push(std::move(dest));
        }
        rpc::Value set = rpc::Value::structure();
        set.add("ID", int64_t{s.id});
        set.add("TARGETS", std::move(targets));
        rpc::Value rec = rpc::Value::structure();
        rec.add("SET", std::move(set));
        records.push(std::move(rec));
    }
    rpc::Value top = rpc::Value::structure();
    top.add("NRSETS", int64_t{l->nSets});
    top.add("RECORDS", std::move(records));
    return top;
}

rpc::Result dsSetState(std::string_view state, int64_t group, std::string_view address) noexcept {
    uint32_t bits = 0;
    bool trying = false;
    if (state.empty()) return rpc::Result::fault(500, "Invalid State Parameter");
    if (!parseState(state, &bits, &trying)) return rpc::Result::fault(500, "Unknown State Value");
    ReadScope rs;
    List* l = rs.list();
    const Set* cs = l != nullptr ? l->findSet(static_cast<int32_t>(group)) : nullptr;
    if (cs == nullptr) return rpc::Result::fault(500, "State Update Failed");
    Set& s = l->sets[cs - l->sets];
    bool found = false;
    for (uint32_t i = 0; i < s.count; ++i) {
        Dest& d = l->dest(s, i);
        if (address != "all" && d.uri.view() != address) continue;
        // The operator's word is final: no failure counting for "t" here.
        applyState(*l, s, d, bits, false);
        found = true;
    }
    if (!found) return rpc::Result::fault(500, "State Update Failed");
    return rpc::Value("Ok. Dispatcher state updated.");
}

rpc::Result dsReload() noexcept {
    std::string error;
    if (!reloadLists(&error)) {
        LM_ERR("dispatcher: reload refused: %s", error.c_str());
        return rpc::Result::fault(500, "Reload Failed: " + error);
    }
    return rpc::Value("Ok. Dispatcher successfully reloaded.");
}

rpc::Result dsPingActive(std::optional<int64_t> state) noexcept {
    const int old = pingActive();
    rpc::Value v = rpc::Value::structure();
    if (!state) {
        v.add("OldPingState", int64_t{old});
        return v;
    }
    setPingActive(*state != 0 ? 1 : 0);
    v.add("NewPingState", *state);
    v.add("OldPingState", int64_t{old});
    return v;
}

constexpr rpc::Method kMethods[] = {
    rpc::method<&dsList>("dispatcher.list", "mode", "Return the content of dispatcher sets"),
    rpc::method<&dsSetState>("dispatcher.set_state", "state group address",
                             "Set the state of a destination by address"),
    rpc::method<&dsReload>("dispatcher.reload", "", "Reload dispatcher destination sets"),
    rpc::method<&dsPingActive>("dispatcher.ping_active", "state",
                               "Manage setting on/off the pinging (keepalive) of destinations"),
};

}  // namespace

std::span<const rpc::Method> rpcMethods() {
    return kMethods;
}

}  // namespace osprey::dispatcher
