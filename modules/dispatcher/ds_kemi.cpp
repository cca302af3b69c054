// KSR.dispatcher.* (ds_kemi.h). Return values are Kamailio's: 1 done/true, -1 not found/false,
// -2 bad argument or internal error where Kamailio says so.
//
// A selection made with failover on (flags bit 2) is kept in the message's data; tm copies it
// into the transaction when it creates one (route::MsgExtension::txSave) and hands that copy to
// the failure route (txAttach), where ds_next_dst() advances it in place under the
// transaction's lock. The copy holds a reference to the list it indexes, so a reload never
// frees a list a transaction may still fail over in (ds_current.h).
#include "modules/dispatcher/ds_kemi.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>
#include <string>
#include <variant>

#include "core/hash/fnv1a.h"
#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/pv/pv_access.h"
#include "core/pv/pv_cache.h"
#include "core/route/msg_context.h"
#include "core/sip/header_kind.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_current.h"
#include "modules/dispatcher/ds_module.h"
#include "modules/dispatcher/ds_select.h"
#include "modules/dispatcher/ds_state.h"

namespace osprey::dispatcher {

namespace {

enum class Mode { Dst, Domain };

struct MsgData {
    Selection own;             // made on this message; owns its list reference
    Selection* sel = nullptr;  // &own, or the transaction's copy in a failure route
    bool inTx = false;
};

MsgData* msgData(route::MsgContext& mc, bool create) {
    MsgData* d = mc.extData<MsgData>(kMsgExtension);
    if (d != nullptr || !create) return d;
    void* p = mc.msg.arena.alloc(sizeof(MsgData));
    if (p == nullptr) return nullptr;
    d = new (p) MsgData();
    if (!mc.setExtData(kMsgExtension, d)) return nullptr;
    return d;
}

void releaseData(route::MsgContext&, void* data) {
    auto* d = static_cast<MsgData*>(data);
    if (d->own.list != nullptr) dropList(d->own.list);
    d->own.list = nullptr;
}

uint32_t txSize(void* data) {
    auto* d = static_cast<MsgData*>(data);
    return !d->inTx && d->own.list != nullptr ? sizeof(Selection) : 0;
}

void txSave(void* data, void* out) {
    auto* d = static_cast<MsgData*>(data);
    new (out) Selection(d->own);
    d->own.list = nullptr;  // the transaction owns the reference now
    d->sel = nullptr;
}

void txAttach(route::MsgContext& mc, void* saved) {
    if (MsgData* d = msgData(mc, true)) {
        d->sel = static_cast<Selection*>(saved);
        d->inTx = true;
    }
}

void txRelease(void* saved) {
    dropList(static_cast<Selection*>(saved)->list);
}

bool setPv(route::MsgContext& mc, const std::string& name, std::string_view value) {
    if (name.empty()) return true;
    const pv::PvLookup lk = pv::pvLookup(name);
    return lk.error == pv::PvNameError::Ok && pv::pvSetStr(mc, lk.spec, value);
}

bool setPvInt(route::MsgContext& mc, const std::string& name, int64_t value) {
    if (name.empty()) return true;
    const pv::PvLookup lk = pv::pvLookup(name);
    return lk.error == pv::PvNameError::Ok && pv::pvSetInt(mc, lk.spec, value);
}

std::string_view pvText(route::MsgContext& mc, pv::PvKind kind) {
    pv::PvSpec spec;
    spec.kind = kind;
    const lua::PvValue v = pv::pvGet(mc, spec);
    if (const auto* s = std::get_if<std::string_view>(&v)) return *s;
    return {};
}

// Kamailio's URI hash: user, host and a port other than the default (flag 1: the user only).
uint64_t hashUri(std::string_view text) {
    sip::SipUri u;
    if (sip::parseUri(text, u) != sip::UriError::Ok) return hashText(text.data(), text.size());
    uint64_t h = hashText(u.user.data(), u.user.size());
    if ((settings().flags & 1) != 0) return h;
    h = hashText(u.host.data(), u.host.size(), h);
    if (u.port != 0 && u.port != 5060 && u.port != 5061) h ^= u.port * 0x9e3779b97f4a7c15ull;
    return h;
}

uint64_t callIdHash(route::MsgContext& mc) {
    const std::string_view id = pvText(mc, pv::PvKind::CallId);
    return hashText(id.data(), id.size());
}

// hash_pvar: literal text and pseudo-variables ("$fU@$ci"), concatenated then hashed.
bool hashPvar(route::MsgContext& mc, uint64_t* out) {
    const std::string& t = settings().hashPvar;
    if (t.empty()) return false;
    uint64_t h = hash::kFnv64Offset;
    size_t i = 0;
    while (i < t.size()) {
        if (t[i] != '$') {
            const size_t j = std::min(t.find('$', i), t.size());
            h = hashText(t.data() + i, j - i, h);
            i = j;
            continue;
        }
        size_t j = i + 1;
        while (j < t.size() && (std::isalnum(static_cast<unsigned char>(t[j])) || t[j] == '_')) ++j;
        if (j < t.size() && t[j] == '(') {
            const size_t close = t.find(')', j);
            j = close == std::string::npos ? t.size() : close + 1;
        }
        const pv::PvLookup lk = pv::pvLookup(std::string_view(t).substr(i, j - i));
        if (lk.error == pv::PvNameError::Ok) {
            const lua::PvValue v = pv::pvGet(mc, lk.spec);
            if (const auto* s = std::get_if<std::string_view>(&v))
                h = hashText(s->data(), s->size(), h);
            if (const auto* n = std::get_if<int64_t>(&v))
                h = hashText(reinterpret_cast<const char*>(n), sizeof(*n), h);
        }
        i = j;
    }
    *out = h;
    return true;
}

// The value the algorithm hashes; may turn alg 5 into round robin (no user), false for 7
// without hash_pvar.
bool hashFor(route::MsgContext& mc, int* alg, uint64_t* h) {
    switch (*alg) {
        case kHashCallId:
            *h = callIdHash(mc);
            return true;
        case kHashFrom:
            *h = hashUri(pvText(mc, pv::PvKind::FromUri));
            return true;
        case kHashTo:
            *h = hashUri(pvText(mc, pv::PvKind::ToUri));
            return true;
        case kHashRuri:
            *h = hashUri(mc.requestUri());
            return true;
        case kHashAuthUser: {
            const std::string_view u = pvText(mc, pv::PvKind::AuthUsername);
            if (u.empty()) {
                *alg = kRoundRobin;
            } else {
                *h = hashText(u.data(), u.size());
            }
            return true;
        }
        case kHashPv:
            if (hashPvar(mc, h)) return true;
            LM_ERR("dispatcher: algorithm 7 needs the hash_pvar parameter");
            return false;
        default:
            *h = 0;
            return true;
    }
}

// The Request-URI with its host and port replaced by the destination's (ds_select_domain).
bool rewriteDomain(route::MsgContext& mc, const Dest& d, std::string* out) {
    sip::SipUri ru, du;
    const std::string_view cur = mc.requestUri();
    if (sip::parseUri(cur, ru) != sip::UriError::Ok ||
        sip::parseUri(d.uri.view(), du) != sip::UriError::Ok) {
        return false;
    }
    const char* hostStart = ru.host.data();
    const char* hostEnd = hostStart + ru.host.size();
    const char* end = cur.data() + cur.size();
    if (hostEnd < end && *hostEnd == ':') {
        ++hostEnd;
        while (hostEnd < end && *hostEnd >= '0' && *hostEnd <= '9') ++hostEnd;
    }
    out->assign(cur.data(), hostStart);
    out->append(du.host);
    if (du.port != 0) {
        out->push_back(':');
        out->append(std::to_string(du.port));
    }
    out->append(hostEnd, end);
    return true;
}

bool apply(route::MsgContext& mc, const Dest& d, Mode mode) {
    if (mode == Mode::Dst) {
        if (settings().forceDst == 0 && !mc.dstUri.empty()) {
            LM_ERR("dispatcher: $du is already set and force_dst is 0");
            return false;
        }
        if (!mc.setDstUri(d.uri.view())) return false;
    } else {
        std::string ru;
        if (!rewriteDomain(mc, d, &ru) || !mc.setRequestUri(ru)) return false;
    }
    if (d.socket.len != 0) {
        const int sock = sendSocketOf(d);
        if (sock >= 0) mc.forceSocket = sock;
    }
    setPv(mc, settings().dstAttrsPvname, d.attrs.view());
    return true;
}

// Algorithm 12: the first usable destination as this request's, every other one a branch.
int selectParallel(route::MsgContext& mc, List& l, const Set& s, Mode mode) {
    bool first = true;
    for (uint32_t i = 0; i < s.count; ++i) {
        const Dest& d = l.dest(s, i);
        if (!usable(d.flags.load(std::memory_order_relaxed))) continue;
        if (first) {
            if (!apply(mc, d, mode)) return -1;
            first = false;
            continue;
        }
        if (mode == Mode::Dst) {
            if (!mc.appendBranch(mc.requestUri(), d.uri.view())) return -1;
        } else {
            std::string ru;
            if (!rewriteDomain(mc, d, &ru) || !mc.appendBranch(ru)) return -1;
        }
    }
    return first ? -1 : 1;
}

int selectCommon(lua::Ctx& ctx, int set, int alg, int limit, Mode mode) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || limit < 0) return -1;
    uint64_t h = 0;
    if (!hashFor(*mc, &alg, &h)) return -1;
    ReadScope rs;
    List* l = rs.list();
    if (l == nullptr) return -1;
    const Set* s = l->findSet(set);
    if (s == nullptr) {
        LM_ERR("dispatcher: destination set %d not found", set);
        return -1;
    }
    if (alg == kParallel) return selectParallel(*mc, *l, *s, mode);
    const Settings& cfg = settings();
    Selection pick;
    const int idx =
        selectFirst(*l, static_cast<uint32_t>(s - l->sets), alg, h, cfg.useDefault != 0, &pick);
    if (idx < 0) return -1;
    pick.limit = static_cast<uint16_t>(limit > 0xFFFF ? 0xFFFF : limit);
    const Dest& d = l->dest(*s, static_cast<uint32_t>(idx));
    if (!apply(*mc, d, mode)) return -1;
    if (alg == kCallLoad) loadAssign(callIdHash(*mc), d.loadSlot);
    if ((cfg.flags & 2) == 0) return 1;
    MsgData* md = msgData(*mc, true);
    if (md == nullptr) return 1;  // selected; no failover for this one (pkg exhausted)
    Selection* target = md->inTx && md->sel != nullptr ? md->sel : &md->own;
    if (target->list != nullptr) dropList(target->list);
    holdList(l);
    *target = pick;
    md->sel = target;
    return 1;
}

int nextCommon(lua::Ctx& ctx, Mode mode) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    MsgData* md = msgData(*mc, false);
    if (md == nullptr || md->sel == nullptr || md->sel->list == nullptr) return -1;
    Selection* sel = md->sel;
    const int idx = selectNext(sel);
    if (idx < 0) return -1;
    const Set& s = sel->list->sets[sel->setIdx];
    const Dest& d = sel->list->dest(s, static_cast<uint32_t>(idx));
    if (!apply(*mc, d, mode)) return -1;
    if (sel->alg == kCallLoad) loadAssign(callIdHash(*mc), d.loadSlot);
    return 1;
}

int dsSelectDst(lua::Ctx& ctx, int set, int alg) noexcept {
    return selectCommon(ctx, set, alg, 0, Mode::Dst);
}
int dsSelectDstLimit(lua::Ctx& ctx, int set, int alg, int limit) noexcept {
    return selectCommon(ctx, set, alg, limit, Mode::Dst);
}
int dsSelectDomain(lua::Ctx& ctx, int set, int alg) noexcept {
    return selectCommon(ctx, set, alg, 0, Mode::Domain);
}
int dsSelectDomainLimit(lua::Ctx& ctx, int set, int alg, int limit) noexcept {
    return selectCommon(ctx, set, alg, limit, Mode::Domain);
}
int dsNextDst(lua::Ctx& ctx) noexcept {
    return nextCommon(ctx, Mode::Dst);
}
int dsNextDomain(lua::Ctx& ctx) noexcept {
    return nextCommon(ctx, Mode::Domain);
}

int markCommon(lua::Ctx& ctx, std::string_view state) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    uint32_t bits = 0;
    bool trying = false;
    if (!parseState(state, &bits, &trying)) {
        LM_ERR("dispatcher: unknown state '%.*s'", static_cast<int>(state.size()), state.data());
        return -1;
    }
    MsgData* md = msgData(*mc, false);
    if (md == nullptr || md->sel == nullptr || md->sel->list == nullptr || md->sel->current < 0) {
        return -1;
    }
    List& l = *md->sel->list;
    Set& s = l.sets[md->sel->setIdx];
    applyState(l, s, l.dest(s, static_cast<uint32_t>(md->sel->current)), bits, trying);
    return 1;
}
int dsMarkDst(lua::Ctx& ctx) noexcept {
    return markCommon(ctx, "i");
}
int dsMarkDstState(lua::Ctx& ctx, std::string_view state) noexcept {
    return markCommon(ctx, state);
}

// Mode bits (Kamailio): 1 ignore the port, 2 ignore the protocol, 4 active destinations only.
int fromListCommon(lua::Ctx& ctx, int group, int mode, std::string_view uri) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    net::SockAddr addr = mc->recv.src;
    net::Proto proto = mc->recv.proto;
    if (!uri.empty()) {
        sip::SipUri u;
        if (sip::parseUri(uri, u) != sip::UriError::Ok) return -1;
        proto = u.scheme == sip::UriScheme::Sips ? net::Proto::Tls : net::Proto::Udp;
        if (u.transport.size() == 3 && (u.transport[1] | 0x20) == 'c') proto = net::Proto::Tcp;
        if (u.transport.size() == 3 && (u.transport[1] | 0x20) == 'l') proto = net::Proto::Tls;
        const uint16_t port = u.port != 0 ? u.port : (proto == net::Proto::Tls ? 5061 : 5060);
        if (!net::parseIp(u.host, port, addr)) return -1;
    }
    ReadScope rs;
    const List* l = rs.list();
    if (l == nullptr) return -1;
    for (uint32_t si = 0; si < l->nSets; ++si) {
        const Set& s = l->sets[si];
        if (group >= 0 && s.id != group) continue;
        for (uint32_t i = 0; i < s.count; ++i) {
            const Dest& d = l->dest(s, i);
            if (!d.hasAddr || !d.addr.sameIp(addr)) continue;
            if ((mode & 1) == 0 && d.addr.port() != addr.port()) continue;
            if ((mode & 2) == 0 && d.proto != proto) continue;
            if ((mode & 4) != 0 && !usable(d.flags.load(std::memory_order_relaxed))) continue;
            setPvInt(*mc, settings().setidPvname, s.id);
            setPv(*mc, settings().attrsPvname, d.attrs.view());
            return 1;
        }
    }
    return -1;
}
int dsIsFromLists(lua::Ctx& ctx) noexcept {
    return fromListCommon(ctx, -1, 2, {});
}
int dsIsFromList(lua::Ctx& ctx, int group) noexcept {
    return fromListCommon(ctx, group, 2, {});
}
int dsIsFromListMode(lua::Ctx& ctx, int group, int mode) noexcept {
    return fromListCommon(ctx, group, mode, {});
}
int dsIsFromListUri(lua::Ctx& ctx, int group, int mode, std::string_view uri) noexcept {
    return fromListCommon(ctx, group, mode, uri);
}

int dsListExists(int group) noexcept {
    ReadScope rs;
    return rs.list() != nullptr && rs.list()->findSet(group) != nullptr ? 1 : -1;
}

int isActiveCommon(int group, std::string_view uri) {
    ReadScope rs;
    const List* l = rs.list();
    const Set* s = l != nullptr ? l->findSet(group) : nullptr;
    if (s == nullptr) return -1;
    for (uint32_t i = 0; i < s->count; ++i) {
        const Dest& d = l->dest(*s, i);
        if (!uri.empty() && d.uri.view() != uri) continue;
        if (usable(d.flags.load(std::memory_order_relaxed))) return 1;
    }
    return -1;
}
int dsIsActive(int group) noexcept {
    return isActiveCommon(group, {});
}
int dsIsActiveUri(int group, std::string_view uri) noexcept {
    return isActiveCommon(group, uri);
}

int dsLoadUnset(lua::Ctx& ctx) noexcept {
    if (ctx.route == nullptr) return -1;
    return loadUnset(callIdHash(*ctx.route)) ? 1 : -1;
}

// BYE or CANCEL: the call's load goes; a 2xx reply to the INVITE: the call is confirmed.
int dsLoadUpdate(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr) return -1;
    const uint64_t h = callIdHash(*mc);
    if (mc->msg.isRequest()) {
        const sip::Method m = mc->msg.method();
        if (m == sip::Method::Bye || m == sip::Method::Cancel) return loadUnset(h) ? 1 : -1;
        return 1;
    }
    const int status = mc->msg.start.status;
    if (status >= 200 && status < 300) return loadConfirm(h) ? 1 : -1;
    return 1;
}

int dsReload() noexcept {
    std::string error;
    if (reloadLists(&error)) return 1;
    LM_ERR("dispatcher: reload refused: %s", error.c_str());
    return -1;
}

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&dsSelectDst>("ds_select_dst"),
    lua::fn<&dsSelectDstLimit>("ds_select_dst_limit"),
    lua::fn<&dsSelectDomain>("ds_select_domain"),
    lua::fn<&dsSelectDomainLimit>("ds_select_domain_limit"),
    lua::fn<&dsNextDst>("ds_next_dst"),
    lua::fn<&dsNextDomain>("ds_next_domain"),
    lua::fn<&dsMarkDst>("ds_mark_dst"),
    lua::fn<&dsMarkDstState>("ds_mark_dst_state"),
    lua::fn<&dsIsFromLists>("ds_is_from_lists"),
    lua::fn<&dsIsFromList>("ds_is_from_list"),
    lua::fn<&dsIsFromListMode>("ds_is_from_list_mode"),
    lua::fn<&dsIsFromListUri>("ds_is_from_list_uri"),
    lua::fn<&dsListExists>("ds_list_exists"),
    lua::fn<&dsListExists>("ds_list_exist"),
    lua::fn<&dsIsActive>("ds_is_active"),
    lua::fn<&dsIsActiveUri>("ds_is_active_uri"),
    lua::fn<&dsLoadUnset>("ds_load_unset"),
    lua::fn<&dsLoadUpdate>("ds_load_update"),
    lua::fn<&dsReload>("ds_reload"),
};

}  // namespace

const route::MsgExtension kMsgExtension = {
    .onReply = nullptr,
    .release = &releaseData,
    .txSize = &txSize,
    .txSave = &txSave,
    .txAttach = &txAttach,
    .txRelease = &txRelease,
};

std::span<const lua::FunctionSpec> kemiFunctions() {
    return kFunctions;
}

}  // namespace osprey::dispatcher
