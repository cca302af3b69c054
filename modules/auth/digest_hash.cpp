// Digest hash functions over OpenSSL EVP, one reusable context per process.
#include "modules/auth/digest_hash.h"

#include <openssl/evp.h>

#include <cstring>

#include "core/sip/sip_lex.h"
#include "core/sip/text.h"

namespace osprey::auth {

namespace {

struct AlgInfo {
    std::string_view name;  // RFC 7616 §6.1 registry spelling
    const char* opensslName;
    size_t bytes;
};

constexpr AlgInfo kAlgs[kAlgorithmCount] = {
    {"MD5", "MD5", 16},
    {"SHA-256", "SHA256", 32},
    {"SHA-512-256", "SHA512-256", 32},
};

EVP_MD_CTX* evp(void* p) {
    return static_cast<EVP_MD_CTX*>(p);
}

}  // namespace

bool parseAlgorithm(std::string_view token, AlgorithmName& out) {
    out = {Algorithm::Md5, false};
    if (token.empty()) return true;
    constexpr std::string_view kSess = "-sess";
    bool sess = false;
    if (token.size() > kSess.size() &&
        sip::lex::equalsNoCase(token.substr(token.size() - kSess.size()), kSess)) {
        sess = true;
        token.remove_suffix(kSess.size());
    }
    for (unsigned i = 0; i < kAlgorithmCount; ++i) {
        if (sip::lex::equalsNoCase(token, kAlgs[i].name)) {
            out = {static_cast<Algorithm>(i), sess};
            return true;
        }
    }
    return false;
}

std::string_view algorithmName(Algorithm a) {
    return kAlgs[static_cast<unsigned>(a)].name;
}
size_t hashBytes(Algorithm a) {
    return kAlgs[static_cast<unsigned>(a)].bytes;
}

Hasher& Hasher::local() {
    static Hasher h;
    return h;
}

Hasher::Hasher() {
    ctx_ = EVP_MD_CTX_new();
    for (unsigned i = 0; i < kAlgorithmCount; ++i)
        md_[i] = EVP_MD_fetch(nullptr, kAlgs[i].opensslName, nullptr);
}

Hasher::~Hasher() {
    EVP_MD_CTX_free(evp(ctx_));
    for (const void* m : md_) EVP_MD_free(const_cast<EVP_MD*>(static_cast<const EVP_MD*>(m)));
}

bool Hasher::begin(Algorithm a) {
    const EVP_MD* md = static_cast<const EVP_MD*>(md_[static_cast<unsigned>(a)]);
    ok_ = ctx_ != nullptr && md != nullptr && EVP_DigestInit_ex2(evp(ctx_), md, nullptr) == 1;
    return ok_;
}

void Hasher::update(std::string_view s) {
    if (ok_ && !s.empty()) ok_ = EVP_DigestUpdate(evp(ctx_), s.data(), s.size()) == 1;
}

void Hasher::updateUnquoted(std::string_view s) {
    size_t from = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            update(s.substr(from, i - from));
            from = ++i;  // the escaped octet starts the next run
        }
    }
    update(s.substr(from));
}

size_t Hasher::finish(uint8_t* out) {
    unsigned n = 0;
    if (!ok_ || EVP_DigestFinal_ex(evp(ctx_), out, &n) != 1) return 0;
    return n;
}

size_t Hasher::finishHex(char* out) {
    uint8_t raw[EVP_MAX_MD_SIZE];
    const size_t n = finish(raw);
    sip::toHex(raw, n, out);
    return 2 * n;
}

void HmacKey::setKey(std::string_view key) {
    uint8_t block[64] = {};
    if (key.size() > sizeof block) {
        Hasher& h = Hasher::local();
        h.begin(Algorithm::Sha256);
        h.update(key);
        h.finish(block);
    } else {
        std::memcpy(block, key.data(), key.size());
    }
    for (size_t i = 0; i < sizeof block; ++i) {
        ipad_[i] = block[i] ^ 0x36;
        opad_[i] = block[i] ^ 0x5c;
    }
}

bool HmacKey::mac(std::string_view a, std::string_view b, uint8_t out[32]) const {
    Hasher& h = Hasher::local();
    uint8_t inner[32];
    auto bytes = [](const uint8_t* p, size_t n) {
        return std::string_view(reinterpret_cast<const char*>(p), n);
    };
    if (!h.begin(Algorithm::Sha256)) return false;
    h.update(bytes(ipad_, sizeof ipad_));
    h.update(a);
    h.update(b);
    if (h.finish(inner) != sizeof inner || !h.begin(Algorithm::Sha256)) return false;
    h.update(bytes(opad_, sizeof opad_));
    h.update(bytes(inner, sizeof inner));
    return h.finish(out) == 32;
}

}  // namespace osprey::auth
