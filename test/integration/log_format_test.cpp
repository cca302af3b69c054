// Log output of the real osprey: log_format = "json" writes one RFC 8259 object per line with
// time, level, pid, process, module, file, line and message, escaped whatever the text holds;
// records of concurrent processes never interleave; log_prefix puts the pvs of the message being
// processed (its Call-ID, its method) at the start of every line about it, and nowhere else.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test/support/json_line.h"
#include "test/support/proc_info.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {
namespace {

using Record = std::map<std::string, std::string>;

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// Every line of the log as a record; fails the test on the first line that is not one.
std::vector<Record> records(const std::string& log) {
    std::vector<Record> out;
    for (const std::string& l : lines(log)) {
        Record r;
        std::string error;
        EXPECT_TRUE(parseJsonRecord(l, &r, &error)) << error << " in:\n" << l;
        out.push_back(std::move(r));
    }
    return out;
}

// "2026-12-06T05:29:13.052Z": RFC 3339, UTC, milliseconds ('d' stands for a digit).
bool isRfc3339Ms(const std::string& t) {
    const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (t.size() != shape.size()) return false;
    for (size_t i = 0; i < t.size(); ++i) {
        if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i]) return false;
    }
    return true;
}

const char* const kFields[] = {"time",   "level", "pid",  "process",
                               "module", "file",  "line", "message"};

std::unique_ptr<ReceivedMsg> options(SipPeer& uac, uint16_t port, const std::string& callId) {
    SipRequest r;
    r.ruri = "sip:bob@127.0.0.1";
    r.callId = callId;
    EXPECT_TRUE(uac.sendTo(buildRequest(uac, r), port));
    return uac.receiveCall(callId);
}

TEST(LogFormat, JsonRecordsParseAndCarryEveryField) {
    // Line 3 logs a text with everything that needs escaping, and bytes that are not UTF-8.
    SipRouterOptions o;
    o.extra = "log_format = \"json\";\n";
    SipRouter router(
        "function ksr_request_route()\n"
        "    local nasty = 'q\"b\\\\t\\tc\\1n\\nu\\195\\169x\\255y'\n"
        "    KSR.info(nasty)\n"
        "    KSR.sl.sl_send_reply(200, 'OK')\n"
        "end\n",
        o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer uac;
    ASSERT_TRUE(options(uac, router.port(), "json-1"));
    ASSERT_NE(router.process().waitForLog("\"module\":\"script\""), std::string::npos)
        << router.log();

    const std::vector<Record> all = records(router.log());
    ASSERT_GT(all.size(), 3u);
    const std::set<std::string> levels = {"err", "warn", "notice", "info", "debug"};
    bool sawScript = false, sawCore = false;
    for (const Record& r : all) {
        for (const char* f : kFields) ASSERT_EQ(r.count(f), 1u) << "no " << f;
        EXPECT_TRUE(isRfc3339Ms(r.at("time"))) << r.at("time");
        EXPECT_EQ(levels.count(r.at("level")), 1u) << r.at("level");
        EXPECT_GT(std::stoi(r.at("pid")), 0);
        EXPECT_FALSE(r.at("process").empty());
        if (r.at("module") == "script") {
            sawScript = true;
            EXPECT_EQ(r.at("level"), "info");
            EXPECT_NE(r.at("file").find("route.lua"), std::string::npos) << r.at("file");
            EXPECT_EQ(r.at("line"), "3");
            EXPECT_EQ(r.at("message"), "q\"b\\t\tc\x01n\nu\xc3\xa9x\xef\xbf\xbdy");
            EXPECT_TRUE(r.at("process").rfind("sip#", 0) == 0) << r.at("process");
        }
        if (r.at("message").rfind("ready: ", 0) == 0) {
            sawCore = true;
            EXPECT_EQ(r.at("module"), "core");
            EXPECT_EQ(r.at("file"), "core/proc/supervisor.cpp");
            EXPECT_GT(std::stoi(r.at("line")), 0);
            EXPECT_EQ(r.at("process"), "master");
            EXPECT_EQ(std::stoi(r.at("pid")), router.process().pid());
        }
    }
    EXPECT_TRUE(sawScript);
    EXPECT_TRUE(sawCore);
}

TEST(LogFormat, ConcurrentProcessesNeverInterleaveRecords) {
    SipRouterOptions o;
    o.children = 4;
    o.modules = "{ name = \"sl\"; }, { name = \"pv\"; }";
    o.extra = "log_format = \"json\";\n";
    // Each request logs a record of ~2 KB (a message is cut at 2 KB; a record is one write).
    SipRouter router(
        "local long = string.rep('0123456789abcdef', 110)\n"
        "function ksr_request_route()\n"
        "    KSR.notice('begin ' .. KSR.pv.get('$ci') .. ' ' .. long .. ' end')\n"
        "    KSR.sl.sl_send_reply(200, 'OK')\n"
        "end\n",
        o);
    ASSERT_TRUE(router.start()) << router.log();
    constexpr int kPeers = 8, kEach = 60;
    std::vector<std::unique_ptr<SipPeer>> peers;
    for (int p = 0; p < kPeers; ++p) peers.push_back(std::make_unique<SipPeer>());
    for (int i = 0; i < kEach; ++i) {
        for (int p = 0; p < kPeers; ++p) {
            SipRequest r;
            r.ruri = "sip:bob@127.0.0.1";
            r.callId = "c-" + std::to_string(p) + "-" + std::to_string(i);
            ASSERT_TRUE(peers[p]->sendTo(buildRequest(*peers[p], r), router.port()));
        }
    }
    const std::string tail(" end");
    ASSERT_TRUE(pollUntil([&] { return router.process().countInLog(" end\"}") >= kPeers * kEach; },
                          20000, 20))
        << router.process().countInLog(" end\"}");

    const std::string long16 = "0123456789abcdef";
    std::string longText;
    for (int i = 0; i < 110; ++i) longText += long16;
    std::set<std::string> pids;
    int routed = 0;
    for (const Record& r : records(router.log())) {
        const std::string& m = r.at("message");
        if (m.rfind("begin ", 0) != 0) continue;
        ++routed;
        pids.insert(r.at("pid"));
        const size_t sp = m.find(' ', 6);
        ASSERT_NE(sp, std::string::npos);
        EXPECT_EQ(m.substr(sp + 1), longText + tail);
    }
    EXPECT_EQ(routed, kPeers * kEach);
    EXPECT_GE(pids.size(), 2u) << "the test needs more than one writing process";
}

TEST(LogPrefix, EveryLineAboutAMessageStartsWithItsCallIdAndMethod) {
    SipRouterOptions o;
    o.extra = "log_prefix = \"{$rm $ci $hdr(X-Absent)} \";\n";
    SipRouter router(
        "function ksr_request_route()\n"
        "    KSR.info('in the route')\n"
        "    KSR.info('about to reply')\n"
        "    KSR.sl.sl_send_reply(200, 'OK')\n"
        "end\n",
        o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer uac;
    ASSERT_TRUE(options(uac, router.port(), "prefix-call-1"));
    ASSERT_TRUE(options(uac, router.port(), "prefix-call-2"));
    ASSERT_NE(router.process().waitForLog("{OPTIONS prefix-call-2"), std::string::npos)
        << router.log();
    const std::string log = router.log();
    // Every line about a message, each message its own; an absent value is <null>.
    for (const char* call : {"prefix-call-1", "prefix-call-2"}) {
        for (const char* text : {"in the route", "about to reply"}) {
            const std::string want = std::string(": {OPTIONS ") + call + " <null>} " + text;
            EXPECT_NE(log.find(want), std::string::npos) << want << "\n" << log;
        }
    }
    // Lines about no message carry no prefix.
    for (const std::string& l : lines(log)) {
        if (l.find("ready: ") != std::string::npos ||
            l.find("running script") != std::string::npos) {
            EXPECT_EQ(l.find('{'), std::string::npos) << l;
        }
    }
}

TEST(LogPrefix, AFailureRouteTheTimerRunsCarriesTheRequestsPrefix) {
    SipPeer uac, silentUas;  // the UAS never answers: fr_timer ends the transaction
    SipRouterOptions o;
    o.modules = "{ name = \"sl\"; }, { name = \"tm\"; params = { fr_timer = 300; }; }";
    o.extra = "log_prefix = \"{$rm $ci} \";\n";
    SipRouter router(
        "function ksr_request_route()\n"
        "    KSR.tm.t_on_failure('on_fail')\n"
        "    KSR.setdsturi('sip:127.0.0.1:" +
            std::to_string(silentUas.port()) +
            "')\n"
            "    KSR.tm.t_relay()\n"
            "end\n"
            "function on_fail() KSR.info('failure route ran') end\n",
        o);
    ASSERT_TRUE(router.start()) << router.log();
    SipRequest r;
    r.ruri = "sip:bob@example.com";
    r.callId = "timed-out-call";
    ASSERT_TRUE(uac.sendTo(buildRequest(uac, r), router.port()));
    ASSERT_NE(router.process().waitForLog("failure route ran", 5000), std::string::npos)
        << router.log();
    const std::string log = router.log();
    const size_t at = log.find("failure route ran");
    const std::string line = log.substr(log.rfind('\n', at) + 1, at - log.rfind('\n', at) - 1);
    EXPECT_NE(line.find("timer"), std::string::npos) << line;
    EXPECT_NE(line.find(": {OPTIONS timed-out-call} "), std::string::npos) << line;
}

TEST(LogPrefix, JsonRecordsCarryItAsAField) {
    SipRouterOptions o;
    o.extra = "log_format = \"json\";\nlog_prefix = \"$ci\";\n";
    SipRouter router(
        "function ksr_request_route() KSR.info('hello') "
        "KSR.sl.sl_send_reply(200, 'OK') end\n",
        o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer uac;
    ASSERT_TRUE(options(uac, router.port(), "json\"prefix"));
    ASSERT_NE(router.process().waitForLog("\"message\":\"hello\""), std::string::npos)
        << router.log();
    bool seen = false;
    for (const Record& r : records(router.log())) {
        if (r.at("message") != "hello") {
            EXPECT_EQ(r.count("prefix"), 0u) << r.at("message");
            continue;
        }
        seen = true;
        ASSERT_EQ(r.count("prefix"), 1u);
        EXPECT_EQ(r.at("prefix"), "json\"prefix");
    }
    EXPECT_TRUE(seen);
}

TEST(LogSettings, BadValuesAreConfigErrorsWithFileAndLine) {
    struct Case {
        const char* line;
        const char* message;
    };
    const Case cases[] = {
        {"log_format = \"xml\";", "log_format must be \"text\" or \"json\""},
        {"log_prefix = \"{$ci $nope}\";", "log_prefix: unknown pseudo-variable '$nope'"},
    };
    for (const Case& c : cases) {
        TempDir dir;
        const std::string cfg =
            dir.write("osprey.cfg", std::string("children = 1;\n") + c.line + "\n");
        const RunResult r = runOsprey({"-c", "-f", cfg});
        EXPECT_NE(r.exitCode, 0) << r.output;
        EXPECT_NE(r.output.find("osprey.cfg:2"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    }
}

}  // namespace
}  // namespace osprey::testsupport
