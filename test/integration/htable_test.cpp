// htable end to end with the real osprey: KSR.htable.* and $sht(table=>key) from Lua with
// Kamailio's return codes, values shared by every process (the script writes, RPC in the
// control process reads), automatic expiry by the timer process, the reference script's
// "ipban" pattern (sht_seti + sht_match_name, then the banned source is dropped), SQLite
// load and dbmode=1 save across a restart, and the htable.* RPC methods through kamcmd and
// ospreyctl.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

#include "test/integration/rpc_test_util.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

// The script runs the Lua chunk named by the X-Test header and answers 200 with the chunk's
// result as the reason phrase; "flood" bans the source, and banned sources are dropped first,
// as Kamailio's reference script does with pike and the ipban table.
constexpr const char* kScript = R"lua(
local tests = {}

tests.kemi = function()
    local r = {}
    local function add(v) r[#r + 1] = tostring(v) end
    add(KSR.htable.sht_sets("t", "name", "alice"))
    add(KSR.htable.sht_get("t", "name"))
    add(KSR.htable.sht_seti("t", "n", 41))
    add(KSR.htable.sht_inc("t", "n"))
    add(KSR.htable.sht_dec("t", "n"))
    add(KSR.htable.sht_inc("t", "name"))            -- a string: -255
    add(KSR.htable.sht_get("t", "missing"))         -- nil
    add(KSR.htable.sht_gete("t", "missing") == "")
    add(KSR.htable.sht_getw("t", "missing"))
    add(KSR.htable.sht_is_null("t", "missing"))     -- 1
    add(KSR.htable.sht_is_null("t", "name"))        -- -1
    add(KSR.htable.sht_is_null("nosuch", "x"))      -- 2
    add(KSR.htable.sht_is_null("c", "x"))           -- -2: initval
    add(KSR.htable.sht_get("c", "x"))               -- initval 0
    add(KSR.htable.sht_inc("c", "x"))               -- 1
    add(KSR.htable.sht_match_name("t", "eq", "name"))
    add(KSR.htable.sht_match_name("t", "eq", "nobody"))
    add(KSR.htable.sht_match_str_value("t", "sw", "ali"))
    add(KSR.htable.sht_has_name("t", "re", "^NA"))  -- case-insensitive, as Kamailio's
    -- $sht through the pv module, with a pseudo-variable in the key
    add(KSR.pv.sets("$sht(t=>from-$rm)", "pv-set"))
    add(KSR.htable.sht_get("t", "from-OPTIONS"))
    add(KSR.pv.seti("$sht(t=>count)", 7))
    add(KSR.pv.get("$sht(t=>count)"))
    KSR.pv.unset("$sht(t=>count)")
    add(KSR.pv.get("$sht(t=>count)"))
    add(KSR.htable.sht_setxs("t", "tmp", "x", 100))
    add(KSR.htable.sht_setxi("t", "tmp2", 5, 100))  -- 0, Kamailio's quirk
    add(KSR.htable.sht_rm_name_re("t", "^tmp"))
    add(KSR.htable.sht_rm_name("t", "sw", ""))      -- -1: would match everything
    add(KSR.htable.sht_rm_value("t", "eq", "x"))    -- -1: removal takes re or sw only
    add(KSR.htable.sht_get("t", "tmp2"))
    add(KSR.htable.sht_rm("t", "name"))
    add(KSR.htable.sht_get("t", "name"))
    return table.concat(r, " ")
end

tests.iterate = function()
    KSR.htable.sht_reset("it")
    for i = 1, 5 do KSR.htable.sht_seti("it", "k" .. i, i) end
    local sum, seen = 0, 0
    KSR.htable.sht_iterator_start("i1", "it")
    while KSR.htable.sht_iterator_next("i1") > 0 do
        seen = seen + 1
        sum = sum + KSR.pv.get("$shtitval(i1)")
        if KSR.pv.get("$shtitkey(i1)") == "k3" then KSR.htable.sht_iterator_seti("i1", 30) end
    end
    KSR.htable.sht_iterator_end("i1")
    local after = KSR.htable.sht_iterator_next("i1")  -- ended: -1
    local k3 = tostring(KSR.htable.sht_get("it", "k3"))
    -- sht_iterator_rm: 1 while an item follows, -2 after the last one
    local rms = {}
    KSR.htable.sht_iterator_start("i2", "it")
    KSR.htable.sht_iterator_next("i2")
    for _ = 1, 5 do rms[#rms + 1] = KSR.htable.sht_iterator_rm("i2") end
    KSR.htable.sht_iterator_end("i2")
    return seen .. " " .. sum .. " " .. k3 .. " " .. after .. " " .. table.concat(rms, ",") .. " " .. tostring(KSR.htable.sht_get("it", "k1"))
end

tests.pvs = function()
    KSR.htable.sht_setxi("e", "k", 1, 120)
    return KSR.pv.get("$shtex(e=>k)") .. " " .. KSR.pv.get("$shtex(e=>none)") .. " " ..
        KSR.pv.get("$shtinc(c=>hits)") .. " " .. KSR.pv.get("$shtinc(c=>hits)") .. " " ..
        tostring(KSR.pv.get("$sht(nosuch=>k)"))
end

tests.fill = function()
    local big = string.rep("x", 256 * 1024)
    local ok, fail = 0, 0
    for i = 1, 200 do
        if KSR.htable.sht_sets("t", "big" .. i, big) == 1 then ok = ok + 1 else fail = fail + 1 end
    end
    return ok .. " " .. fail
end
tests.small = function()
    return tostring(KSR.htable.sht_sets("t", "small", "v"))
end

tests.setshort = function()
    return tostring(KSR.htable.sht_sets("short", "k", "v"))
end
tests.getshort = function()
    return tostring(KSR.htable.sht_get("short", "k"))
end
tests.setpersist = function()
    KSR.htable.sht_sets("persist", "written", "by-script")
    return tostring(KSR.htable.sht_seti("persist", "count", 12))
end
tests.getpersist = function()
    return tostring(KSR.htable.sht_get("persist", "name")) .. " " ..
        tostring(KSR.htable.sht_get("persist", "num")) .. " " ..
        tostring(KSR.htable.sht_get("persist", "arr[1]")) .. " " ..
        tostring(KSR.htable.sht_get("persist", "arr::size")) .. " " ..
        tostring(KSR.htable.sht_get("persist", "written"))
end

function ksr_request_route()
    local srcip = KSR.pv.get("$si")
    if KSR.htable.sht_match_name("ipban", "eq", srcip) > 0 then
        KSR.x.exit()  -- banned: dropped without an answer
    end
    local name = KSR.hdr.get("X-Test")
    if name == "flood" then
        KSR.htable.sht_seti("ipban", srcip, 1)
        KSR.x.exit()
    end
    local t = tests[name]
    if t == nil then
        KSR.sl.sl_send_reply(200, "OK")
        return
    end
    KSR.sl.sl_send_reply(200, t())
end
)lua";

SipRouterOptions htableOptions(const std::string& params, const std::string& extra = "") {
    SipRouterOptions o;
    o.children = 2;
    o.controlSocket = true;
    o.modules = "{ name = \"sl\"; }, { name = \"pv\"; }, { name = \"htable\"; params = { " +
                params + " }; }";
    o.extra = extra;
    return o;
}

constexpr const char* kTables =
    "htable = \"t=>size=4; c=>size=2;initval=0; it=>size=1; ipban=>size=8;autoexpire=300; "
    "short=>size=4;autoexpire=1; e=>size=2;autoexpire=3600;\"; timer_interval = 1;";

// Sends an OPTIONS with X-Test: name; the reason phrase of the answer, or "<none>".
std::string run(SipRouter& r, const std::string& name, int waitMs = 3000) {
    SipPeer uac;
    SipRequest req;
    req.ruri = r.uri();
    req.extraHeaders = "X-Test: " + name + "\r\n";
    if (!uac.sendTo(buildRequest(uac, req), r.port())) return "<send failed>";
    auto resp = uac.receiveMsg(waitMs);
    return resp ? resp->reason() : "<none>";
}

RunResult kamcmd(SipRouter& r, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-s", "unix:" + r.process().dir().file("osprey_ctl")};
    a.insert(a.end(), args.begin(), args.end());
    return runOsprey(a, 10000, kKamcmd);
}

RunResult ctl(SipRouter& r, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-c", r.process().dir().file("osprey.cfg")};
    a.insert(a.end(), args.begin(), args.end());
    return runOsprey(a, 10000, ospreyctlBinary());
}

TEST(Htable, KemiFunctionsAndShtWithKamailioReturnCodes) {
    SipRouter r(kScript, htableOptions(kTables));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_EQ(run(r, "kemi"),
              "1 alice 1 42 41 -255 nil true <<null>> 1 -1 2 -2 0 1 1 -1 1 1 1 pv-set 1 7 nil 1 "
              "0 1 -1 -1 nil 1 nil")
        << r.log();
    // The workers' writes are in shm: the control process sees them.
    RunResult got = kamcmd(r, {"htable.get", "t", "n"});
    EXPECT_EQ(got.exitCode, 0) << got.output;
    EXPECT_NE(got.output.find("value: 41"), std::string::npos) << got.output;
    EXPECT_EQ(run(r, "iterate"), "5 15 30 -1 1,1,1,1,-2 nil") << r.log();
    const std::string pvs = run(r, "pvs");
    EXPECT_TRUE(pvs == "120 0 1 2 nil" || pvs == "119 0 1 2 nil") << pvs;  // a second passed
}

TEST(Htable, ShortAutoexpireIsSweptByTheTimer) {
    SipRouter r(kScript, htableOptions(kTables));
    ASSERT_TRUE(r.start()) << r.log();
    ASSERT_EQ(run(r, "setshort"), "1");
    EXPECT_EQ(run(r, "getshort"), "v");
    // Poll htable.stats until the timer process freed the cell (autoexpire=1, sweeps every
    // second): the count of cells in the table, not a read that merely hides expired ones.
    bool swept = false;
    for (int i = 0; i < 100 && !swept; ++i) {
        RunResult s = ctl(r, {"-j", "htable.stats"});
        rpc::Value v = parseJsonOutput(s.output);
        for (const rpc::Value& t : v.items()) {
            const rpc::Value* name = t.find("name");
            const rpc::Value* all = t.find("all");
            if (name && all && name->asString() == "short" && all->asInt() == 0) swept = true;
        }
        if (!swept) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(swept) << r.log();
    EXPECT_EQ(run(r, "getshort"), "nil");
}

TEST(Htable, IpbanPatternDropsTheBannedSourceUntilRemoved) {
    SipRouter r(kScript, htableOptions(kTables));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_EQ(run(r, "none"), "OK");
    EXPECT_EQ(run(r, "flood", 500), "<none>");  // banned and dropped
    EXPECT_EQ(run(r, "none", 500), "<none>");   // every later request is dropped too
    RunResult dump = kamcmd(r, {"htable.dump", "ipban"});
    EXPECT_NE(dump.output.find("name: 127.0.0.1"), std::string::npos) << dump.output;
    RunResult del = kamcmd(r, {"htable.delete", "ipban", "127.0.0.1"});
    EXPECT_NE(del.output.find("Ok. Key deleted."), std::string::npos) << del.output;
    EXPECT_EQ(run(r, "none"), "OK");
}

TEST(Htable, RpcMethodsAnswerAsKamailio) {
    SipRouter r(kScript, htableOptions(kTables));
    ASSERT_TRUE(r.start()) << r.log();
    EXPECT_NE(kamcmd(r, {"htable.sets", "t", "a", "text"}).output.find("Ok. Key set to new value."),
              std::string::npos);
    EXPECT_NE(kamcmd(r, {"htable.seti", "t", "b", "12"}).output.find("Ok. Key set to new value."),
              std::string::npos);
    RunResult get = ctl(r, {"-j", "htable.get", "t", "a"});
    rpc::Value v = parseJsonOutput(get.output);
    const rpc::Value* item = v.find("item");
    ASSERT_NE(item, nullptr) << get.output;
    EXPECT_EQ(item->find("value")->asString(), "text");
    EXPECT_EQ(item->find("flags")->asInt(), 2);
    EXPECT_EQ(item->find("expire")->asString(), "NEVER");
    RunResult missing = kamcmd(r, {"htable.get", "t", "zz"});
    EXPECT_NE(missing.output.find("Key name doesn't exist in htable."), std::string::npos)
        << missing.output;
    RunResult notFound = kamcmd(r, {"htable.delete", "t", "zz"});
    EXPECT_NE(notFound.output.find("404"), std::string::npos) << notFound.output;
    RunResult noTable = kamcmd(r, {"htable.dump", "nosuch"});
    EXPECT_NE(noTable.output.find("No such htable"), std::string::npos) << noTable.output;

    RunResult stats = ctl(r, {"-j", "htable.stats"});
    rpc::Value sv = parseJsonOutput(stats.output);
    bool sawT = false;
    for (const rpc::Value& t : sv.items()) {
        if (t.find("name")->asString() != "t") continue;
        sawT = true;
        EXPECT_EQ(t.find("slots")->asInt(), 16);
        EXPECT_EQ(t.find("all")->asInt(), 2);
    }
    EXPECT_TRUE(sawT) << stats.output;
    EXPECT_NE(kamcmd(r, {"htable.flush", "t"}).output.find("Ok. Htable flushed."),
              std::string::npos);
    EXPECT_NE(kamcmd(r, {"htable.get", "t", "b"}).output.find("doesn't exist"), std::string::npos);
    RunResult reload = kamcmd(r, {"htable.reload", "t"});
    EXPECT_NE(reload.output.find("No htable db_url"), std::string::npos) << reload.output;
}

void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
}

TEST(Htable, SqliteLoadAndDbmodeSaveAcrossARestart) {
    TempDir data;
    const std::string dbPath = data.file("ht.db");
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(dbPath.c_str(), &db), SQLITE_OK);
        // Kamailio's htable schema, as kamdbctl creates it.
        exec(db,
             "CREATE TABLE htable (id INTEGER PRIMARY KEY NOT NULL, key_name VARCHAR(64) "
             "DEFAULT '' NOT NULL, key_type INTEGER DEFAULT 0 NOT NULL, value_type INTEGER "
             "DEFAULT 0 NOT NULL, key_value VARCHAR(128) DEFAULT '' NOT NULL, expires INTEGER "
             "DEFAULT 0 NOT NULL);"
             "INSERT INTO htable (key_name, key_type, value_type, key_value) VALUES "
             "('name', 0, 0, 'alice'), ('num', 0, 1, '42'), ('arr', 1, 0, 'a0'), "
             "('arr', 1, 0, 'a1');");
        sqlite3_close(db);
    }
    const std::string params = "db_url = \"sqlite://" + dbPath +
                               "\"; htable = \"persist=>size=4;dbtable=htable;dbmode=1;\";";
    {
        SipRouter r(kScript, htableOptions(params));
        ASSERT_TRUE(r.start()) << r.log();
        EXPECT_EQ(run(r, "getpersist"), "alice 42 a1 2 nil") << r.log();
        EXPECT_EQ(run(r, "setpersist"), "1");
        RunResult reload = kamcmd(r, {"htable.reload", "persist"});  // back to the file's rows
        EXPECT_NE(reload.output.find("Ok. Htable reloaded."), std::string::npos) << reload.output;
        EXPECT_EQ(run(r, "getpersist"), "alice 42 a1 2 nil");
        EXPECT_EQ(run(r, "setpersist"), "1");
        RunResult store = kamcmd(r, {"htable.store", "persist"});
        EXPECT_NE(store.output.find("Ok. Htable successfully stored to DB."), std::string::npos)
            << store.output;
        RunResult reread = kamcmd(r, {"htable.reload", "persist"});  // what store wrote
        EXPECT_NE(reread.output.find("Ok. Htable reloaded."), std::string::npos);
        EXPECT_EQ(run(r, "getpersist"), "alice 42 a1 2 by-script");
        EXPECT_EQ(r.process().stop(10000), 0) << r.log();  // dbmode=1: saved at shutdown
    }
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(dbPath.c_str(), &db), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db,
                                     "SELECT value_type, key_value FROM htable WHERE "
                                     "key_name = 'count'",
                                     -1, &st, nullptr),
                  SQLITE_OK);
        ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
        EXPECT_EQ(sqlite3_column_int(st, 0), 1);
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), "12");
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    SipRouter again(kScript, htableOptions(params));
    ASSERT_TRUE(again.start()) << again.log();
    // Saved array elements come back as plain keys (Kamailio saves key_type 0 too).
    EXPECT_EQ(run(again, "getpersist"), "alice 42 a1 2 by-script") << again.log();
}

TEST(Htable, FullSharedMemoryFailsTheWriteNotTheRouter) {
    SipRouter r(kScript, htableOptions(kTables));  // 16 MiB of shm: 50 MiB do not fit
    ASSERT_TRUE(r.start()) << r.log();
    const std::string res = run(r, "fill", 10000);
    int ok = -1, fail = -1;
    ASSERT_EQ(sscanf(res.c_str(), "%d %d", &ok, &fail), 2) << res << r.log();
    EXPECT_GT(ok, 0);
    EXPECT_GT(fail, 0);               // refused with -1 once shm was full
    EXPECT_EQ(run(r, "none"), "OK");  // the router goes on answering
    EXPECT_NE(r.log().find("out of shared memory"), std::string::npos);
    EXPECT_NE(kamcmd(r, {"htable.flush", "t"}).output.find("Ok. Htable flushed."),
              std::string::npos);
    EXPECT_EQ(run(r, "small"), "1");  // the memory came back
}

TEST(Htable, DbExpiresKeepsAnItemsExpiryAcrossARestart) {
    TempDir data;
    const std::string params = "db_url = \"sqlite://" + data.file("exp.db") +
                               "\"; db_expires = 1; htable = \"e=>size=2;autoexpire=3600;"
                               "dbtable=htexp;dbmode=1;\";";
    // The expiry is set between t0 and t1 (seconds): its minute is one of theirs + 600 s.
    auto minuteOf = [](time_t t) {
        char buf[32];
        tm parts{};
        localtime_r(&t, &parts);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &parts);
        return std::string(buf);
    };
    time_t t0 = 0, t1 = 0;
    {
        SipRouter r(kScript, htableOptions(params));
        ASSERT_TRUE(r.start()) << r.log();
        t0 = std::time(nullptr) + 600;
        RunResult set = kamcmd(r, {"htable.setxi", "e", "k", "5", "600"});
        t1 = std::time(nullptr) + 600;
        EXPECT_NE(set.output.find("Ok. Key set to new value."), std::string::npos) << set.output;
        rpc::Value v = parseJsonOutput(ctl(r, {"-j", "htable.get", "e", "k"}).output);
        ASSERT_NE(v.find("item"), nullptr);
        EXPECT_NE(v.find("item")->find("expire")->asString(), "NEVER");
        EXPECT_EQ(r.process().stop(10000), 0) << r.log();
    }
    SipRouter again(kScript, htableOptions(params));
    ASSERT_TRUE(again.start()) << again.log();
    RunResult got = ctl(again, {"-j", "htable.get", "e", "k"});
    rpc::Value v = parseJsonOutput(got.output);
    ASSERT_NE(v.find("item"), nullptr) << got.output << again.log();
    EXPECT_EQ(v.find("item")->find("value")->asInt(), 5);
    // The stored absolute expiry came back (600 s from the first run, not autoexpire's 3600).
    const std::string minute = v.find("item")->find("expire")->asString().substr(0, 16);
    EXPECT_TRUE(minute == minuteOf(t0) || minute == minuteOf(t1)) << got.output;
}

TEST(Htable, CorruptDatabaseStopsTheStartNamingTheTable) {
    TempDir data;
    const std::string path = data.write("bad.db", std::string(4096, 'z'));
    SipRouter r(kScript, htableOptions("db_url = \"sqlite://" + path +
                                       "\"; htable = \"b=>size=2;dbtable=htable;\";"));
    EXPECT_FALSE(r.start());
    EXPECT_NE(r.log().find("loading table 'b'"), std::string::npos) << r.log();
}

TEST(Htable, BadDefinitionStopsTheStart) {
    SipRouter r(kScript, htableOptions("htable = \"a=>size=4;colour=red;\";"));
    EXPECT_FALSE(r.start());
    EXPECT_NE(r.log().find("colour"), std::string::npos) << r.log();
}

}  // namespace
}  // namespace osprey::testsupport
