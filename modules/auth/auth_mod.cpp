// auth: digest authentication (Kamailio's auth module; RFC 7616, RFC 2617, RFC 8760).
//
// Script functions (KSR.auth.*), Kamailio's names and return codes (verify.h, challenge.h):
//   auth_challenge(realm, flags)       401 + WWW-Authenticate for REGISTER, else 407 +
//                                      Proxy-Authenticate; flags 1 qop=auth, 2 qop=auth-int,
//                                      4 no automatic 500 on failure, 16 stale=true
//   www_challenge / proxy_challenge(realm, flags)   the same with the reply chosen by name
//   pv_auth_check(realm, passwd, flags, checks)     Authorization for REGISTER, else
//                                      Proxy-Authorization; flags 1 passwd is HA1, 32 keep nc
//                                      on failure; checks 1 user must be the From/To user
//   pv_www_authenticate(realm, passwd, flags), pv_www_authenticate_method(..., method),
//   pv_proxy_authenticate(realm, passwd, flags)
//   consume_credentials()              remove the credentials just verified
//   has_credentials(realm)             1 when Authorization/Proxy-Authorization has that realm
//
// Challenges are sent statelessly (core/route/send_reply.h, the sl path). Nonces are
// stateless (nonce.h); replay state is a fixed ring in shm (nonce_state.h) made by the master
// before fork, as is the secret, so every worker checks every other worker's nonces.
//
// Differences from Kamailio, on purpose: nonce_count is on by default (replays are refused
// out of the box); a challenge after a stale nonce says stale=true without flag 16; the
// algorithm parameter may list several algorithms (one challenge each, RFC 8760); a nonce
// is bound to its realm and algorithm.
#include <sys/random.h>

#include <cstring>
#include <string>
#include <string_view>

#include "core/log/log.h"
#include "core/lua/export.h"
#include "core/module/module_export.h"
#include "core/route/msg_context.h"
#include "core/route/send_reply.h"
#include "core/sip/msg.h"
#include "core/timer/clock.h"
#include "mem/shm.h"
#include "modules/auth/api.h"
#include "modules/auth/challenge.h"
#include "modules/auth/verify.h"

namespace {

using namespace osprey;
using namespace osprey::auth;

// --- parameters (Kamailio's names and defaults, but nonce_count): the loader writes each
// one's default from kParams, then the configured value, before init ---
std::string g_secret;
int g_nonceExpire;
int g_maxDrift;
bool g_nonceCount;
bool g_oneTimeNonce;
int g_ncArrayOrder;
int g_ncArraySize;
int g_otnOrder;
int g_otnNo;
std::string g_algorithm;
bool g_useDomain;
std::string g_realmPrefix;
bool g_forceStateless;  // replies are stateless either way until tm offers its own

constexpr Verifier kVerifierDefaults{};

// --- state made in init (master), inherited by every child ---
NonceCodec g_codec;
NonceState* g_state = nullptr;
Offer g_offer;

int64_t now() {
    return timer::wallMs() / 1000;
}

// Kamailio's realm_prefix: "sip." makes sip.example.com the realm example.com.
std::string_view stripRealm(std::string_view realm) {
    const std::string_view prefix = g_realmPrefix;
    if (!prefix.empty() && realm.size() > prefix.size() && realm.substr(0, prefix.size()) == prefix)
        realm.remove_prefix(prefix.size());
    return realm;
}

unsigned orderOf(int size, int order) {
    if (size <= 0) return static_cast<unsigned>(order);
    unsigned o = 0;
    while ((int64_t{1} << (o + 1)) <= size) ++o;  // rounded down to a power of two
    return o;
}

Verifier verifier() {
    Verifier v;
    v.codec = &g_codec;
    v.state = g_state;
    v.nonceExpire = static_cast<uint32_t>(g_nonceExpire);
    v.maxDrift = static_cast<uint32_t>(g_maxDrift);
    return v;
}

bool isAckOrCancel(const sip::SipMsg& msg) {
    return msg.method() == sip::Method::Ack || msg.method() == sip::Method::Cancel;
}

// --- challenges ---

int challenge(lua::Ctx& ctx, std::string_view realmArg, int flags, bool proxy) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -1;
    if (isAckOrCancel(mc->msg)) return 1;  // never answered (Kamailio returns true too)
    const std::string_view realm = stripRealm(realmArg);
    // Credentials of this realm found stale by a check of this message: say so.
    bool stale = false;
    Credentials c;
    const auto kind = proxy ? sip::HeaderKind::ProxyAuthorization : sip::HeaderKind::Authorization;
    if (!realm.empty() && findCredentials(mc->msg, kind, realm, c) == Found::Yes)
        stale = c.body->staleNonce;
    char buf[kChallengeBufSize];
    const size_t n = buildChallenge(g_codec, g_state, proxy, realm, flags, stale, g_offer, now(),
                                    buf, sizeof buf);
    const std::string_view hdrs = n == 0 ? std::string_view() : mc->keep({buf, n});
    if (hdrs.empty()) {
        LM_ERR("auth: cannot build a challenge for realm '%.*s'",
               static_cast<int>(realmArg.size() > 64 ? 64 : realmArg.size()), realmArg.data());
        if (!(flags & kChallengeNo500)) route::sendReply(*mc, 500, "Server Internal Error");
        return -2;
    }
    const bool sent = proxy ? route::sendReply(*mc, 407, "Proxy Authentication Required", hdrs)
                            : route::sendReply(*mc, 401, "Unauthorized", hdrs);
    return sent ? 1 : -3;
}

int authChallenge(lua::Ctx& ctx, std::string_view realm, int flags) noexcept {
    if (ctx.route == nullptr) return -1;
    return challenge(ctx, realm, flags, ctx.route->msg.method() != sip::Method::Register);
}

int wwwChallenge(lua::Ctx& ctx, std::string_view realm, int flags) noexcept {
    return challenge(ctx, realm, flags, false);
}

int proxyChallenge(lua::Ctx& ctx, std::string_view realm, int flags) noexcept {
    return challenge(ctx, realm, flags, true);
}

// --- verification ---

int authenticateKind(lua::Ctx& ctx, std::string_view realm, std::string_view passwd, int flags,
                     sip::HeaderKind kind, std::string_view method, Credentials* found) {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return kAuthError;
    return authenticate(verifier(), mc->msg, kind, stripRealm(realm), passwd, flags, method, now(),
                        found);
}

int pvWwwAuthenticate(lua::Ctx& ctx, std::string_view realm, std::string_view passwd,
                      int flags) noexcept {
    if (ctx.route == nullptr) return kAuthError;
    return authenticateKind(ctx, realm, passwd, flags, sip::HeaderKind::Authorization,
                            ctx.route->msg.start.methodText, nullptr);
}

int pvWwwAuthenticateMethod(lua::Ctx& ctx, std::string_view realm, std::string_view passwd,
                            int flags, std::string_view method) noexcept {
    if (method.empty()) return kAuthError;
    return authenticateKind(ctx, realm, passwd, flags, sip::HeaderKind::Authorization, method,
                            nullptr);
}

int pvProxyAuthenticate(lua::Ctx& ctx, std::string_view realm, std::string_view passwd,
                        int flags) noexcept {
    if (ctx.route == nullptr) return kAuthError;
    return authenticateKind(ctx, realm, passwd, flags, sip::HeaderKind::ProxyAuthorization,
                            ctx.route->msg.start.methodText, nullptr);
}

int pvAuthCheck(lua::Ctx& ctx, std::string_view realm, std::string_view passwd, int flags,
                int checks) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return kAuthError;
    if (isAckOrCancel(mc->msg)) return kAuthOk;  // cannot be challenged (RFC 3261 §22.1)
    const auto kind = mc->msg.method() == sip::Method::Register
                          ? sip::HeaderKind::Authorization
                          : sip::HeaderKind::ProxyAuthorization;
    Credentials c;
    const int rc = authenticateKind(ctx, realm, passwd, flags, kind, mc->msg.start.methodText, &c);
    if (rc != kAuthOk || !(checks & 1)) return rc;
    return checkIdentity(mc->msg, *c.body, g_useDomain);
}

int consumeCredentials(lua::Ctx& ctx) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -1;
    for (auto kind : {sip::HeaderKind::Authorization, sip::HeaderKind::ProxyAuthorization}) {
        for (sip::HeaderField* h = sip::findHeader(mc->msg, kind); h != nullptr;
             h = sip::nextHeader(mc->msg, *h)) {
            if (h->state != sip::BodyState::Parsed) continue;
            if (!static_cast<const sip::AuthBody*>(h->body)->authorized) continue;
            return mc->builder().removeHeader(*h) == sip::BuildError::Ok ? 1 : -1;
        }
    }
    return -1;
}

int hasCredentials(lua::Ctx& ctx, std::string_view realmArg) noexcept {
    route::MsgContext* mc = ctx.route;
    if (mc == nullptr || !mc->msg.isRequest()) return -1;
    const std::string_view realm = stripRealm(realmArg);
    Credentials c;
    for (auto kind : {sip::HeaderKind::Authorization, sip::HeaderKind::ProxyAuthorization})
        if (findCredentials(mc->msg, kind, realm, c) == Found::Yes) return 1;
    return -1;
}

// --- the API for auth_db (api.h) ---

int apiAuthenticate(route::MsgContext& mc, sip::HeaderKind k, std::string_view realm,
                    std::string_view method, SecretLookup lookup, void* user, int flags,
                    const sip::AuthBody** used) {
    if (!mc.msg.isRequest()) return kAuthError;
    Credentials c;
    const int rc = authenticateWith(verifier(), mc.msg, k, stripRealm(realm), lookup, user, flags,
                                    method, now(), &c);
    if (used != nullptr) *used = c.body;
    return rc;
}

int apiCheckIdentity(route::MsgContext& mc, const sip::AuthBody& cred, bool useDomain) {
    return checkIdentity(mc.msg, cred, useDomain);
}

constexpr AuthApi kApi{&apiAuthenticate, &apiCheckIdentity};

// --- life cycle ---

bool modInit() {
    if (!parseOffer(g_algorithm, g_offer)) {
        LM_ERR(
            "auth: parameter algorithm '%s': expected MD5, SHA-256, SHA-512-256 or a "
            "comma-separated list of them",
            g_algorithm.c_str());
        return false;
    }
    uint8_t random[36];
    if (getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
        LM_ERR("auth: no random octets for the nonce secret");
        return false;
    }
    // The key itself is prepared in each child (it may need hashing, and OpenSSL is only
    // used after fork, docs/design.md §2); the random secret is drawn here so every child shares
    // it.
    if (g_secret.empty()) g_secret.assign(reinterpret_cast<const char*>(random), 32);
    const unsigned nc = g_nonceCount ? orderOf(g_ncArraySize, g_ncArrayOrder) : 0;
    const unsigned otn = g_oneTimeNonce ? orderOf(g_otnNo, g_otnOrder) : 0;
    if (nc != 0 || otn != 0) {
        const size_t bytes = NonceState::bytesNeeded(nc, otn);
        void* mem = mem::shmAllocZero(bytes);
        if (mem == nullptr) {
            LM_ERR("auth: no shared memory for the nonce state (%zu bytes)", bytes);
            return false;
        }
        uint32_t first;
        std::memcpy(&first, random + 32, sizeof first);
        g_state = NonceState::create(mem, nc, otn, first);
    }
    LM_INFO("auth: nonces expire after %d s; nonce_count %s (%u slots), one_time_nonce %s",
            g_nonceExpire, nc ? "on" : "off", nc ? 1u << nc : 0u, otn ? "on" : "off");
    return true;
}

bool modChildInit(proc::Rank) {
    Hasher::local();  // OpenSSL contexts per process, after fork
    g_codec.setSecret(g_secret);
    return true;
}

void modDestroy() {
    if (g_state != nullptr) mem::shmFree(g_state);
    g_state = nullptr;
}

constexpr module::ParamSpec kParams[] = {
    module::stringParam("secret", &g_secret, "",
                        "nonce MAC key; default: random per start (set it to share nonces "
                        "between servers or across restarts)"),
    module::intParam("nonce_expire", &g_nonceExpire, kVerifierDefaults.nonceExpire, 1, 86400,
                     "nonce lifetime, seconds"),
    module::intParam("nonce_auth_max_drift", &g_maxDrift, kVerifierDefaults.maxDrift, 0, 3600,
                     "seconds a nonce may seem to come from the future"),
    module::boolParam("nonce_count", &g_nonceCount, true,
                      "refuse an nc already seen for a nonce (qop responses)"),
    module::boolParam("one_time_nonce", &g_oneTimeNonce, false,
                      "a nonce answered without qop is good once"),
    module::intParam("nc_array_order", &g_ncArrayOrder, 20, 6, 28,
                     "log2 of the nonces tracked for nonce_count (one octet each)"),
    module::intParam("nc_array_size", &g_ncArraySize, 0, 0, 1 << 28,
                     "nonces tracked for nonce_count (rounded down to a power of two)"),
    module::intParam("otn_in_flight_order", &g_otnOrder, 20, 6, 30,
                     "log2 of the nonces tracked for one_time_nonce (one bit each)"),
    module::intParam("otn_in_flight_no", &g_otnNo, 0, 0, 1 << 30,
                     "nonces tracked for one_time_nonce (rounded down to a power of two)"),
    module::stringParam("algorithm", &g_algorithm, "",
                        "MD5 (default), SHA-256, SHA-512-256, or a list offered in that order"),
    module::boolParam("use_domain", &g_useDomain, false,
                      "pv_auth_check(checks=1) also compares From/To domains"),
    module::stringParam("realm_prefix", &g_realmPrefix, "", "prefix stripped from realms"),
    module::boolParam("force_stateless_reply", &g_forceStateless, false,
                      "challenges are always sent statelessly for now"),
};

constexpr lua::FunctionSpec kFunctions[] = {
    lua::fn<&authChallenge>("auth_challenge"),
    lua::fn<&wwwChallenge>("www_challenge"),
    lua::fn<&proxyChallenge>("proxy_challenge"),
    lua::fn<&pvAuthCheck>("pv_auth_check"),
    lua::fn<&pvWwwAuthenticate>("pv_www_authenticate"),
    lua::fn<&pvWwwAuthenticateMethod>("pv_www_authenticate_method"),
    lua::fn<&pvProxyAuthenticate>("pv_proxy_authenticate"),
    lua::fn<&consumeCredentials>("consume_credentials"),
    lua::fn<&hasCredentials>("has_credentials"),
};

}  // namespace

OSPREY_MODULE_EXPORT = {
    .name = "auth",
    .version = OSPREY_VERSION,
    .params = kParams,
    .functions = kFunctions,
    .api = &kApi,
    .init = &modInit,
    .childInit = &modChildInit,
    .destroy = &modDestroy,
};
