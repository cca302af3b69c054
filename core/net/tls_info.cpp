// tlsField: the owner's OpenSSL session of a connection, read for the script.
#include "core/net/tls_info.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

#include "core/net/tcp_owner.h"
#include "core/net/tls_session.h"

namespace osprey::net {

namespace {

TlsFieldValue text(const char* s, char* buf, size_t cap) {
    TlsFieldValue v;
    if (s == nullptr || cap == 0) return v;
    const size_t n = std::min(std::strlen(s), cap - 1);
    std::memcpy(buf, s, n);
    buf[n] = '\0';
    v.present = true;
    v.text = std::string_view(buf, n);
    return v;
}

TlsFieldValue number(int64_t n) {
    TlsFieldValue v;
    v.present = true;
    v.isInt = true;
    v.number = n;
    return v;
}

TlsFieldValue peerName(SSL* ssl, TlsField f, char* buf, size_t cap) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    if (peer == nullptr || cap == 0) {
        X509_free(peer);
        return {};
    }
    TlsFieldValue v;
    if (f == TlsField::PeerSubjectCn) {
        const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf,
                                                static_cast<int>(cap));
        if (n >= 0) {
            v.present = true;
            v.text = std::string_view(buf, static_cast<size_t>(n));
        }
    } else {
        X509_NAME* name =
            f == TlsField::PeerIssuer ? X509_get_issuer_name(peer) : X509_get_subject_name(peer);
        X509_NAME_oneline(name, buf, static_cast<int>(cap));
        v.present = true;
        v.text = std::string_view(buf);
    }
    X509_free(peer);
    return v;
}

}  // namespace

TlsFieldValue tlsField(ConnId conn, TlsField f, char* buf, size_t cap) {
    TcpOwner* owner = tcpOwner();
    OwnedConn* oc = owner != nullptr && conn != 0 ? owner->find(conn) : nullptr;
    if (oc == nullptr || oc->tls == nullptr || !oc->tls->established()) return {};
    SSL* ssl = oc->tls->ssl();
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    switch (f) {
        case TlsField::Version:
            return text(SSL_get_version(ssl), buf, cap);
        case TlsField::Description:
            if (cipher == nullptr || cap < 128) return {};
            SSL_CIPHER_description(cipher, buf, static_cast<int>(cap));
            {
                TlsFieldValue v = text(buf, buf, cap);
                while (!v.text.empty() && (v.text.back() == '\n' || v.text.back() == ' '))
                    v.text.remove_suffix(1);
                return v;
            }
        case TlsField::CipherInfo:
            return text(cipher != nullptr ? SSL_CIPHER_get_name(cipher) : nullptr, buf, cap);
        case TlsField::CipherBits:
            return cipher != nullptr ? number(SSL_CIPHER_get_bits(cipher, nullptr))
                                     : TlsFieldValue{};
        case TlsField::PeerSubject:
        case TlsField::PeerSubjectCn:
        case TlsField::PeerIssuer:
            return peerName(ssl, f, buf, cap);
        case TlsField::PeerVerified: {
            X509* peer = SSL_get1_peer_certificate(ssl);
            const bool verified = peer != nullptr && SSL_get_verify_result(ssl) == X509_V_OK &&
                                  (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
            X509_free(peer);
            return number(verified ? 1 : 0);
        }
        case TlsField::ServerName:
            return text(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), buf, cap);
    }
    return {};
}

}  // namespace osprey::net
