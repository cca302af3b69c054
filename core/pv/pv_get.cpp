// Pseudo-variable getters.
#include <time.h>
#include <unistd.h>

#include "core/net/listen_socket.h"
#include "core/net/tls_info.h"
#include "core/pv/pv_access.h"
#include "core/pv/pv_class.h"
#include "core/pv/script_vars.h"
#include "core/pv/shared_vars.h"
#include "core/route/msg_context.h"
#include "core/sip/cseq.h"
#include "core/sip/digest.h"
#include "core/sip/from_to.h"
#include "core/sip/msg.h"
#include "core/sip/name_addr.h"
#include "core/sip/uri.h"

namespace osprey::pv {

namespace {

using lua::PvValue;
using route::MsgContext;

PvValue text(std::string_view s) {
    if (s.empty()) return {};
    return s;
}

std::string_view schemeName(sip::UriScheme s) {
    switch (s) {
        case sip::UriScheme::Sip:
            return "sip";
        case sip::UriScheme::Sips:
            return "sips";
        case sip::UriScheme::Tel:
            return "tel";
    }
    return {};
}

// A URI's port as Kamailio reports it: the default for the scheme when absent.
int64_t portOf(const sip::SipUri& u) {
    if (u.hasPort) return u.port;
    return u.scheme == sip::UriScheme::Sips ? 5061 : 5060;
}

// The Request-URI as it will be forwarded, parsed into `tmp` when the script changed it.
const sip::SipUri* currentRuri(MsgContext& mc, sip::SipUri& tmp) {
    if (!mc.msg.isRequest()) return nullptr;
    if (mc.newRuri.empty()) return sip::requestUri(mc.msg);
    return sip::parseUri(mc.newRuri, tmp) == sip::UriError::Ok ? &tmp : nullptr;
}

// The $tls_* kinds are in net::TlsField's order.
static_assert(static_cast<unsigned>(PvKind::TlsPeerServerName) -
                  static_cast<unsigned>(PvKind::TlsVersion) ==
              static_cast<unsigned>(net::TlsField::ServerName));

// $tls_*: only where the message came in over TLS and this process owns the connection.
PvValue tlsValue(MsgContext& mc, PvKind k) {
    if (mc.recv.proto != net::Proto::Tls) return {};
    constexpr size_t kCap = 256;
    char* buf = static_cast<char*>(mc.msg.arena.alloc(kCap));
    if (buf == nullptr) return {};
    const net::TlsField f = static_cast<net::TlsField>(static_cast<unsigned>(k) -
                                                       static_cast<unsigned>(PvKind::TlsVersion));
    const net::TlsFieldValue v = net::tlsField(mc.recv.connId, f, buf, kCap);
    if (!v.present) return {};
    if (v.isInt) return v.number;
    return text(v.text);
}

PvValue ruriPart(MsgContext& mc, PvKind k) {
    sip::SipUri tmp;
    const sip::SipUri* u = currentRuri(mc, tmp);
    if (u == nullptr) return {};
    switch (k) {
        case PvKind::RUser:
            return text(u->scheme == sip::UriScheme::Tel ? u->telNumber : u->user);
        case PvKind::RHost:
            return text(u->host);
        case PvKind::RPort:
            return portOf(*u);
        default:
            return schemeName(u->scheme);
    }
}

PvValue dstPart(MsgContext& mc, PvKind k) {
    if (mc.dstUri.empty()) return {};
    if (k == PvKind::DUri) return mc.dstUri;
    sip::SipUri u;
    if (sip::parseUri(mc.dstUri, u) != sip::UriError::Ok) return {};
    return k == PvKind::DHost ? text(u.host) : PvValue(portOf(u));
}

// kind: 0 uri, 1 user, 2 host, 3 display name, 4 tag
PvValue addrPart(MsgContext& mc, bool to, int part) {
    auto* b = const_cast<sip::FromToBody*>(to ? sip::getTo(mc.msg) : sip::getFrom(mc.msg));
    if (b == nullptr) return {};
    switch (part) {
        case 0:
            return text(b->addr.uriText);
        case 3:
            return text(b->addr.displayName);
        case 4:
            return text(b->tag);
        default:
            break;
    }
    const sip::SipUri* u = sip::nameAddrUri(mc.msg, b->addr);
    if (u == nullptr) return {};
    if (part == 1) return text(u->scheme == sip::UriScheme::Tel ? u->telNumber : u->user);
    return text(u->host);
}

// RFC 3261 §22: REGISTER (and PUBLISH, as Kamailio) carry Authorization, others
// Proxy-Authorization.
PvValue authPart(MsgContext& mc, PvKind k) {
    sip::SipMsg& msg = mc.msg;
    const bool www = msg.isRequest() && (msg.method() == sip::Method::Register ||
                                         msg.method() == sip::Method::Publish);
    sip::HeaderField* h = sip::findHeader(
        msg, www ? sip::HeaderKind::Authorization : sip::HeaderKind::ProxyAuthorization);
    if (h == nullptr) return {};
    const sip::AuthBody* a = sip::parseAuth(msg, *h);
    if (a == nullptr || !a->isDigest) return {};
    if (k == PvKind::AuthRealm) return text(a->realm);
    std::string_view user = a->username;
    if (k == PvKind::AuthUser) user = user.substr(0, user.find('@'));
    return text(user);
}

PvValue headerValue(MsgContext& mc, sip::HeaderKind k) {
    sip::HeaderField* h = sip::findHeader(mc.msg, k);
    return h != nullptr ? PvValue(h->value) : PvValue();
}

PvValue method(MsgContext& mc) {
    if (mc.msg.isRequest()) return mc.msg.start.methodText;
    const sip::CSeqBody* c = sip::getCSeq(mc.msg);
    return c != nullptr ? text(c->methodText) : PvValue();
}

// Kamailio's $cs is the number as written.
PvValue cseqNumber(MsgContext& mc) {
    sip::HeaderField* h = sip::findHeader(mc.msg, sip::HeaderKind::CSeq);
    if (h == nullptr) return {};
    size_t n = 0;
    while (n < h->value.size() && h->value[n] >= '0' && h->value[n] <= '9') ++n;
    return text(h->value.substr(0, n));
}

PvValue receivedOn(MsgContext& mc, bool port) {
    const net::ListenSocket* s = net::listenSocket(mc.recv.socket);
    if (s == nullptr) return {};
    if (port) return static_cast<int64_t>(s->port);
    std::string_view host = s->host;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return text(host);
}

PvValue body(MsgContext& mc) {
    if (!mc.msg.bodyFound && !sip::findBody(mc.msg)) return {};
    return text(mc.msg.body);
}

}  // namespace

PvValue pvGet(MsgContext& mc, const PvSpec& spec) {
    switch (spec.kind) {
        case PvKind::Null:
            return {};
        case PvKind::RUri:
            return mc.msg.isRequest() ? text(mc.requestUri()) : PvValue();
        case PvKind::RUser:
        case PvKind::RHost:
        case PvKind::RPort:
        case PvKind::RScheme:
            return ruriPart(mc, spec.kind);
        case PvKind::DUri:
        case PvKind::DHost:
        case PvKind::DPort:
            return dstPart(mc, spec.kind);
        case PvKind::ToUri:
            return addrPart(mc, true, 0);
        case PvKind::ToUser:
            return addrPart(mc, true, 1);
        case PvKind::ToHost:
            return addrPart(mc, true, 2);
        case PvKind::ToName:
            return addrPart(mc, true, 3);
        case PvKind::ToTag:
            return addrPart(mc, true, 4);
        case PvKind::FromUri:
            return addrPart(mc, false, 0);
        case PvKind::FromUser:
            return addrPart(mc, false, 1);
        case PvKind::FromHost:
            return addrPart(mc, false, 2);
        case PvKind::FromName:
            return addrPart(mc, false, 3);
        case PvKind::FromTag:
            return addrPart(mc, false, 4);
        case PvKind::AuthUser:
        case PvKind::AuthUsername:
        case PvKind::AuthRealm:
            return authPart(mc, spec.kind);
        case PvKind::Method:
            return method(mc);
        case PvKind::Status:
            return mc.msg.isRequest() ? PvValue() : PvValue(int64_t{mc.msg.start.status});
        case PvKind::Reason:
            return mc.msg.isRequest() ? PvValue() : PvValue(mc.msg.start.reason);
        case PvKind::CallId:
            return headerValue(mc, sip::HeaderKind::CallId);
        case PvKind::CSeq:
            return cseqNumber(mc);
        case PvKind::UserAgent:
            return headerValue(mc, sip::HeaderKind::UserAgent);
        case PvKind::Contact:
            return headerValue(mc, sip::HeaderKind::Contact);
        case PvKind::Body:
            return body(mc);
        case PvKind::MsgLen:
            return static_cast<int64_t>(mc.msg.data.size());
        case PvKind::MsgBuf:
            return mc.msg.data;
        case PvKind::SrcIp:
            return mc.srcIp();
        case PvKind::SrcPort:
            return static_cast<int64_t>(mc.recv.src.port());
        case PvKind::RcvIp:
            return receivedOn(mc, false);
        case PvKind::RcvPort:
            return receivedOn(mc, true);
        case PvKind::Proto:
            return std::string_view(config::protoName(mc.recv.proto));
        case PvKind::TlsVersion:
        case PvKind::TlsDescription:
        case PvKind::TlsCipherInfo:
        case PvKind::TlsCipherBits:
        case PvKind::TlsPeerSubject:
        case PvKind::TlsPeerSubjectCn:
        case PvKind::TlsPeerIssuer:
        case PvKind::TlsPeerVerified:
        case PvKind::TlsPeerServerName:
            return tlsValue(mc, spec.kind);
        case PvKind::Pid:
            return static_cast<int64_t>(getpid());
        case PvKind::TimeSec:
            return static_cast<int64_t>(time(nullptr));
        case PvKind::BFlags:
            return static_cast<int64_t>(mc.lua.bflags);
        case PvKind::Header: {
            sip::HeaderField* h = sip::findHeaderByName(mc.msg, spec.arg);
            return h != nullptr ? PvValue(h->value) : PvValue();
        }
        case PvKind::Var:
            return scriptVarGet(spec.slot);
        case PvKind::SharedVar:
            return sharedVarGet(spec.slot);
        case PvKind::ModuleClass: {
            const PvClass* c = pvClassAt(spec.slot);
            return c != nullptr ? c->get(mc, spec.arg) : PvValue();
        }
    }
    return {};
}

}  // namespace osprey::pv
