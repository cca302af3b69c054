// Locating and validating digest credentials.
#include "modules/auth/credentials.h"

#include "core/sip/msg.h"
#include "core/sip/text.h"

namespace osprey::auth {

namespace {

bool tokenEquals(std::string_view a, std::string_view lowerLiteral) {
    if (a.size() != lowerLiteral.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != lowerLiteral[i]) return false;
    }
    return true;
}

bool allHex(std::string_view s) {
    for (char c : s)
        if (sip::hexValue(c) < 0) return false;
    return true;
}

}  // namespace

bool unquotedEquals(std::string_view quoted, std::string_view plain) {
    size_t j = 0;
    for (size_t i = 0; i < quoted.size(); ++i, ++j) {
        if (quoted[i] == '\\' && i + 1 < quoted.size()) ++i;
        if (j >= plain.size() || quoted[i] != plain[j]) return false;
    }
    return j == plain.size();
}

Found findCredentials(sip::SipMsg& msg, sip::HeaderKind k, std::string_view realm,
                      Credentials& out) {
    for (sip::HeaderField* h = sip::findHeader(msg, k); h != nullptr;
         h = sip::nextHeader(msg, *h)) {
        const sip::AuthBody* b = sip::parseAuth(msg, *h);
        if (b == nullptr) return Found::Malformed;
        if (!b->isDigest || !unquotedEquals(b->realm, realm)) continue;
        out.header = h;
        out.body = b;
        return Found::Yes;
    }
    return Found::None;
}

bool validateCredentials(const sip::AuthBody& b, Validated& out) {
    auto fail = [&out](const char* why) {
        out.problem = why;
        return false;
    };
    if (b.username.empty()) return fail("no username");
    if (b.nonce.empty()) return fail("no nonce");
    if (b.uri.empty()) return fail("no uri");
    if (b.response.empty()) return fail("no response");
    if (!parseAlgorithm(b.algorithm, out.alg)) return fail("unsupported algorithm");
    if (b.response.size() != 2 * hashBytes(out.alg.alg) || !allHex(b.response))
        return fail("response is not a digest of the algorithm");
    // RFC 7616 §3.4.4: a hashed username cannot be matched without a user table.
    if (!b.userhash.empty() && !tokenEquals(b.userhash, "false"))
        return fail("userhash is not supported");
    out.nc = 0;
    if (b.qop.empty()) {
        if (out.alg.sess) return fail("-sess algorithm without qop");
        return true;
    }
    if (!tokenEquals(b.qop, "auth") && !tokenEquals(b.qop, "auth-int")) return fail("unknown qop");
    if (b.cnonce.empty()) return fail("qop without cnonce");
    if (b.nc.empty() || b.nc.size() > 8 || !allHex(b.nc)) return fail("bad nc");
    for (char c : b.nc) out.nc = (out.nc << 4) | static_cast<uint32_t>(sip::hexValue(c));
    return true;
}

}  // namespace osprey::auth
