// dispatcher: reading Kamailio's list format (errors with file:line), laying a list out in shm
// (order, attributes, weights, state carried over a reload) and the failover walk.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "mem/pkg.h"
#include "mem/shm.h"
#include "modules/dispatcher/ds_calls.h"
#include "modules/dispatcher/ds_list.h"
#include "modules/dispatcher/ds_select.h"
#include "modules/dispatcher/ds_source.h"
#include "modules/dispatcher/ds_state.h"
#include "test/support/temp_dir.h"

namespace osprey::dispatcher {
namespace {

class DispatcherList : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        static bool done = false;
        if (done) return;
        done = true;
        ASSERT_TRUE(mem::shmInit(8u << 20));
        mem::pkgInit(4u << 20);
        ASSERT_TRUE(initCalls(4, 60, 60));
    }

    std::vector<Row> read(const std::string& text, std::string* error) {
        const std::string path = dir_.write("dispatcher.list", text);
        std::vector<Row> rows;
        if (!readListFile(path, &rows, error)) rows.clear();
        return rows;
    }

    List* build(const std::string& text, const List* prev = nullptr) {
        std::string error;
        std::vector<Row> rows = read(text, &error);
        EXPECT_TRUE(error.empty()) << error;
        List* l = buildList(rows, prev, &error);
        EXPECT_NE(l, nullptr) << error;
        return l;
    }

    testsupport::TempDir dir_;
};

TEST_F(DispatcherList, ReadsKamailiosLineFormat) {
    std::string error;
    const auto rows = read(
        "# comment\n\n1 sip:127.0.0.1:5080 0 0 duid=abc;socket=udp:127.0.0.1:5060;my=xyz\n"
        "1 sip:127.0.0.1:5090 0x8 7 prefix=49  # trailing comment\n"
        "2 sip:127.0.0.1:5070\n",
        &error);
    ASSERT_EQ(rows.size(), 3u) << error;
    EXPECT_EQ(rows[0].attrs, "duid=abc;socket=udp:127.0.0.1:5060;my=xyz");
    EXPECT_EQ(rows[1].flags, 8u);
    EXPECT_EQ(rows[1].priority, 7);
    EXPECT_EQ(rows[2].setid, 2);
    EXPECT_EQ(rows[2].flags, 0u);
}

TEST_F(DispatcherList, ErrorsNameFileAndLine) {
    std::string error;
    const std::string path = dir_.file("dispatcher.list");
    read("1 sip:a:5060\n\n2\n", &error);
    EXPECT_EQ(error, path + ":3: destination missing after the set id");
    read("1 sip:a 0 0 x=1 extra\n", &error);
    EXPECT_EQ(error, path + ":1: unexpected 'extra' after the attributes");
    read("1 sip:a 0 0\n1 sip:b 128\n", &error);
    EXPECT_EQ(error, path + ":2: flags 128 has unknown bits (known: 1..32)");
    // Errors found while laying the list out carry the row's place too.
    std::vector<Row> rows = read("1 sip:127.0.0.1 0 0 weight=x\n", &error);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(buildList(rows, nullptr, &error), nullptr);
    EXPECT_EQ(error, path + ":1: weight 'x' is not a number");
}

TEST_F(DispatcherList, OrdersSetsAndPrioritiesAndParsesAttributes) {
    List* l = build(
        "7 sip:127.0.0.1:5001 0 1\n3 sip:127.0.0.1:5002 0 1 weight=30;duid=g;maxload=9\n"
        "3 sip:127.0.0.1:5003 4 9 ping_from=sip:p@x\n");
    ASSERT_EQ(l->nSets, 2u);
    EXPECT_EQ(l->sets[0].id, 3);
    EXPECT_EQ(l->sets[1].id, 7);
    EXPECT_EQ(l->findSet(5), nullptr);
    const Set& s = *l->findSet(3);
    ASSERT_EQ(s.count, 2u);
    EXPECT_EQ(l->dest(s, 0).uri.view(), "sip:127.0.0.1:5003");  // priority 9 first
    EXPECT_EQ(l->dest(s, 0).pingFrom.view(), "sip:p@x");
    EXPECT_FALSE(usable(l->dest(s, 0).flags));  // flag 4: disabled
    EXPECT_EQ(l->dest(s, 1).weight, 30);
    EXPECT_EQ(l->dest(s, 1).maxload, 9);
    EXPECT_EQ(l->dest(s, 1).duid.view(), "g");
    EXPECT_EQ(l->dest(s, 1).addr.port(), 5002);
    freeList(l);
}

TEST_F(DispatcherList, WeightTableGivesEachItsPercent) {
    List* l = build(
        "1 sip:127.0.0.1:1 0 0 weight=50\n1 sip:127.0.0.1:2 0 0 weight=30\n"
        "1 sip:127.0.0.1:3 0 0 weight=10\n");
    const Set& s = l->sets[0];
    int n[3] = {};
    for (uint16_t w : s.weights) ++n[w];
    EXPECT_EQ(n[0], 50);
    EXPECT_EQ(n[1], 30);
    EXPECT_EQ(n[2], 20);  // the last fills up to 100
    freeList(l);
}

TEST_F(DispatcherList, FailoverWalksTheSetFromThePickSkippingUnusable) {
    List* l = build("1 sip:127.0.0.1:1\n1 sip:127.0.0.1:2\n1 sip:127.0.0.1:3\n1 sip:127.0.0.1:4\n");
    Set& s = l->sets[0];
    Selection sel;
    ASSERT_EQ(selectFirst(*l, 0, kHashCallId, 2, false, &sel), 2);
    l->dest(s, 3).flags = kInactive;  // goes down after the selection
    EXPECT_EQ(selectNext(&sel), 0);
    EXPECT_EQ(selectNext(&sel), 1);
    EXPECT_EQ(selectNext(&sel), -1);
    // A hashed pick that is down moves to the next usable one.
    ASSERT_EQ(selectFirst(*l, 0, kHashCallId, 3, false, &sel), 0);
    // use_default keeps the last for the end; a limit stops the walk.
    l->dest(s, 3).flags = 0;
    ASSERT_EQ(selectFirst(*l, 0, kPriority, 0, true, &sel), 0);
    EXPECT_EQ(selectNext(&sel), 1);
    EXPECT_EQ(selectNext(&sel), 2);
    EXPECT_EQ(selectNext(&sel), 3);
    EXPECT_EQ(selectNext(&sel), -1);
    ASSERT_EQ(selectFirst(*l, 0, kRoundRobin, 0, false, &sel), 0);
    sel.limit = 2;
    EXPECT_GE(selectNext(&sel), 0);
    EXPECT_EQ(selectNext(&sel), -1);
    freeList(l);
}

TEST_F(DispatcherList, RunTimeStateSurvivesAReload) {
    List* a = build("1 sip:127.0.0.1:1\n1 sip:127.0.0.1:2\n");
    Set& s = a->sets[0];
    applyState(*a, s, a->dest(s, 1), kInactive | kProbing, false);
    List* b = build("1 sip:127.0.0.1:2\n1 sip:127.0.0.1:3\n", a);
    EXPECT_EQ(b->dest(b->sets[0], 0).flags.load() & kInactive, kInactive);
    EXPECT_EQ(b->dest(b->sets[0], 1).flags.load(), 0u);
    freeList(a);
    freeList(b);
}

TEST_F(DispatcherList, StatesParseAndShowAsKamailioDoes) {
    uint32_t bits = 0;
    bool trying = false;
    ASSERT_TRUE(parseState("ip", &bits, &trying));
    EXPECT_EQ(bits, kInactive | kProbing);
    ASSERT_TRUE(parseState("T", &bits, &trying));
    EXPECT_TRUE(trying);
    EXPECT_FALSE(parseState("dp", &bits, &trying));
    EXPECT_FALSE(parseState("x", &bits, &trying));
    char t[3];
    stateLetters(kInactive | kProbing, t);
    EXPECT_STREQ(t, "IP");
    stateLetters(kDisabled, t);
    EXPECT_STREQ(t, "DX");
    stateLetters(kNoPing, t);
    EXPECT_STREQ(t, "AN");
    stateLetters(0, t);
    EXPECT_STREQ(t, "AX");
}

}  // namespace
}  // namespace osprey::dispatcher
