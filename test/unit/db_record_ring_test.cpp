// RecordRing (core/db/record_ring.h): records come out whole and in order across the buffer's
// wrap, a full ring drops and counts instead of blocking, sequence numbers follow the queue.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/db/record_ring.h"
#include "mem/shm.h"

namespace osprey::db {
namespace {

class RecordRingTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(16u << 20));
        }
    }
};

std::vector<std::string> drainAll(RecordRing& r, uint64_t* through = nullptr) {
    std::vector<char> buf;
    r.drain(buf, through);
    std::vector<std::string> out;
    const char* p = buf.data();
    const char* rec;
    uint32_t len;
    while (RecordRing::next(p, buf.data() + buf.size(), &rec, &len)) out.emplace_back(rec, len);
    return out;
}

TEST_F(RecordRingTest, RecordsComeOutInOrderAcrossTheWrap) {
    RecordRing* r = RecordRing::create(2 * RecordRing::kMaxRecord, -1, true);
    ASSERT_NE(r, nullptr);
    uint64_t expectSeq = 0;
    for (int round = 0; round < 50; ++round) {
        std::vector<std::string> in;
        for (int i = 0; i < 7; ++i) {
            in.push_back(std::string(100 + 37 * i + round, static_cast<char>('a' + i)));
            ASSERT_TRUE(r->push(in.back().data(), static_cast<uint32_t>(in.back().size())));
        }
        expectSeq += in.size();
        uint64_t through = 0;
        EXPECT_EQ(drainAll(*r, &through), in);
        EXPECT_EQ(through, expectSeq);
        EXPECT_TRUE(r->empty());
    }
    EXPECT_EQ(r->dropped(), 0u);
    RecordRing::destroy(r);
}

TEST_F(RecordRingTest, AFullRingDropsAndCounts) {
    RecordRing* r = RecordRing::create(2 * RecordRing::kMaxRecord, -1, false);
    ASSERT_NE(r, nullptr);
    const std::string rec(1000, 'x');
    int pushed = 0;
    while (r->push(rec.data(), static_cast<uint32_t>(rec.size()))) ++pushed;
    EXPECT_GE(pushed, 15);
    EXPECT_EQ(r->dropped(), 1u);
    EXPECT_EQ(r->lastSeq(), static_cast<uint64_t>(pushed));
    EXPECT_EQ(drainAll(*r).size(), static_cast<size_t>(pushed));
    // Too large for any ring: refused, counted.
    const std::string huge(RecordRing::kMaxRecord + 1, 'y');
    EXPECT_FALSE(r->push(huge.data(), static_cast<uint32_t>(huge.size())));
    EXPECT_EQ(r->dropped(), 2u);
    RecordRing::destroy(r);
}

}  // namespace
}  // namespace osprey::db
