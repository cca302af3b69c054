// dns::minAnswerTtl on hand-made DNS messages (RFC 1035 §4.1): the smallest TTL of the records
// of one type, through plain and compressed names; malformed messages refused.
#include <gtest/gtest.h>

#include <string>

#include "core/dns/answer_ttl.h"

namespace osprey::dns {
namespace {

constexpr uint16_t kSrv = 33;
constexpr uint16_t kA = 1;

std::string u16(uint16_t v) {
    return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}
std::string u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)) + u16(static_cast<uint16_t>(v));
}
const std::string kName("\x04_sip\x04_udp\x03svc\x04test\x00", 20);

std::string record(const std::string& name, uint16_t type, uint32_t ttl, const std::string& data) {
    return name + u16(type) + u16(1) + u32(ttl) + u16(static_cast<uint16_t>(data.size())) + data;
}

// A response with one question (kName, SRV) and these answers.
std::string message(const std::vector<std::string>& answers) {
    std::string m = u16(0x1234) + u16(0x8180) + u16(1) +
                    u16(static_cast<uint16_t>(answers.size())) + u16(0) + u16(0);
    m += kName + u16(kSrv) + u16(1);
    for (const std::string& a : answers) m += a;
    return m;
}

bool ttlOf(const std::string& m, uint16_t type, uint32_t* ttl) {
    return minAnswerTtl(reinterpret_cast<const unsigned char*>(m.data()), m.size(), type, ttl);
}

const std::string kPointer("\xC0\x0C", 2);  // to the question's name

TEST(DnsAnswerTtl, TheSmallestTtlOfTheType) {
    const std::string m = message({record(kPointer, kSrv, 300, std::string(8, 'x')),
                                   record(kName, kSrv, 60, std::string(8, 'y')),
                                   record(kPointer, kA, 5, "\x7f\x00\x00\x01")});
    uint32_t ttl = 0;
    ASSERT_TRUE(ttlOf(m, kSrv, &ttl));
    EXPECT_EQ(ttl, 60u);
    ASSERT_TRUE(ttlOf(m, kA, &ttl));
    EXPECT_EQ(ttl, 5u);
    EXPECT_FALSE(ttlOf(m, 35, &ttl)) << "no NAPTR record";
}

TEST(DnsAnswerTtl, ATtlWithTheTopBitSetCountsAsZero) {
    const std::string m = message({record(kPointer, kSrv, 0x80000010u, std::string(8, 'x'))});
    uint32_t ttl = 99;
    ASSERT_TRUE(ttlOf(m, kSrv, &ttl));
    EXPECT_EQ(ttl, 0u);  // RFC 2181 §8
}

TEST(DnsAnswerTtl, MalformedMessagesAreRefused) {
    const std::string m = message({record(kPointer, kSrv, 300, std::string(8, 'x'))});
    uint32_t ttl = 0;
    for (size_t cut = 0; cut < m.size(); ++cut) {
        EXPECT_FALSE(ttlOf(m.substr(0, cut), kSrv, &ttl)) << "cut at " << cut;
    }
    std::string badLabel = m;
    badLabel[12] = '\x40';  // a reserved label type in the question
    EXPECT_FALSE(ttlOf(badLabel, kSrv, &ttl));
}

}  // namespace
}  // namespace osprey::dns
