// $shv: one value for every process. The table is made in "the master" (this test process)
// before fork; a child's writes are seen by the parent and the other way round.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/pv/pv_cache.h"
#include "core/pv/pv_name.h"
#include "core/pv/shared_vars.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::pv {
namespace {

class PvShared : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(8u << 20));
        }
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
        ASSERT_TRUE(sharedVarsInit());
        ASSERT_TRUE(sharedVarsInit()) << "a second call is a no-op";
    }
};

// Runs f in a forked child; true when it exited 0.
template <class F>
bool inChild(F f) {
    const pid_t pid = fork();
    if (pid == 0) {
        mem::shmChildInit(1);
        _exit(f() ? 0 : 1);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

TEST_F(PvShared, NamesParseAndStartAsZero) {
    PvLookup r = pvLookup("$shv(calls)");
    ASSERT_EQ(r.error, PvNameError::Ok);
    EXPECT_EQ(r.spec.kind, PvKind::SharedVar);
    ASSERT_GE(r.spec.slot, 0);
    EXPECT_EQ(std::get<int64_t>(sharedVarGet(r.spec.slot)), 0);
    EXPECT_TRUE(pvWritable(PvKind::SharedVar));
    EXPECT_EQ(sharedVarSlot(std::string(kMaxSharedVarName + 1, 'n')), -1);
    EXPECT_FALSE(sharedVarSetStr(r.spec.slot, std::string(kMaxSharedVarText + 1, 'x')));
}

TEST_F(PvShared, ValuesCrossProcesses) {
    const int32_t slot = sharedVarSlot("cross");
    ASSERT_GE(slot, 0);
    ASSERT_TRUE(sharedVarSetInt(slot, 41));
    ASSERT_TRUE(inChild([&] {
        const lua::PvValue got = sharedVarGet(sharedVarSlot("cross"));
        const auto* v = std::get_if<int64_t>(&got);
        if (v == nullptr || *v != 41) return false;
        // A new variable created in the child gets a slot every process agrees on.
        const int32_t mine = sharedVarSlot("from_child");
        return sharedVarSetStr(slot, "set by the child") && mine >= 0 && sharedVarSetInt(mine, 7);
    }));
    EXPECT_EQ(std::get<std::string_view>(sharedVarGet(slot)), "set by the child");
    const int32_t fromChild = sharedVarSlot("from_child");
    ASSERT_GE(fromChild, 0);
    EXPECT_EQ(std::get<int64_t>(sharedVarGet(fromChild)), 7);
}

TEST_F(PvShared, ConcurrentWritesNeverShowATornValue) {
    const int32_t slot = sharedVarSlot("text");
    // Writers replace a long text while readers check it is never torn.
    auto writer = [&](char c) {
        for (int i = 0; i < 2000; ++i) {
            if (!sharedVarSetStr(slot, std::string(200 + (i % 50), c))) return false;
        }
        return true;
    };
    auto reader = [&] {
        for (int i = 0; i < 2000; ++i) {
            auto v = sharedVarGet(slot);
            const auto* s = std::get_if<std::string_view>(&v);
            if (s == nullptr) continue;
            for (char ch : *s) {
                if (ch != (*s)[0]) return false;
            }
        }
        return true;
    };
    ASSERT_TRUE(sharedVarSetStr(slot, "a"));
    const pid_t pid = fork();
    if (pid == 0) {
        mem::shmChildInit(2);
        _exit(writer('b') && reader() ? 0 : 1);
    }
    const bool ok = writer('c') && reader();
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace osprey::pv
