// TestPki: keys and X.509 certificates through OpenSSL's API (no shell, no config files).
#include "test/support/test_pki.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace osprey::testsupport {

namespace {

EVP_PKEY* newKey(bool rsa) {
    return rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

bool writePem(const std::string& path, X509* cert, EVP_PKEY* key) {
    FILE* f = fopen(path.c_str(), "w");
    if (f == nullptr) return false;
    const bool ok = cert != nullptr
                        ? PEM_write_X509(f, cert) == 1
                        : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    fclose(f);
    return ok;
}

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext != nullptr) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
}

X509* makeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, long fromSec, long toSec,
               long serial) {
    X509* c = X509_new();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
    X509_gmtime_adj(X509_getm_notBefore(c), fromSec);
    X509_gmtime_adj(X509_getm_notAfter(c), toSec);
    X509_set_pubkey(c, key);
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Osprey tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(c, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    return c;
}

long g_serial = 1000;

}  // namespace

TestPki::TestPki(std::string dir, std::string name) : dir_(std::move(dir)) {
    caCert_ = dir_ + "/" + name + ".pem";
    caKey_ = dir_ + "/" + name + ".key";
    EVP_PKEY* key = newKey(false);
    if (key == nullptr) return;
    X509* ca = makeCert(key, "Osprey test CA " + name, nullptr, -86400, 86400 * 30, ++g_serial);
    addExt(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
    addExt(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
    addExt(ca, ca, NID_subject_key_identifier, "hash");
    ok_ = X509_sign(ca, key, EVP_sha256()) > 0 && writePem(caCert_, ca, nullptr) &&
          writePem(caKey_, nullptr, key);
    X509_free(ca);
    EVP_PKEY_free(key);
}

CertFiles TestPki::issue(const std::string& file, const CertSpec& spec) {
    CertFiles out;
    FILE* f = fopen(caCert_.c_str(), "r");
    X509* ca = f != nullptr ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
    if (f != nullptr) fclose(f);
    f = fopen(caKey_.c_str(), "r");
    EVP_PKEY* caKey = f != nullptr ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : nullptr;
    if (f != nullptr) fclose(f);
    EVP_PKEY* key = newKey(spec.rsa);
    if (ca == nullptr || caKey == nullptr || key == nullptr) {
        X509_free(ca);
        EVP_PKEY_free(caKey);
        EVP_PKEY_free(key);
        return out;
    }
    const long from = spec.expired ? -10 * 86400 : -3600;
    const long to = spec.expired ? -86400 : 86400 * 10;
    X509* c = makeCert(key, spec.cn, ca, from, to, ++g_serial);
    addExt(c, ca, NID_basic_constraints, "critical,CA:FALSE");
    addExt(c, ca, NID_ext_key_usage, "serverAuth,clientAuth");
    std::string san;
    for (const std::string& d : spec.dns) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    if (!san.empty()) addExt(c, ca, NID_subject_alt_name, san.c_str());
    const std::string cert = dir_ + "/" + file + ".pem";
    const std::string keyFile = dir_ + "/" + file + ".key";
    if (X509_sign(c, caKey, EVP_sha256()) > 0 && writePem(cert, c, nullptr) &&
        writePem(keyFile, nullptr, key)) {
        out.cert = cert;
        out.key = keyFile;
    }
    X509_free(c);
    X509_free(ca);
    EVP_PKEY_free(caKey);
    EVP_PKEY_free(key);
    return out;
}

}  // namespace osprey::testsupport
