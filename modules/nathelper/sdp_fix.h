// fix_nated_sdp (Kamailio's nathelper): the SDP of a NATed user agent names its private
// address; replace it with the address the message came from (or a given one), so media is
// sent where the NAT will let it through. Edits go into the forwarded copy; Content-Length
// follows (core/sip/builder.h).
#pragma once
#include <string_view>

namespace osprey::route {
struct MsgContext;
}

namespace osprey::nathelper {

// Kamailio's fix_nated_sdp level bits.
enum SdpFix : int {
    kAddDirection = 0x01,   // a=direction:active in every media section
    kFixMediaIp = 0x02,     // c= addresses (and a=rtcp addresses, RFC 3605)
    kAddNoRtpProxy = 0x04,  // the nortpproxy_str line (a=nortpproxy:yes)
    kFixOriginIp = 0x08,    // the o= address
};

struct SdpFixOptions {
    std::string_view noRtpProxy;  // nortpproxy_str without line end; empty: not added
    bool oldMediaIp = true;       // append_sdp_oldmediaip: a=oldmediaip:<old> per change
};

// 1 when an address was replaced, 2 when nothing needed it, -1 no or bad SDP body. `ip`
// empty: the source address.
int fixNatedSdp(route::MsgContext& mc, int level, std::string_view ip, const SdpFixOptions& o);

}  // namespace osprey::nathelper
