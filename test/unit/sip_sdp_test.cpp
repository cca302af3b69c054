// SDP parser (core/sip/sdp.h): offers and answers as common phones and WebRTC browsers send
// them, IPv6, several m= sections, held and rejected streams, multicast, ICE candidates, bad
// lines with their error and place, and the positions a rewriter needs.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/sip/sdp.h"

using namespace osprey::sip;

namespace {

std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

std::string_view attr(const Sdp& s, SdpAttributeRange r, std::string_view name) {
    const SdpAttribute* a = s.findAttribute(r, name);
    return a ? a->value : std::string_view{"<none>"};
}

// A desk phone's offer (the shape Polycom, Yealink and Grandstream phones send).
constexpr std::string_view kDeskPhoneOffer =
    "v=0\n"
    "o=- 20030 20030 IN IP4 10.0.0.15\n"
    "s=SDP data\n"
    "c=IN IP4 10.0.0.15\n"
    "t=0 0\n"
    "m=audio 11780 RTP/AVP 0 8 18 9 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:18 G729/8000\n"
    "a=fmtp:18 annexb=no\n"
    "a=rtpmap:9 G722/8000\n"
    "a=fmtp:101 0-15\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=ptime:20\n"
    "a=sendrecv\n";

// A softphone's audio and video offer (Linphone-like), with session-level attributes.
constexpr std::string_view kSoftphoneOffer =
    "v=0\n"
    "o=alice 3724 1234 IN IP4 192.168.1.20\n"
    "s=Talk\n"
    "c=IN IP4 192.168.1.20\n"
    "t=0 0\n"
    "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n"
    "m=audio 7078 RTP/AVP 96 97 0 8 101\n"
    "a=rtpmap:96 opus/48000/2\n"
    "a=fmtp:96 useinbandfec=1\n"
    "a=rtpmap:97 speex/16000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=rtcp:7079\n"
    "m=video 9078 RTP/AVP 96\n"
    "a=rtpmap:96 VP8/90000\n"
    "a=rtcp-fb:96 nack pli\n";

// A browser's WebRTC offer: BUNDLE, rtcp-mux, ICE candidates (IPv4, IPv6, srflx, tcp).
constexpr std::string_view kWebRtcOffer =
    "v=0\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE 0 1\n"
    "a=msid-semantic: WMS stream\n"
    "m=audio 54609 UDP/TLS/RTP/SAVPF 111 103 9 0 8 126\n"
    "c=IN IP4 203.0.113.7\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0\n"
    "a=candidate:1853887674 1 udp 1518280447 203.0.113.7 54609 typ srflx raddr "
    "192.168.0.196 rport 46243 generation 0\n"
    "a=candidate:2157334355 1 udp 2122194687 2001:db8::5 56109 typ host generation 0\n"
    "a=candidate:435653019 1 tcp 1845501695 192.168.0.196 0 typ host tcptype active\n"
    "a=ice-ufrag:2Ws4\n"
    "a=ice-pwd:ybJm8W4cTE2Ydb0JdlFkQ2Wk\n"
    "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35\n"
    "a=setup:actpass\n"
    "a=mid:0\n"
    "a=sendrecv\n"
    "a=rtcp-mux\n"
    "a=rtpmap:111 opus/48000/2\n"
    "m=video 54609 UDP/TLS/RTP/SAVPF 100 101\n"
    "c=IN IP4 203.0.113.7\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=mid:1\n"
    "a=recvonly\n"
    "a=rtcp-mux\n"
    "a=rtpmap:100 VP8/90000\n";

constexpr std::string_view kIpv6Offer =
    "v=0\n"
    "o=bob 2890844526 2890842807 IN IP6 2001:db8::10\n"
    "s=-\n"
    "c=IN IP6 2001:db8::10\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0\n"
    "a=rtcp:49171 IN IP6 2001:db8::10\n"
    "m=audio 49180 RTP/AVP 8\n"
    "c=IN IP6 ::ffff:192.0.2.1\n"
    "m=audio 49190 RTP/AVP 8\n"
    "c=IN IP6 media6.example.com\n";

}  // namespace

TEST(SipSdp, DeskPhoneOffer) {
    std::string body = crlf(kDeskPhoneOffer);
    Sdp s;
    SdpError e = parseSdp(body, s);
    ASSERT_FALSE(e) << sdpErrcName(e.code) << " at " << e.offset;
    EXPECT_EQ(s.originUser, "-");
    EXPECT_EQ(s.sessionId, "20030");
    EXPECT_EQ(s.origin.address, "10.0.0.15");
    EXPECT_EQ(s.sessionName, "SDP data");
    ASSERT_TRUE(s.connection.present);
    EXPECT_EQ(s.connection.netType, "IN");
    EXPECT_EQ(s.connection.family, SdpAddrFamily::Ip4);
    EXPECT_EQ(s.connection.address, "10.0.0.15");
    ASSERT_EQ(s.mediaCount, 1u);
    const SdpMedia& m = s.media[0];
    EXPECT_EQ(m.media, "audio");
    EXPECT_EQ(m.port, "11780");
    EXPECT_EQ(m.portNumber, 11780);
    EXPECT_EQ(m.portCount, 1);
    EXPECT_EQ(m.proto, "RTP/AVP");
    EXPECT_EQ(m.formats, "0 8 18 9 101");
    EXPECT_FALSE(m.connection.present);
    EXPECT_EQ(s.connectionOf(m).address, "10.0.0.15");  // inherited from the session
    EXPECT_EQ(m.attributes.count, 9);
    EXPECT_EQ(attr(s, m.attributes, "ptime"), "20");
    EXPECT_EQ(attr(s, m.attributes, "fmtp"), "18 annexb=no");  // the first of two
    EXPECT_EQ(m.direction, SdpDirection::SendRecv);
    EXPECT_FALSE(m.rtcp.present);
    EXPECT_EQ(m.section.substr(0, 8), "m=audio ");
    EXPECT_EQ(sdpOffset(body, m.section) + m.section.size(), body.size());
    EXPECT_EQ(s.session.size(), sdpOffset(body, m.section));
}

TEST(SipSdp, SoftphoneOfferWithTwoSectionsAndSessionAttributes) {
    Sdp s;
    std::string body = crlf(kSoftphoneOffer);
    ASSERT_FALSE(parseSdp(body, s));
    EXPECT_EQ(s.attributes.count, 1);
    EXPECT_EQ(s.attributesOf(s.attributes)[0].name, "rtcp-xr");
    ASSERT_EQ(s.mediaCount, 2u);
    EXPECT_EQ(s.media[0].portNumber, 7078);
    ASSERT_TRUE(s.media[0].rtcp.present);
    EXPECT_EQ(s.media[0].rtcp.portNumber, 7079);
    EXPECT_FALSE(s.media[0].rtcp.connection.present);
    EXPECT_EQ(s.media[1].media, "video");
    EXPECT_EQ(s.media[1].portNumber, 9078);
    EXPECT_EQ(s.media[1].attributes.count, 2);
    EXPECT_EQ(attr(s, s.media[1].attributes, "rtcp-fb"), "96 nack pli");
    EXPECT_EQ(attr(s, s.media[0].attributes, "rtcp-fb"), "<none>");  // sections stay apart
    // The sections tile the body after the session part.
    EXPECT_EQ(sdpOffset(body, s.media[0].section) + s.media[0].section.size(),
              sdpOffset(body, s.media[1].section));
}

TEST(SipSdp, WebRtcOfferWithIceCandidates) {
    Sdp s;
    ASSERT_FALSE(parseSdp(kWebRtcOffer, s));
    EXPECT_FALSE(s.connection.present);
    EXPECT_EQ(s.origin.address, "127.0.0.1");
    ASSERT_EQ(s.mediaCount, 2u);
    const SdpMedia& a = s.media[0];
    EXPECT_EQ(a.proto, "UDP/TLS/RTP/SAVPF");
    EXPECT_EQ(s.connectionOf(a).address, "203.0.113.7");
    EXPECT_TRUE(a.rtcpMux);
    ASSERT_TRUE(a.rtcp.present);
    EXPECT_EQ(a.rtcp.portNumber, 9);
    EXPECT_EQ(a.rtcp.connection.address, "0.0.0.0");
    EXPECT_EQ(a.direction, SdpDirection::SendRecv);
    EXPECT_EQ(s.media[1].direction, SdpDirection::RecvOnly);

    int candidates = 0;
    IceCandidate c;
    const SdpAttribute* at = s.attributesOf(a.attributes);
    for (uint16_t i = 0; i < a.attributes.count; ++i) {
        if (at[i].name != "candidate") continue;
        ASSERT_TRUE(parseIceCandidate(at[i].value, c)) << at[i].value;
        ++candidates;
        if (candidates == 2) {
            EXPECT_EQ(c.foundation, "1853887674");
            EXPECT_EQ(c.component, 1u);
            EXPECT_EQ(c.transport, "udp");
            EXPECT_EQ(c.priority, 1518280447u);
            EXPECT_EQ(c.address, "203.0.113.7");
            EXPECT_EQ(c.portNumber, 54609);
            EXPECT_EQ(c.type, "srflx");
            EXPECT_EQ(c.relatedAddress, "192.168.0.196");
            EXPECT_EQ(c.relatedPort, "46243");
        }
        if (candidates == 3) {
            EXPECT_EQ(c.address, "2001:db8::5");
        }
        if (candidates == 4) {
            EXPECT_EQ(c.transport, "tcp");
            EXPECT_EQ(c.portNumber, 0);
        }
    }
    EXPECT_EQ(candidates, 4);
    EXPECT_EQ(attr(s, s.attributes, "group"), "BUNDLE 0 1");
}

TEST(SipSdp, BadIceCandidatesAreRefused) {
    IceCandidate c;
    EXPECT_FALSE(parseIceCandidate("", c));
    EXPECT_FALSE(parseIceCandidate("1 1 udp 2122260223 192.168.0.1 46243", c));  // no typ
    EXPECT_FALSE(parseIceCandidate("1 0 udp 1 192.168.0.1 4 typ host", c));      // component 0
    EXPECT_FALSE(parseIceCandidate("1 1 udp 99999999999 10.0.0.1 4 typ host", c));
    EXPECT_FALSE(parseIceCandidate("1 1 udp 1 10.0.0.1 65536 typ host", c));
    EXPECT_FALSE(parseIceCandidate("1 1 udp 1 10.0.0.1 4 typ host raddr", c));  // odd pair
    EXPECT_FALSE(parseIceCandidate("1 1 udp 1 10.0.0.1 4 typ srflx rport x", c));
    EXPECT_TRUE(parseIceCandidate("1 1 udp 1 host.local 4 typ host", c));  // mDNS name
    EXPECT_EQ(c.address, "host.local");
}

TEST(SipSdp, Ipv6SessionAndMediaConnections) {
    Sdp s;
    ASSERT_FALSE(parseSdp(kIpv6Offer, s));
    EXPECT_EQ(s.origin.family, SdpAddrFamily::Ip6);
    EXPECT_EQ(s.connection.family, SdpAddrFamily::Ip6);
    EXPECT_EQ(s.connection.address, "2001:db8::10");
    ASSERT_EQ(s.mediaCount, 3u);
    EXPECT_EQ(s.connectionOf(s.media[0]).address, "2001:db8::10");
    EXPECT_EQ(s.media[0].rtcp.connection.family, SdpAddrFamily::Ip6);
    EXPECT_EQ(s.media[0].rtcp.connection.address, "2001:db8::10");
    EXPECT_EQ(s.connectionOf(s.media[1]).address, "::ffff:192.0.2.1");
    EXPECT_EQ(s.connectionOf(s.media[2]).address, "media6.example.com");  // a domain name
    EXPECT_EQ(s.connectionOf(s.media[2]).family, SdpAddrFamily::Ip6);
}

TEST(SipSdp, AnswerHoldsAudioAndRejectsVideo) {
    constexpr std::string_view answer =
        "v=0\r\n"
        "o=bob 2808844564 2808844565 IN IP4 198.51.100.4\r\n"
        "s= \r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\n"
        "a=sendonly\r\n"
        "m=audio 49174 RTP/AVP 0\r\n"
        "m=video 0 RTP/AVP 31\r\n"
        "a=inactive\r\n";
    Sdp s;
    ASSERT_FALSE(parseSdp(answer, s));
    EXPECT_EQ(s.direction, SdpDirection::SendOnly);
    ASSERT_EQ(s.mediaCount, 2u);
    EXPECT_EQ(s.media[0].direction, SdpDirection::SendOnly);  // inherited
    EXPECT_EQ(s.media[1].direction, SdpDirection::Inactive);  // its own
    EXPECT_EQ(s.media[1].portNumber, 0);                      // rejected (RFC 3264 §6)
    EXPECT_EQ(s.connection.address, "0.0.0.0");
}

TEST(SipSdp, MulticastAddressAndPortCount) {
    constexpr std::string_view body =
        "v=0\n"
        "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\n"
        "s=Call to John Smith\n"
        "c=IN IP4 233.252.0.1/127/3\n"
        "t=0 0\n"
        "m=video 51372/2 RTP/AVP 99\n"
        "c=IN IP6 ff15::101/3\n";
    Sdp s;
    ASSERT_FALSE(parseSdp(body, s));
    EXPECT_EQ(s.connection.address, "233.252.0.1");
    EXPECT_EQ(s.connection.suffix, "/127/3");
    EXPECT_EQ(s.media[0].port, "51372");
    EXPECT_EQ(s.media[0].portCount, 2);
    EXPECT_EQ(s.media[0].connection.address, "ff15::101");
    EXPECT_EQ(s.media[0].connection.suffix, "/3");
}

TEST(SipSdp, SloppyButHarmlessInputIsAccepted) {
    // LF only, blank lines, an unknown type letter, a b= line, a trailing line without LF.
    constexpr std::string_view body =
        "v=0\n"
        "o=- 1 1 IN IP4 192.0.2.1\n"
        "\n"
        "s=-\n"
        "y=whatever\n"
        "c=IN IP4 192.0.2.1\n"
        "b=AS:64\n"
        "m=audio 4000 RTP/AVP 0\n"
        "a=x-custom";
    Sdp s;
    ASSERT_FALSE(parseSdp(body, s));
    ASSERT_EQ(s.mediaCount, 1u);
    EXPECT_EQ(s.media[0].attributes.count, 1);
    EXPECT_EQ(s.attributesOf(s.media[0].attributes)[0].name, "x-custom");
    EXPECT_FALSE(s.attributesOf(s.media[0].attributes)[0].hasValue);
    EXPECT_EQ(sdpOffset(body, s.media[0].section) + s.media[0].section.size(), body.size());
}

TEST(SipSdp, BadLinesSayWhatAndWhere) {
    struct Case {
        std::string_view body;
        SdpErrc code;
        std::string_view lineStart;  // the offset must point at this text
    };
    const Case cases[] = {
        {"", SdpErrc::Empty, ""},
        {"\r\n\r\n", SdpErrc::Empty, ""},
        {"o=- 1 1 IN IP4 1.2.3.4\r\n", SdpErrc::MissingVersion, "o="},
        {"v=1\r\n", SdpErrc::BadVersion, "v=1"},
        {"v=0\r\nhello\r\n", SdpErrc::BadLine, "hello"},
        {"v=0\r\n=x\r\n", SdpErrc::BadLine, "=x"},
        {"v=0\r\nc =IN IP4 1.2.3.4\r\n", SdpErrc::BadLine, "c ="},
        {std::string_view("v=0\r\ns=a\0b\r\n", 12), SdpErrc::BadLine, "s="},
        {"v=0\r\ns=a\rb\r\n", SdpErrc::BadLine, "s="},
        {"v=0\r\no=- 1 1 IN IP4\r\n", SdpErrc::BadOrigin, "o="},
        {"v=0\r\nc=IN IP4\r\n", SdpErrc::BadConnection, "c="},
        {"v=0\r\nc=IN IP4 1.2.3.4 extra\r\n", SdpErrc::BadConnection, "c="},
        {"v=0\r\nc=IN IP4 1.2.3.4//3\r\n", SdpErrc::BadConnection, "c="},
        {"v=0\r\nc=IN IP6 2001:db8::g\r\n", SdpErrc::BadConnection, "c="},
        {"v=0\r\nc=IN IP4 1.2.3.4:5\r\n", SdpErrc::BadConnection, "c="},
        {"v=0\r\nm=audio\r\n", SdpErrc::BadMedia, "m="},
        {"v=0\r\nm=audio 4000 RTP/AVP\r\n", SdpErrc::BadMedia, "m="},
        {"v=0\r\nm=audio port RTP/AVP 0\r\n", SdpErrc::BadPort, "m="},
        {"v=0\r\nm=audio 65536 RTP/AVP 0\r\n", SdpErrc::BadPort, "m="},
        {"v=0\r\nm=audio -1 RTP/AVP 0\r\n", SdpErrc::BadPort, "m="},
        {"v=0\r\nm=audio 4000/0 RTP/AVP 0\r\n", SdpErrc::BadPort, "m="},
        {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:x\r\n", SdpErrc::BadAttribute, "a=rtcp"},
        {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:5 IN\r\n", SdpErrc::BadAttribute, "a=rtcp"},
        {"v=0\r\na=:x\r\n", SdpErrc::BadAttribute, "a=:"},
    };
    for (const Case& c : cases) {
        Sdp s;
        SdpError e = parseSdp(c.body, s);
        EXPECT_EQ(e.code, c.code) << sdpErrcName(e.code) << " for [" << c.body << "]";
        ASSERT_LE(e.offset, c.body.size());
        EXPECT_EQ(c.body.substr(e.offset, c.lineStart.size()), c.lineStart) << c.body;
    }
}

TEST(SipSdp, TooManySectionsOrAttributesAreRefused) {
    std::string body = "v=0\r\n";
    for (size_t i = 0; i <= Sdp::kMaxMedia; ++i) body += "m=audio 4000 RTP/AVP 0\r\n";
    Sdp s;
    EXPECT_EQ(parseSdp(body, s).code, SdpErrc::TooManyMedia);
    EXPECT_EQ(s.mediaCount, Sdp::kMaxMedia);

    body = "v=0\r\nm=audio 4000 RTP/AVP 0\r\n";
    for (size_t i = 0; i <= Sdp::kMaxAttributes; ++i) body += "a=x\r\n";
    EXPECT_EQ(parseSdp(body, s).code, SdpErrc::TooManyAttributes);
}

TEST(SipSdp, PositionsLetARewriterReplaceAddressAndPort) {
    std::string body = crlf(kDeskPhoneOffer);
    Sdp s;
    ASSERT_FALSE(parseSdp(body, s));
    // What a media relay does: the later field first, so the earlier offset stays valid.
    size_t portAt = sdpOffset(body, s.media[0].port), portLen = s.media[0].port.size();
    size_t addrAt = sdpOffset(body, s.connection.address), addrLen = s.connection.address.size();
    ASSERT_LT(addrAt, portAt);
    body.replace(portAt, portLen, "30000");
    body.replace(addrAt, addrLen, "203.0.113.99");
    ASSERT_FALSE(parseSdp(body, s));
    EXPECT_EQ(s.connection.address, "203.0.113.99");
    EXPECT_EQ(s.media[0].portNumber, 30000);
    EXPECT_EQ(s.origin.address, "10.0.0.15");  // untouched
    EXPECT_EQ(s.media[0].attributes.count, 9);
}
