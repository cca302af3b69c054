// The SDP side of the rtpproxy protocol: what each media stream asks the relay for, and the
// body rewritten with the relay's answers (the m= port, the c= address, a=rtcp, and with the
// 'o' flag the o= address). Kamailio's rtpproxy flags that shape it:
//   c  also rewrite the session-level c= when a stream has its own
//   o  rewrite the o= address too
//   r  send the SDP's own address to the relay (without it: the SIP source address)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/sip/sdp.h"

namespace osprey::rtpproxy {

struct StreamAnswer {
    uint16_t port = 0;
    std::string_view ip;  // the relay's address for this stream
};

struct RewriteFlags {
    bool sessionConnection = false;  // 'c'
    bool origin = false;             // 'o'
};

// Writes `body` with stream i (of those with a non-zero port, in order) moved to answers[i].
// Returns the length written into out, 0 when it does not fit.
size_t rewriteSdp(std::string_view body, const sip::Sdp& sdp, const StreamAnswer* answers,
                  size_t count, RewriteFlags flags, char* out, size_t cap);

// "c0,8,101": the payload types of a stream as rtpproxy's codec modifier.
size_t codecModifier(const sip::SdpMedia& m, char* out, size_t cap);

}  // namespace osprey::rtpproxy
