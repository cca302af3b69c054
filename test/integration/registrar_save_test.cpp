// REGISTER processing end to end with the real osprey (usrloc + registrar modules) on loopback
// (RFC 3261 §10.3): add, refresh, remove, "*", query, Call-ID/CSeq ordering, 423, max_contacts,
// Path, expiry, and the 200 OK's list of bindings with their remaining expires and a Date.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "test/integration/registrar_test_util.h"

namespace osprey::testsupport {
namespace {

TEST(RegistrarSave, AddThenQueryListsTheBindingWithRemainingExpiresAndDate) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "alice");
    auto resp = reg.send("Contact: <sip:alice@192.0.2.10:5060>\r\nExpires: 600\r\n");
    ASSERT_TRUE(resp) << r.log();
    ASSERT_EQ(resp->status(), 200) << resp->text();
    auto contacts = resp->headers("Contact");
    ASSERT_EQ(contacts.size(), 1u) << resp->text();
    EXPECT_EQ(contacts[0].rfind("<sip:alice@192.0.2.10:5060>;expires=", 0), 0u) << contacts[0];
    const int exp = expiresOf(contacts[0]);
    EXPECT_GE(exp, 598);
    EXPECT_LE(exp, 600);
    EXPECT_TRUE(resp->has("Date")) << resp->text();
    EXPECT_NE(resp->header("Date").find(" GMT"), std::string::npos);

    // A query (no Contact) lists the same binding and changes nothing.
    auto q = reg.send("");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->status(), 200);
    ASSERT_EQ(q->headers("Contact").size(), 1u) << q->text();
}

TEST(RegistrarSave, RefreshChangesExpiresAndRemoveDeletes) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "bob");
    ASSERT_EQ(reg.send("Contact: <sip:bob@192.0.2.20>\r\nExpires: 100\r\n")->status(), 200);
    auto refreshed = reg.send("Contact: <sip:bob@192.0.2.20>;expires=900\r\n");
    ASSERT_EQ(refreshed->status(), 200);
    auto c = refreshed->headers("Contact");
    ASSERT_EQ(c.size(), 1u) << refreshed->text();
    EXPECT_GE(expiresOf(c[0]), 898);

    auto removed = reg.send("Contact: <sip:bob@192.0.2.20>\r\nExpires: 0\r\n");
    ASSERT_EQ(removed->status(), 200);
    EXPECT_TRUE(removed->headers("Contact").empty()) << removed->text();
    EXPECT_TRUE(reg.send("")->headers("Contact").empty());
}

TEST(RegistrarSave, ExpiresParamZeroRemovesOnlyThatContact) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "carol");
    ASSERT_EQ(reg.send("Contact: <sip:carol@192.0.2.1>, <sip:carol@192.0.2.2>\r\n")->status(), 200);
    auto resp = reg.send("Contact: <sip:carol@192.0.2.1>;expires=0\r\n");
    ASSERT_EQ(resp->status(), 200);
    auto c = resp->headers("Contact");
    ASSERT_EQ(c.size(), 1u) << resp->text();
    EXPECT_NE(c[0].find("192.0.2.2"), std::string::npos);
}

TEST(RegistrarSave, StarWithExpiresZeroRemovesAllOtherwise400) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "dave");
    ASSERT_EQ(reg.send("Contact: <sip:dave@192.0.2.1>, <sip:dave@192.0.2.2>\r\n")->status(), 200);
    auto bad = reg.send("Contact: *\r\nExpires: 10\r\n");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status(), 400) << bad->text();
    EXPECT_NE(bad->header("P-Registrar-Error").find("expires is not zero"), std::string::npos);
    auto mixed = reg.send("Contact: *\r\nContact: <sip:dave@192.0.2.3>\r\nExpires: 0\r\n");
    EXPECT_EQ(mixed->status(), 400) << mixed->text();
    auto noExpires = reg.send("Contact: *\r\n");
    EXPECT_EQ(noExpires->status(), 400) << noExpires->text();
    EXPECT_EQ(reg.send("")->headers("Contact").size(), 2u) << "a refused * changes nothing";

    auto ok = reg.send("Contact: *\r\nExpires: 0\r\n");
    ASSERT_EQ(ok->status(), 200) << ok->text();
    EXPECT_TRUE(ok->headers("Contact").empty());
    EXPECT_TRUE(reg.send("")->headers("Contact").empty());
}

TEST(RegistrarSave, OlderCSeqOnTheSameCallIdIsRefused) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "erin");
    reg.cseq = 10;
    ASSERT_EQ(reg.send("Contact: <sip:erin@192.0.2.1>\r\nExpires: 300\r\n")->status(), 200);
    reg.cseq = 5;
    auto old = reg.send("Contact: <sip:erin@192.0.2.1>\r\nExpires: 0\r\n");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->status(), 400) << old->text();
    EXPECT_EQ(old->header("P-Registrar-Error"), "Invalid CSeq number");
    // Exactly one reply: sl_reply_error in the script does not send a second one.
    EXPECT_FALSE(reg.uac.receiveCall(reg.callId, 300)) << "a second reply arrived";
    reg.cseq = 11;
    auto q = reg.send("");
    EXPECT_EQ(q->headers("Contact").size(), 1u) << "the old request removed nothing";

    // A different Call-ID (another UA instance) may use any CSeq.
    Registration other(r, "erin");
    other.cseq = 1;
    auto resp = other.send("Contact: <sip:erin@192.0.2.1>\r\nExpires: 0\r\n");
    EXPECT_EQ(resp->status(), 200);
    EXPECT_TRUE(resp->headers("Contact").empty()) << resp->text();
}

TEST(RegistrarSave, TooBriefIs423WithMinExpires) {
    RegRouterOptions o;
    o.registrarParams = "min_expires = 60;";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "frank");
    auto resp = reg.send("Contact: <sip:frank@192.0.2.1>\r\nExpires: 30\r\n");
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->status(), 423) << resp->text();
    EXPECT_EQ(resp->header("Min-Expires"), "60");
    EXPECT_EQ(reg.send("Contact: <sip:frank@192.0.2.1>\r\nExpires: 60\r\n")->status(), 200);
}

TEST(RegistrarSave, MaxExpiresLowersTheExpiry) {
    RegRouterOptions o;
    o.registrarParams = "max_expires = 120;";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "gina");
    auto resp = reg.send("Contact: <sip:gina@192.0.2.1>\r\nExpires: 7200\r\n");
    ASSERT_EQ(resp->status(), 200);
    auto c = resp->headers("Contact");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_LE(expiresOf(c[0]), 120);
    EXPECT_GE(expiresOf(c[0]), 118);
}

TEST(RegistrarSave, MaxContactsRefusesTheExtraBindingWith503) {
    RegRouterOptions o;
    o.registrarParams = "max_contacts = 2;";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "hank");
    ASSERT_EQ(reg.send("Contact: <sip:hank@192.0.2.1>, <sip:hank@192.0.2.2>\r\n")->status(), 200);
    auto third = reg.send("Contact: <sip:hank@192.0.2.3>\r\n");
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status(), 503) << third->text();
    EXPECT_EQ(third->header("P-Registrar-Error"), "Too many registered contacts");
    // Refreshing the existing ones is still fine.
    EXPECT_EQ(reg.send("Contact: <sip:hank@192.0.2.2>\r\n")->status(), 200);
    EXPECT_EQ(reg.send("")->headers("Contact").size(), 2u);
}

TEST(RegistrarSave, PathIsStoredAndEchoed) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "ivy");
    auto resp = reg.send(
        "Path: <sip:edge1.example.com;lr>\r\nPath: <sip:edge2.example.com;lr>\r\n"
        "Supported: path\r\nContact: <sip:ivy@10.0.0.5:5070>\r\n");
    ASSERT_EQ(resp->status(), 200) << resp->text();
    EXPECT_EQ(resp->header("Path"), "<sip:edge1.example.com;lr>, <sip:edge2.example.com;lr>");
}

TEST(RegistrarSave, QValuesAndInstanceAreEchoed) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "jack");
    auto resp = reg.send(
        "Contact: <sip:jack@192.0.2.1>;q=0.5;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-"
        "000A95A0E128>\";reg-id=1\r\n");
    ASSERT_EQ(resp->status(), 200) << resp->text();
    auto c = resp->headers("Contact");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_NE(c[0].find(";q=0.5"), std::string::npos) << c[0];
    EXPECT_NE(c[0].find(";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""),
              std::string::npos)
        << c[0];
    EXPECT_NE(c[0].find(";reg-id=1"), std::string::npos) << c[0];

    // RFC 5626: the same instance and reg-id from a new address replaces the binding.
    auto moved = reg.send(
        "Contact: <sip:jack@192.0.2.99>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-"
        "000A95A0E128>\";reg-id=1\r\n");
    ASSERT_EQ(moved->status(), 200);
    c = moved->headers("Contact");
    ASSERT_EQ(c.size(), 1u) << moved->text();
    EXPECT_NE(c[0].find("192.0.2.99"), std::string::npos) << c[0];
}

TEST(RegistrarSave, ShortExpiresReallyRemovesTheBinding) {
    RegRouterOptions o;
    o.usrlocParams = "timer_interval = 1;";
    RegRouter r(o);
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "kate");
    ASSERT_EQ(reg.send("Contact: <sip:kate@192.0.2.1>\r\nExpires: 1\r\n")->status(), 200);
    // Polls with queries until the binding is gone (bounded); it must go within ~2 s.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool gone = false;
    while (!gone && std::chrono::steady_clock::now() < deadline) {
        auto q = reg.send("");
        ASSERT_TRUE(q);
        gone = q->headers("Contact").empty();
        if (!gone) reg.uac.receiveMsg(100);  // paces the loop on a bounded wait
    }
    EXPECT_TRUE(gone);
}

TEST(RegistrarSave, MalformedRequestsGet400AndNoCrash) {
    RegRouter r;
    ASSERT_TRUE(r.start()) << r.log();
    Registration reg(r, "leo");
    EXPECT_EQ(reg.send("Contact: <sip:leo@192.0.2.1>\r\nExpires: abc\r\n")->status(), 400);
    EXPECT_EQ(reg.send("Contact: <bad uri>\r\n")->status(), 400);
    EXPECT_EQ(reg.send("Contact: <sip:" + std::string(600, 'a') + "@h>\r\n")->status(), 400);
    Registration noUser(r, "");
    auto resp = noUser.send("Contact: <sip:x@192.0.2.1>\r\n");
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->status(), 400) << resp->text();
    EXPECT_EQ(reg.send("Contact: <sip:leo@192.0.2.1>\r\n")->status(), 200) << r.log();
}

}  // namespace
}  // namespace osprey::testsupport
