// Location lookup: the bindings of the Request-URI's AOR, best first.
#include "modules/registrar/lookup.h"

#include <algorithm>
#include <cstring>

#include "core/log/log.h"
#include "core/net/listen_socket.h"
#include "core/route/branch_set.h"
#include "core/route/msg_context.h"
#include "modules/registrar/aor.h"
#include "modules/registrar/registrar_state.h"

namespace osprey::registrar {

namespace {

// Bindings copied out of shm (the slot lock is held only while they are copied).
struct Found {
    std::string_view uri;
    std::string_view path;
    std::string_view received;  // the NAT's address (fix_nated_register), else empty
    std::string_view socket;    // the listen socket the REGISTER came in on
    int q;
    int64_t lastModified;
    uint32_t bflags;  // the branch flags saved with the contact
};

struct Collector {
    static constexpr size_t kMax = route::kMaxBranches + 1;  // R-URI + a full branch set
    Found items[kMax];
    size_t n = 0;
    size_t seen = 0;
    char text[16384];
    size_t used = 0;

    std::string_view copy(std::string_view s) {
        if (s.empty() || sizeof text - used < s.size()) return {};
        std::memcpy(text + used, s.data(), s.size());
        std::string_view out(text + used, s.size());
        used += s.size();
        return out;
    }

    static void add(void* self, const usrloc::ContactData& c) {
        auto* col = static_cast<Collector*>(self);
        ++col->seen;
        Found f{{}, {}, {}, {}, c.q, c.lastModified, c.flags};
        f.uri = col->copy(c.uri);
        f.path = col->copy(c.path);
        f.received = col->copy(c.received);
        f.socket = col->copy(c.socket);
        if (f.uri.empty() || f.path.size() != c.path.size() ||
            f.received.size() != c.received.size() || f.socket.size() != c.socket.size())
            return;
        // Keep the best kMax: replace the worst when full.
        auto better = [](const Found& a, const Found& b) {
            return a.q != b.q ? a.q > b.q : a.lastModified > b.lastModified;
        };
        if (col->n < kMax) {
            col->items[col->n++] = f;
            return;
        }
        Found* worst =
            std::min_element(col->items, col->items + kMax,
                             [&](const Found& a, const Found& b) { return better(b, a); });
        if (better(f, *worst)) *worst = f;
    }
};

// The first URI of a Path vector ("<sip:p1;lr>, <sip:p2;lr>" -> "sip:p1;lr").
std::string_view firstPathUri(std::string_view path) {
    const size_t lt = path.find('<');
    if (lt == std::string_view::npos) {
        const size_t end = path.find_first_of(", ");
        return path.substr(0, end);
    }
    const size_t gt = path.find('>', lt);
    if (gt == std::string_view::npos) return {};
    return path.substr(lt + 1, gt - lt - 1);
}

// The listen socket with this name ("udp:127.0.0.1:5060"); -1 when it is gone.
int socketNamed(std::string_view name) {
    if (name.empty()) return -1;
    const auto all = net::listenSockets();
    for (size_t i = 0; i < all.size(); ++i)
        if (all[i].name == name) return static_cast<int>(i);
    return -1;
}

// Where a binding's requests go instead of its URI: the first Path hop (RFC 3327), else the
// address its REGISTER came from when that was behind a NAT; empty: the URI itself.
std::string_view nextHopOf(const Found& f) {
    return !f.path.empty() ? firstPathUri(f.path) : f.received;
}

usrloc::Table* findTable(std::string_view name) {
    const usrloc::Api* api = ul();
    usrloc::Table* t = api != nullptr ? api->table(name) : nullptr;
    if (t == nullptr)
        LM_ERR("registrar: no usrloc table '%.*s'", static_cast<int>(name.size()), name.data());
    return t;
}

bool aorOf(std::string_view uriText, AorBuf& aor) {
    sip::SipUri uri;
    if (sip::parseUri(uriText, uri) != sip::UriError::Ok) return false;
    return makeAor(uri, ul()->useDomain(), aor);
}

}  // namespace

int lookup(route::MsgContext& mc, std::string_view tableName) noexcept {
    usrloc::Table* t = findTable(tableName);
    AorBuf aor;
    if (t == nullptr || !mc.msg.isRequest() || !aorOf(mc.requestUri(), aor)) return -3;
    Collector col;
    ul()->get(t, aor.view(), &Collector::add, &col);
    if (col.n == 0) return -1;
    std::stable_sort(col.items, col.items + col.n, [](const Found& a, const Found& b) {
        return a.q != b.q ? a.q > b.q : a.lastModified > b.lastModified;
    });
    const Found& best = col.items[0];
    if (!mc.setRequestUri(best.uri)) {
        LM_ERR("registrar: stored contact '%.*s' is not a valid Request-URI",
               static_cast<int>(best.uri.size()), best.uri.data());
        return -3;
    }
    // RFC 3327 §5.3: the request goes through the Path, as a pre-loaded route set. It belongs
    // to this destination only (tm's first branch, a stateless forward add the Route), so the
    // branches behind other Paths do not carry it.
    mc.ruriPath = {};
    if (!best.path.empty()) {
        mc.ruriPath = mc.keep(best.path);
        if (mc.ruriPath.empty()) return -3;
    }
    if (const std::string_view hop = nextHopOf(best); !hop.empty() && !mc.setDstUri(hop)) return -3;
    // Kamailio sends to a binding from the socket its REGISTER came in on (what a NAT expects
    // the answer from).
    if (const int sock = socketNamed(best.socket); sock >= 0) mc.forceSocket = sock;
    // As Kamailio's lookup: branch 0 gets the contact's saved branch flags (NAT marks set when
    // it registered) on top of its own; appended branches carry their contact's.
    mc.lua.bflags |= best.bflags;
    LM_DBG("registrar: lookup %.*s: target 0 %.*s q=%d", static_cast<int>(aor.len), aor.text,
           static_cast<int>(best.uri.size()), best.uri.data(), best.q);
    // append_branches = 0 (Kamailio's meaning): the best binding only, no forking.
    const size_t targets = settings().appendBranches != 0 ? col.n : 1;
    for (size_t i = 1; i < targets; ++i) {
        const Found& f = col.items[i];
        LM_DBG("registrar: lookup %.*s: target %zu %.*s q=%d", static_cast<int>(aor.len), aor.text,
               i, static_cast<int>(f.uri.size()), f.uri.data(), f.q);
        if (!mc.appendBranch(f.uri, nextHopOf(f), f.path, f.q, f.bflags)) {
            LM_WARN("registrar: branch set full, %zu contacts of %.*s not tried", col.n - i,
                    static_cast<int>(aor.len), aor.text);
            break;
        }
    }
    return 1;
}

int registered(route::MsgContext& mc, std::string_view tableName) noexcept {
    usrloc::Table* t = findTable(tableName);
    AorBuf aor;
    if (t == nullptr || !mc.msg.isRequest() || !aorOf(mc.requestUri(), aor)) return -1;
    return ul()->get(t, aor.view(), nullptr, nullptr) > 0 ? 1 : -1;
}

int unregister(route::MsgContext&, std::string_view tableName, std::string_view uri) noexcept {
    usrloc::Table* t = findTable(tableName);
    AorBuf aor;
    if (t == nullptr || !aorOf(uri, aor)) return -2;
    const int n = ul()->remove(t, aor.view(), {});
    return n > 0 ? 1 : n < 0 ? -2 : -1;
}

}  // namespace osprey::registrar
