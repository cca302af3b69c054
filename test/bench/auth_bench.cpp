// What one pv_auth_check costs below the Lua boundary (make bench-auth): the request parsed,
// the credentials found and checked (HA1, response, nonce MAC and age), with MD5 and with
// SHA-256. The baseline in the same run is the parse alone, so the difference is the check.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "modules/auth/verify.h"
#include "test/unit/auth_digest_client.h"
#include "test/unit/sip_test_pkg.h"

namespace {

using namespace osprey;
using namespace osprey::auth;

constexpr int64_t kNow = 1700000000;

// 255 REGISTERs with good credentials for one nonce (nc 1..255), as a client would send them.
struct Requests {
    explicit Requests(bool sha256) {
        codec.setSecret("bench-secret");
        digest_client::Client c;
        c.alg = sha256 ? "SHA256" : "MD5";
        c.algParam = sha256 ? "SHA-256" : "";
        char nonce[kNonceLen];
        if (!codec.make({static_cast<uint32_t>(kNow), 1},
                        sha256 ? Algorithm::Sha256 : Algorithm::Md5, "example.com", nonce))
            abort();
        const std::string n(nonce, kNonceLen);
        for (int i = 1; i <= 255; ++i) {
            char nc[9];
            snprintf(nc, sizeof nc, "%08x", i);
            reqs.push_back(std::make_unique<digest_client::Request>(
                "REGISTER", "Authorization: " + c.header(n, nc, c.response(n, nc)) + "\r\n"));
        }
        v.codec = &codec;  // no replay state: nc would run out after 255 checks
    }
    digest_client::Request& next() {
        digest_client::Request& r = *reqs[i++ % reqs.size()];
        r.msg.reset();
        return r;
    }
    NonceCodec codec;
    Verifier v;
    std::vector<std::unique_ptr<digest_client::Request>> reqs;
    size_t i = 0;
};

void BM_ParseAndCheck(benchmark::State& state) {
    Requests q(state.range(0) != 0);
    for (auto _ : state) {
        digest_client::Request& r = q.next();
        sip::parseMsg(r.msg, r.text);
        const int rc = authenticate(q.v, r.msg, sip::HeaderKind::Authorization, "example.com",
                                    "secret", 0, "REGISTER", kNow);
        if (rc != kAuthOk) state.SkipWithError("credentials refused");
    }
    state.SetLabel(state.range(0) != 0 ? "SHA-256" : "MD5");
}
BENCHMARK(BM_ParseAndCheck)->Arg(0)->Arg(1);

// Baseline: the same requests parsed, not checked.
void BM_ParseOnly(benchmark::State& state) {
    Requests q(false);
    for (auto _ : state) {
        digest_client::Request& r = q.next();
        benchmark::DoNotOptimize(sip::parseMsg(r.msg, r.text));
    }
}
BENCHMARK(BM_ParseOnly);

}  // namespace

BENCHMARK_MAIN();
