// permissions: the address table of Kamailio's permissions module (modules/permissions/README.md).
//   KSR.permissions.allow_source_address(group)   1 when the request's source address and
//                                                 port are in the group, else -1
//   KSR.permissions.allow_address(group, ip, port)  the same for a given address
//   KSR.permissions.allow_source_address_group()  the group admitting the source, else -1
//   KSR.permissions.allow_address_group(ip, port) the group admitting the address, else -1
// A match with a tag stores it in peer_tag_avp. Lookups take no lock: the table is immutable
// and replaced whole by permissions.addressReload (published_table.h).
#include <string>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/net/sock_addr.h"
#include "core/pv/pv_name.h"
#include "core/pv/script_vars.h"
#include "core/route/msg_context.h"
#include "modules/permissions/address_source.h"
#include "modules/permissions/perm_rpc.h"
#include "modules/permissions/permissions_state.h"

namespace {

using namespace osprey;
using namespace osprey::permissions;

// The variable peer_tag_avp names. Osprey has no AVPs: "$avp(s:name)", "$avp(i:707)" and
// "$avp(name)" are kept in the script variable $var(name) ("$var(707)"); "$var(name)" works
// as itself.
std::string g_tagVar;

bool parsePeerTagAvp(const std::string& spec) {
    std::string_view s = spec;
    if (s.empty()) return true;
    if (s.starts_with("$avp(") && s.ends_with(")")) {
        s = s.substr(5, s.size() - 6);
        if (s.starts_with("s:") || s.starts_with("i:")) s.remove_prefix(2);
        g_tagVar = std::string(s);
        LM_NOTICE("permissions: peer_tag_avp %s is kept in $var(%s) (Osprey has no AVPs)",
                  spec.c_str(), g_tagVar.c_str());
        return !g_tagVar.empty();
    }
    pv::PvSpec pvs;
    if (pv::parsePvName(s, pvs) != pv::PvNameError::Ok || pvs.kind != pv::PvKind::Var) {
        LM_ERR("permissions: peer_tag_avp '%s': $avp(name) or $var(name) expected", spec.c_str());
        return false;
    }
    g_tagVar = std::string(pvs.arg);
    return true;
}

void storeTag(const AddressTable& t, const AddrEntry& e) {
    if (g_tagVar.empty() || e.hasTag == 0) return;
    static int32_t slot = -2;  // per process: resolved at the first match
    if (slot == -2) slot = pv::scriptVarSlot(g_tagVar);
    if (slot >= 0) (void)pv::scriptVarSetStr(slot, t.tag(e));
}

// The group admitting (ip, port) in `group` (any when < 0), or -1.
int lookup(int64_t group, const net::SockAddr& addr, int port) noexcept {
    PublishedTable* p = published();
    if (p == nullptr || port < 0 || port > 65535) return -1;
    PublishedTable::ReadGuard g(*p);
    const auto* t = static_cast<const AddressTable*>(g.table());
    if (t == nullptr) return -1;
    const AddrEntry* e = t->match(group, ipKeyOf(addr), static_cast<uint16_t>(port));
    if (e == nullptr) return -1;
    storeTag(*t, *e);
    return static_cast<int>(e->group);
}

int allowSourceAddress(lua::Ctx& ctx, int group) noexcept {
    if (ctx.route == nullptr) return -1;
    const net::SockAddr& src = ctx.route->recv.src;
    return lookup(group, src, src.port()) >= 0 ? 1 : -1;
}

int allowSourceAddressGroup(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    const net::SockAddr& src = ctx.route->recv.src;
    return lookup(-1, src, src.port());
}

int allowAddress(lua::Ctx&, int group, std::string_view ip, int port) noexcept {
    net::SockAddr a;
    if (!net::parseIp(ip, 0, a)) return -1;  // Kamailio's domain-name rows: not supported
    return lookup(group, a, port) >= 0 ? 1 : -1;
}

int allowAddressGroup(lua::Ctx&, std::string_view ip, int port) noexcept {
    net::SockAddr a;
    if (!net::parseIp(ip, 0, a)) return -1;
    return lookup(-1, a, port);
}

bool modInit() {
    const Settings& s = g_settings;
    if (!parsePeerTagAvp(s.peerTagAvp)) return false;
    std::string error;
    if (s.addressFile.empty() && !s.dbUrl.empty() &&
        !createAddressSchema(s.dbUrl, s.addressTable, &error)) {
        LM_ERR("permissions: %s: %s", s.dbUrl.c_str(), error.c_str());
        return false;
    }
    PublishedTable* p = PublishedTable::create();
    if (p == nullptr) {
        LM_ERR("permissions: out of shared memory");
        return false;
    }
    setPublished(p);
    if (!reloadTable(&error)) {
        LM_ERR("permissions: cannot load the address table: %s", error.c_str());
        return false;
    }
    return true;
}

void modDestroy() {
    PublishedTable::destroy(published(), &freeTable);
    setPublished(nullptr);
}

constexpr module::ParamSpec kParams[] = {
    module::stringParam("db_url", &g_settings.dbUrl, "", "sqlite:///path/to/file.db"),
    module::stringParam("address_table", &g_settings.addressTable, "address",
                        "table holding the addresses"),
    module::stringParam("address_file", &g_settings.addressFile, "",
                        "file holding the addresses (instead of db_url)"),
    module::intParam("db_mode", &g_settings.dbMode, 0, 0, 1,
                     "accepted for Kamailio configs; addresses are always cached"),
    module::stringParam("peer_tag_avp", &g_settings.peerTagAvp, "",
                        "variable that receives the tag of the matching row"),
    module::intParam("max_subnets", &g_settings.maxSubnets, 512, 1, 1 << 20,
                     "most subnet rows a load accepts"),
    module::intParam("reload_delta", &g_settings.reloadDelta, 5, 0, 86400,
                     "seconds that must pass between two RPC reloads"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&allowSourceAddress>("allow_source_address"),
    lua::fn<&allowSourceAddressGroup>("allow_source_address_group"),
    lua::fn<&allowAddress>("allow_address"),
    lua::fn<&allowAddressGroup>("allow_address_group"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "permissions",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .rpc = permissions::rpcMethods(),
    .init = &modInit,
    .destroy = &modDestroy,
};
