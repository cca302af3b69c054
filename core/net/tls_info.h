// What the script may ask about the TLS connection a message came in on (Kamailio's tls
// pseudo-variables and KSR.tls.is_peer_verified). Only the connection's owner has its OpenSSL
// session, and the owner is the process that routes the connection's messages, so the answer
// is found in this process's TcpOwner; anywhere else (a reply routed by another process, a UDP
// message) there is none.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/net/endpoint.h"

namespace osprey::net {

enum class TlsField : uint8_t {
    Version,        // $tls_version: "TLSv1.3"
    Description,    // $tls_description: OpenSSL's cipher description line
    CipherInfo,     // $tls_cipher_info: "TLS_AES_256_GCM_SHA384"
    CipherBits,     // $tls_cipher_bits: 256
    PeerSubject,    // $tls_peer_subject: "/O=.../CN=alice"
    PeerSubjectCn,  // $tls_peer_subject_cn: "alice"
    PeerIssuer,     // $tls_peer_issuer: the issuer's one-line name
    PeerVerified,   // $tls_peer_verified: 1 when the peer sent a certificate we verified
    ServerName,     // $tls_peer_server_name: the SNI the client sent
};

struct TlsFieldValue {
    bool present = false;  // false: not a TLS connection owned here, or no such value
    bool isInt = false;
    int64_t number = 0;
    std::string_view text;  // into the caller's buffer
};

// Fills buf (cap octets) as needed.
TlsFieldValue tlsField(ConnId conn, TlsField f, char* buf, size_t cap);

}  // namespace osprey::net
