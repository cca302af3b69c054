// NAT detection (see nat_detect.h).
#include "modules/nathelper/nat_detect.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/route/msg_context.h"
#include "core/sip/contact.h"
#include "core/sip/msg.h"
#include "core/sip/sdp.h"
#include "core/sip/uri.h"
#include "core/sip/via.h"

namespace osprey::nathelper {

namespace {

struct Net {
    uint32_t addr;
    unsigned prefix;
};
constexpr Net kPrivate[] = {
    {0x0A000000, 8},   // 10.0.0.0/8 (RFC 1918)
    {0xAC100000, 12},  // 172.16.0.0/12 (RFC 1918)
    {0xC0A80000, 16},  // 192.168.0.0/16 (RFC 1918)
    {0x64400000, 10},  // 100.64.0.0/10 (RFC 6598)
    {0xC0000000, 29},  // 192.0.0.0/29 (RFC 7335)
};
constexpr Net kExtra = {0xC0000000, 24};  // 192.0.0.0/24 (IETF protocol assignments)

bool inNet(uint32_t host, Net n) {
    const uint32_t mask = n.prefix == 0 ? 0 : ~uint32_t{0} << (32 - n.prefix);
    return (host & mask) == n.addr;
}

bool privateHost(uint32_t host, bool extra) {
    for (Net n : kPrivate)
        if (inNet(host, n)) return true;
    return extra && inNet(host, kExtra);
}

const sip::ContactValue* firstContact(sip::SipMsg& msg) {
    sip::HeaderField* h = sip::findHeader(msg, sip::HeaderKind::Contact);
    if (h == nullptr) return nullptr;
    const sip::ContactBody* b = sip::parseContact(msg, *h);
    return b != nullptr && !b->star ? b->first : nullptr;
}

// The first Contact's URI parsed (nullptr when there is none or it is not a SIP URI).
bool contactUri(sip::SipMsg& msg, sip::SipUri& out) {
    const sip::ContactValue* c = firstContact(msg);
    return c != nullptr && sip::parseUri(c->addr.uriText, out) == sip::UriError::Ok;
}

// host (an IP literal, brackets allowed) is the source address; a name never is (no DNS here).
bool isSource(route::MsgContext& mc, std::string_view host) {
    net::SockAddr a;
    return net::parseIp(host, 0, a) && a.sameIp(mc.recv.src);
}

bool sdpOf(route::MsgContext& mc, sip::Sdp& sdp) {
    if (!sip::findBody(mc.msg) || mc.msg.body.empty()) return false;
    return !sip::parseSdp(mc.msg.body, sdp);
}

bool sdpPrivate(route::MsgContext& mc, bool extra) {
    sip::Sdp sdp;
    if (!sdpOf(mc, sdp)) return false;
    for (size_t i = 0; i < sdp.mediaCount; ++i) {
        const sip::SdpConnection& c = sdp.connectionOf(sdp.media[i]);
        if (c.present && c.family == sip::SdpAddrFamily::Ip4 && privateIpv4(c.address, extra) == 1)
            return true;
    }
    return false;
}

// Kamailio's test 256: the session-level c= address is not where the message came from.
bool sdpNotSource(route::MsgContext& mc) {
    sip::Sdp sdp;
    if (!sdpOf(mc, sdp) || !sdp.connection.present) return false;
    return !isSource(mc, sdp.connection.address);
}

uint16_t portOr5060(bool has, uint16_t port) {
    return has && port != 0 ? port : 5060;
}

bool destinationDiffers(route::MsgContext& mc) {
    if (!mc.msg.isRequest()) {
        // A reply goes to the second Via: does its rport or received differ from its sent-by?
        sip::HeaderField* h = sip::findHeader(mc.msg, sip::HeaderKind::Via);
        const sip::ViaBody* v = h != nullptr ? sip::parseVia(mc.msg, *h) : nullptr;
        const sip::ViaBody* second = v != nullptr ? v->next : nullptr;
        if (second == nullptr && h != nullptr) {
            sip::HeaderField* h2 = sip::nextHeader(mc.msg, *h);
            second = h2 != nullptr ? sip::parseVia(mc.msg, *h2) : nullptr;
        }
        if (second == nullptr) return false;
        if (!second->rport.empty()) {
            unsigned p = 0;
            for (char ch : second->rport) p = p * 10 + static_cast<unsigned>(ch - '0');
            if (p != portOr5060(second->hasPort, second->port)) return true;
        }
        return !second->received.empty() && !sip::uriHostEquals(second->received, second->host);
    }
    if (mc.dstUri.empty()) return false;
    sip::SipUri du, ru;
    if (sip::parseUri(mc.dstUri, du) != sip::UriError::Ok ||
        sip::parseUri(mc.requestUri(), ru) != sip::UriError::Ok)
        return false;
    if (portOr5060(du.hasPort, du.port) != portOr5060(ru.hasPort, ru.port)) return true;
    return !sip::uriHostEquals(du.host, ru.host);
}

}  // namespace

int privateIpv4(std::string_view text, bool extra) {
    char buf[INET_ADDRSTRLEN];
    if (text.empty() || text.size() >= sizeof buf) return -1;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    in_addr a{};
    if (inet_pton(AF_INET, buf, &a) != 1) return -1;
    return privateHost(ntohl(a.s_addr), extra) ? 1 : 0;
}

bool privateAddr(const net::SockAddr& a, bool extra) {
    if (a.family() == AF_INET) return privateHost(ntohl(a.u.v4.sin_addr.s_addr), extra);
    if (a.family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.u.v6.sin6_addr)) {
        uint32_t v4;
        std::memcpy(&v4, a.u.v6.sin6_addr.s6_addr + 12, 4);
        return privateHost(ntohl(v4), extra);
    }
    return false;
}

int natUacTest(route::MsgContext& mc, uint32_t tests, bool extra) {
    sip::SipMsg& msg = mc.msg;
    const sip::ViaBody* via = msg.topVia;
    if ((tests & kViaPort) && via != nullptr &&
        mc.recv.src.port() != portOr5060(via->hasPort, via->port))
        return 1;
    if ((tests & kViaReceived) && via != nullptr && !isSource(mc, via->host)) return 1;
    sip::SipUri cu;
    if ((tests & kContactPrivate) && contactUri(msg, cu) && privateIpv4(cu.host, extra) == 1)
        return 1;
    if ((tests & kSdpPrivate) && sdpPrivate(mc, extra)) return 1;
    if ((tests & kViaPrivate) && via != nullptr && privateIpv4(via->host, extra) == 1) return 1;
    if ((tests & kSourcePrivate) && privateAddr(mc.recv.src, extra)) return 1;
    if ((tests & kContactPort) && contactUri(msg, cu) &&
        mc.recv.src.port() != portOr5060(cu.hasPort, cu.port))
        return 1;
    if ((tests & kSdpSource) && sdpNotSource(mc)) return 1;
    if ((tests & kDestination) && destinationDiffers(mc)) return 1;
    return -1;
}

}  // namespace osprey::nathelper
