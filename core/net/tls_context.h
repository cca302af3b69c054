// The OpenSSL contexts (SSL_CTX) of one process, built from the TLS settings (tls_settings.h):
// the default server context (which picks an SNI profile's context per handshake), the SNI
// server contexts, and the client contexts (default, and one per server_name).
//
// Every context lives in the private memory of the process that built it and is never shared
// with another process or placed in shm: a TCP worker builds its own after fork and only it
// uses them (README.md "TLS" says why). The master builds a set once at start-up to check the
// files (and throws it away); the control process builds one to check a reload.
//
// Reload (RPC tls.reload): a generation counter in shm; each TCP worker compares it with the
// generation of its contexts before it starts the next handshake and rebuilds them when it
// moved. Connections keep the context they started with (OpenSSL counts references), so
// existing connections go on and new handshakes use the new certificates.
#pragma once
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/tls_settings.h"

namespace osprey::net {

class TlsContexts {
public:
    TlsContexts() = default;
    ~TlsContexts();
    TlsContexts(const TlsContexts&) = delete;
    TlsContexts& operator=(const TlsContexts&) = delete;

    // Builds every context; false with *error naming the setting's file:line and why
    // (unreadable file, key that does not match its certificate, bad cipher list).
    bool build(const TlsSettings& s, bool needServer, std::string* error);

    SSL_CTX* server() const { return server_; }
    SSL_CTX* serverFor(std::string_view sni) const;   // nullptr: no profile of that name
    SSL_CTX* clientFor(std::string_view host) const;  // the default when no profile matches
    uint32_t generation = 0;

private:
    struct Named {
        std::string name;
        SSL_CTX* ctx;
    };
    SSL_CTX* server_ = nullptr;
    SSL_CTX* client_ = nullptr;
    std::vector<Named> servers_;
    std::vector<Named> clients_;
};

// Master, before fork: the reload generation (shm) and the session ticket keys every worker
// shares (so a ticket from one worker resumes on another).
bool createTlsShared();
void destroyTlsShared();

// This process's contexts, built on first use and rebuilt when a reload moved the generation;
// nullptr when they cannot be built (logged).
TlsContexts* tlsContexts();
// Checks the files in this process and, when they are good, moves the generation so every
// worker rebuilds before its next handshake; false with *error.
bool requestTlsReload(std::string* error);
uint32_t tlsGeneration();

// The OpenSSL error queue as one line (and emptied).
std::string tlsErrors();

}  // namespace osprey::net
