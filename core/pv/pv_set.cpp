// Pseudo-variable setters: $ru/$rU/$rd/$rp rewrite the Request-URI the way Kamailio's
// rewriteuri / rewriteuser / rewritehost / rewriteport do; $du sets the destination; $var.
#include <cstring>

#include "core/pv/pv_access.h"
#include "core/pv/pv_class.h"
#include "core/pv/script_vars.h"
#include "core/pv/shared_vars.h"
#include "core/route/msg_context.h"
#include "core/sip/builder_via.h"
#include "core/sip/msg.h"
#include "core/sip/uri.h"

namespace osprey::pv {

namespace {

using route::MsgContext;

constexpr size_t kMaxUri = 2048;

// Replaces [start, end) of `uri` with `with` into buf; false when it does not fit.
bool splice(std::string_view uri, size_t start, size_t end, std::string_view a, std::string_view b,
            char* buf, size_t* len) {
    const size_t n = start + a.size() + b.size() + (uri.size() - end);
    if (n > kMaxUri) return false;
    char* p = buf;
    std::memcpy(p, uri.data(), start);
    p += start;
    if (!a.empty()) std::memcpy(p, a.data(), a.size());
    p += a.size();
    if (!b.empty()) std::memcpy(p, b.data(), b.size());
    p += b.size();
    std::memcpy(p, uri.data() + end, uri.size() - end);
    *len = n;
    return true;
}

size_t offsetIn(std::string_view whole, std::string_view part) {
    return static_cast<size_t>(part.data() - whole.data());
}

// Rewrites one part of the current Request-URI (sip/sips only); an empty user removes the
// user part (and any password), an empty port the port.
bool rewriteRuri(MsgContext& mc, PvKind k, std::string_view value) {
    if (!mc.msg.isRequest()) return false;
    const std::string_view cur = mc.requestUri();
    sip::SipUri u;
    if (sip::parseUri(cur, u) != sip::UriError::Ok || u.scheme == sip::UriScheme::Tel) {
        return false;
    }
    char buf[kMaxUri];
    size_t len = 0;
    bool ok = false;
    if (k == PvKind::RUser) {
        if (!u.user.empty() || u.hasPassword) {
            const size_t start = offsetIn(cur, u.user);
            const size_t at = offsetIn(cur, u.host) - 1;  // the '@'
            ok = value.empty() ? splice(cur, start, at + 1, {}, {}, buf, &len)
                               : splice(cur, start, u.hasPassword ? at : start + u.user.size(),
                                        value, {}, buf, &len);
        } else if (value.empty()) {
            return true;
        } else {
            const size_t start = offsetIn(cur, u.host);
            ok = splice(cur, start, start, value, "@", buf, &len);
        }
    } else if (k == PvKind::RHost) {
        if (value.empty()) return false;
        const size_t start = offsetIn(cur, u.host);
        ok = splice(cur, start, start + u.host.size(), value, {}, buf, &len);
    } else {  // RPort: after the host, ":digits" when present
        const size_t hostEnd = offsetIn(cur, u.host) + u.host.size();
        size_t end = hostEnd;
        if (u.hasPort) {
            end = hostEnd + 1;
            while (end < cur.size() && cur[end] >= '0' && cur[end] <= '9') ++end;
        }
        ok = value.empty() ? splice(cur, hostEnd, end, {}, {}, buf, &len)
                           : splice(cur, hostEnd, end, ":", value, buf, &len);
    }
    return ok && mc.setRequestUri(std::string_view(buf, len));
}

}  // namespace

bool pvSetStr(MsgContext& mc, const PvSpec& spec, std::string_view value) {
    switch (spec.kind) {
        case PvKind::RUri:
            return mc.msg.isRequest() && mc.setRequestUri(value);
        case PvKind::RUser:
        case PvKind::RHost:
        case PvKind::RPort:
            return rewriteRuri(mc, spec.kind, value);
        case PvKind::DUri:
            if (value.empty()) {
                mc.resetDstUri();
                return true;
            }
            return mc.setDstUri(value);
        case PvKind::Var:
            return scriptVarSetStr(spec.slot, value);
        case PvKind::SharedVar:
            return sharedVarSetStr(spec.slot, value);
        case PvKind::ModuleClass: {
            const PvClass* c = pvClassAt(spec.slot);
            return c != nullptr && c->setStr != nullptr && c->setStr(mc, spec.arg, value);
        }
        default:
            return false;
    }
}

bool pvSetInt(MsgContext& mc, const PvSpec& spec, int64_t value) {
    if (spec.kind == PvKind::BFlags) {
        if (value < 0 || value > UINT32_MAX) return false;
        mc.lua.bflags = static_cast<uint32_t>(value);
        return true;
    }
    if (spec.kind == PvKind::Var) return scriptVarSetInt(spec.slot, value);
    if (spec.kind == PvKind::SharedVar) return sharedVarSetInt(spec.slot, value);
    if (spec.kind == PvKind::ModuleClass) {
        const PvClass* c = pvClassAt(spec.slot);
        return c != nullptr && c->setInt != nullptr && c->setInt(mc, spec.arg, value);
    }
    if (spec.kind == PvKind::RPort && (value < 1 || value > 65535)) return false;
    char num[24];
    size_t n = 0;
    if (value < 0) {
        num[n++] = '-';
        n += sip::formatDecimal(static_cast<uint64_t>(-(value + 1)) + 1, num + 1);
    } else {
        n = sip::formatDecimal(static_cast<uint64_t>(value), num);
    }
    return pvSetStr(mc, spec, std::string_view(num, n));
}

bool pvUnset(MsgContext& mc, const PvSpec& spec) {
    switch (spec.kind) {
        case PvKind::DUri:
            mc.resetDstUri();
            return true;
        case PvKind::RUser:
        case PvKind::RPort:
            return rewriteRuri(mc, spec.kind, {});
        case PvKind::Var:
            return scriptVarSetInt(spec.slot, 0);
        case PvKind::SharedVar:
            return sharedVarSetInt(spec.slot, 0);
        case PvKind::ModuleClass: {
            const PvClass* c = pvClassAt(spec.slot);
            return c != nullptr && c->unset != nullptr && c->unset(mc, spec.arg);
        }
        default:
            return false;
    }
}

}  // namespace osprey::pv
