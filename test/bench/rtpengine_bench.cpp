// What Osprey itself adds per offer/answer pair with rtpengine, without the network: for the
// INVITE and for its 200, the rtpengine flags parsed, the NG request encoded, a typical
// rtpengine answer decoded, and the message rebuilt with the new SDP and Content-Length
// (what rtpengine_manage does besides its sendmsg/poll/recvfrom per exchange).
//
//   rtpengine_bench [N]            ns per pair (wall clock, N pairs, default 200000)
//   rtpengine_bench --ir-loop=N    N pairs inside offerAnswerLoop() only, for callgrind
//                                  (scripts/bench/rtpengine-ir.sh: instructions per pair)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/sip/builder.h"
#include "core/sip/msg.h"
#include "core/sip/text_header.h"
#include "mem/pkg.h"
#include "modules/rtpengine/bencode.h"
#include "modules/rtpengine/ng_command.h"
#include "modules/rtpengine/ng_flags.h"

namespace {

using namespace osprey;

const std::string kOfferSdp =
    "v=0\r\no=- 3917203942 3917203942 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
    "a=ptime:20\r\na=sendrecv\r\n";

std::string message(bool request, const std::string& sdp) {
    std::string s = request ? "INVITE sip:bob@127.0.0.1:5090 SIP/2.0\r\n" : "SIP/2.0 200 OK\r\n";
    s += "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:alice@example.com>;tag=1928301774\r\n";
    s += request ? "To: <sip:bob@example.com>\r\n" : "To: <sip:bob@example.com>;tag=a6c85cf\r\n";
    s += "Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 314159 INVITE\r\n"
         "Contact: <sip:alice@10.0.0.1:5060>\r\nContent-Type: application/sdp\r\n"
         "Content-Length: " +
         std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
    return s;
}

// rtpengine's answer to an offer, as it sends it (its SDP with its own port).
std::string ngReply() {
    std::string sdp = kOfferSdp;
    sdp.replace(sdp.find("10.0.0.1"), 8, "127.0.0.1");
    sdp.replace(sdp.find("10.0.0.1"), 8, "127.0.0.1");
    sdp.replace(sdp.find("40000"), 5, "30000");
    sdp += "a=rtcp:30001\r\n";
    return "d3:sdp" + std::to_string(sdp.size()) + ":" + sdp + "6:result2:oke";
}

const std::string kInvite = message(true, kOfferSdp);
const std::string kOk = message(false, kOfferSdp);
const std::string kReply = ngReply();
constexpr std::string_view kFlags = "replace-origin replace-session-connection ICE=remove RTP/AVP";

char g_request[65536];
bencode::Node g_nodes[256];
size_t g_sink = 0;

// One side: what rtpengine_manage does with one message.
void oneSide(const std::string& text, rtpengine::Op op) {
    sip::SipMsg msg;
    if (!sip::parseMsg(msg, text) || !sip::findBody(msg)) std::abort();
    rtpengine::NgFlags flags;
    if (!rtpengine::parseNgFlags(kFlags, flags)) std::abort();
    rtpengine::CallInfo call;
    call.request = msg.isRequest();
    call.callId = sip::getCallId(msg);
    call.fromTag = "1928301774";
    call.toTag = call.request ? "" : "a6c85cf";
    call.sdp = msg.body;
    call.receivedFrom = "127.0.0.1";
    bencode::Writer w(g_request, sizeof g_request);
    if (rtpengine::buildCommand(op, call, flags, w) != rtpengine::BuildResult::Ok) std::abort();
    rtpengine::NgReply reply;
    if (!rtpengine::parseReply(kReply, g_nodes, reply)) std::abort();
    sip::MsgBuilder b(msg);
    sip::OutSpans out;
    if (b.setBody(reply.sdp) != sip::BuildError::Ok || b.build(out) != sip::BuildError::Ok) {
        std::abort();
    }
    g_sink += out.bytes + w.size();
}

}  // namespace

extern "C" __attribute__((noinline)) void offerAnswerLoop(long n) {
    for (long i = 0; i < n; ++i) {
        oneSide(kInvite, rtpengine::Op::Offer);
        oneSide(kOk, rtpengine::Op::Answer);
    }
}

int main(int argc, char** argv) {
    if (!mem::pkgInit(64u << 20)) return 1;
    long n = 200000;
    bool irLoop = false;
    if (argc > 1 && std::strncmp(argv[1], "--ir-loop=", 10) == 0) {
        n = std::atol(argv[1] + 10);
        irLoop = true;
    } else if (argc > 1) {
        n = std::atol(argv[1]);
    }
    offerAnswerLoop(irLoop ? 1 : 1000);  // warm up (and, under callgrind, lazy binding)
    const auto t0 = std::chrono::steady_clock::now();
    offerAnswerLoop(n);
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (!irLoop) {
        std::printf(
            "rtpengine offer/answer pair without the network: %.0f ns per pair (%ld pairs)\n",
            ns / static_cast<double>(n), n);
    }
    mem::pkgDestroy();
    return g_sink == 0;
}
