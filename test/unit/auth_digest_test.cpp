// auth module: digest hashes and responses against the published vectors (RFC 2617 §3.5,
// RFC 7616 §3.9.1), HMAC against OpenSSL's own, and the per-request cost: OpenSSL 3.0 makes one
// algorithm context per EVP_DigestInit (measured; no EVP call avoids it), but nothing more
// (no per-call algorithm fetch, which would double it).
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "modules/auth/digest_hash.h"
#include "modules/auth/response.h"

namespace osprey::auth {
namespace {

// Counts OpenSSL's allocations; installed before OpenSSL allocates anything.
std::atomic<long> g_cryptoAllocs{0};
void* countingMalloc(size_t n, const char*, int) {
    ++g_cryptoAllocs;
    return std::malloc(n);
}
void* countingRealloc(void* p, size_t n, const char*, int) {
    ++g_cryptoAllocs;
    return std::realloc(p, n);
}
void countingFree(void* p, const char*, int) {
    std::free(p);
}
[[maybe_unused]] const bool kCounting =
    CRYPTO_set_mem_functions(countingMalloc, countingRealloc, countingFree) == 1;

std::string hexOf(Hasher& h) {
    char out[kMaxHexLen];
    return std::string(out, h.finishHex(out));
}

std::string hash(Algorithm a, std::string_view s) {
    Hasher& h = Hasher::local();
    EXPECT_TRUE(h.begin(a));
    h.update(s);
    return hexOf(h);
}

std::string respond(const DigestInput& in, std::string_view password) {
    Hasher& h = Hasher::local();
    char ha1[kMaxHexLen];
    const size_t n = computeHa1(h, in, password, ha1);
    char out[kMaxHexLen];
    const size_t m = computeResponse(h, in, {ha1, n}, out);
    return std::string(out, m);
}

TEST(AuthDigest, KnownHashes) {
    EXPECT_EQ(hash(Algorithm::Md5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(hash(Algorithm::Sha256, "abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hash(Algorithm::Sha512_256, "abc"),
              "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
}

TEST(AuthDigest, AlgorithmNames) {
    AlgorithmName a;
    ASSERT_TRUE(parseAlgorithm("", a));
    EXPECT_EQ(a.alg, Algorithm::Md5);
    ASSERT_TRUE(parseAlgorithm("sha-256", a));
    EXPECT_EQ(a.alg, Algorithm::Sha256);
    EXPECT_FALSE(a.sess);
    ASSERT_TRUE(parseAlgorithm("SHA-256-sess", a));
    EXPECT_TRUE(a.sess);
    ASSERT_TRUE(parseAlgorithm("MD5-SESS", a));
    EXPECT_EQ(a.alg, Algorithm::Md5);
    ASSERT_TRUE(parseAlgorithm("SHA-512-256", a));
    EXPECT_EQ(a.alg, Algorithm::Sha512_256);
    EXPECT_FALSE(parseAlgorithm("SHA-1", a));
    EXPECT_FALSE(parseAlgorithm("-sess", a));
    EXPECT_FALSE(parseAlgorithm("MD5 ", a));
}

// RFC 2617 §3.5: GET /dir/index.html, "Mufasa" / "Circle Of Life".
TEST(AuthDigest, Rfc2617Example) {
    DigestInput in;
    in.alg = {Algorithm::Md5, false};
    in.username = "Mufasa";
    in.realm = "testrealm@host.com";
    in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    in.uri = "/dir/index.html";
    in.qop = "auth";
    in.nc = "00000001";
    in.cnonce = "0a4f113b";
    in.method = "GET";
    EXPECT_EQ(respond(in, "Circle Of Life"), "6629fae49393a05397450978507c4ef1");
    EXPECT_NE(respond(in, "Circle of Life"), "6629fae49393a05397450978507c4ef1");
}

// RFC 7616 §3.9.1: the same request with MD5 and SHA-256 ("Circle of Life" there).
TEST(AuthDigest, Rfc7616Examples) {
    DigestInput in;
    in.username = "Mufasa";
    in.realm = "http-auth@example.org";
    in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    in.uri = "/dir/index.html";
    in.qop = "auth";
    in.nc = "00000001";
    in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    in.method = "GET";
    in.alg = {Algorithm::Md5, false};
    EXPECT_EQ(respond(in, "Circle of Life"), "8ca523f5e9506fed4657c9700eebdbec");
    in.alg = {Algorithm::Sha256, false};
    EXPECT_EQ(respond(in, "Circle of Life"),
              "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

// RFC 2069 form (no qop): response = H(HA1:nonce:HA2); the SIP example of RFC 3261 style.
TEST(AuthDigest, NoQopAndSessAndAuthInt) {
    DigestInput in;
    in.alg = {Algorithm::Md5, false};
    in.username = "bob";
    in.realm = "biloxi.com";
    in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    in.uri = "sip:bob@biloxi.com";
    in.method = "REGISTER";
    // Computed by hand from the definitions (independent of computeResponse).
    const std::string ha1 = hash(Algorithm::Md5, "bob:biloxi.com:zanzibar");
    const std::string ha2 = hash(Algorithm::Md5, "REGISTER:sip:bob@biloxi.com");
    EXPECT_EQ(respond(in, "zanzibar"),
              hash(Algorithm::Md5, ha1 + ":dcd98b7102dd2f0e8b11d0f600bfb0c093:" + ha2));

    in.alg = {Algorithm::Sha256, true};
    in.qop = "auth-int";
    in.nc = "0000000a";
    in.cnonce = "c";
    in.body = "v=0\r\n";
    const std::string sha1 = hash(Algorithm::Sha256, "bob:biloxi.com:zanzibar");
    const std::string sess =
        hash(Algorithm::Sha256, sha1 + ":dcd98b7102dd2f0e8b11d0f600bfb0c093:c");
    const std::string ha2i = hash(
        Algorithm::Sha256, "REGISTER:sip:bob@biloxi.com:" + hash(Algorithm::Sha256, "v=0\r\n"));
    EXPECT_EQ(respond(in, "zanzibar"),
              hash(Algorithm::Sha256,
                   sess + ":dcd98b7102dd2f0e8b11d0f600bfb0c093:0000000a:c:auth-int:" + ha2i));
}

TEST(AuthDigest, QuotedPairsAreUnescapedWhileHashing) {
    DigestInput in;
    in.alg = {Algorithm::Md5, false};
    in.username = R"(a\"b\\c)";  // as the parser leaves it: the user is a"b\c
    in.realm = "r";
    char out[kMaxHexLen];
    const size_t n = computeHa1(Hasher::local(), in, "p", out);
    EXPECT_EQ(std::string(out, n), hash(Algorithm::Md5, "a\"b\\c:r:p"));
}

TEST(AuthDigest, HexHelpers) {
    EXPECT_TRUE(sameHex("abcdef0123", "ABCDEF0123"));
    EXPECT_FALSE(sameHex("abcdef0123", "abcdef0124"));
    EXPECT_FALSE(sameHex("abc", "abcd"));
    char out[kMaxHexLen];
    EXPECT_TRUE(lowerHex("AbC0", out));
    EXPECT_EQ(std::string(out, 4), "abc0");
    EXPECT_FALSE(lowerHex("abcg", out));
    EXPECT_FALSE(lowerHex(std::string(kMaxHexLen + 2, 'a'), out));
}

TEST(AuthDigest, HmacMatchesOpenSsl) {
    for (const std::string& key : {std::string("k"), std::string(64, 'x'), std::string(100, 'y')}) {
        HmacKey k;
        k.setKey(key);
        uint8_t ours[32];
        ASSERT_TRUE(k.mac("hello ", "world", ours));
        unsigned len = 0;
        const std::string msg = "hello world";
        const uint8_t* theirs =
            HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), nullptr, &len);
        ASSERT_EQ(len, 32u);
        EXPECT_EQ(std::memcmp(ours, theirs, 32), 0) << "key length " << key.size();
    }
}

TEST(AuthDigest, AtMostOneAllocationPerDigestOnceWarm) {
    ASSERT_TRUE(kCounting) << "OpenSSL allocated before the counter was installed";
    DigestInput in;
    in.alg = {Algorithm::Sha256, false};
    in.username = "alice";
    in.realm = "example.com";
    in.nonce = "n";
    in.uri = "sip:example.com";
    in.qop = "auth";
    in.nc = "00000001";
    in.cnonce = "c";
    in.method = "REGISTER";
    HmacKey k;
    k.setKey("secret");
    uint8_t mac[32];
    respond(in, "pw");  // warm: contexts made, algorithms fetched
    in.alg = {Algorithm::Md5, false};
    respond(in, "pw");
    ASSERT_TRUE(k.mac("a", "b", mac));
    const long before = g_cryptoAllocs.load();
    for (int i = 0; i < 100; ++i) {
        in.alg = {i % 2 ? Algorithm::Md5 : Algorithm::Sha256, false};
        respond(in, "pw");
        ASSERT_TRUE(k.mac("a", "b", mac));
    }
    // Each iteration runs five digests: HA1, HA2, response, and the HMAC's inner and outer.
    EXPECT_LE(g_cryptoAllocs.load() - before, 100 * 5);
}

}  // namespace
}  // namespace osprey::auth
