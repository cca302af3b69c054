// Certificates for TLS tests, made with OpenSSL into a test's temp dir: a CA, and server or
// client certificates it signs (ECDSA P-256 by default, RSA-2048 on request), including
// expired ones and ones from an untrusted CA.
//
//   TestPki pki(dir.path());
//   CertFiles server = pki.issue("server", CertSpec("localhost", {"localhost"}));
//   CertFiles old = pki.issue("old", CertSpec("alice").expiredCert());
#pragma once
#include <string>
#include <vector>

namespace osprey::testsupport {

struct CertFiles {
    std::string cert;  // PEM certificate
    std::string key;   // PEM private key
};

struct CertSpec {
    explicit CertSpec(std::string cn_, std::vector<std::string> dns_ = {})
        : cn(std::move(cn_)), dns(std::move(dns_)) {}
    CertSpec& rsaKey() {
        rsa = true;
        return *this;
    }
    CertSpec& expiredCert() {
        expired = true;
        return *this;
    }
    std::string cn;
    std::vector<std::string> dns;  // subjectAltName DNS entries
    bool rsa = false;              // RSA-2048 instead of ECDSA P-256
    bool expired = false;          // valid from 10 days ago to 1 day ago
};

class TestPki {
public:
    // Makes a CA named `name` (its files name.pem / name.key in dir).
    explicit TestPki(std::string dir, std::string name = "ca");
    bool ok() const { return ok_; }
    const std::string& caFile() const { return caCert_; }
    // Issues and writes <file>.pem and <file>.key; empty paths on failure.
    CertFiles issue(const std::string& file, const CertSpec& spec);

private:
    std::string dir_;
    std::string caCert_;
    std::string caKey_;
    bool ok_ = false;
};

}  // namespace osprey::testsupport
