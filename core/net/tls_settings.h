// The TLS transport's settings: the `tls` group of the config file, with Kamailio's tls module
// names where Kamailio has the setting (docs/tls.md lists them all):
//
//   tls = {
//       certificate = "server.pem";  private_key = "server.key";  ca_list = "ca.pem";
//       verify_certificate = false;  require_certificate = false;  verify_depth = 9;
//       method = "TLSv1.2+";         cipher_list = "";             session_tickets = true;
//       handshake_timeout = 10;      connection_timeout = 600;
//       max_pending_handshakes_per_ip = 32;  max_connections_per_ip = 512;
//       server = ( { server_name = "a.example"; certificate = "a.pem"; private_key = "a.key"; } );
//       client = ( { verify_certificate = true; ca_list = "ca.pem"; } );
//   };
//
// Profile keys at the top of the group are the defaults every profile starts from; a `server`
// entry without server_name is the default server profile, one with server_name is chosen by
// the client's SNI; a `client` entry without server_name is the default client profile, one
// with server_name is used for next hops of that host (which is also the SNI we send).
// Read once in the master, checked there (files readable, key matches certificate) and
// inherited by every child, which builds its own OpenSSL contexts (tls_context.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace osprey::net {

struct TlsProfile {
    bool server = true;
    std::string serverName;   // "" for the default profile
    std::string certificate;  // absolute paths ("" when not set)
    std::string privateKey;
    std::string caList;
    std::string cipherList;  // TLS 1.2 ciphers; "" is OpenSSL's default
    bool verifyCertificate = false;
    bool requireCertificate = false;
    int verifyDepth = 9;
    int minVersion = 0;       // TLS1_2_VERSION by default (set by the loader)
    int maxVersion = 0;       // 0: the newest OpenSSL has
    config::SourceLoc where;  // the profile (the `tls` group for the defaults)
    config::SourceLoc certificateAt;
    config::SourceLoc privateKeyAt;
    config::SourceLoc caListAt;
};

struct TlsSettings {
    bool configured = false;          // a `tls` group is present
    TlsProfile server;                // default server profile
    TlsProfile client;                // default client profile
    std::vector<TlsProfile> servers;  // by SNI
    std::vector<TlsProfile> clients;  // by next hop host
    bool sessionTickets = true;
    int64_t handshakeTimeoutMs = 10'000;
    int64_t idleTimeoutMs = 600'000;
    unsigned maxPendingPerIp = 32;
    unsigned maxConnectionsPerIp = 512;
};

// Reads and checks the `tls` group (not the files); false with *error ("file:line: ...").
bool loadTlsSettings(const config::Config& cfg, TlsSettings* out, std::string* error);

// The settings of this run (set in the master before fork).
const TlsSettings& tlsSettings();
void setTlsSettings(const TlsSettings& s);

// "TLSv1.2", "TLSv1.3", ... for a protocol version number.
const char* tlsVersionName(int version);

}  // namespace osprey::net
