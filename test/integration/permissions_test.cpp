// permissions against the real router: the address table from Kamailio's address file and from
// its SQLite `address` table; exact addresses, subnets, ports, groups, tags into peer_tag_avp,
// IPv6; the RPC dumps; and addressReload 100 times while a client keeps asking, without one
// request answered wrongly.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "test/integration/rpc_test_util.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"
#include "test/support/temp_dir.h"

namespace osprey::testsupport {
namespace {

// The reason phrase shows what the module said about the source, and about the address in
// X-Check ("group ip port") when there is one.
constexpr const char* kScript = R"LUA(
function ksr_request_route()
    KSR.pv.sets("$var(tag)", "-")
    local src = KSR.permissions.allow_source_address(1)
    local grp = KSR.permissions.allow_source_address_group()
    local tag = KSR.pv.get("$var(tag)")
    local chk = KSR.hdr.get("X-Check")
    local addr = "none"
    if chk ~= nil then
        local g, ip, port = string.match(chk, "^(%S+) (%S+) (%S+)$")
        if g == "any" then
            addr = KSR.permissions.allow_address_group(ip, tonumber(port))
        else
            addr = KSR.permissions.allow_address(tonumber(g), ip, tonumber(port))
        end
    end
    KSR.sl.sl_send_reply(200, "src=" .. src .. " grp=" .. grp .. " tag=" .. tag .. " addr=" .. addr)
end
)LUA";

constexpr const char* kAddressFile = R"(# address file: group address [mask [port [tag]]]
1 127.0.0.9 32 0 gw-a   # a gateway
1 10.0.0.10

2 127.0.2.0 24 0 net-b
3 192.0.2.0 24 5070 port-only
4 ::1 128 0 v6-host
5 2001:db8:: 32 0 v6-net
)";

SipRouterOptions fileOptions(const std::string& file, unsigned reloadDelta = 5) {
    SipRouterOptions o;
    o.ipv6 = true;
    o.controlSocket = true;
    o.modules +=
        ", { name = \"pv\"; }, { name = \"permissions\"; params = { address_file = \"" + file +
        "\"; peer_tag_avp = \"$avp(s:tag)\"; reload_delta = " + std::to_string(reloadDelta) +
        "; }; }";
    return o;
}

std::string ask(SipPeer& peer, uint16_t port, const std::string& check = "") {
    SipRequest r;
    r.ruri = "sip:" + std::string(peer.family() == AF_INET6 ? "[::1]" : "127.0.0.1") + ":" +
             std::to_string(port);
    if (!check.empty()) r.extraHeaders = "X-Check: " + check + "\r\n";
    if (!peer.sendTo(buildRequest(peer, r), port)) return "send failed";
    auto resp = peer.receiveMsg(3000);
    return resp == nullptr ? "" : resp->reason();
}

RunResult ctl(SipRouter& r, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-c", r.process().dir().file("osprey.cfg")};
    a.insert(a.end(), args.begin(), args.end());
    return runOsprey(a, 10000, ospreyctlBinary());
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

class PermissionsFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        writeFile(dir.file("address.list"), kAddressFile);
        router = std::make_unique<SipRouter>(kScript, fileOptions(dir.file("address.list")));
        ASSERT_TRUE(router->start()) << router->log();
    }
    TempDir dir;
    std::unique_ptr<SipRouter> router;
};

TEST_F(PermissionsFileTest, SourceAddressGroupsAndTags) {
    SipPeer gw("127.0.0.9");
    SipPeer net("127.0.2.7");
    SipPeer stranger;
    SipPeer v6(AF_INET6);
    ASSERT_TRUE(gw.ok() && net.ok());
    EXPECT_EQ(ask(gw, router->port()), "src=1 grp=1 tag=gw-a addr=none");
    EXPECT_EQ(ask(net, router->port()), "src=-1 grp=2 tag=net-b addr=none");
    EXPECT_EQ(ask(stranger, router->port()), "src=-1 grp=-1 tag=- addr=none");
    EXPECT_EQ(ask(v6, router->port6()), "src=-1 grp=4 tag=v6-host addr=none");
}

TEST_F(PermissionsFileTest, GivenAddressesPortsAndSubnets) {
    SipPeer uac;
    auto addr = [&](const std::string& check) {
        const std::string reason = ask(uac, router->port(), check);
        const size_t at = reason.find("addr=");
        return at == std::string::npos ? "no answer: " + reason : reason.substr(at + 5);
    };
    EXPECT_EQ(addr("1 10.0.0.10 1234"), "1");  // no mask: exact, port 0 matches any
    EXPECT_EQ(addr("1 10.0.0.11 1234"), "-1");
    EXPECT_EQ(addr("2 10.0.0.10 1234"), "-1");  // another group
    EXPECT_EQ(addr("3 192.0.2.55 5070"), "1");  // subnet with a port
    EXPECT_EQ(addr("3 192.0.2.55 5060"), "-1");
    EXPECT_EQ(addr("3 192.0.3.55 5070"), "-1");
    EXPECT_EQ(addr("5 2001:db8:ffff::5 5060"), "1");  // IPv6 /32
    EXPECT_EQ(addr("5 2001:db9::5 5060"), "-1");
    EXPECT_EQ(addr("any 192.0.2.1 5070"), "3");
    EXPECT_EQ(addr("any 198.51.100.1 5070"), "-1");
    EXPECT_EQ(addr("1 not-an-ip 5060"), "-1");
}

TEST_F(PermissionsFileTest, DumpsShowExactAddressesAndSubnets) {
    rpc::Value a = parseJsonOutput(ctl(*router, {"-j", "permissions.addressDump"}).output);
    ASSERT_TRUE(a.isArray()) << router->log();
    ASSERT_EQ(a.items().size(), 3u);  // 127.0.0.9, 10.0.0.10, ::1
    bool sawGw = false;
    for (const rpc::Value& rec : a.items()) {
        const rpc::Value& item = *rec.find("item");
        if (item.find("ip")->asString() != "127.0.0.9") continue;
        sawGw = true;
        EXPECT_EQ(rec.find("group")->asInt(), 1);
        EXPECT_EQ(item.find("port")->asInt(), 0);
        EXPECT_EQ(item.find("tag")->asString(), "gw-a");
    }
    EXPECT_TRUE(sawGw);
    rpc::Value s = parseJsonOutput(ctl(*router, {"-j", "permissions.subnetDump"}).output);
    ASSERT_TRUE(s.isArray());
    ASSERT_EQ(s.items().size(), 3u);
    const rpc::Value& first = s.items()[0];  // in group order
    EXPECT_EQ(first.find("group")->asInt(), 2);
    EXPECT_EQ(first.find("item")->find("ip")->asString(), "127.0.2.0");
    EXPECT_EQ(first.find("item")->find("mask")->asInt(), 24);
    EXPECT_EQ(first.find("item")->find("tag")->asString(), "net-b");
    EXPECT_EQ(s.items()[1].find("item")->find("port")->asInt(), 5070);
    EXPECT_EQ(s.items()[2].find("item")->find("ip")->asString(), "2001:db8::");
}

TEST_F(PermissionsFileTest, ReloadReadsTheFileAgainAndIsRateLimited) {
    SipPeer stranger;
    EXPECT_EQ(ask(stranger, router->port()), "src=-1 grp=-1 tag=- addr=none");
    writeFile(dir.file("address.list"), "7 127.0.0.1 32 0 now-known\n");
    RunResult r = ctl(*router, {"permissions.addressReload"});
    EXPECT_NE(r.output.find("Reload OK"), std::string::npos) << r.output;
    EXPECT_EQ(ask(stranger, router->port()), "src=-1 grp=7 tag=now-known addr=none");
    // reload_delta (5 s) has not passed.
    RunResult again = ctl(*router, {"permissions.addressReload"});
    EXPECT_NE(again.output.find("ongoing reload"), std::string::npos) << again.output;
}

TEST(PermissionsDbTest, SqliteTableCreatedLoadedAndReloaded) {
    TempDir dir;
    const std::string db = dir.file("osprey.sqlite");
    SipRouterOptions o;
    o.controlSocket = true;
    o.modules += ", { name = \"pv\"; }, { name = \"permissions\"; params = { db_url = \"sqlite://" +
                 db + "\"; db_mode = 1; peer_tag_avp = \"$var(tag)\"; reload_delta = 0; }; }";
    SipRouter router(kScript, o);
    ASSERT_TRUE(router.start()) << router.log();
    SipPeer gw("127.0.0.9");
    EXPECT_EQ(ask(gw, router.port()), "src=-1 grp=-1 tag=- addr=none");

    // The module created Kamailio's schema; rows go in as `kamctl address add` would.
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(h,
                                "INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES "
                                "(1, '127.0.0.9', 32, 0, 'pstn'), (6, '127.0.0.0', 8, 0, NULL),"
                                "(3, '192.0.2.0', 24, 5070, 'gw-net')",
                                nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);

    RunResult r = ctl(router, {"permissions.addressReload"});
    EXPECT_NE(r.output.find("Reload OK"), std::string::npos) << r.output << router.log();
    EXPECT_EQ(ask(gw, router.port()), "src=1 grp=1 tag=pstn addr=none");
    SipPeer other("127.0.0.10");
    EXPECT_EQ(ask(other, router.port(), "3 192.0.2.9 5070"), "src=-1 grp=6 tag=- addr=1");
}

TEST(PermissionsDbTest, BadDatabaseStopsTheStartWithAMessage) {
    TempDir dir;
    writeFile(dir.file("not-a-db.sqlite"), "this is not an SQLite file, just text\n");
    SipRouterOptions o;
    o.modules += ", { name = \"pv\"; }, { name = \"permissions\"; params = { db_url = \"sqlite://" +
                 dir.file("not-a-db.sqlite") + "\"; }; }";
    SipRouter router(kScript, o);
    EXPECT_FALSE(router.start());
    EXPECT_NE(router.log().find("permissions:"), std::string::npos) << router.log();
}

TEST(PermissionsReloadTest, HundredReloadsUnderLoadAnswerEveryRequestRight) {
    TempDir dir;
    const std::string file = dir.file("address.list");
    // Both versions admit the client in group 1; they differ elsewhere, so every reload
    // publishes a different table.
    const std::string v1 = "1 127.0.0.9 32 0 gw\n2 10.0.0.0 8\n";
    const std::string v2 = "1 127.0.0.9 32 0 gw\n3 10.1.0.0 16\n4 10.0.0.1\n";
    writeFile(file, v1);
    SipRouter router(kScript, fileOptions(file, 0));
    ASSERT_TRUE(router.start()) << router.log();

    std::atomic<bool> stop{false};
    std::atomic<int> answered{0};
    std::atomic<int> wrong{0};
    std::string firstWrong;
    std::thread client([&] {
        SipPeer gw("127.0.0.9");
        while (!stop.load()) {
            const std::string reason = ask(gw, router.port());
            if (reason == "src=1 grp=1 tag=gw addr=none") {
                answered.fetch_add(1);
            } else if (wrong.fetch_add(1) == 0) {
                firstWrong = reason;
            }
        }
    });
    int reloaded = 0;
    for (int i = 0; i < 100; ++i) {
        writeFile(file, i % 2 == 0 ? v2 : v1);
        RunResult r = ctl(router, {"permissions.addressReload"});
        if (r.output.find("Reload OK") != std::string::npos) ++reloaded;
        // At least one answer between two reloads, so every reload overlaps the load.
        const int before = answered.load() + wrong.load();
        for (int w = 0; w < 500 && answered.load() + wrong.load() == before; ++w) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    stop.store(true);
    client.join();
    EXPECT_EQ(reloaded, 100);
    EXPECT_EQ(wrong.load(), 0) << "first wrong answer: '" << firstWrong << "'";
    EXPECT_GE(answered.load(), 100);
    // The last version (v1) is what is loaded now.
    rpc::Value s = parseJsonOutput(ctl(router, {"-j", "permissions.subnetDump"}).output);
    ASSERT_TRUE(s.isArray());
    ASSERT_EQ(s.items().size(), 1u);
    EXPECT_EQ(s.items()[0].find("item")->find("ip")->asString(), "10.0.0.0");
}

}  // namespace
}  // namespace osprey::testsupport
