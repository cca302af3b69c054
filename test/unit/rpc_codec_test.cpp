// The RPC core's codecs and argument checking, below the sockets: binrpc bytes as Kamailio's
// binrpc.h documents them, JSON reading and writing, HTTP heads, parameter conversion, and
// the allocators' live report as mod.stats reads it.
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "core/rpc/binrpc.h"
#include "core/rpc/http_request.h"
#include "core/rpc/json.h"
#include "core/rpc/mod_stats.h"
#include "core/rpc/registry.h"

namespace osprey::rpc {
namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

// The body of a reply packet (after its header).
std::string replyBody(const Value& v) {
    std::string pkt = encodeBinrpcReply(0x12, v, false);
    BinrpcFrame f = binrpcFrame(pkt, 1 << 20);
    EXPECT_EQ(f.status, FrameStatus::Ok);
    EXPECT_EQ(f.type, BinrpcType::Reply);
    EXPECT_EQ(f.cookie, 0x12u);
    return pkt.substr(f.headerLen);
}

TEST(RpcBinrpc, RecordsAreEncodedAsKamailioDocumentsThem) {
    EXPECT_EQ(replyBody(Value(0x1234)), bytes({0x20, 0x12, 0x34}));
    EXPECT_EQ(replyBody(Value(7)), bytes({0x10, 0x07}));
    EXPECT_EQ(replyBody(Value(0)), bytes({0x00}));
    EXPECT_EQ(replyBody(Value("abcdef")), bytes({0x71, 'a', 'b', 'c', 'd', 'e', 'f', 0}));
    EXPECT_EQ(replyBody(Value("abcdefhij")),
              bytes({0x91, 0x0A, 'a', 'b', 'c', 'd', 'e', 'f', 'h', 'i', 'j', 0}));
    Value st = Value::structure();
    st.add("intval", 3);
    st.add("s", "abc");
    EXPECT_EQ(replyBody(st), bytes({0x03, 0x75, 'i', 'n', 't',  'v', 'a', 'l', 0, 0x10,
                                    0x03, 0x25, 's', 0,   0x41, 'a', 'b', 'c', 0, 0x83}));
    Value arr = Value::array();
    arr.push(7);
    arr.push("abc");
    EXPECT_EQ(replyBody(arr), bytes({0x04, 0x10, 0x07, 0x41, 'a', 'b', 'c', 0, 0x84}));
}

TEST(RpcBinrpc, RequestsRoundTripAndBadRecordsAreRefused) {
    std::vector<Value> args = {Value(-5), Value("x"), Value(2.5)};
    std::string pkt = encodeBinrpcRequest(0xABCDEF, "cfg.set", args);
    BinrpcFrame f = binrpcFrame(pkt, 1 << 20);
    ASSERT_EQ(f.status, FrameStatus::Ok);
    EXPECT_EQ(f.cookie, 0xABCDEFu);
    BinrpcRequest req;
    std::string err;
    ASSERT_TRUE(decodeBinrpcRequest(std::string_view(pkt).substr(f.headerLen), &req, &err)) << err;
    EXPECT_EQ(req.method, "cfg.set");
    ASSERT_EQ(req.args.size(), 3u);
    EXPECT_EQ(req.args[0].asInt(), -5);
    EXPECT_EQ(req.args[1].asString(), "x");
    EXPECT_DOUBLE_EQ(req.args[2].asDouble(), 2.5);

    EXPECT_EQ(binrpcFrame(pkt.substr(0, pkt.size() - 1), 1 << 20).status, FrameStatus::Incomplete);
    EXPECT_EQ(binrpcFrame(bytes({0xA1, 0x0C, 0x7F, 0xFF, 0xFF, 0xFF, 0x01}), 65536).status,
              FrameStatus::Invalid);
    EXPECT_EQ(binrpcFrame("{\"jsonrpc\"", 65536).status, FrameStatus::Invalid);
    // A string record claiming more bytes than the body has; an unterminated struct.
    EXPECT_FALSE(decodeBinrpcRequest(bytes({0xF1, 0x00}), &req, &err));
    EXPECT_FALSE(decodeBinrpcRequest(bytes({0x21, 'm', 0, 0x03}), &req, &err));
    // Deep nesting is bounded.
    std::string deep = bytes({0x21, 'm', 0});
    for (int i = 0; i < 100; ++i) deep.push_back(0x04);
    EXPECT_FALSE(decodeBinrpcRequest(deep, &req, &err));
    EXPECT_EQ(err, "nesting too deep");
}

TEST(RpcJson, ReadsWritesAndTellsIncompleteFromInvalid) {
    Value v;
    ASSERT_EQ(parseJson(R"({"a":[1,-2.5,"\u00e9\n",true,null],"b":{}} )", &v).status,
              JsonStatus::Ok);
    std::string out;
    writeJson(v, &out);
    EXPECT_EQ(out, "{\"a\":[1,-2.5,\"\xC3\xA9\\n\",1,null],\"b\":{}}");
    EXPECT_EQ(parseJson(R"({"a":[1,)", &v).status, JsonStatus::Incomplete);
    EXPECT_EQ(parseJson(R"({"a" 1})", &v).status, JsonStatus::Invalid);
    EXPECT_EQ(parseJson("\"\\ud800\"", &v).status, JsonStatus::Invalid);
    std::string deep(200, '[');
    JsonParse p = parseJson(deep, &v);
    EXPECT_EQ(p.status, JsonStatus::Invalid);
    EXPECT_EQ(p.error, "nesting too deep");
    std::string bad;
    writeJsonString(
        "a\xFF"
        "b",
        &bad);
    EXPECT_EQ(bad,
              "\"a\xEF\xBF\xBD"
              "b\"");
}

TEST(RpcHttp, HeadsAreParsedWithTheirLimits) {
    HttpRequest r;
    ASSERT_EQ(parseHttpHead("POST /RPC?x=1 HTTP/1.1\r\nContent-Length: 12\r\n"
                            "Connection: close\r\n\r\n",
                            1000, &r),
              HttpParseStatus::Ok);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/RPC");
    EXPECT_EQ(r.contentLength, 12u);
    EXPECT_FALSE(r.keepAlive);
    HttpRequest old;
    ASSERT_EQ(parseHttpHead("GET / HTTP/1.0\r\n\r\n", 1000, &old), HttpParseStatus::Ok);
    EXPECT_FALSE(old.keepAlive);
    HttpRequest e;
    EXPECT_EQ(parseHttpHead("GET / HTTP/1.1\r\nHost: x\r\n", 1000, &e),
              HttpParseStatus::Incomplete);
    EXPECT_EQ(parseHttpHead("GET / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 1000, &e),
              HttpParseStatus::Invalid);
    EXPECT_EQ(e.errorStatus, 413);
    EXPECT_EQ(
        parseHttpHead("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 1000, &e),
        HttpParseStatus::Invalid);
    EXPECT_EQ(e.errorStatus, 400);
    std::string resp = httpResponse(200, "text/plain", "hello", true);
    EXPECT_NE(resp.find("Content-Length: 5\r\n"), std::string::npos);
    EXPECT_EQ(resp.substr(resp.size() - 9), "\r\n\r\nhello");
}

Result echo(int64_t n, std::string_view s, std::optional<double> d) noexcept {
    Value v = Value::structure();
    v.add("n", n);
    v.add("s", s);
    v.add("d", d.value_or(-1));
    return v;
}
constexpr Method kEcho = method<&echo>("t.echo", "n s d", "test");

TEST(RpcRegistry, ArgumentsAreCheckedAndConvertedBeforeTheHandler) {
    Result ok = invoke(kEcho, {Value("12"), Value(34)});
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.value().find("n")->asInt(), 12);
    EXPECT_EQ(ok.value().find("s")->asString(), "34");
    EXPECT_EQ(ok.value().find("d")->asDouble(), -1);
    Result bad = invoke(kEcho, {Value("twelve"), Value("x")});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, 400);
    EXPECT_EQ(bad.error().text, "invalid parameter 'n' (#1): integer expected, got string");
    Result missing = invoke(kEcho, {Value(1)});
    EXPECT_EQ(missing.error().text, "invalid parameters: 's' (#2) is missing");
    Result many = invoke(kEcho, {Value(1), Value("a"), Value(1.5), Value(2)});
    EXPECT_EQ(many.error().text, "invalid parameters: 4 given, t.echo takes at most 3");
    EXPECT_STREQ(kEcho.types, "isD");
    // A JSON number becomes an integer parameter only when it is whole and fits int64.
    EXPECT_EQ(invoke(kEcho, {Value(42.0), Value("a")}).value().find("n")->asInt(), 42);
    EXPECT_EQ(invoke(kEcho, {Value(-0x1p63), Value("a")}).value().find("n")->asInt(), INT64_MIN);
    for (double d : {4.5, 0x1p63, 8.88889e34, -1e300, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
        Result r = invoke(kEcho, {Value(d), Value("a")});
        ASSERT_FALSE(r.ok()) << d;
        EXPECT_EQ(r.error().code, 400) << d;
    }
}

Result count(Args args) noexcept {
    return Value(static_cast<int64_t>(args.size()));
}
constexpr Method kCount = method<&count>("t.count", "value...", "variadic");

TEST(RpcRegistry, AVariadicMethodTakesWhateverWasSent) {
    EXPECT_STREQ(kCount.types, "*");
    EXPECT_EQ(invoke(kCount, {}).value().asInt(), 0);
    EXPECT_EQ(invoke(kCount, {Value(1), Value("a"), Value::array()}).value().asInt(), 3);
}

TEST(RpcModStats, LiveReportLinesBecomeModuleSites) {
    std::vector<SiteBytes> sites;
    std::string why;
    ASSERT_TRUE(
        parseLiveReport("live fragments in heap shm: 3 fragments, 300 bytes, 2 allocation sites\n"
                        "  200 bytes in 2 fragments allocated at ./modules/tm/cell_mem.cpp:41 "
                        "(osprey::tm::Cell* osprey::tm::newCell(osprey::sip::SipMsg&))\n"
                        "      #0 0x1234 somewhere\n"
                        "  100 bytes in 1 fragment allocated at core/proc/process_table.cpp:12 "
                        "(osprey::proc::ProcessTable* osprey::proc::createProcessTable())\n",
                        &sites, &why));
    ASSERT_EQ(sites.size(), 2u);
    EXPECT_EQ(sites[0].module, "tm");
    EXPECT_EQ(sites[0].site, "newCell(41)");
    EXPECT_EQ(sites[0].bytes, 200u);
    EXPECT_EQ(sites[1].module, "core");
    EXPECT_EQ(sites[1].site, "createProcessTable(12)");
    EXPECT_FALSE(
        parseLiveReport("shm: the live-fragment report needs a debug allocator\n", &sites, &why));
    EXPECT_NE(why.find("needs a debug allocator"), std::string::npos);
}

}  // namespace
}  // namespace osprey::rpc
