// Shared by the digest authentication integration tests (auth, auth_db): the challenges of a
// reply as received, client credentials computed with OpenSSL's one-shot EVP_Digest
// (independently of the module's code), and a UA that sends REGISTER or INVITE with them.
#pragma once
#include <openssl/evp.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/sip/digest.h"
#include "core/sip/text.h"
#include "test/support/sip_client.h"
#include "test/support/sip_router.h"

namespace osprey::testsupport {

inline std::string hexDigest(const std::string& alg, const std::string& s) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    const EVP_MD* md = EVP_get_digestbyname(alg == "MD5" ? "MD5" : "SHA256");
    EVP_Digest(s.data(), s.size(), out, &n, md, nullptr);
    std::string hex(2 * n, '\0');
    sip::toHex(out, n, hex.data());
    return hex;
}

// One challenge as received (values unquoted by hand: the test does not trust the parser's
// escapes handling for what it checks).
struct Challenge {
    std::string header;  // the whole value
    std::string realm, nonce, qop, algorithm, stale;
};

inline std::vector<Challenge> challengesOf(ReceivedMsg& resp, const std::string& name) {
    std::vector<Challenge> out;
    for (const std::string& v : resp.headers(name)) {
        Challenge c;
        c.header = v;
        std::string s = v;
        std::string hdr = name + ": " + v;
        std::string buf =
            "SIP/2.0 401 X\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" + hdr + "\r\n\r\n";
        ReceivedMsg tmp(buf);
        sip::HeaderField* h = sip::findHeader(tmp.msg(), name == "WWW-Authenticate"
                                                             ? sip::HeaderKind::WwwAuthenticate
                                                             : sip::HeaderKind::ProxyAuthenticate);
        if (h == nullptr) continue;
        const sip::AuthBody* b = sip::parseAuth(tmp.msg(), *h);
        if (b == nullptr) continue;
        c.realm = std::string(b->realm);
        c.nonce = std::string(b->nonce);
        c.qop = std::string(b->qop);
        c.algorithm = std::string(b->algorithm);
        c.stale = std::string(b->stale);
        out.push_back(c);
    }
    return out;
}

struct Creds {
    std::string alg = "MD5";
    std::string algParam;
    std::string user = "alice", realm = "example.com", password = "secret";
    std::string uri = "sip:example.com";
    std::string cnonce = "0a4f113b";
    std::string qop = "auth";

    std::string value(const std::string& method, const std::string& nonce, unsigned nc) const {
        char ncText[9];
        snprintf(ncText, sizeof ncText, "%08x", nc);
        const std::string ha1 = hexDigest(alg, user + ":" + realm + ":" + password);
        const std::string ha2 = hexDigest(alg, method + ":" + uri);
        const std::string resp = qop.empty()
                                     ? hexDigest(alg, ha1 + ":" + nonce + ":" + ha2)
                                     : hexDigest(alg, ha1 + ":" + nonce + ":" + ncText + ":" +
                                                          cnonce + ":" + qop + ":" + ha2);
        std::string v = "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" +
                        nonce + "\", uri=\"" + uri + "\", response=\"" + resp + "\"";
        if (!qop.empty())
            v += ", qop=" + qop + ", nc=" + std::string(ncText) + ", cnonce=\"" + cnonce + "\"";
        if (!algParam.empty()) v += ", algorithm=" + algParam;
        return v;
    }
};

class Ua {
public:
    explicit Ua(SipRouter& r) : router_(r) {}

    // Sends method with the given credentials header line (may be empty) and returns the reply.
    std::unique_ptr<ReceivedMsg> send(const std::string& method, const std::string& credHeader,
                                      const std::string& extra = "") {
        SipRequest r;
        r.method = method;
        r.ruri = "sip:" + std::string(method == "REGISTER" ? "" : "bob@") + "example.com";
        r.from = "<sip:alice@example.com>;tag=" + uniqueToken("t");
        r.to = method == "REGISTER" ? "<sip:alice@example.com>" : "<sip:bob@example.com>";
        r.cseq = ++cseq_;
        r.extraHeaders = extra;
        if (!credHeader.empty()) {
            r.extraHeaders += (method == "REGISTER" ? "Authorization: " : "Proxy-Authorization: ") +
                              credHeader + "\r\n";
        }
        if (!peer_.sendTo(buildRequest(peer_, r), router_.port())) return nullptr;
        return peer_.receiveCall(r.callId, 3000);
    }
    // Sends method with X-Report (the test scripts then answer the check's return code in the
    // reason phrase, "rc=N") and returns that reason, or "no answer" so that a comparison
    // with any expected code fails when no reply came.
    std::string reported(const std::string& method, const std::string& credHeader,
                         const std::string& extra = "") {
        auto resp = send(method, credHeader, "X-Report: 1\r\n" + extra);
        return resp ? std::string(resp->reason()) : "no answer";
    }
    // The challenge nonce for method (first challenge offered).
    std::string challenge(const std::string& method, Challenge* out = nullptr) {
        auto resp = send(method, "");
        if (!resp) return "";
        auto cs =
            challengesOf(*resp, method == "REGISTER" ? "WWW-Authenticate" : "Proxy-Authenticate");
        if (cs.empty()) return "";
        if (out != nullptr) *out = cs[0];
        return cs[0].nonce;
    }

    SipPeer peer_;

private:
    SipRouter& router_;
    uint32_t cseq_ = 0;
};

}  // namespace osprey::testsupport
