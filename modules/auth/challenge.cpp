// Building digest challenges.
#include "modules/auth/challenge.h"

#include <cstring>

#include "core/sip/text.h"

namespace osprey::auth {

namespace {

class Writer {
public:
    Writer(char* out, size_t cap) : p_(out), start_(out), end_(out + cap) {}
    void put(std::string_view s) {
        if (static_cast<size_t>(end_ - p_) < s.size()) {
            full_ = true;
            return;
        }
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    // Inside a quoted-string '"' and '\' travel as quoted-pairs (RFC 3261 §25.1).
    void putQuoted(std::string_view s) {
        for (char c : s) {
            if (c == '"' || c == '\\') put("\\");
            put({&c, 1});
        }
    }
    size_t length() const { return full_ ? 0 : static_cast<size_t>(p_ - start_); }

private:
    char* p_;
    char* start_;
    char* end_;
    bool full_ = false;
};

}  // namespace

bool parseOffer(std::string_view text, Offer& out) {
    out = Offer{};
    if (sip::trim(text).empty()) return true;
    out.count = 0;
    out.named = true;
    while (true) {
        const size_t comma = text.find(',');
        const std::string_view item = sip::trim(text.substr(0, comma));
        AlgorithmName a;
        if (item.empty() || !parseAlgorithm(item, a) || a.sess) return false;
        for (unsigned i = 0; i < out.count; ++i)
            if (out.algs[i] == a.alg) return false;
        out.algs[out.count++] = a.alg;
        if (comma == std::string_view::npos) return true;
        text.remove_prefix(comma + 1);
    }
}

size_t buildChallenge(const NonceCodec& codec, NonceState* state, bool proxy,
                      std::string_view realm, int flags, bool stale, const Offer& offer,
                      int64_t now, char* out, size_t cap) {
    if (realm.empty() || realm.size() > kMaxRealm) return 0;
    for (char c : realm)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return 0;
    NonceFields f;
    f.created = static_cast<uint32_t>(now);
    f.nid = state != nullptr ? state->newNid() : 0;
    std::string_view qop;
    if ((flags & kChallengeQopAuth) && (flags & kChallengeQopAuthInt))
        qop = "auth,auth-int";
    else if (flags & kChallengeQopAuth)
        qop = "auth";
    else if (flags & kChallengeQopAuthInt)
        qop = "auth-int";
    Writer w(out, cap);
    for (unsigned i = 0; i < offer.count; ++i) {
        char nonce[kNonceLen];
        if (!codec.make(f, offer.algs[i], realm, nonce)) return 0;
        w.put(proxy ? "Proxy-Authenticate: Digest realm=\"" : "WWW-Authenticate: Digest realm=\"");
        w.putQuoted(realm);
        w.put("\", nonce=\"");
        w.put({nonce, kNonceLen});
        w.put("\"");
        if (!qop.empty()) {
            w.put(", qop=\"");
            w.put(qop);
            w.put("\"");
        }
        if (stale || (flags & kChallengeStale)) w.put(", stale=true");
        if (offer.named) {
            w.put(", algorithm=");
            w.put(algorithmName(offer.algs[i]));
        }
        w.put("\r\n");
    }
    return w.length();
}

}  // namespace osprey::auth
