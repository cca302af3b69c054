// Logging: the level is checked before formatting (arguments are not even evaluated when
// filtered), each line carries the level and the process prefix, and the signal-safe path
// writes the same shape of line.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>
#include <string>

#include "core/log/log.h"
#include "mem/mem_log.h"

namespace osprey::log {
namespace {

// Captures what the logger writes through a pipe.
class LogCapture : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(pipe2(fds_, O_NONBLOCK), 0);
        init(Target::Stderr, Level::Notice);
        setProcessName("tester");
        setOutputFd(fds_[1]);
    }
    void TearDown() override {
        setOutputFd(2);
        setLevel(Level::Notice);
        close(fds_[0]);
        close(fds_[1]);
    }
    std::string drain() {
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = read(fds_[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        return out;
    }
    static size_t lines(const std::string& s) {
        size_t n = 0;
        for (char c : s) n += c == '\n';
        return n;
    }
    int fds_[2] = {-1, -1};
};

TEST_F(LogCapture, LevelsAboveTheThresholdAreDropped) {
    const Level all[] = {Level::Err, Level::Warn, Level::Notice, Level::Info, Level::Debug};
    for (Level threshold : all) {
        setLevel(threshold);
        EXPECT_EQ(level(), threshold);
        LM_ERR("e");
        LM_WARN("w");
        LM_NOTICE("n");
        LM_INFO("i");
        LM_DBG("d");
        std::string out = drain();
        size_t expected =
            static_cast<size_t>(static_cast<int>(threshold) - static_cast<int>(Level::Err) + 1);
        EXPECT_EQ(lines(out), expected) << levelName(threshold) << ":\n" << out;
        for (Level l : all)
            EXPECT_EQ(enabled(l), static_cast<int>(l) <= static_cast<int>(threshold));
    }
}

TEST_F(LogCapture, FilteredCallsDoNotEvaluateTheirArguments) {
    setLevel(Level::Warn);
    int evaluated = 0;
    auto costly = [&] {
        ++evaluated;
        return "x";
    };
    LM_INFO("%s", costly());
    LM_DBG("%s", costly());
    EXPECT_EQ(evaluated, 0);
    LM_WARN("%s", costly());
    EXPECT_EQ(evaluated, 1);
    EXPECT_EQ(lines(drain()), 1u);
}

TEST_F(LogCapture, LinesCarryLevelAndProcessPrefix) {
    LM_ERR("disk %s is %d%% full", "sda", 99);
    std::string out = drain();
    std::string prefix = "ERROR tester[" + std::to_string(getpid()) + "]: disk sda is 99% full\n";
    EXPECT_NE(out.find(prefix), std::string::npos) << out;
    setProcessName("sip#3");
    LM_NOTICE("again");
    EXPECT_NE(drain().find("NOTICE sip#3[" + std::to_string(getpid()) + "]: again"),
              std::string::npos);
}

TEST_F(LogCapture, OverlongMessagesAreCutAndMarked) {
    std::string big(5000, 'a');
    LM_ERR("%s", big.c_str());
    std::string out = drain();
    EXPECT_EQ(lines(out), 1u);
    EXPECT_LT(out.size(), big.size());
    EXPECT_NE(out.find("...\n"), std::string::npos);
}

TEST_F(LogCapture, RawWriteHasTheSameShape) {
    const char text[] = "crash: test";
    writeRaw(Level::Err, text, sizeof text - 1);
    std::string out = drain();
    EXPECT_NE(out.find("ERROR tester[" + std::to_string(getpid()) + "]: crash: test\n"),
              std::string::npos)
        << out;
    // HH:MM:SS.mmm at the start, like the formatted lines.
    ASSERT_GE(out.size(), 13u);
    EXPECT_EQ(out[2], ':');
    EXPECT_EQ(out[5], ':');
    EXPECT_EQ(out[8], '.');
}

TEST_F(LogCapture, MemLayerLogsThroughTheSameSinkAndLevel) {
    mem::memLog(3, "heap %s", "broken");
    mem::memLog(7, "chatty");  // debug: filtered at notice
    std::string out = drain();
    EXPECT_NE(out.find("ERROR tester["), std::string::npos);
    EXPECT_NE(out.find("mem: heap broken"), std::string::npos) << out;
    EXPECT_EQ(out.find("chatty"), std::string::npos);
}

TEST(LogLevel, ParsesConfigSpellings) {
    Level l = Level::Err;
    EXPECT_TRUE(parseLevel("debug", l));
    EXPECT_EQ(l, Level::Debug);
    EXPECT_TRUE(parseLevel("Warning", l));
    EXPECT_EQ(l, Level::Warn);
    EXPECT_TRUE(parseLevel("ERROR", l));
    EXPECT_EQ(l, Level::Err);
    EXPECT_TRUE(parseLevel("6", l));
    EXPECT_EQ(l, Level::Info);
    for (const char* bad : {"", "loud", "8", "2", "notic", "debugx"})
        EXPECT_FALSE(parseLevel(bad, l)) << bad;
    for (Level x : {Level::Err, Level::Warn, Level::Notice, Level::Info, Level::Debug}) {
        Level back;
        ASSERT_TRUE(parseLevel(levelName(x), back));
        EXPECT_EQ(back, x);
    }
}

}  // namespace
}  // namespace osprey::log
