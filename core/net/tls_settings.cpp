// TLS settings: the `tls` group, read and checked at start-up with file:line errors.
#include "core/net/tls_settings.h"

#include <openssl/ssl.h>

#include <filesystem>
#include <string_view>
#include <vector>

namespace osprey::net {

namespace {

struct Declare {
    Declare() { config::declareGroup("tls"); }
} const kDeclare;

TlsSettings g_settings;

using config::ConfigGroup;
using config::Param;

struct Reader {
    const config::Config& cfg;
    std::string* error;

    bool fail(const config::SourceLoc& at, const std::string& msg) {
        *error = at.text() + ": tls: " + msg;
        return false;
    }
    bool str(const Param& p, std::string* out) {
        const auto* s = std::get_if<std::string>(&p.value);
        if (s == nullptr) return fail(p.where, "'" + p.name + "' must be a string");
        *out = *s;
        return true;
    }
    bool path(const Param& p, std::string* out, config::SourceLoc* at) {
        std::string v;
        if (!str(p, &v)) return false;
        if (v.empty()) return fail(p.where, "'" + p.name + "' is empty");
        std::filesystem::path fp(v);
        if (fp.is_relative()) fp = std::filesystem::path(cfg.dir) / fp;
        *out = fp.lexically_normal().string();
        *at = p.where;
        return true;
    }
    bool boolean(const Param& p, bool* out) {
        const auto* b = std::get_if<bool>(&p.value);
        if (b != nullptr) {
            *out = *b;
            return true;
        }
        const auto* i = std::get_if<int64_t>(&p.value);  // Kamailio writes 0/1
        if (i != nullptr && (*i == 0 || *i == 1)) {
            *out = *i == 1;
            return true;
        }
        return fail(p.where, "'" + p.name + "' must be true or false");
    }
    bool integer(const Param& p, int64_t lo, int64_t hi, int64_t* out) {
        const auto* i = std::get_if<int64_t>(&p.value);
        if (i == nullptr) return fail(p.where, "'" + p.name + "' must be an integer");
        if (*i < lo || *i > hi)
            return fail(p.where, "'" + p.name + "' = " + std::to_string(*i) + " is out of range (" +
                                     std::to_string(lo) + ".." + std::to_string(hi) + ")");
        *out = *i;
        return true;
    }
    // Kamailio's method names: TLSv1.2 (exactly), TLSv1.2+ (and newer), TLSv1.3, TLSv1.3+.
    bool method(const Param& p, TlsProfile* t) {
        std::string m;
        if (!str(p, &m)) return false;
        static const struct {
            const char* name;
            int min;
            int max;
        } kMethods[] = {{"TLSv1.2", TLS1_2_VERSION, TLS1_2_VERSION},
                        {"TLSv1.2+", TLS1_2_VERSION, 0},
                        {"TLSv1.3", TLS1_3_VERSION, TLS1_3_VERSION},
                        {"TLSv1.3+", TLS1_3_VERSION, 0},
                        {"TLSv1.1+", TLS1_1_VERSION, 0},
                        {"SSLv23", TLS1_2_VERSION, 0}};
        for (const auto& k : kMethods) {
            if (m == k.name) {
                t->minVersion = k.min;
                t->maxVersion = k.max;
                return true;
            }
        }
        return fail(p.where,
                    "unknown method '" + m + "' (expected TLSv1.2+, TLSv1.2, TLSv1.3 or TLSv1.3+)");
    }
    // One profile key; false with *error, or *known = false when it is not a profile key.
    bool profileKey(const Param& p, TlsProfile* t, bool* known) {
        *known = true;
        const std::string_view k = p.name;
        int64_t v = 0;
        if (k == "certificate") return path(p, &t->certificate, &t->certificateAt);
        if (k == "private_key") return path(p, &t->privateKey, &t->privateKeyAt);
        if (k == "ca_list") return path(p, &t->caList, &t->caListAt);
        if (k == "cipher_list") return str(p, &t->cipherList);
        if (k == "verify_certificate") return boolean(p, &t->verifyCertificate);
        if (k == "require_certificate") return boolean(p, &t->requireCertificate);
        if (k == "method") return method(p, t);
        if (k == "server_name") return str(p, &t->serverName);
        if (k == "verify_depth") {
            if (!integer(p, 0, 100, &v)) return false;
            t->verifyDepth = static_cast<int>(v);
            return true;
        }
        *known = false;
        return true;
    }
    bool profile(const ConfigGroup& g, TlsProfile base, bool server, TlsProfile* out) {
        base.server = server;
        base.serverName.clear();
        base.where = g.where;
        for (const Param& p : g.params) {
            bool known = false;
            if (!profileKey(p, &base, &known)) return false;
            if (!known)
                return fail(p.where, "unknown option '" + p.name + "' in a " +
                                         (server ? "server" : "client") + " profile");
        }
        if (!g.groups.empty())
            return fail(g.groups[0].where, "unexpected group '" + g.groups[0].name + "'");
        *out = std::move(base);
        return true;
    }
    bool global(const Param& p, TlsSettings* s, TlsProfile* base) {
        bool known = false;
        if (!profileKey(p, base, &known)) return false;
        if (known) return true;
        int64_t v = 0;
        const std::string_view k = p.name;
        if (k == "session_tickets") return boolean(p, &s->sessionTickets);
        if (k == "handshake_timeout") {
            if (!integer(p, 1, 3600, &v)) return false;
            s->handshakeTimeoutMs = v * 1000;
            return true;
        }
        if (k == "connection_timeout") {
            if (!integer(p, 1, 86400 * 365, &v)) return false;
            s->idleTimeoutMs = v * 1000;
            return true;
        }
        if (k == "max_pending_handshakes_per_ip") {
            if (!integer(p, 1, 1 << 20, &v)) return false;
            s->maxPendingPerIp = static_cast<unsigned>(v);
            return true;
        }
        if (k == "max_connections_per_ip") {
            if (!integer(p, 1, 1 << 20, &v)) return false;
            s->maxConnectionsPerIp = static_cast<unsigned>(v);
            return true;
        }
        return fail(p.where, "unknown option '" + p.name + "'");
    }
};

}  // namespace

bool loadTlsSettings(const config::Config& cfg, TlsSettings* out, std::string* error) {
    TlsSettings s;
    TlsProfile base;
    base.minVersion = TLS1_2_VERSION;
    const ConfigGroup* g = cfg.group("tls");
    Reader r{cfg, error};
    if (g != nullptr) {
        s.configured = true;
        base.where = g->where;
        for (const Param& p : g->params) {
            if (p.name == "server_name") return r.fail(p.where, "server_name belongs in a profile");
            if (!r.global(p, &s, &base)) return false;
        }
    }
    s.server = base;
    s.client = base;
    s.client.server = false;
    if (g != nullptr) {
        // Where each profile was given: a second default of one kind, or a server_name
        // given twice, is an error naming both places.
        std::vector<const TlsProfile*> seen;
        s.servers.reserve(g->groups.size());  // `seen` points into them
        s.clients.reserve(g->groups.size());
        for (const ConfigGroup& sub : g->groups) {
            const bool server = sub.name == "server";
            if (!server && sub.name != "client")
                return r.fail(sub.where,
                              "unknown group '" + sub.name + "' (expected server or client)");
            TlsProfile p;
            if (!r.profile(sub, base, server, &p)) return false;
            for (const TlsProfile* q : seen) {
                if (q->server == p.server && q->serverName == p.serverName)
                    return r.fail(p.where, sub.name + " profile '" +
                                               (p.serverName.empty() ? "default" : p.serverName) +
                                               "' is given twice (first at " + q->where.text() +
                                               ")");
            }
            TlsProfile* kept;
            if (p.serverName.empty()) {
                kept = &(server ? s.server : s.client);
                *kept = std::move(p);
            } else {
                std::vector<TlsProfile>& named = server ? s.servers : s.clients;
                named.push_back(std::move(p));
                kept = &named.back();
            }
            seen.push_back(kept);
        }
    }
    *out = std::move(s);
    return true;
}

const TlsSettings& tlsSettings() {
    return g_settings;
}

void setTlsSettings(const TlsSettings& s) {
    g_settings = s;
}

const char* tlsVersionName(int version) {
    switch (version) {
        case TLS1_VERSION:
            return "TLSv1";
        case TLS1_1_VERSION:
            return "TLSv1.1";
        case TLS1_2_VERSION:
            return "TLSv1.2";
        case TLS1_3_VERSION:
            return "TLSv1.3";
        default:
            return "unknown";
    }
}

}  // namespace osprey::net
