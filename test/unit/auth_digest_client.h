// A digest client for the auth module's tests and benchmark: responses computed with OpenSSL's
// one-shot EVP_Digest, independently of the module's Hasher, and a REGISTER or other request
// carrying the credentials, parsed.
#pragma once
#include <openssl/evp.h>

#include <string>

#include "core/sip/msg.h"
#include "core/sip/text.h"

namespace osprey::auth::digest_client {

inline std::string h(const char* alg, const std::string& s) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(s.data(), s.size(), out, &n, EVP_get_digestbyname(alg), nullptr);
    std::string hex(2 * n, '\0');
    sip::toHex(out, n, hex.data());
    return hex;
}

struct Client {
    std::string alg = "MD5";  // OpenSSL name: MD5, SHA256
    std::string algParam;     // algorithm= in the credentials ("" none)
    std::string user = "alice", realm = "example.com", password = "secret";
    std::string uri = "sip:example.com", method = "REGISTER", qop = "auth", cnonce = "abc";
    std::string ha1() const { return h(alg.c_str(), user + ":" + realm + ":" + password); }
    std::string response(const std::string& nonce, const std::string& nc) const {
        const std::string ha2 = h(alg.c_str(), method + ":" + uri);
        if (qop.empty()) return h(alg.c_str(), ha1() + ":" + nonce + ":" + ha2);
        return h(alg.c_str(),
                 ha1() + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }
    std::string header(const std::string& nonce, const std::string& nc,
                       const std::string& response) const {
        std::string v = "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" +
                        nonce + "\", uri=\"" + uri + "\", response=\"" + response + "\"";
        if (!qop.empty()) v += ", qop=" + qop + ", nc=" + nc + ", cnonce=\"" + cnonce + "\"";
        if (!algParam.empty()) v += ", algorithm=" + algParam;
        return v;
    }
};

struct Request {
    explicit Request(const std::string& method, const std::string& extra) {
        text = method +
               " sip:example.com SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
               "From: <sip:alice@example.com>;tag=1\r\n"
               "To: <sip:alice@example.com>\r\n"
               "Call-ID: c1\r\nCSeq: 1 " +
               method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
        parsed = sip::parseMsg(msg, text);
    }
    std::string text;
    sip::SipMsg msg;
    bool parsed = false;
};

}  // namespace osprey::auth::digest_client
