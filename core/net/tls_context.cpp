// TlsContexts: building SSL_CTX objects from profiles, SNI selection, and reload.
#include "core/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "core/log/log.h"
#include "core/net/tls_session.h"
#include "mem/shm.h"

namespace osprey::net {

namespace {

struct TlsShared {
    std::atomic<uint32_t> generation{1};
};

TlsShared* g_shared = nullptr;
// Session ticket keys (name, HMAC and AES keys): made in the master, inherited by every child
// through fork, so any worker decrypts a ticket another issued. Private memory, not shm.
unsigned char g_ticketKeys[80];
bool g_ticketKeysSet = false;
std::unique_ptr<TlsContexts> g_contexts;
uint32_t g_failedGeneration = 0;

constexpr unsigned char kSessionContext[] = "osprey";

bool readable(const std::string& path, const config::SourceLoc& at, const char* what,
              std::string* error) {
    if (access(path.c_str(), R_OK) == 0) return true;
    *error = at.text() + ": tls: cannot read " + what + " '" + path + "': " + strerror(errno);
    return false;
}

EVP_PKEY* readKey(const std::string& path) {
    FILE* f = fopen(path.c_str(), "r");
    if (f == nullptr) return nullptr;
    EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    fclose(f);
    return k;
}

int serverName(SSL* ssl, int*, void*) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr || g_contexts == nullptr) return SSL_TLSEXT_ERR_OK;
    SSL_CTX* ctx = g_contexts->serverFor(name);
    if (ctx == nullptr) return SSL_TLSEXT_ERR_OK;  // the default certificate answers
    SSL_set_SSL_CTX(ssl, ctx);
    // SSL_set_SSL_CTX takes the certificate only: the profile's client checks come along here.
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), TlsSession::verifyCallback);
    SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
    if (STACK_OF(X509_NAME)* cas = SSL_CTX_get_client_CA_list(ctx))
        SSL_set_client_CA_list(ssl, SSL_dup_CA_list(cas));
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* buildOne(const TlsProfile& p, const TlsSettings& s, std::string* error) {
    SSL_CTX* ctx = SSL_CTX_new(p.server ? TLS_server_method() : TLS_client_method());
    if (ctx == nullptr) {
        *error = p.where.text() + ": tls: cannot create a context: " + tlsErrors();
        return nullptr;
    }
    const auto fail = [&](const config::SourceLoc& at, const std::string& msg) {
        *error = at.text() + ": tls: " + msg;
        SSL_CTX_free(ctx);
        return nullptr;
    };
    SSL_CTX_set_min_proto_version(ctx, p.minVersion);
    if (p.maxVersion != 0) SSL_CTX_set_max_proto_version(ctx, p.maxVersion);
    // Idle connections give their 16 KB record buffers back (README.md "TLS": memory per
    // connection); a peer that renegotiates is refused (a CPU cost it could make us pay).
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // A peer that closes without close_notify is the common case for SIP (phones, load
    // balancers): a plain close, not an error (the framing catches a cut message).
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (!p.cipherList.empty() && SSL_CTX_set_cipher_list(ctx, p.cipherList.c_str()) != 1)
        return fail(p.where, "bad cipher_list '" + p.cipherList + "': " + tlsErrors());
    if (!p.certificate.empty()) {
        if (!readable(p.certificate, p.certificateAt, "certificate", error)) {
            SSL_CTX_free(ctx);
            return nullptr;
        }
        if (SSL_CTX_use_certificate_chain_file(ctx, p.certificate.c_str()) != 1)
            return fail(p.certificateAt, "certificate '" + p.certificate +
                                             "' is not a PEM certificate: " + tlsErrors());
        const std::string& key = p.privateKey.empty() ? p.certificate : p.privateKey;
        const config::SourceLoc& keyAt = p.privateKey.empty() ? p.certificateAt : p.privateKeyAt;
        if (!readable(key, keyAt, "private_key", error)) {
            SSL_CTX_free(ctx);
            return nullptr;
        }
        EVP_PKEY* pkey = readKey(key);
        if (pkey == nullptr)
            return fail(keyAt,
                        "private_key '" + key + "' is not a PEM private key: " + tlsErrors());
        const bool matches = X509_check_private_key(SSL_CTX_get0_certificate(ctx), pkey) == 1;
        const bool used = matches && SSL_CTX_use_PrivateKey(ctx, pkey) == 1;
        EVP_PKEY_free(pkey);
        if (!matches) {
            ERR_clear_error();
            return fail(keyAt, "private_key '" + key + "' does not match certificate '" +
                                   p.certificate + "'");
        }
        if (!used) return fail(keyAt, "private_key '" + key + "' cannot be used: " + tlsErrors());
    } else if (!p.privateKey.empty()) {
        return fail(p.privateKeyAt, "private_key without a certificate");
    }
    if (!p.caList.empty()) {
        if (!readable(p.caList, p.caListAt, "ca_list", error)) {
            SSL_CTX_free(ctx);
            return nullptr;
        }
        if (SSL_CTX_load_verify_locations(ctx, p.caList.c_str(), nullptr) != 1)
            return fail(p.caListAt,
                        "ca_list '" + p.caList + "' holds no PEM certificate: " + tlsErrors());
        if (p.server) {
            if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(p.caList.c_str()))
                SSL_CTX_set_client_CA_list(ctx, names);
        }
    } else if (p.verifyCertificate && !p.server) {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    if (p.verifyCertificate || p.requireCertificate) {
        int mode = SSL_VERIFY_PEER;
        if (p.server && p.requireCertificate) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(ctx, mode, TlsSession::verifyCallback);
        SSL_CTX_set_verify_depth(ctx, p.verifyDepth);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (p.server) {
        SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
        // Resumption is by tickets (stateless, and valid in every worker: the keys are
        // shared); a per-process session cache would only find sessions of its own worker.
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        if (s.sessionTickets) {
            if (g_ticketKeysSet)
                SSL_CTX_set_tlsext_ticket_keys(ctx, g_ticketKeys, sizeof g_ticketKeys);
            SSL_CTX_set_num_tickets(ctx, 1);
        } else {
            SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
            SSL_CTX_set_num_tickets(ctx, 0);
        }
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        if (!s.sessionTickets) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    return ctx;
}

}  // namespace

std::string tlsErrors() {
    std::string out;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "no detail from OpenSSL" : out;
}

TlsContexts::~TlsContexts() {
    SSL_CTX_free(server_);
    SSL_CTX_free(client_);
    for (Named& n : servers_) SSL_CTX_free(n.ctx);
    for (Named& n : clients_) SSL_CTX_free(n.ctx);
}

bool TlsContexts::build(const TlsSettings& s, bool needServer, std::string* error) {
    if (needServer && s.server.certificate.empty()) {
        *error = s.server.where.text() +
                 ": tls: a tls: listener needs a certificate (tls = { certificate = ...; "
                 "private_key = ...; })";
        return false;
    }
    if (!s.server.certificate.empty()) {
        server_ = buildOne(s.server, s, error);
        if (server_ == nullptr) return false;
        SSL_CTX_set_tlsext_servername_callback(server_, serverName);
    }
    client_ = buildOne(s.client, s, error);
    if (client_ == nullptr) return false;
    for (const TlsProfile& p : s.servers) {
        if (p.certificate.empty()) {
            *error =
                p.where.text() + ": tls: server profile '" + p.serverName + "' needs a certificate";
            return false;
        }
        SSL_CTX* c = buildOne(p, s, error);
        if (c == nullptr) return false;
        servers_.push_back(Named{p.serverName, c});
    }
    for (const TlsProfile& p : s.clients) {
        SSL_CTX* c = buildOne(p, s, error);
        if (c == nullptr) return false;
        clients_.push_back(Named{p.serverName, c});
    }
    return true;
}

SSL_CTX* TlsContexts::serverFor(std::string_view sni) const {
    for (const Named& n : servers_)
        if (strncasecmp(n.name.data(), sni.data(), sni.size()) == 0 && n.name.size() == sni.size())
            return n.ctx;
    return nullptr;
}

SSL_CTX* TlsContexts::clientFor(std::string_view host) const {
    for (const Named& n : clients_)
        if (n.name.size() == host.size() &&
            strncasecmp(n.name.data(), host.data(), host.size()) == 0)
            return n.ctx;
    return client_;
}

bool createTlsShared() {
    if (g_shared == nullptr) {
        void* p = mem::shmAllocZero(sizeof(TlsShared));
        if (p == nullptr) return false;
        g_shared = new (p) TlsShared;
    }
    g_ticketKeysSet = RAND_bytes(g_ticketKeys, sizeof g_ticketKeys) == 1;
    return true;
}

void destroyTlsShared() {
    g_contexts.reset();
    mem::shmFree(g_shared);
    g_shared = nullptr;
}

uint32_t tlsGeneration() {
    return g_shared != nullptr ? g_shared->generation.load(std::memory_order_acquire) : 1;
}

TlsContexts* tlsContexts() {
    const uint32_t gen = tlsGeneration();
    if (g_contexts != nullptr && g_contexts->generation == gen) return g_contexts.get();
    if (g_failedGeneration == gen) return g_contexts.get();  // keeps the last good set
    auto next = std::make_unique<TlsContexts>();
    std::string error;
    if (!next->build(tlsSettings(), !tlsSettings().server.certificate.empty(), &error)) {
        g_failedGeneration = gen;
        LM_ERR("cannot load the TLS certificates (generation %u), keeping the previous ones: %s",
               gen, error.c_str());
        return g_contexts.get();
    }
    next->generation = gen;
    if (g_contexts != nullptr) LM_INFO("TLS certificates reloaded (generation %u)", gen);
    g_contexts = std::move(next);
    return g_contexts.get();
}

bool requestTlsReload(std::string* error) {
    if (g_shared == nullptr) {
        *error = "no TLS transport is configured";
        return false;
    }
    TlsContexts check;
    if (!check.build(tlsSettings(), !tlsSettings().server.certificate.empty(), error)) return false;
    g_shared->generation.fetch_add(1, std::memory_order_acq_rel);
    return true;
}

}  // namespace osprey::net
