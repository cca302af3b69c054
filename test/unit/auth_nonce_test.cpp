// auth module: stateless nonces (format, MAC binding, age with an injected clock) and the
// replay rings (nc and one-time), including their bounds and concurrent use.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "modules/auth/nonce.h"
#include "modules/auth/nonce_state.h"

namespace osprey::auth {
namespace {

std::string makeNonce(const NonceCodec& c, uint32_t created, uint32_t nid,
                      Algorithm a = Algorithm::Md5, std::string_view realm = "example.com") {
    char out[kNonceLen];
    EXPECT_TRUE(c.make({created, nid}, a, realm, out));
    return std::string(out, kNonceLen);
}

TEST(AuthNonce, RoundTripAndFormat) {
    NonceCodec c;
    c.setSecret("s3cret");
    const std::string n = makeNonce(c, 1700000000, 42);
    ASSERT_EQ(n.size(), 32u);
    for (char ch : n)
        EXPECT_TRUE(isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
    NonceFields f;
    ASSERT_EQ(c.check(n, Algorithm::Md5, "example.com", f), NonceCheck::Ok);
    EXPECT_EQ(f.created, 1700000000u);
    EXPECT_EQ(f.nid, 42u);
    EXPECT_NE(makeNonce(c, 1700000000, 43), n);
    EXPECT_NE(makeNonce(c, 1700000001, 42), n);
}

TEST(AuthNonce, BoundToSecretRealmAndAlgorithm) {
    NonceCodec c, other;
    c.setSecret("one");
    other.setSecret("two");
    const std::string n = makeNonce(c, 1000, 7);
    NonceFields f;
    EXPECT_EQ(other.check(n, Algorithm::Md5, "example.com", f), NonceCheck::BadMac);
    EXPECT_EQ(c.check(n, Algorithm::Sha256, "example.com", f), NonceCheck::BadMac);
    EXPECT_EQ(c.check(n, Algorithm::Md5, "example.org", f), NonceCheck::BadMac);
    // Any single changed character breaks it.
    for (size_t i = 0; i < n.size(); ++i) {
        std::string t = n;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        EXPECT_NE(c.check(t, Algorithm::Md5, "example.com", f), NonceCheck::Ok) << i;
    }
}

TEST(AuthNonce, MalformedNonces) {
    NonceCodec c;
    c.setSecret("x");
    NonceFields f;
    const std::string good = makeNonce(c, 5, 5);
    for (const std::string& bad :
         {std::string(), good.substr(1), good + "A", std::string(32, '='), std::string(32, ' '),
          good.substr(0, 31) + "\"", std::string(10000, 'A')}) {
        EXPECT_EQ(c.check(bad, Algorithm::Md5, "example.com", f), NonceCheck::Malformed) << bad;
    }
}

TEST(AuthNonce, AgeWithInjectedClock) {
    NonceFields f{1000, 0};
    EXPECT_EQ(NonceCodec::age(f, 1000, 300, 3), NonceCheck::Ok);
    EXPECT_EQ(NonceCodec::age(f, 1300, 300, 3), NonceCheck::Ok);
    EXPECT_EQ(NonceCodec::age(f, 1301, 300, 3), NonceCheck::Expired);
    EXPECT_EQ(NonceCodec::age(f, 997, 300, 3), NonceCheck::Ok);
    EXPECT_EQ(NonceCodec::age(f, 996, 300, 3), NonceCheck::Future);
    EXPECT_EQ(NonceCodec::age(f, 2, 300, 0), NonceCheck::Future);
}

struct StateMem {
    explicit StateMem(unsigned nc, unsigned otn, uint32_t first = 0) {
        mem.reset(static_cast<uint64_t*>(std::calloc(NonceState::bytesNeeded(nc, otn), 1)));
        state = NonceState::create(mem.get(), nc, otn, first);
    }
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    std::unique_ptr<uint64_t, Free> mem;
    NonceState* state;
};

TEST(AuthNonceState, NonceCountMustGrow) {
    StateMem m(6, 0);
    NonceState& s = *m.state;
    const uint32_t nid = s.newNid();
    EXPECT_EQ(s.acceptNc(nid, 1), Replay::Ok);
    EXPECT_EQ(s.acceptNc(nid, 1), Replay::Reused);
    EXPECT_EQ(s.acceptNc(nid, 3), Replay::Ok);
    EXPECT_EQ(s.acceptNc(nid, 2), Replay::Reused);
    EXPECT_EQ(s.acceptNc(nid, 0), Replay::Reused);
    EXPECT_EQ(s.acceptNc(nid, 255), Replay::Ok);
    EXPECT_EQ(s.acceptNc(nid, 256), Replay::Stale) << "beyond one octet: re-challenge";
    const uint32_t other = s.newNid();
    EXPECT_EQ(s.acceptNc(other, 1), Replay::Ok) << "slots are independent";
    s.spendNc(other);
    EXPECT_EQ(s.acceptNc(other, 2), Replay::Reused) << "a spent nonce takes no more nc";
}

TEST(AuthNonceState, RingIsBoundedAndOldIdsGoStale) {
    StateMem m(6, 0, 0xFFFFFFF0u);  // 64 slots; the counter wraps during the test
    NonceState& s = *m.state;
    const uint32_t first = s.newNid();
    for (int i = 0; i < 63; ++i) s.newNid();
    EXPECT_EQ(s.acceptNc(first, 1), Replay::Ok) << "64 newer-or-equal ids: still owned";
    s.newNid();  // the 65th takes the first one's slot
    EXPECT_EQ(s.acceptNc(first, 2), Replay::Stale);
    EXPECT_EQ(s.acceptNc(s.newNid() + 1, 1), Replay::Stale) << "never issued";
}

TEST(AuthNonceState, OneTimeNonces) {
    StateMem m(0, 7);
    NonceState& s = *m.state;
    EXPECT_FALSE(s.ncEnabled());
    EXPECT_TRUE(s.otnEnabled());
    const uint32_t a = s.newNid();
    const uint32_t b = s.newNid();
    EXPECT_EQ(s.acceptOnce(a), Replay::Ok);
    EXPECT_EQ(s.acceptOnce(a), Replay::Reused);
    EXPECT_EQ(s.acceptOnce(b), Replay::Ok);
    EXPECT_EQ(s.acceptNc(a, 1), Replay::Ok) << "nonce_count off: nc is not tracked";
    for (int i = 0; i < 128; ++i) s.newNid();
    EXPECT_EQ(s.acceptOnce(a), Replay::Stale);
}

// Many threads race the same nc values on the same nonces: each value is accepted at most
// once per nonce, and the accepted values only grow.
TEST(AuthNonceState, ConcurrentAcceptsNeverAcceptTwice) {
    StateMem m(8, 8);
    NonceState& s = *m.state;
    std::vector<uint32_t> nids;
    for (int i = 0; i < 16; ++i) nids.push_back(s.newNid());
    std::atomic<int> accepted{0}, once{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&] {
            for (uint32_t nc = 1; nc <= 200; ++nc)
                for (uint32_t nid : nids)
                    if (s.acceptNc(nid, nc) == Replay::Ok) ++accepted;
            for (uint32_t nid : nids)
                if (s.acceptOnce(nid) == Replay::Ok) ++once;
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_LE(accepted.load(), 16 * 200);
    EXPECT_GE(accepted.load(), 200) << "at least one thread's increasing run is accepted";
    EXPECT_EQ(once.load(), 16);
    for (uint32_t nid : nids) EXPECT_EQ(s.acceptNc(nid, 200), Replay::Reused);
}

}  // namespace
}  // namespace osprey::auth
