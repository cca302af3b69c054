// The hash functions of HTTP/SIP digest authentication (RFC 7616 §3.2, RFC 8760): MD5,
// SHA-256 and SHA-512/256, through OpenSSL's EVP interface. One Hasher per process reuses its
// EVP_MD_CTX and the algorithms fetched once, so hashing a request costs no allocation and no
// provider look-up (OpenSSL 3 otherwise fetches the algorithm on every init). HMAC (RFC 2104)
// is built on the same Hasher for the nonce MAC.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace osprey::auth {

enum class Algorithm : uint8_t { Md5, Sha256, Sha512_256 };
inline constexpr unsigned kAlgorithmCount = 3;
inline constexpr size_t kMaxHashBytes = 32;
inline constexpr size_t kMaxHexLen = 2 * kMaxHashBytes;

struct AlgorithmName {
    Algorithm alg;
    bool sess;  // the "-sess" variant (RFC 7616 §3.4.2: HA1 also covers nonce and cnonce)
};

// Token of an algorithm parameter ("MD5", "sha-256-sess", ...; case-insensitive). An empty
// value is MD5 (RFC 7616 §3.3). False when the algorithm is not supported.
bool parseAlgorithm(std::string_view token, AlgorithmName& out);
std::string_view algorithmName(Algorithm a);  // "MD5", "SHA-256", "SHA-512-256"
size_t hashBytes(Algorithm a);                // 16 or 32

class Hasher {
public:
    // The calling process's hasher (created on first use, after fork in a worker).
    static Hasher& local();

    bool begin(Algorithm a);
    void update(std::string_view s);
    // Updates with the content of a quoted-string as the parser left it (escapes kept):
    // quoted-pair "\x" counts as "x" (RFC 3261 §25.1), which is what unq() means in RFC 7616.
    void updateUnquoted(std::string_view s);
    // Finishes into out (hashBytes(a) bytes); returns the length, 0 on failure.
    size_t finish(uint8_t* out);
    // Finishes as lower-case hex into out (2 * hashBytes(a) chars); returns the length.
    size_t finishHex(char* out);

    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;
    ~Hasher();

private:
    Hasher();
    void* ctx_ = nullptr;                   // EVP_MD_CTX*
    const void* md_[kAlgorithmCount] = {};  // EVP_MD* fetched once
    bool ok_ = true;
};

// HMAC-SHA-256 (RFC 2104) with a key prepared once; mac() writes 32 bytes.
class HmacKey {
public:
    void setKey(std::string_view key);
    bool mac(std::string_view a, std::string_view b, uint8_t out[32]) const;

private:
    uint8_t ipad_[64] = {};
    uint8_t opad_[64] = {};
};

}  // namespace osprey::auth
