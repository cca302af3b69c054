// The published script in shm (core/lua/script_release.h): generations count up, the copy is
// the text as published (not the file), a refused reload is recorded without touching the
// published one, and per-process rows show what each process runs or why it could not switch.
#include <gtest/gtest.h>

#include <string>

#include "core/lua/script_release.h"
#include "mem/pkg.h"
#include "mem/shm.h"

namespace osprey::lua {
namespace {

class ScriptRelease : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mem::shmReady()) {
            ASSERT_TRUE(mem::shmInit(8u << 20));
        }
        if (!mem::pkgReady()) mem::pkgInit(4u << 20);
        ASSERT_TRUE(createScriptRelease());
    }
    void TearDown() override { destroyScriptRelease(); }
};

TEST_F(ScriptRelease, GenerationsCountUpAndTheCopyIsWhatWasPublished) {
    EXPECT_EQ(publishedGeneration(), 0u);
    uint64_t gen = 0;
    ASSERT_TRUE(publishScript("/etc/a.lua", "text one", &gen));
    EXPECT_EQ(gen, 1u);
    ASSERT_TRUE(publishScript("/etc/b.lua", std::string("two\0bytes", 9), &gen));
    EXPECT_EQ(gen, 2u);
    EXPECT_EQ(publishedGeneration(), 2u);

    std::string path, text;
    uint64_t copied = 0;
    ASSERT_TRUE(copyPublishedScript(&path, &text, &copied));
    EXPECT_EQ(path, "/etc/b.lua");
    EXPECT_EQ(text, std::string("two\0bytes", 9));
    EXPECT_EQ(copied, 2u);

    const ScriptStatus s = scriptStatus();
    EXPECT_EQ(s.generation, 2u);
    EXPECT_EQ(s.path, "/etc/b.lua");
    EXPECT_EQ(s.reloads, 1u) << "generation 1 is the start, not a reload";
    EXPECT_TRUE(s.lastReloadOk);
    EXPECT_GT(s.publishedMs, 0);
}

TEST_F(ScriptRelease, ARefusedReloadIsRecordedAndChangesNothingElse) {
    uint64_t gen = 0;
    ASSERT_TRUE(publishScript("/etc/a.lua", "good", &gen));
    recordRefusedReload("/etc/a.lua:3: unexpected symbol near '='");
    const ScriptStatus s = scriptStatus();
    EXPECT_EQ(s.generation, 1u);
    EXPECT_EQ(s.refused, 1u);
    EXPECT_FALSE(s.lastReloadOk);
    EXPECT_EQ(s.lastError, "/etc/a.lua:3: unexpected symbol near '='");
    EXPECT_GT(s.lastReloadMs, 0);
    ASSERT_TRUE(publishScript("/etc/a.lua", "better", &gen));
    EXPECT_TRUE(scriptStatus().lastReloadOk);
    EXPECT_EQ(scriptStatus().lastError, "");
}

TEST_F(ScriptRelease, RowsShowWhatEachProcessRunsAndWhyItCouldNotSwitch) {
    uint64_t gen = 0;
    ASSERT_TRUE(publishScript("/etc/a.lua", "v1", &gen));
    ASSERT_TRUE(publishScript("/etc/a.lua", "v2", &gen));
    recordProcessGeneration(3, 2);
    recordProcessGeneration(4, 1);
    recordProcessFailure(4, 2, 3, 123456, "out of memory");
    ScriptStatus s = scriptStatus();
    ASSERT_EQ(s.processes.size(), 2u);
    EXPECT_EQ(s.processes[0].slot, 3u);
    EXPECT_EQ(s.processes[0].generation, 2u);
    EXPECT_EQ(s.processes[0].failures, 0u);
    EXPECT_EQ(s.processes[1].slot, 4u);
    EXPECT_EQ(s.processes[1].generation, 1u);
    EXPECT_EQ(s.processes[1].failedGeneration, 2u);
    EXPECT_EQ(s.processes[1].failures, 3u);
    EXPECT_EQ(s.processes[1].nextRetryMs, 123456);
    EXPECT_EQ(s.processes[1].error, "out of memory");
    EXPECT_EQ(processGeneration(4), 1u);

    recordProcessGeneration(4, 2);  // the retry worked
    s = scriptStatus();
    EXPECT_EQ(s.processes[1].generation, 2u);
    EXPECT_EQ(s.processes[1].failures, 0u);
    EXPECT_EQ(s.processes[1].error, "");
    clearProcessRow(3);  // stopped
    EXPECT_EQ(scriptStatus().processes.size(), 1u);
}

}  // namespace
}  // namespace osprey::lua
