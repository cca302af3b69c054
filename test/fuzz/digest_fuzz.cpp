// libFuzzer target: digest credentials and challenges (core/sip/digest.h, modules/auth/) on
// peer-controlled text. Input: lines. Line 0 is a realm (a script may take it from the From
// domain); each further line (up to 8) is one header: its first octet picks Authorization,
// Proxy-Authorization, WWW-Authenticate or Proxy-Authenticate, the rest is the value. Invariants:
//   - everything parseAuth picks out lies inside the header's value;
//   - credentials found for a realm are Digest and name that realm;
//   - credentials that validate hash to a response of the algorithm's length;
//   - a challenge built for the realm (when the realm is acceptable) parses back: one Digest
//     challenge per offered algorithm, naming the same realm, with a nonce that checks Ok.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/sip/builder.h"
#include "core/sip/digest.h"
#include "core/sip/msg.h"
#include "modules/auth/challenge.h"
#include "modules/auth/credentials.h"
#include "modules/auth/nonce.h"
#include "modules/auth/nonce_state.h"
#include "modules/auth/response.h"

using namespace osprey;

namespace {

void failIf(bool bad, const char* what, std::string_view in, std::string_view out = {}) {
    if (!bad) return;
    std::fprintf(stderr, "invariant broken: %s\n--- input (%zu)\n%.*s\n--- output (%zu)\n%.*s\n",
                 what, in.size(), static_cast<int>(in.size()), in.data(), out.size(),
                 static_cast<int>(out.size()), out.data());
    std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
    if (part.empty()) return true;
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

const char* const kNames[] = {"Authorization", "Proxy-Authorization", "WWW-Authenticate",
                              "Proxy-Authenticate"};
constexpr sip::HeaderKind kKinds[] = {
    sip::HeaderKind::Authorization, sip::HeaderKind::ProxyAuthorization,
    sip::HeaderKind::WwwAuthenticate, sip::HeaderKind::ProxyAuthenticate};

struct Fixture {
    auth::NonceCodec codec;
    std::vector<uint64_t> stateMem;
    auth::NonceState* state = nullptr;
    Fixture() {
        codec.setSecret("fuzz secret");
        stateMem.resize(auth::NonceState::bytesNeeded(4, 6) / 8 + 1);
        state = auth::NonceState::create(stateMem.data(), 4, 6, 1);
    }
};

void checkBody(const sip::AuthBody& b, std::string_view value, std::string_view in) {
    for (std::string_view part :
         {b.scheme, b.params, b.username, b.realm, b.nonce, b.uri, b.response, b.algorithm,
          b.cnonce, b.opaque, b.qop, b.nc, b.stale, b.domain, b.userhash}) {
        failIf(!inside(part, value), "parsed auth field outside the header value", in, value);
    }
}

void credentials(Fixture& fx, const sip::AuthBody& b, std::string_view realm, std::string_view in) {
    auth::Validated v;
    if (!auth::validateCredentials(b, v)) {
        failIf(v.problem == nullptr, "rejected credentials without a reason", in);
        return;
    }
    auth::DigestInput d = auth::digestInput(b, v.alg, "INVITE");
    d.body = "v=0\r\n";
    auth::Hasher& h = auth::Hasher::local();
    char ha1[auth::kMaxHexLen], resp[auth::kMaxHexLen];
    const size_t want = 2 * auth::hashBytes(v.alg.alg);
    const size_t n1 = auth::computeHa1(h, d, "secret", ha1);
    failIf(n1 != want, "HA1 of the wrong length", in);
    const size_t n2 = auth::computeResponse(h, d, std::string_view(ha1, n1), resp);
    failIf(n2 != want, "response of the wrong length", in);
    failIf(auth::sameHex(std::string_view(resp, n2), b.response) && b.response.size() != want,
           "responses of different lengths compare equal", in);
    auth::NonceFields f;
    fx.codec.check(b.nonce, v.alg.alg, realm, f);  // a peer's nonce: must not crash
}

void challenge(Fixture& fx, std::string_view realm, uint8_t knobs, std::string_view in) {
    auth::Offer offer;
    static const char* const kOffers[] = {"", "MD5", "SHA-256,MD5", "SHA-512-256,SHA-256,MD5"};
    if (!auth::parseOffer(kOffers[knobs & 3], offer)) std::abort();
    const bool proxy = knobs & 4;
    const int flags = (knobs >> 3) & 0x17;
    char buf[auth::kChallengeBufSize * 4];
    const size_t n = auth::buildChallenge(fx.codec, fx.state, proxy, realm, flags, knobs & 0x80,
                                          offer, 1700000000, buf, sizeof buf);
    if (n == 0) return;
    const std::string reply = std::string("SIP/2.0 ") + (proxy ? "407" : "401") +
                              " Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                              "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
                              "Call-ID: c1\r\nCSeq: 1 INVITE\r\n" +
                              std::string(buf, n) + "Content-Length: 0\r\n\r\n";
    sip::SipMsg msg;
    failIf(!sip::parseMsg(msg, reply) || !sip::scanAllHeaders(msg), "challenge does not parse", in,
           reply);
    const sip::HeaderKind k =
        proxy ? sip::HeaderKind::ProxyAuthenticate : sip::HeaderKind::WwwAuthenticate;
    unsigned count = 0;
    for (sip::HeaderField* h = sip::findHeader(msg, k); h != nullptr;
         h = sip::nextHeader(msg, *h), ++count) {
        const sip::AuthBody* b = sip::parseAuth(msg, *h);
        failIf(b == nullptr || !b->isDigest, "challenge is not Digest", in, reply);
        failIf(!auth::unquotedEquals(b->realm, realm), "challenge names another realm", in, reply);
        failIf(count >= offer.count, "more challenges than algorithms", in, reply);
        auth::NonceFields f;
        failIf(fx.codec.check(b->nonce, offer.algs[count], realm, f) != auth::NonceCheck::Ok,
               "our own nonce does not check", in, reply);
    }
    failIf(count != offer.count, "a challenge per algorithm", in, reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixture fx;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos <= in.size() && lines.size() < 9) {
        size_t nl = in.find('\n', pos);
        if (nl == std::string_view::npos) nl = in.size();
        std::string_view l = in.substr(pos, nl - pos);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        lines.push_back(l);
        pos = nl + 1;
    }
    const std::string_view realm = lines[0];
    challenge(fx, realm, size > 0 ? data[size - 1] : 0, in);

    std::string text =
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\n"
        "CSeq: 1 INVITE\r\n";
    for (size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        text += kNames[static_cast<uint8_t>(lines[i][0]) & 3];
        text += ": ";
        text += lines[i].substr(1);
        text += "\r\n";
    }
    text += "Content-Length: 0\r\n\r\n";
    sip::SipMsg msg;
    if (!sip::parseMsg(msg, text) || !sip::scanAllHeaders(msg)) return 0;
    for (sip::HeaderKind k : kKinds) {
        for (sip::HeaderField* h = sip::findHeader(msg, k); h != nullptr;
             h = sip::nextHeader(msg, *h)) {
            const sip::AuthBody* b = sip::parseAuth(msg, *h);
            if (b == nullptr) continue;
            checkBody(*b, h->value, in);
            failIf(sip::parseAuth(msg, *h) != b, "parseAuth is not cached", in);
            if (b->isDigest &&
                (k == sip::HeaderKind::Authorization || k == sip::HeaderKind::ProxyAuthorization)) {
                credentials(fx, *b, realm, in);
            }
        }
        auth::Credentials c;
        if (auth::findCredentials(msg, k, realm, c) == auth::Found::Yes) {
            failIf(c.body == nullptr || !c.body->isDigest ||
                       !auth::unquotedEquals(c.body->realm, realm),
                   "credentials found for another realm", in);
        }
    }
    return 0;
}
