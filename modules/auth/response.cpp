// Digest response computation.
#include "modules/auth/response.h"

namespace osprey::auth {

namespace {

bool isQopAuthInt(std::string_view qop) {
    if (qop.size() != 8) return false;
    constexpr std::string_view kAuthInt = "auth-int";
    for (size_t i = 0; i < qop.size(); ++i) {
        char c = qop[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != kAuthInt[i]) return false;
    }
    return true;
}

}  // namespace

DigestInput digestInput(const sip::AuthBody& b, const AlgorithmName& alg, std::string_view method) {
    DigestInput in;
    in.alg = alg;
    in.username = b.username;
    in.realm = b.realm;
    in.nonce = b.nonce;
    in.uri = b.uri;
    in.cnonce = b.cnonce;
    in.nc = b.nc;
    in.qop = b.qop;
    in.method = method;
    return in;
}

size_t computeHa1(Hasher& h, const DigestInput& in, std::string_view password, char* out) {
    if (!h.begin(in.alg.alg)) return 0;
    h.updateUnquoted(in.username);
    h.update(":");
    h.updateUnquoted(in.realm);
    h.update(":");
    h.update(password);
    return h.finishHex(out);
}

size_t computeResponse(Hasher& h, const DigestInput& in, std::string_view ha1Hex, char* out) {
    const size_t hexLen = 2 * hashBytes(in.alg.alg);
    if (ha1Hex.size() != hexLen) return 0;
    char sessHa1[kMaxHexLen];
    if (in.alg.sess) {  // RFC 7616 §3.4.2
        if (!h.begin(in.alg.alg)) return 0;
        h.update(ha1Hex);
        h.update(":");
        h.updateUnquoted(in.nonce);
        h.update(":");
        h.updateUnquoted(in.cnonce);
        if (h.finishHex(sessHa1) != hexLen) return 0;
        ha1Hex = {sessHa1, hexLen};
    }
    char ha2[kMaxHexLen];
    char bodyHash[kMaxHexLen];
    const bool authInt = isQopAuthInt(in.qop);
    if (authInt) {  // RFC 7616 §3.4.3: H(entity-body)
        if (!h.begin(in.alg.alg)) return 0;
        h.update(in.body);
        if (h.finishHex(bodyHash) != hexLen) return 0;
    }
    if (!h.begin(in.alg.alg)) return 0;
    h.update(in.method);
    h.update(":");
    h.updateUnquoted(in.uri);
    if (authInt) {
        h.update(":");
        h.update({bodyHash, hexLen});
    }
    if (h.finishHex(ha2) != hexLen) return 0;
    if (!h.begin(in.alg.alg)) return 0;
    h.update(ha1Hex);
    h.update(":");
    h.updateUnquoted(in.nonce);
    h.update(":");
    if (!in.qop.empty()) {
        h.update(in.nc);
        h.update(":");
        h.updateUnquoted(in.cnonce);
        h.update(":");
        h.update(in.qop);
        h.update(":");
    }
    h.update({ha2, hexLen});
    return h.finishHex(out);
}

bool sameHex(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        // Lower-casing letters only: digits and other octets are left alone.
        const unsigned char x = static_cast<unsigned char>(a[i]) | (a[i] >= 'A' ? 0x20 : 0);
        const unsigned char y = static_cast<unsigned char>(b[i]) | (b[i] >= 'A' ? 0x20 : 0);
        d |= static_cast<unsigned char>(x ^ y);
    }
    return d == 0;
}

bool lowerHex(std::string_view in, char* out) {
    if (in.size() > kMaxHexLen) return false;
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        out[i] = c;
    }
    return true;
}

}  // namespace osprey::auth
