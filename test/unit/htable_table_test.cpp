// The htable table on a real shm segment: set/get of strings and integers, initval and
// sht_inc semantics, expiry on read and by the wheel sweep (including cells due a whole wheel
// turn later), regex and prefix removal, matching, the lock-free iterator, the definition
// string parser, and an insert refused (not a crash) when shm is full.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mem/shm.h"
#include "modules/htable/api.h"
#include "modules/htable/ht_state.h"
#include "modules/htable/table.h"
#include "modules/htable/table_spec.h"

namespace osprey::htable {
namespace {

constexpr int64_t kNow = 1'700'000'000;

class HtableTable : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(64u << 20));
        }
    }
    Table* make(unsigned sizeBits = 4, uint32_t autoexpire = 0, bool initval = false) {
        TableSpec s;
        s.name = "t";
        s.sizeBits = sizeBits;
        s.autoexpire = autoexpire;
        s.hasInitval = initval;
        Table* t = tableCreate(s);
        tables.push_back(t);
        return t;
    }
    void TearDown() override {
        for (Table* t : tables) tableDestroy(t);
    }

    struct Got {
        bool found = false;
        CellView v;
        std::string text;
    };
    static Got get(Table* t, std::string_view key, int64_t now = kNow) {
        Got g;
        g.found = tableGet(
            t, key, now,
            [](void* u, const CellView& c) {
                auto* g2 = static_cast<Got*>(u);
                g2->v = c;
                g2->text = std::string(c.str);
            },
            &g);
        return g;
    }
    static std::vector<std::string> keys(Table* t, int64_t now = kNow) {
        std::vector<std::string> out;
        Cursor c;
        while (tableNext(
            t, c, now,
            [](void* u, const CellView& cv) {
                static_cast<std::vector<std::string>*>(u)->emplace_back(cv.key);
            },
            &out)) {
        }
        return out;
    }

    std::vector<Table*> tables;
};

TEST_F(HtableTable, SetGetStringAndInteger) {
    Table* t = make();
    ASSERT_NE(t, nullptr);
    EXPECT_FALSE(get(t, "a").found);
    ASSERT_TRUE(tableSetStr(t, "a", "short", kNow));
    EXPECT_EQ(get(t, "a").text, "short");
    // Growing beyond the reserved space replaces the cell; the value stays one.
    ASSERT_TRUE(tableSetStr(t, "a", std::string(500, 'x'), kNow));
    EXPECT_EQ(get(t, "a").text, std::string(500, 'x'));
    ASSERT_TRUE(tableSetInt(t, "a", 42, kNow));
    Got g = get(t, "a");
    EXPECT_FALSE(g.v.isStr);
    EXPECT_EQ(g.v.num, 42);
    EXPECT_EQ(tableStats(t).all, 1u);
    EXPECT_EQ(tableDel(t, "a"), 1);
    EXPECT_EQ(tableDel(t, "a"), 0);
    EXPECT_EQ(tableStats(t).all, 0u);
}

TEST_F(HtableTable, IncrementNeedsInitvalOrAnIntegerCell) {
    Table* plain = make();
    int64_t r = 0;
    EXPECT_FALSE(tableAdd(plain, "n", 1, kNow, &r));  // no initval: nothing to start from
    ASSERT_TRUE(tableSetInt(plain, "n", 5, kNow));
    ASSERT_TRUE(tableAdd(plain, "n", 1, kNow, &r));
    EXPECT_EQ(r, 6);
    ASSERT_TRUE(tableSetStr(plain, "s", "x", kNow));
    EXPECT_FALSE(tableAdd(plain, "s", 1, kNow, &r));  // strings are not counters

    Table* counted = make(4, 0, true);
    ASSERT_TRUE(tableAdd(counted, "k", -1, kNow, &r));
    EXPECT_EQ(r, -1);
    ASSERT_TRUE(tableAdd(counted, "k", -1, kNow, &r));
    EXPECT_EQ(r, -2);
}

TEST_F(HtableTable, ExpiredCellsAreInvisibleThenSweptByTheWheel) {
    Table* t = make(6, 10);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(tableSetInt(t, "k" + std::to_string(i), i, kNow));
    ASSERT_TRUE(tableSetStr(t, "long", "v", kNow, 1000));  // more than a wheel turn away
    EXPECT_TRUE(get(t, "k1", kNow + 10).found);            // expire = now + 10: still there at +10
    EXPECT_FALSE(get(t, "k1", kNow + 11).found);           // and gone after
    EXPECT_EQ(tableExpiresIn(t, "long", kNow), 1000);

    EXPECT_EQ(tableExpire(t, kNow), 0u);  // first sweep: nothing due
    EXPECT_EQ(tableExpire(t, kNow + 10), 0u);
    EXPECT_EQ(tableExpire(t, kNow + 11), 100u);  // the first second they are expired
    EXPECT_EQ(tableStats(t).all, 1u);
    // The long one survives the turns before it and goes in the second after it expires.
    for (int64_t s = kNow + 12; s <= kNow + 1000; s += 50) EXPECT_EQ(tableExpire(t, s), 0u);
    EXPECT_EQ(tableExpire(t, kNow + 1000), 0u);
    EXPECT_EQ(tableExpire(t, kNow + 1001), 1u);
    EXPECT_EQ(tableStats(t).all, 0u);
    EXPECT_EQ(tableExpiredCount(t), 101u);
}

TEST_F(HtableTable, SweepSkipsALockedBucketAndComesBackForIt) {
    Table* t = make(4, 1);
    ASSERT_TRUE(tableSetInt(t, "held", 1, kNow));
    tableExpire(t, kNow);
    tableLockKey(t, "held");  // as a script's sht_lock: the sweep must not wait for it
    EXPECT_EQ(tableExpire(t, kNow + 3), 0u);
    tableUnlockKey(t, "held");
    EXPECT_EQ(tableExpire(t, kNow + 4), 1u);
}

TEST_F(HtableTable, UpdateexpireRefreshesOnWrite) {
    Table* t = make(4, 10);
    ASSERT_TRUE(tableSetInt(t, "ip", 1, kNow));
    ASSERT_TRUE(tableSetInt(t, "ip", 2, kNow + 8));  // refreshed: now expires at +18
    EXPECT_TRUE(get(t, "ip", kNow + 15).found);
    tableExpire(t, kNow + 1);
    EXPECT_EQ(tableExpire(t, kNow + 12), 0u);  // the old mark finds nothing due
    EXPECT_EQ(tableExpire(t, kNow + 20), 1u);
}

TEST_F(HtableTable, RegexAndPrefixRemovalAndMatching) {
    Table* t = make();
    ASSERT_TRUE(tableSetStr(t, "alice", "sip:alice@a.example", kNow));
    ASSERT_TRUE(tableSetStr(t, "bob", "sip:bob@b.example", kNow));
    ASSERT_TRUE(tableSetInt(t, "ALIBABA", 40, kNow));
    Matcher* eq = matcherCreate(MatchOp::Eq, "bob");
    Matcher* re = matcherCreate(MatchOp::Re, "^ali");  // case-insensitive, as Kamailio's
    Matcher* val = matcherCreate(MatchOp::Re, "b\\.example$");
    ASSERT_NE(re, nullptr);
    EXPECT_EQ(matcherCreate(MatchOp::Re, "(unclosed"), nullptr);
    EXPECT_TRUE(tableAnyMatch(t, MatchField::Name, *eq, kNow));
    EXPECT_FALSE(tableAnyMatch(t, MatchField::Value, *eq, kNow));
    EXPECT_EQ(tableRemoveMatching(t, MatchField::Value, *val), 1u);
    EXPECT_FALSE(tableAnyMatch(t, MatchField::Name, *eq, kNow));
    EXPECT_EQ(tableRemoveMatching(t, MatchField::Name, *re), 2u);
    EXPECT_EQ(tableStats(t).all, 0u);
    matcherDestroy(eq);
    matcherDestroy(re);
    matcherDestroy(val);
}

TEST_F(HtableTable, IteratorVisitsEveryCellOnceAndSurvivesRemoval) {
    Table* t = make(2);  // 4 buckets: long chains
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(tableSetInt(t, "k" + std::to_string(i), i, kNow));
    std::vector<std::string> all = keys(t);
    EXPECT_EQ(all.size(), 50u);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());

    // Removing the current cell between steps (sht_iterator_rm) does not lose the place.
    Cursor c;
    size_t seen = 0;
    std::string last;
    while (tableNext(
        t, c, kNow,
        [](void* u, const CellView& cv) { *static_cast<std::string*>(u) = std::string(cv.key); },
        &last)) {
        ++seen;
        EXPECT_EQ(tableDel(t, last), 1);
    }
    EXPECT_EQ(seen, 50u);
    EXPECT_EQ(tableStats(t).all, 0u);
}

TEST_F(HtableTable, ProcessesIncrementingTheSameKeysLoseNoUpdate) {
    Table* t = make(1, 0, true);  // 8 buckets: the children contend on every lock
    constexpr int kChildren = 3;
    constexpr int kIncrements = 20000;
    pid_t pids[kChildren];
    for (int c = 0; c < kChildren; ++c) {
        pids[c] = fork();
        if (pids[c] == 0) {
            mem::shmChildInit(static_cast<unsigned>(c + 1));
            int64_t r = 0;
            bool ok = true;
            for (int i = 0; i < kIncrements; ++i) {
                ok = ok && tableAdd(t, "k" + std::to_string(i % 4), 1, kNow, &r);
                // Writers and a remover on other keys of the same buckets meanwhile.
                ok = ok && tableSetStr(t, "s" + std::to_string(c), std::to_string(i), kNow);
                tableDel(t, "s" + std::to_string(c));
            }
            _exit(ok ? 0 : 1);
        }
        ASSERT_GT(pids[c], 0);
    }
    for (pid_t p : pids) {
        int status = 0;
        ASSERT_EQ(waitpid(p, &status, 0), p);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    int64_t total = 0;
    for (int k = 0; k < 4; ++k) total += get(t, "k" + std::to_string(k)).v.num;
    EXPECT_EQ(total, int64_t{kChildren} * kIncrements);
    EXPECT_EQ(tableStats(t).all, 4u);
}

TEST_F(HtableTable, ABucketLeftLockedByADeadProcessIsTakenOver) {
    Table* t = make(1);
    ASSERT_TRUE(tableSetStr(t, "k", "v", kNow));
    const pid_t pid = fork();
    if (pid == 0) {
        mem::shmChildInit(1);
        tableLockKey(t, "k");  // sht_lock, then the process dies holding it
        _exit(0);
    }
    ASSERT_GT(pid, 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(get(t, "k").text, "v");  // takes the lock over instead of waiting forever
    ASSERT_TRUE(tableSetStr(t, "k", "w", kNow));
    EXPECT_EQ(tableStats(t).all, 1u);
}

TEST_F(HtableTable, FullShmRefusesTheInsert) {
    Table* t = make();
    // Values of 1 MiB until the 64 MiB segment is full: every refusal is a false, not a crash.
    std::string big(1u << 20, 'v');
    int stored = 0;
    bool refused = false;
    for (int i = 0; i < 200 && !refused; ++i) {
        if (tableSetStr(t, "big" + std::to_string(i), big, kNow))
            ++stored;
        else
            refused = true;
    }
    EXPECT_TRUE(refused);
    EXPECT_GT(stored, 0);
    EXPECT_EQ(tableStats(t).all, static_cast<size_t>(stored));
    tableFlush(t);
    EXPECT_TRUE(tableSetStr(t, "after", "ok", kNow));  // memory came back
}

TEST_F(HtableTable, ApiForOtherModules) {
    TableSpec s;
    s.name = "apiban";
    s.autoexpire = 300;
    Table* t = tableCreate(s);
    ASSERT_NE(t, nullptr);
    htable::tables().push_back(t);
    const Api& a = api();
    ASSERT_EQ(a.table("apiban"), t);
    EXPECT_EQ(a.table("nosuch"), nullptr);
    EXPECT_FALSE(a.exists(t, "192.0.2.9"));
    ASSERT_TRUE(a.setInt(t, "192.0.2.9", 3));
    int64_t v = 0;
    EXPECT_TRUE(a.getInt(t, "192.0.2.9", &v));
    EXPECT_EQ(v, 3);
    ASSERT_TRUE(a.setStr(t, "s", "text"));
    EXPECT_FALSE(a.getInt(t, "s", &v));  // a string is not an integer
    EXPECT_EQ(a.remove(t, "192.0.2.9"), 1);
    EXPECT_FALSE(a.exists(t, "192.0.2.9"));
    htable::tables().clear();
    tableDestroy(t);
}

TEST(HtableSpec, ParsesKamailioDefinitions) {
    std::vector<TableSpec> specs;
    std::string err, warn;
    ASSERT_TRUE(parseTableSpecs(
        "ipban=>size=8;autoexpire=300; a=>size=1;initval=0;updateexpire=0;dbtable=htable;"
        "dbmode=1;dmqreplicate=1;",
        &specs, &err, &warn))
        << err;
    ASSERT_EQ(specs.size(), 2u);
    EXPECT_EQ(specs[0].name, "ipban");
    EXPECT_EQ(specs[0].sizeBits, 8u);
    EXPECT_EQ(specs[0].autoexpire, 300u);
    EXPECT_FALSE(specs[0].hasInitval);
    EXPECT_EQ(specs[1].sizeBits, 3u);  // Kamailio's floor: 8 buckets
    EXPECT_TRUE(specs[1].hasInitval);
    EXPECT_FALSE(specs[1].updateexpire);
    EXPECT_EQ(specs[1].dbtable, "htable");
    EXPECT_EQ(specs[1].dbmode, 1);
    EXPECT_NE(warn.find("dmqreplicate"), std::string::npos);

    specs.clear();
    EXPECT_FALSE(parseTableSpecs("a=>size=4;colour=red;", &specs, &err, &warn));
    EXPECT_NE(err.find("colour"), std::string::npos);
    EXPECT_FALSE(parseTableSpecs("size=4;", &specs, &err, &warn));
    EXPECT_FALSE(parseTableSpecs("a=>cols='k,v';", &specs, &err, &warn));
    EXPECT_FALSE(parseTableSpecs("a=>dbmode=1;", &specs, &err, &warn));
    specs.clear();
    EXPECT_FALSE(parseTableSpecs("a=>size=4;a=>size=5;", &specs, &err, &warn));
}

}  // namespace
}  // namespace osprey::htable
