// JSON log records (core/log/json_record.h): RFC 3339 times, the module derived from the file,
// escaping of everything RFC 8259 requires, invalid UTF-8 replaced, and a cut record that is
// still a whole object - each checked with the strict parser the integration tests use.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "core/log/json_record.h"
#include "test/support/json_line.h"

namespace osprey::log {
namespace {

std::string rfc3339(time_t secs, long nsec) {
    char out[24];
    formatRfc3339Utc(timespec{secs, nsec}, out);
    return std::string(out, sizeof out);
}

TEST(LogJson, TimesAreRfc3339UtcWithMilliseconds) {
    EXPECT_EQ(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(rfc3339(951782400, 999999999), "2000-02-29T00:00:00.999Z");
    EXPECT_EQ(rfc3339(1700000000, 123000000), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(rfc3339(4102444799, 5000000), "2099-12-31T23:59:59.005Z");
}

TEST(LogJson, ModuleComesFromTheFile) {
    char m[32];
    EXPECT_STREQ(moduleOfFile("modules/tm/t_reply.cpp", m, sizeof m), "tm");
    EXPECT_STREQ(moduleOfFile("core/net/udp_worker.cpp", m, sizeof m), "core");
    EXPECT_STREQ(moduleOfFile("mem/shm.cpp", m, sizeof m), "mem");
    EXPECT_STREQ(moduleOfFile("/etc/osprey/osprey.lua", m, sizeof m), "script");
    EXPECT_STREQ(moduleOfFile(nullptr, m, sizeof m), "core");
}

std::map<std::string, std::string> parse(const std::string& message, size_t cap = 4096,
                                         const char* prefix = nullptr) {
    RecordFields f{};
    f.time = timespec{1700000000, 0};
    f.level = "info";
    f.pid = 42;
    f.process = "sip#1";
    f.file = "core/x.cpp";
    f.line = 7;
    f.message = message.data();
    f.messageLen = message.size();
    f.prefix = prefix;
    f.prefixLen = prefix != nullptr ? std::strlen(prefix) : 0;
    std::string buf(cap, '\0');
    const size_t n = formatJsonRecord(f, buf.data(), buf.size());
    EXPECT_LE(n, cap);
    EXPECT_EQ(buf[n - 1], '\n');
    EXPECT_EQ(std::string_view(buf.data(), n - 1).find('\n'), std::string_view::npos);
    std::map<std::string, std::string> r;
    std::string error;
    EXPECT_TRUE(testsupport::parseJsonRecord(std::string_view(buf.data(), n - 1), &r, &error))
        << error << ": " << std::string(buf.data(), n);
    return r;
}

TEST(LogJson, EscapesWhatJsonRequires) {
    const std::string text = std::string("a\"b\\c\nd\re\tf") + '\x01' + '\x1f' + '\x7f' + "/é€😀";
    auto r = parse(text, 4096, "{$ci} \"x\"");
    EXPECT_EQ(r["message"], text);
    EXPECT_EQ(r["prefix"], "{$ci} \"x\"");
    EXPECT_EQ(r["time"], "2023-11-14T22:13:20.000Z");
    EXPECT_EQ(r["pid"], "42");
    EXPECT_EQ(r["line"], "7");
    EXPECT_EQ(r["module"], "core");
    EXPECT_EQ(r["file"], "core/x.cpp");
    EXPECT_EQ(r["process"], "sip#1");
    EXPECT_EQ(r["level"], "info");
    EXPECT_EQ(parse("plain").count("prefix"), 0u);
}

TEST(LogJson, InvalidUtf8BecomesTheReplacementCharacter) {
    const std::string fffd = "\xef\xbf\xbd";
    EXPECT_EQ(parse("a\xff"
                    "b")["message"],
              "a" + fffd + "b");
    EXPECT_EQ(parse("\xc0\x80")["message"], fffd + fffd);                        // overlong NUL
    EXPECT_EQ(parse("\xed\xa0\x80")["message"], fffd + fffd + fffd);             // a surrogate
    EXPECT_EQ(parse("x\xe2\x82")["message"], "x" + fffd + fffd);                 // cut sequence
    EXPECT_EQ(parse("\xf4\x90\x80\x80")["message"], fffd + fffd + fffd + fffd);  // > U+10FFFF
}

TEST(LogJson, ALongRecordIsCutButStaysAnObject) {
    std::string text;
    for (int i = 0; i < 3000; ++i) text += "\"\xc3\xa9";  // escapes and 2-byte characters
    auto r = parse(text, 1024);
    const std::string& m = r["message"];
    ASSERT_GE(m.size(), 3u);
    EXPECT_EQ(m.substr(m.size() - 3), "...");
    EXPECT_EQ(text.compare(0, m.size() - 3, m, 0, m.size() - 3), 0);  // a prefix, whole chars
}

}  // namespace
}  // namespace osprey::log
