// usrloc's RPC methods against the real registrar: what a REGISTER stored is what ul.lookup and
// ul.dump show, and what ul.add / ul.rm / ul.rm_contact change is what lookup() then finds.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test/integration/rpc_test_util.h"

namespace osprey::testsupport {
namespace {

RpcRouterOptions usrlocOptions() {
    RpcRouterOptions o;
    o.modules = "{ name = \"usrloc\"; }, { name = \"registrar\"; }";
    o.script = R"(
function ksr_request_route()
    if KSR.is_REGISTER() then
        if KSR.registrar.save("location", 0) < 0 then KSR.sl.sl_reply_error() end
        return
    end
    if KSR.registrar.lookup("location") < 0 then
        KSR.sl.send_reply(404, "Not Found")
        return
    end
    KSR.sl.send_reply(200, "Found")
end
)";
    return o;
}

class RpcUsrlocTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(router.start()) << router.log(); }

    int sendTo(const std::string& method, const std::string& user, const std::string& extra) {
        SipPeer uac;
        SipRequest r;
        r.method = method;
        r.ruri = "sip:" + user + "@127.0.0.1:" + std::to_string(router.sipPort());
        r.from = "<sip:" + user + "@example.com>;tag=" + uniqueToken("t");
        r.to = "<sip:" + user + "@example.com>";
        r.extraHeaders = extra;
        if (!uac.sendTo(buildRequest(uac, r), router.sipPort())) return -1;
        auto resp = uac.receiveMsg(3000);
        return resp ? resp->status() : -1;
    }
    int registerContact(const std::string& user, const std::string& contact) {
        return sendTo("REGISTER", user, "Contact: <" + contact + ">;expires=300\r\n");
    }
    int lookup(const std::string& user) { return sendTo("MESSAGE", user, ""); }

    RpcRouter router{usrlocOptions()};
};

TEST_F(RpcUsrlocTest, LookupAndDumpShowWhatARegisterStored) {
    ASSERT_EQ(registerContact("alice", "sip:alice@127.0.0.1:5999"), 200);

    RunResult show = router.ctl({"ul", "show", "alice@example.com"});
    EXPECT_EQ(show.exitCode, 0) << show.output;
    EXPECT_NE(show.output.find("AoR: alice\n"), std::string::npos) << show.output;
    EXPECT_NE(show.output.find("Address: sip:alice@127.0.0.1:5999\n"), std::string::npos)
        << show.output;
    EXPECT_NE(show.output.find("CSeq: "), std::string::npos) << show.output;

    RunResult k = router.kamcmd({"ul.lookup", "location", "alice"});
    EXPECT_NE(k.output.find("Address: sip:alice@127.0.0.1:5999"), std::string::npos) << k.output;

    rpc::Value dump = parseJsonOutput(router.ctl({"-j", "ul.dump"}).output);
    ASSERT_TRUE(dump.isStruct());
    const rpc::Value& dom = dump.find("Domains")->items().at(0).members().at(0).second;
    EXPECT_EQ(dom.find("Domain")->asString(), "location");
    ASSERT_EQ(dom.find("AoRs")->items().size(), 1u);
    const rpc::Value& info = *dom.find("AoRs")->items()[0].find("Info");
    EXPECT_EQ(info.find("AoR")->asString(), "alice");
    const rpc::Value& c = *info.find("Contacts")->items().at(0).find("Contact");
    EXPECT_EQ(c.find("Address")->asString(), "sip:alice@127.0.0.1:5999");
    EXPECT_GT(c.find("Expires")->asInt(), 250);
    EXPECT_LE(c.find("Expires")->asInt(), 300);
    EXPECT_EQ(dom.find("Stats")->find("Records")->asInt(), 1);
    // The longest slot hold is reported (its value is a timing: benchmarks, not asserted).
    EXPECT_NE(dom.find("Stats")->find("Max-Slot-Us"), nullptr);

    RunResult brief = router.ctl({"-j", "ul.dump", "brief"});
    EXPECT_NE(brief.output.find("\"AoRs\":[{\"AoR\":\"alice\"}]"), std::string::npos)
        << brief.output;

    // A page of slots: the one alice is in, found by walking pages of 256.
    size_t seen = 0;
    int64_t next = 0;
    for (int page = 0; page < 10 && next >= 0; ++page) {
        rpc::Value p = parseJsonOutput(
            router.ctl({"-j", "ul.dump", "brief", std::to_string(next), "256"}).output);
        ASSERT_TRUE(p.isStruct());
        const rpc::Value& d = p.find("Domains")->items().at(0).members().at(0).second;
        seen += d.find("AoRs")->items().size();
        const rpc::Value* n = d.find("Stats")->find("Next-Slot");
        next = n != nullptr ? n->asInt() : -1;
    }
    EXPECT_EQ(seen, 1u);
    EXPECT_EQ(next, -1) << "1024 slots (hash_size 10) are 4 pages";

    RunResult nobody = router.ctl({"ul", "show", "bob@example.com"});
    EXPECT_EQ(nobody.exitCode, 1);
    EXPECT_NE(nobody.output.find("error: 404 AOR not found"), std::string::npos) << nobody.output;
    RunResult noTable = router.kamcmd({"ul.lookup", "nosuch", "alice"});
    EXPECT_NE(noTable.output.find("error: 500 - Domain table not found"), std::string::npos);
}

TEST_F(RpcUsrlocTest, AddAndRemoveChangeWhatLookupFinds) {
    EXPECT_EQ(lookup("carol"), 404);
    RunResult add =
        router.ctl({"ul.add", "location", "carol", "sip:carol@127.0.0.1:5998", "300", "0.5"});
    EXPECT_EQ(add.exitCode, 0) << add.output;
    EXPECT_EQ(lookup("carol"), 200);
    rpc::Value c = parseJsonOutput(router.ctl({"-j", "ul.lookup", "location", "carol"}).output);
    ASSERT_TRUE(c.isStruct());
    const rpc::Value& contact = *c.find("Contacts")->items().at(0).find("Contact");
    EXPECT_DOUBLE_EQ(contact.find("Q")->asDouble(), 0.5);

    RunResult wrongType = router.ctl({"ul.add", "location", "carol", "sip:c@h", "soon"});
    EXPECT_EQ(wrongType.exitCode, 1);
    EXPECT_NE(wrongType.output.find("'expires' (#4): integer expected"), std::string::npos)
        << wrongType.output;

    RunResult rmc = router.ctl({"ul.rm_contact", "location", "carol", "sip:nobody@h"});
    EXPECT_EQ(rmc.exitCode, 1);
    EXPECT_NE(rmc.output.find("404 Contact not found"), std::string::npos) << rmc.output;
    EXPECT_EQ(
        router.ctl({"ul.rm_contact", "location", "carol", "sip:carol@127.0.0.1:5998"}).exitCode, 0);
    EXPECT_EQ(lookup("carol"), 404);

    ASSERT_EQ(registerContact("dave", "sip:dave@127.0.0.1:5997"), 200);
    EXPECT_EQ(lookup("dave"), 200);
    RunResult rm = router.kamcmd({"ul.rm", "location", "dave"});
    EXPECT_EQ(rm.exitCode, 0) << rm.output;
    EXPECT_EQ(lookup("dave"), 404);
    RunResult again = router.ctl({"ul", "rm", "dave"});
    EXPECT_EQ(again.exitCode, 1);

    // Memory only: nothing to flush.
    RunResult flush = router.ctl({"ul.flush"});
    EXPECT_EQ(flush.exitCode, 1);
    EXPECT_NE(flush.output.find("not supported in db_mode=0"), std::string::npos) << flush.output;
}

// Rows of the location table in the SQLite file (-1 when it cannot be read).
int storedRows(const std::string& file, const std::string& aor) {
    sqlite3* db = nullptr;
    int n = -1;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM location WHERE aor = ?", -1, &st,
                               nullptr) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, aor.c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

TEST(RpcUsrlocWriteBack, FlushWritesQueuedChangesNow) {
    TempDir data;
    const std::string file = data.file("ul.sqlite");
    RpcRouterOptions o = usrlocOptions();
    // Write-back every hour: only ul.flush can have written the row within this test.
    o.modules =
        "{ name = \"usrloc\"; params = { db_mode = 2; timer_interval = 3600; db_url = "
        "\"sqlite://" +
        file + "\"; }; }, { name = \"registrar\"; }";
    RpcRouter router(o);
    ASSERT_TRUE(router.start()) << router.log();
    ASSERT_EQ(router.ctl({"ul.add", "location", "erin", "sip:erin@127.0.0.1:5996", "600"}).exitCode,
              0);
    EXPECT_EQ(storedRows(file, "erin"), 0);
    RunResult flush = router.ctl({"ul.flush"});
    EXPECT_EQ(flush.exitCode, 0) << flush.output;
    EXPECT_EQ(storedRows(file, "erin"), 1);
}

}  // namespace
}  // namespace osprey::testsupport
