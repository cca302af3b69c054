// fix_nated_sdp (see sdp_fix.h).
#include "modules/nathelper/sdp_fix.h"

#include <cstring>

#include "core/log/log.h"
#include "core/net/sock_addr.h"
#include "core/route/msg_context.h"
#include "core/sip/msg.h"
#include "core/sip/sdp.h"

namespace osprey::nathelper {

namespace {

// 0.0.0.0 (RFC 2543 hold) and :: are left alone.
bool nullAddr(std::string_view a) {
    if (a == "0.0.0.0") return true;
    if (a.empty()) return false;
    for (char ch : a)
        if (ch != '0' && ch != ':') return false;
    return true;
}

class Rewriter {
public:
    Rewriter(route::MsgContext& mc, std::string_view ip, bool ip6, const SdpFixOptions& o)
        : mc_(mc), ip_(ip), ip6_(ip6), opt_(o) {}

    // Replaces one connection's address; false on an edit error.
    bool fix(const sip::SdpConnection& c) {
        if (!c.present || c.family == sip::SdpAddrFamily::Other || nullAddr(c.address) ||
            c.address == ip_)
            return true;
        const bool was6 = c.family == sip::SdpAddrFamily::Ip6;
        sip::MsgBuilder& b = mc_.builder();
        if (was6 != ip6_ && b.replaceRange(mc_.msg.offsetOf(c.addrType),
                                           mc_.msg.offsetOf(c.addrType) + c.addrType.size(),
                                           ip6_ ? "IP6" : "IP4") != sip::BuildError::Ok)
            return false;
        const uint32_t off = mc_.msg.offsetOf(c.address);
        if (b.replaceRange(off, off + static_cast<uint32_t>(c.address.size()), ip_) !=
            sip::BuildError::Ok)
            return false;
        if (opt_.oldMediaIp) {
            old_[oldCount_ < kMaxOld ? oldCount_++ : kMaxOld - 1] = {c.address, was6};
        }
        ++changed_;
        return true;
    }

    // Lines appended at the end of the body: a=oldmediaip for every changed address.
    bool appendOld(uint32_t bodyEnd, bool endsWithNewline) {
        for (size_t i = 0; i < oldCount_; ++i) {
            if (!appendLine(bodyEnd, endsWithNewline,
                            old_[i].ip6 ? "a=oldmediaip6:" : "a=oldmediaip:", old_[i].addr))
                return false;
        }
        return true;
    }

    bool appendLine(uint32_t at, bool afterNewline, std::string_view a, std::string_view b = {}) {
        char line[160];
        size_t n = 0;
        auto put = [&](std::string_view s) {
            const size_t k = std::min(s.size(), sizeof line - n);
            std::memcpy(line + n, s.data(), k);
            n += k;
        };
        if (!afterNewline) put("\r\n");
        put(a);
        put(b);
        if (afterNewline) put("\r\n");
        return mc_.builder().insertAt(at, {line, n}) == sip::BuildError::Ok;
    }

    int changed() const { return changed_; }

private:
    static constexpr size_t kMaxOld = 8;
    struct Old {
        std::string_view addr;
        bool ip6;
    };
    route::MsgContext& mc_;
    std::string_view ip_;
    bool ip6_;
    const SdpFixOptions& opt_;
    Old old_[kMaxOld];
    size_t oldCount_ = 0;
    int changed_ = 0;
};

bool endsWithNewline(std::string_view s) {
    return !s.empty() && s.back() == '\n';
}

}  // namespace

int fixNatedSdp(route::MsgContext& mc, int level, std::string_view ipArg, const SdpFixOptions& o) {
    sip::SipMsg& msg = mc.msg;
    if (!sip::findBody(msg) || msg.body.empty()) {
        LM_ERR("nathelper: fix_nated_sdp: the message has no body");
        return -1;
    }
    sip::Sdp sdp;
    if (const sip::SdpError e = sip::parseSdp(msg.body, sdp)) {
        LM_ERR("nathelper: fix_nated_sdp: SDP does not parse (%s at offset %u)",
               sip::sdpErrcName(e.code), e.offset);
        return -1;
    }
    char src[net::kIpTextMax];
    std::string_view ip = ipArg;
    if (ip.empty()) ip = {src, net::formatIp(mc.recv.src, src, sizeof src)};
    if (ip.empty()) return -1;
    const bool ip6 = ip.find(':') != std::string_view::npos;
    Rewriter rw(mc, ip, ip6, o);
    const auto bodyEnd = static_cast<uint32_t>(msg.offsetOf(msg.body) + msg.body.size());
    const bool bodyNl = endsWithNewline(msg.body);

    if (level & kAddDirection) {
        for (size_t i = 0; i < sdp.mediaCount; ++i) {
            const std::string_view sec = sdp.media[i].section;
            const auto end = static_cast<uint32_t>(msg.offsetOf(sec) + sec.size());
            if (!rw.appendLine(end, endsWithNewline(sec), "a=direction:active")) return -1;
        }
    }
    if (level & (kFixMediaIp | kFixOriginIp)) {
        // a=rtcp with an address (RFC 3605) follows the media address.
        for (size_t i = 0; i < sdp.mediaCount; ++i)
            if (sdp.media[i].rtcp.present && !rw.fix(sdp.media[i].rtcp.connection)) return -1;
        if (level & kFixMediaIp) {
            if (!rw.fix(sdp.connection)) return -1;
            for (size_t i = 0; i < sdp.mediaCount; ++i)
                if (!rw.fix(sdp.media[i].connection)) return -1;
        }
        if ((level & kFixOriginIp) && !rw.fix(sdp.origin)) return -1;
    }
    if (!rw.appendOld(bodyEnd, bodyNl)) return -1;
    if ((level & kAddNoRtpProxy) && !o.noRtpProxy.empty() &&
        !rw.appendLine(bodyEnd, bodyNl, o.noRtpProxy))
        return -1;
    return rw.changed() > 0 ? 1 : 2;
}

}  // namespace osprey::nathelper
