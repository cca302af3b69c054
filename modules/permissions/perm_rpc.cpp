// permissions.addressReload: "Reload OK", or 500 "Reload failed." / "ongoing reload" (within
// reload_delta seconds of the previous one). permissions.addressDump: one record per exact
// address, { table, group, item: { ip, port, tag } }; permissions.subnetDump: one per subnet,
// { id, group, item: { ip, mask, port, tag } } -- Kamailio's shapes ("table" is Kamailio's hash
// bucket; here the row's place in the sorted table).
#include "modules/permissions/perm_rpc.h"

#include <string>

#include "core/log/log.h"
#include "core/timer/clock.h"
#include "modules/permissions/permissions_state.h"

namespace osprey::permissions {

namespace {

int64_t g_lastReloadMs = 0;  // in the control process, which runs every RPC

rpc::Result addressReload() noexcept {
    const int64_t now = timer::nowMs();
    if (g_lastReloadMs != 0 && now - g_lastReloadMs < int64_t{g_settings.reloadDelta} * 1000) {
        LM_ERR("permissions: ongoing reload");
        return rpc::Result::fault(rpc::kInternal, "ongoing reload");
    }
    g_lastReloadMs = now;
    std::string error;
    if (!reloadTable(&error)) {
        LM_ERR("permissions: reload failed: %s", error.c_str());
        return rpc::Result::fault(rpc::kInternal, "Reload failed.");
    }
    return rpc::Value("Reload OK");
}

template <class F>
rpc::Result dump(F&& addOne) {
    PublishedTable* p = published();
    if (p == nullptr) return rpc::Result::fault(rpc::kInternal, "No address table");
    PublishedTable::ReadGuard g(*p);
    const auto* t = static_cast<const AddressTable*>(g.table());
    if (t == nullptr) return rpc::Result::fault(rpc::kInternal, "No address table");
    rpc::Value out = rpc::Value::array();
    addOne(*t, out);
    return out;
}

rpc::Value tagValue(const AddressTable& t, const AddrEntry& e) {
    return e.hasTag ? rpc::Value(std::string(t.tag(e))) : rpc::Value("");
}

rpc::Result addressDump() noexcept {
    return dump([](const AddressTable& t, rpc::Value& out) {
        int64_t i = 0;
        for (const AddrEntry* e = t.exactBegin(); e != t.exactEnd(); ++e, ++i) {
            rpc::Value item = rpc::Value::structure();
            item.add("ip", ipText(e->key, e->v4 != 0));
            item.add("port", static_cast<int64_t>(e->port));
            item.add("tag", tagValue(t, *e));
            rpc::Value rec = rpc::Value::structure();
            rec.add("table", i);
            rec.add("group", static_cast<int64_t>(e->group));
            rec.add("item", std::move(item));
            out.push(std::move(rec));
        }
    });
}

rpc::Result subnetDump() noexcept {
    return dump([](const AddressTable& t, rpc::Value& out) {
        int64_t i = 0;
        for (const AddrEntry* e = t.subnetBegin(); e != t.subnetEnd(); ++e, ++i) {
            rpc::Value item = rpc::Value::structure();
            item.add("ip", ipText(e->key, e->v4 != 0));
            item.add("mask", static_cast<int64_t>(e->mask));
            item.add("port", static_cast<int64_t>(e->port));
            item.add("tag", tagValue(t, *e));
            rpc::Value rec = rpc::Value::structure();
            rec.add("id", i);
            rec.add("group", static_cast<int64_t>(e->group));
            rec.add("item", std::move(item));
            out.push(std::move(rec));
        }
    });
}

constexpr rpc::Method kMethods[] = {
    rpc::method<&addressReload>("permissions.addressReload", "",
                                "Reload the address table from its file or database."),
    rpc::method<&addressDump>("permissions.addressDump", "", "Dump the exact addresses.",
                              rpc::kReturnsArray),
    rpc::method<&subnetDump>("permissions.subnetDump", "", "Dump the subnets.", rpc::kReturnsArray),
};

}  // namespace

std::span<const rpc::Method> rpcMethods() {
    return kMethods;
}

}  // namespace osprey::permissions
