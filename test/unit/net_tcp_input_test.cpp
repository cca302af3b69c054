// TcpInput (core/net/tcp_input.h): the glue between reads and the stream framer — messages
// split across reads at every offset, several per read, keep-alive pings, the size limit, the
// kept buffer given back, and a sink that stops.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/net/tcp_input.h"
#include "mem/pkg.h"

namespace osprey::net {
namespace {

std::string msg(const std::string& callId, const std::string& body = "") {
    return "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n"
           "Call-ID: " +
           callId + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Sink {
    std::vector<std::string> messages;
    int pings = 0;
    int stopAfter = -1;
    bool onMessage(char* p, size_t n) {
        messages.emplace_back(p, n);
        return stopAfter < 0 || static_cast<int>(messages.size()) < stopAfter;
    }
    bool onPing() {
        ++pings;
        return true;
    }
};

class Input : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mem::pkgReady()) {
            ASSERT_TRUE(mem::pkgInit(8u << 20));
        }
    }
    // Feeds `data` in reads of `chunk` octets, as the worker does.
    InputStatus feed(TcpInput& in, const std::string& data, size_t chunk, Sink& sink) {
        size_t at = 0;
        while (at < data.size()) {
            ReadTarget t = in.target(scratch, sizeof scratch);
            if (t.room == 0) return in.commit(0, sink);
            size_t n = std::min({chunk, t.room, data.size() - at});
            std::memcpy(t.data, data.data() + at, n);
            at += n;
            InputStatus s = in.commit(n, sink);
            if (s != InputStatus::Ok) return s;
        }
        return InputStatus::Ok;
    }
    char scratch[65536];
};

TEST_F(Input, MessageSplitAtEveryOffset) {
    const std::string m = msg("split", "hello body");
    for (size_t cut = 1; cut < m.size(); ++cut) {
        TcpInput in;
        Sink sink;
        std::string first = m.substr(0, cut), second = m.substr(cut);
        ASSERT_EQ(feed(in, first, first.size(), sink), InputStatus::Ok);
        EXPECT_TRUE(sink.messages.empty()) << cut;
        EXPECT_EQ(in.pending(), cut);
        ASSERT_EQ(feed(in, second, second.size(), sink), InputStatus::Ok);
        ASSERT_EQ(sink.messages.size(), 1u) << cut;
        EXPECT_EQ(sink.messages[0], m);
        EXPECT_EQ(in.pending(), 0u) << "the kept buffer is given back";
    }
}

TEST_F(Input, ByteByByte) {
    TcpInput in;
    Sink sink;
    const std::string data = msg("a") + msg("b", "xyz");
    ASSERT_EQ(feed(in, data, 1, sink), InputStatus::Ok);
    ASSERT_EQ(sink.messages.size(), 2u);
    EXPECT_EQ(sink.messages[0], msg("a"));
    EXPECT_EQ(sink.messages[1], msg("b", "xyz"));
}

TEST_F(Input, SeveralMessagesAndKeepAlivesInOneRead) {
    TcpInput in;
    Sink sink;
    const std::string data = msg("1") + "\r\n\r\n" + msg("2") + "\r\n" + msg("3") + msg("4");
    ASSERT_EQ(feed(in, data, data.size(), sink), InputStatus::Ok);
    ASSERT_EQ(sink.messages.size(), 4u);
    EXPECT_EQ(sink.messages[3], msg("4"));
    EXPECT_EQ(sink.pings, 1);
    EXPECT_EQ(in.pending(), 0u);
}

TEST_F(Input, OddChunksKeepTheTailBetweenReads) {
    std::string data;
    for (int i = 0; i < 50; ++i) data += msg("c" + std::to_string(i), std::string(i * 37, 'b'));
    for (size_t chunk : {7u, 100u, 999u, 4096u}) {
        TcpInput in;
        Sink sink;
        ASSERT_EQ(feed(in, data, chunk, sink), InputStatus::Ok) << chunk;
        ASSERT_EQ(sink.messages.size(), 50u) << chunk;
        for (int i = 0; i < 50; ++i)
            EXPECT_EQ(sink.messages[i], msg("c" + std::to_string(i), std::string(i * 37, 'b')));
    }
}

TEST_F(Input, MessageOverTheLimitIsAnError) {
    TcpInput in(2048);
    Sink sink;
    EXPECT_EQ(feed(in, msg("big", std::string(3000, 'x')), 512, sink), InputStatus::BadStream);
    EXPECT_EQ(in.error().code, sip::ParseErrc::MessageTooLarge);
    EXPECT_TRUE(sink.messages.empty());

    TcpInput endless(2048);  // a header section that never ends
    EXPECT_EQ(feed(endless, "OPTIONS sip:a SIP/2.0\r\nX: " + std::string(5000, 'y'), 300, sink),
              InputStatus::BadStream);
    EXPECT_EQ(endless.error().code, sip::ParseErrc::MessageTooLarge);
}

TEST_F(Input, MissingContentLengthIsAnError) {
    TcpInput in;
    Sink sink;
    EXPECT_EQ(feed(in, "OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n", 100, sink),
              InputStatus::BadStream);
    EXPECT_EQ(in.error().code, sip::ParseErrc::MissingContentLength);
}

TEST_F(Input, SinkCanStop) {
    TcpInput in;
    Sink sink;
    sink.stopAfter = 1;
    const std::string data = msg("1") + msg("2");
    EXPECT_EQ(feed(in, data, data.size(), sink), InputStatus::Closed);
    EXPECT_EQ(sink.messages.size(), 1u);
}

TEST_F(Input, ResetForgetsAPartialMessage) {
    TcpInput in;
    Sink sink;
    ASSERT_EQ(feed(in, msg("x").substr(0, 20), 20, sink), InputStatus::Ok);
    EXPECT_EQ(in.pending(), 20u);
    in.reset(65536);
    EXPECT_EQ(in.pending(), 0u);
    ASSERT_EQ(feed(in, msg("y"), 1000, sink), InputStatus::Ok);
    ASSERT_EQ(sink.messages.size(), 1u);
    EXPECT_EQ(sink.messages[0], msg("y"));
}

}  // namespace
}  // namespace osprey::net
