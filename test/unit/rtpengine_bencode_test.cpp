// The NG protocol's bencode codec and Kamailio's flag parsing (modules/rtpengine/).
#include <gtest/gtest.h>

#include <string>

#include "modules/rtpengine/bencode.h"
#include "modules/rtpengine/ng_command.h"
#include "modules/rtpengine/ng_flags.h"

namespace osprey::rtpengine {
namespace {

using bencode::Errc;
using bencode::Node;
using bencode::Type;

Errc decodeErr(std::string_view in) {
    Node nodes[64];
    uint32_t n = 0;
    return bencode::decode(in, nodes, n).code;
}

TEST(Bencode, WriterEncodesEveryType) {
    char buf[128];
    bencode::Writer w(buf, sizeof buf);
    w.beginDict();
    w.entry("command", "ping");
    w.str("n");
    w.integer(-42);
    w.str("l");
    w.beginList();
    w.integer(0);
    w.str("");
    w.end();
    w.end();
    EXPECT_FALSE(w.overflow());
    EXPECT_EQ(w.view(), "d7:command4:ping1:ni-42e1:lli0e0:ee");
}

TEST(Bencode, WriterRemembersOverflow) {
    char buf[8];
    bencode::Writer w(buf, sizeof buf);
    w.str("0123456789");
    EXPECT_TRUE(w.overflow());
}

TEST(Bencode, IntegerExtremesRoundTrip) {
    char buf[64];
    bencode::Writer w(buf, sizeof buf);
    w.beginList();
    w.integer(INT64_MIN);
    w.integer(INT64_MAX);
    w.end();
    Node nodes[4];
    uint32_t n = 0;
    ASSERT_FALSE(bencode::decode(w.view(), nodes, n));
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(nodes[1].num, INT64_MIN);
    EXPECT_EQ(nodes[2].num, INT64_MAX);
}

TEST(Bencode, DecodesNestedDictionaryAndFindsKeys) {
    const std::string in = "d6:result2:ok6:totalsd3:RTPd5:bytesi100eee3:sdp3:v=0e";
    Node nodes[32];
    uint32_t n = 0;
    ASSERT_FALSE(bencode::decode(in, nodes, n));
    const std::span<const Node> all(nodes, n);
    const Node* result = bencode::dictGet(all, 0, "result");
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result->str, "ok");
    const Node* sdp = bencode::dictGet(all, 0, "sdp");
    ASSERT_NE(sdp, nullptr);
    EXPECT_EQ(sdp->str, "v=0");
    const Node* totals = bencode::dictGet(all, 0, "totals");
    ASSERT_NE(totals, nullptr);
    const Node* rtp = bencode::dictGet(all, bencode::indexOf(all, totals), "RTP");
    ASSERT_NE(rtp, nullptr);
    const Node* bytes = bencode::dictGet(all, bencode::indexOf(all, rtp), "bytes");
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(bytes->type, Type::Int);
    EXPECT_EQ(bytes->num, 100);
    EXPECT_EQ(bencode::dictGet(all, 0, "missing"), nullptr);
}

TEST(Bencode, RejectsMalformedInputWithTheReason) {
    EXPECT_EQ(decodeErr(""), Errc::Empty);
    EXPECT_EQ(decodeErr("5:abc"), Errc::Truncated);
    EXPECT_EQ(decodeErr("03:abc"), Errc::BadString);
    EXPECT_EQ(decodeErr("3abc"), Errc::BadString);
    EXPECT_EQ(decodeErr("i-0e"), Errc::BadInteger);
    EXPECT_EQ(decodeErr("i01e"), Errc::BadInteger);
    EXPECT_EQ(decodeErr("ie"), Errc::BadInteger);
    EXPECT_EQ(decodeErr("i9223372036854775808e"), Errc::BadInteger);
    EXPECT_EQ(decodeErr("di1e1:ae"), Errc::BadKey);
    EXPECT_EQ(decodeErr("d1:ae"), Errc::Truncated);
    EXPECT_EQ(decodeErr("l"), Errc::Truncated);
    EXPECT_EQ(decodeErr("x"), Errc::UnknownType);
    EXPECT_EQ(decodeErr("lee"), Errc::TrailingBytes);
    EXPECT_EQ(decodeErr(std::string(40, 'l') + std::string(40, 'e')), Errc::TooDeep);
    std::string many = "l";
    for (int i = 0; i < 100; ++i) many += "i1e";
    EXPECT_EQ(decodeErr(many + "e"), Errc::TooManyNodes);
}

TEST(NgFlags, KamailioFlagsBecomeNgKeys) {
    NgFlags f;
    ASSERT_TRUE(parseNgFlags(
        "replace-origin replace-session-connection ICE=remove RTP/AVP direction=pub "
        "direction=priv trust-address rtcp-mux-demux codec-strip=PCMA,G729 transcode-PCMU "
        "received-from=192.0.2.1 repacketize=20 label=caller",
        f));
    char buf[1024];
    bencode::Writer w(buf, sizeof buf);
    w.beginDict();
    writeNgFlags(f, w);
    w.end();
    ASSERT_FALSE(w.overflow());
    EXPECT_EQ(std::string(w.view()),
              "d5:flagsl13:trust-addresse7:replacel6:origin18:session-connectione"
              "9:directionl3:pub4:prive8:rtcp-muxl5:demuxe13:received-froml3:IP49:192.0.2.1e"
              "18:transport-protocol7:RTP/AVP5:codecd5:stripl4:PCMA4:G729e9:transcodel4:PCMUee"
              "11:repacketizei20e3:ICE6:remove5:label6:callere");
}

TEST(NgFlags, TransportBitsCombineAsKamailio) {
    NgFlags f;
    ASSERT_TRUE(parseNgFlags("SRTP AVPF", f));
    EXPECT_EQ(transportProtocol(f.transport), "RTP/SAVPF");
    NgFlags g;
    ASSERT_TRUE(parseNgFlags("UDP/TLS/RTP/SAVPF", g));
    EXPECT_EQ(transportProtocol(g.transport), "UDP/TLS/RTP/SAVPF");
    NgFlags none;
    ASSERT_TRUE(parseNgFlags("", none));
    EXPECT_EQ(transportProtocol(none.transport), "");
}

TEST(NgFlags, BadValuesAreErrors) {
    NgFlags f;
    EXPECT_FALSE(parseNgFlags("call-id", f));
    EXPECT_EQ(f.errorFlag, "call-id");
    NgFlags g;
    EXPECT_FALSE(parseNgFlags("via-branch=7", g));
    NgFlags h;
    EXPECT_FALSE(parseNgFlags("repacketize=x", h));
}

TEST(NgCommand, OfferInRequestAnswerInReplyAndAnswerInAck) {
    NgFlags f;
    CallInfo call{"cid", "ftag", "", "v=0\r\n", "127.0.0.1", true};
    char buf[512];
    bencode::Writer w(buf, sizeof buf);
    ASSERT_EQ(buildCommand(Op::Offer, call, f, w), BuildResult::Ok);
    EXPECT_EQ(w.view(),
              "d7:command5:offer7:call-id3:cid8:from-tag4:ftag3:sdp5:v=0\r\n"
              "13:received-froml3:IP49:127.0.0.1ee");
    // The 200's answer speaks for the From side too (Kamailio's rule).
    CallInfo reply{"cid", "ftag", "ttag", "v=0\r\n", "", false};
    bencode::Writer w2(buf, sizeof buf);
    ASSERT_EQ(buildCommand(Op::Answer, reply, f, w2), BuildResult::Ok);
    EXPECT_NE(w2.view().find("8:from-tag4:ftag6:to-tag4:ttag"), std::string_view::npos);
    // An answer in an ACK comes from the To side: the tags swap; without a To tag: an error.
    CallInfo ack{"cid", "ftag", "ttag", "v=0\r\n", "", true};
    bencode::Writer w3(buf, sizeof buf);
    ASSERT_EQ(buildCommand(Op::Answer, ack, f, w3), BuildResult::Ok);
    EXPECT_NE(w3.view().find("8:from-tag4:ttag6:to-tag4:ftag"), std::string_view::npos);
    ack.toTag = {};
    bencode::Writer w4(buf, sizeof buf);
    EXPECT_EQ(buildCommand(Op::Answer, ack, f, w4), BuildResult::NoToTag);
    // A delete names the call and the From tag only, unless "to-tag" is given.
    bencode::Writer w5(buf, sizeof buf);
    ASSERT_EQ(buildCommand(Op::Delete, reply, f, w5), BuildResult::Ok);
    EXPECT_EQ(w5.view(), "d7:command6:delete7:call-id3:cid8:from-tag4:ftage");
}

TEST(NgCommand, RtpstatTextFromQueryTotals) {
    const std::string in =
        "d6:result2:ok6:totalsd3:RTPd5:bytesi1000e7:packetsi10e6:errorsi0ee"
        "4:RTCPd5:bytesi50e7:packetsi2eeee";
    Node nodes[64];
    NgReply r;
    ASSERT_TRUE(parseReply(in, nodes, r));
    EXPECT_EQ(r.result, "ok");
    char text[256];
    const size_t len = rtpstatText(std::span<const Node>(nodes, r.root->end), r, text, sizeof text);
    EXPECT_EQ(std::string(text, len),
              "RTP: 1000 bytes, 10 packets, 0 errors; RTCP: 50 bytes, 2 packets, -1 errors");
}

}  // namespace
}  // namespace osprey::rtpengine
