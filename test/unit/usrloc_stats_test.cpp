// usrloc's statistics (<table>-users, -contacts, -expires) follow the table through every way
// it changes: save (add, refresh, remove one, remove all, contacts expired on the way), remove,
// start-up load and the expiry sweep. The gauges must equal what a walk of the table counts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/stats/read.h"
#include "core/stats/registry.h"
#include "mem/shm.h"
#include "modules/usrloc/table.h"

namespace osprey::usrloc {
namespace {

class UsrlocStats : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(64u << 20));
        }
    }
    void SetUp() override {
        t = createTable("location", 6, 0);
        ASSERT_NE(t, nullptr);
        // Unique names per test: statistics outlive a table in this process.
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        st.users = stats::declareGauge("ultest", name + "-users", "records");
        st.contacts = stats::declareGauge("ultest", name + "-contacts", "contacts");
        st.expires = stats::declareCounter("ultest", name + "-expires", "expired");
        ASSERT_NE(st.users.id, 0);
        setTableStats(t, st);
    }
    void TearDown() override { destroyTable(t); }

    ContactData binding(const std::string& uri, int64_t expires, uint32_t cseq = 1) {
        keep.push_back(uri);
        ContactData c;
        c.uri = keep.back();
        c.callId = "cid";
        c.cseq = cseq;
        c.expires = expires;
        c.lastModified = 1;
        return c;
    }
    SaveStatus save(const std::string& aor, std::vector<ContactData> u, bool all = false) {
        return tableSave(t, aor, u, all, 0, false, now, nullptr, nullptr);
    }
    // The gauges against a walk of the table.
    void expectConsistent(const char* step) {
        const TableCounts tc = tableCounts(t);
        EXPECT_EQ(stats::value(st.users), static_cast<int64_t>(tc.records)) << step;
        EXPECT_EQ(stats::value(st.contacts), static_cast<int64_t>(tc.contacts)) << step;
    }

    Table* t = nullptr;
    TableStats st;
    std::vector<std::string> keep;
    int64_t now = 1'000'000;
};

TEST_F(UsrlocStats, GaugesFollowSavesRefreshesAndRemovals) {
    keep.reserve(64);
    ASSERT_EQ(save("alice", {binding("sip:a@h1", now + 60), binding("sip:a@h2", now + 60)}),
              SaveStatus::Ok);
    ASSERT_EQ(save("bob", {binding("sip:b@h1", now + 60)}), SaveStatus::Ok);
    expectConsistent("added");
    EXPECT_EQ(stats::value(st.users), 2);
    EXPECT_EQ(stats::value(st.contacts), 3);
    ASSERT_EQ(save("alice", {binding("sip:a@h1", now + 90, 2)}), SaveStatus::Ok);
    expectConsistent("refreshed");
    EXPECT_EQ(stats::value(st.contacts), 3);
    ASSERT_EQ(save("alice", {binding("sip:a@h2", 0, 3)}), SaveStatus::Ok);
    expectConsistent("one removed");
    EXPECT_EQ(stats::value(st.contacts), 2);
    ASSERT_EQ(save("alice", {}, true), SaveStatus::Ok);
    expectConsistent("all removed");
    EXPECT_EQ(stats::value(st.users), 1);
    EXPECT_EQ(tableRemove(t, "bob", "sip:b@h1", now), 1);
    expectConsistent("unregistered");
    EXPECT_EQ(stats::value(st.users), 0);
    EXPECT_EQ(stats::value(st.contacts), 0);
    EXPECT_EQ(stats::value(st.expires), 0);
}

TEST_F(UsrlocStats, ExpiryCountsAndLoadAdds) {
    keep.reserve(64);
    ASSERT_TRUE(tableLoad(t, "carol", binding("sip:c@h1", now + 10)));
    ASSERT_TRUE(tableLoad(t, "carol", binding("sip:c@h2", now + 100)));
    ASSERT_TRUE(tableLoad(t, "dave", binding("sip:d@h1", now + 10)));
    expectConsistent("loaded");
    EXPECT_EQ(stats::value(st.contacts), 3);
    // dave's only contact and one of carol's expire in the sweep.
    EXPECT_EQ(tableExpire(t, 0, slotCount(t), now + 50), 2u);
    expectConsistent("swept");
    EXPECT_EQ(stats::value(st.users), 1);
    EXPECT_EQ(stats::value(st.expires), 2);
    // The last one expires while a save for carol looks at the record.
    now += 200;
    ASSERT_EQ(save("carol", {binding("sip:c@h3", now + 60, 5)}), SaveStatus::Ok);
    expectConsistent("expired on save");
    EXPECT_EQ(stats::value(st.expires), 3);
    EXPECT_EQ(stats::value(st.contacts), 1);
}

}  // namespace
}  // namespace osprey::usrloc
